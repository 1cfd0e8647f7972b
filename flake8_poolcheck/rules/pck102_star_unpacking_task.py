"""PCK102 star-unpacking-task."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.model import Applicability, FixAvailability
from flake8_poolcheck.pools import ALL_KINDS, PoolCall, PoolKind
from flake8_poolcheck.rules import Rule
from flake8_poolcheck.tasks import (
    STARMAP_FORM,
    indexed_lambda_target,
    module_function,
    star_lambda_target,
    starmap_fix,
    unpacking_task,
)
from flake8_poolcheck.tree import source


class StarUnpackingTask(Rule):
    """## What it does
    Flags `map` and `map_async` given a task that only unpacks each item into
    arguments: `lambda a: f(*a)`, `lambda t: f(t[0], t[1])`, a module function whose
    whole body is `return f(*args)` or `a, b = args; return f(a, b)`, or a module
    function whose first statement unpacks its only parameter into names that the
    rest of the body uses instead.

    `imap` and `imap_unordered` are not flagged: there is no lazy `starmap`, so a
    task that takes one tuple is the right idiom there. On a process pool a lambda
    is reported by PCK101 (it cannot be pickled), with the same fix.

    ## Why is this bad?
    `starmap` and `starmap_async` unpack each item into the task's arguments
    themselves. The wrapper adds a layer that readers must see through, and a
    wrapper written as a lambda cannot be sent to a process pool at all.

    ## Example
    ```python
    from multiprocessing.pool import ThreadPool


    def add(a, b):
        return a + b


    def main(pairs):
        with ThreadPool() as pool:
            return pool.map(lambda pair: add(*pair), pairs)
    ```

    ## Use instead
    ```python
    from multiprocessing.pool import ThreadPool


    def add(a, b):
        return a + b


    def main(pairs):
        with ThreadPool() as pool:
            return pool.starmap(add, pairs)
    ```

    ## Fix safety
    `lambda a: f(*a)` becomes `starmap(f, ...)` (`map_async` becomes
    `starmap_async`), a safe fix: both call `f(*item)` for every item, in order.
    The indexed form `lambda t: f(t[0], t[1])` gets an unsafe fix, because it
    ignores any elements past the ones it names while `starmap` passes them all.
    Named wrapper functions get no fix: the function may be used elsewhere, and
    changing its signature is the author's decision.

    ## References
    - [Python docs: `Pool.starmap`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.starmap)
    """

    code = "PCK102"
    name = "star-unpacking-task"
    message = "`{method}()` is given {what}: {advice}"
    kinds = ALL_KINDS
    fix_title = "Use `starmap()`"
    fix_availability = FixAvailability.SOMETIMES

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.model.pool_call(node)
        if pool_call is None or pool_call.method.name not in STARMAP_FORM:
            return
        task = pool_call.argument("func")
        if task is None:
            return
        if isinstance(task.value, cst.Lambda):
            if pool_call.pool.kind is not PoolKind.PROCESS:  # PCK101 reports those
                self._check_lambda(pool_call, task, task.value)
        else:
            self._check_function(pool_call, task)

    def _check_lambda(self, pool_call: PoolCall, task: cst.Arg, node: cst.Lambda) -> None:
        starmap = STARMAP_FORM[pool_call.method.name]
        target = star_lambda_target(node)
        if target is not None:
            what = f"a lambda that only unpacks each item into `{source(target)}`"
            advice = f"`{starmap}({source(target)}, ...)` does the same without it"
            fix = starmap_fix(pool_call, target, Applicability.SAFE)
        else:
            target = indexed_lambda_target(node)
            if target is None:
                return
            what = f"a lambda that only passes the elements of each item to `{source(target)}`"
            advice = f"`{starmap}({source(target)}, ...)` does the same for items of that length"
            fix = starmap_fix(pool_call, target, Applicability.UNSAFE)
        self.report(task, fix=fix, method=pool_call.method.name, what=what, advice=advice)

    def _check_function(self, pool_call: PoolCall, task: cst.Arg) -> None:
        function = module_function(self.model, task.value)
        unpacking = unpacking_task(function) if function is not None else None
        if function is None or unpacking is None:
            return
        starmap = STARMAP_FORM[pool_call.method.name]
        name = function.name.value
        if unpacking.forwards_to is not None:
            target = source(unpacking.forwards_to)
            what = f"`{name}`, which only unpacks its argument into `{target}`"
            advice = f"call `{starmap}({target}, ...)` and drop the wrapper"
        else:
            names = ", ".join(unpacking.names or ())
            what = (
                f"`{name}`, whose first statement unpacks its one argument "
                f"`{unpacking.parameter}` into `{names}`"
            )
            advice = f"define it as `{name}({names})` and call `{starmap}()`"
        self.report(task, method=pool_call.method.name, what=what, advice=advice)
