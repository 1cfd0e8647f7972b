"""PCK101 unpicklable-task."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, PICKLING_KINDS, PoolCall, PoolKind
from flake8_poolcheck.analysis.tasks import (
    STARMAP_FORM,
    indexed_lambda_target,
    star_lambda_target,
    starmap_fix,
    unpicklable_callable,
)
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.analysis.values import (
    Factory,
)
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule, per_file

_MOVE_IT = "define it with `def` at module level"


def _message(where: str, what: str, consequence: str) -> str:
    return f"`{where}` is given {what}, which a process pool cannot pickle: {consequence}"


def _starmap_fix(pool_call: PoolCall, task: cst.BaseExpression) -> tuple[Fix | None, str]:
    """PCK102's fix, for a lambda that only unpacks each item, and the advice to give."""
    if (
        not isinstance(task, cst.Lambda)
        or pool_call.pool.kind in EXECUTOR_KINDS  # executors have no starmap
        or pool_call.method.name not in STARMAP_FORM
    ):
        return None, _MOVE_IT
    applicability = Applicability.SAFE
    target = star_lambda_target(task)
    if target is None:
        applicability = Applicability.UNSAFE
        target = indexed_lambda_target(task)
    if target is None:
        return None, _MOVE_IT
    advice = f"`{STARMAP_FORM[pool_call.method.name]}({source(target)}, ...)` needs no lambda"
    return starmap_fix(pool_call, target, applicability), advice


class UnpicklableTask(Rule):
    """## What it does
    Flags a lambda, a function nested in another function, or a `functools.partial`
    of either, passed as the task of a process pool's task method, or as the
    `initializer=` of a process pool that is not explicitly a fork context.

    ## Why is this bad?
    A process pool pickles every task to send it to a worker, and pickle stores a
    function by its importable name. A lambda has no such name (`PicklingError`),
    and neither has a function or lambda written inside another function (an
    `AttributeError` about a "local object": `Can't pickle local object` up to
    Python 3.12, `Can't get local object` from 3.13). The error is raised where the
    result is read: at the call for
    `apply`, `map` and `starmap`, at `.get()` for the `*_async` methods, at the
    first `next()` for `imap` and `imap_unordered`; a `ProcessPoolExecutor` raises
    the same errors at `.result()` of `submit()`'s future and at the first `next()`
    of its `map()`. Under fork an unpicklable
    `initializer=` works, but under spawn and forkserver (the default on macOS and
    Windows, and on Linux from Python 3.14) creating the pool fails.

    Thread pools (`ThreadPool`, `multiprocessing.dummy`) pickle nothing, and pools
    from the `multiprocess` package pickle with dill: neither is flagged.
    Callbacks run in the parent and are never pickled.

    ## Example
    ```python
    from multiprocessing import Pool


    def main():
        with Pool() as pool:
            return pool.map(lambda x: x * 2, range(10))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def double(x):
        return x * 2


    def main():
        with Pool() as pool:
            return pool.map(double, range(10))
    ```

    ## Fix safety
    A lambda given to `map` or `map_async` that only unpacks each item
    (`lambda a: f(*a)`) is replaced by `starmap(f, ...)` (`starmap_async`): a safe
    fix, since the call that crashed now runs and every other execution is the
    same. The indexed form `lambda t: f(t[0], t[1])` gets the same fix as an unsafe
    one, because `starmap` also passes elements past the ones the lambda named.
    This is PCK102's fix; on a process pool such a lambda is reported once, here.
    Other lambdas and nested functions get no fix: moving a function to module
    level can change what it closes over, so the move is left to the author.

    ## References
    - [Python docs: multiprocessing programming guidelines (picklability)](https://docs.python.org/3/library/multiprocessing.html#programming-guidelines)
    - [Python docs: what can be pickled](https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled)
    """

    code = "PCK101"
    name = "unpicklable-task"
    summary = (
        "A lambda, nested function or partial of one is given to a process pool, which"
        " cannot pickle it: the work fails before it runs."
    )
    kinds = PICKLING_KINDS
    fixes = Fixes(
        "Use `starmap()` instead of a lambda that only unpacks each item",
        FixAvailability.SOMETIMES,
    )
    _initializers: list[tuple[cst.Arg, str, str, str | None]] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        factory = self.model.value_of(node.func)
        if isinstance(factory, Factory) and factory.kind is PoolKind.PROCESS:
            self._check_initializer(node)
            return
        pool_call = self.pool_call(node)
        task = pool_call.task if pool_call is not None else None
        found = unpicklable_callable(self.model.value_of(task.value)) if task else None
        if pool_call is not None and task is not None and found is not None:
            what, error = found
            surfaces = pool_call.method.returns.error_surfaces_at
            fix, advice = _starmap_fix(pool_call, task.value)
            consequence = f"{error} at {surfaces}; {advice}"
            self.report(task, _message(f"{pool_call.method.name}()", what, consequence), fix=fix)

    def _check_initializer(self, node: cst.Call) -> None:
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        keyword = [arg for arg in node.args if arg.keyword and arg.keyword.value == "initializer"]
        arg = keyword[0] if keyword else (positional[1] if len(positional) > 1 else None)
        if arg is None:
            return
        found = unpicklable_callable(self.model.value_of(arg.value))
        pool = self.model.pool_of(node)
        if found and pool is not None:
            self._initializers.append((arg, *found, pool.start_method))

    def leave_Module(self, node: cst.Module) -> None:
        # set_start_method("fork") may come after the pool in the source: decide at the end.
        for arg, what, error, start_method in self._initializers:
            if self.model.runs_under_fork(start_method):
                continue
            consequence = (
                f"{error} at `Pool()` under the spawn and forkserver start methods (the default"
                f" on macOS, Windows, and Linux from Python 3.14); {_MOVE_IT}"
            )
            self.report(arg, _message("Pool(initializer=...)", what, consequence))
