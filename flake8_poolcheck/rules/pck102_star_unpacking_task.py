"""PCK102 star-unpacking-task."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, PoolCall, PoolKind
from flake8_poolcheck.analysis.tasks import (
    STARMAP_FORM,
    UnpackingTask,
    function_named_by,
    indexed_lambda_target,
    star_lambda_target,
    starmap_fix,
    unpacking_task,
)
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.diagnostics import Applicability, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule, per_file


class StarUnpackingTask(Rule):
    """## What it does
    Flags `map` and `map_async` given a task that only unpacks each item into
    arguments: `lambda a: f(*a)`, `lambda t: f(t[0], t[1])`, a module function whose
    whole body is `return f(*args)` or `a, b = args; return f(a, b)`, or a module
    function whose first statement unpacks its only parameter into names that the
    rest of the body uses instead.

    `imap` and `imap_unordered` are not flagged: there is no lazy `starmap`, so a
    task that takes one tuple is the right idiom there. For the same reason a
    module function is not flagged when the module also gives it to a call that
    needs its one-argument shape: `imap`/`imap_unordered`, `apply`/`apply_async`
    with a one-element `args` tuple, or the `map` of something that is not a
    `multiprocessing` pool (an executor, another pool library). On a process pool a
    lambda is reported by PCK101 (it cannot be pickled), with the same fix.

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
    summary = (
        "`map()` is given a task that only unpacks each item into another function's"
        " arguments: `starmap()` does that itself."
    )
    kinds = POOL_KINDS
    fixes = Fixes("Use `starmap()`", FixAvailability.SOMETIMES)
    _wrappers: list[tuple[PoolCall, cst.Arg, cst.FunctionDef, UnpackingTask]] = per_file(list)
    _one_argument_uses: set[str] = per_file(set)

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        self._note_one_argument_use(node, pool_call)
        if pool_call is None or pool_call.method.name not in STARMAP_FORM:
            return
        task = pool_call.task
        if task is None:
            return
        if isinstance(task.value, cst.Lambda):
            if pool_call.pool.kind is not PoolKind.PROCESS:  # PCK101 reports those
                self._check_lambda(pool_call, task, task.value)
        else:  # the same function may be needed in its one-argument shape further down
            function = function_named_by(self.model, task.value)
            unpacking = unpacking_task(function) if function is not None else None
            if function is not None and unpacking is not None:
                self._wrappers.append((pool_call, task, function, unpacking))

    def leave_Module(self, node: cst.Module) -> None:
        for pool_call, task, function, unpacking in self._wrappers:
            if function.name.value not in self._one_argument_uses:
                self._report_wrapper(pool_call, task, function, unpacking)

    def _note_one_argument_use(self, node: cst.Call, pool_call: PoolCall | None) -> None:
        """Remember a function given to a call that needs it to take one argument."""
        if pool_call is not None:
            args = pool_call.argument("args")
            needs_one = pool_call.method.lazy or (
                args is not None
                and isinstance(args.value, cst.Tuple)
                and len(args.value.elements) == 1
            )
            task = pool_call.task if needs_one else None
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "map":
            task = node.args[0] if node.args and node.args[0].keyword is None else None
        else:
            task = None
        if task is not None:
            self._one_argument_uses.add(self._function_name(task.value))

    def _function_name(self, expr: cst.BaseExpression) -> str:
        """The name of the module function ``expr`` refers to, as written if unresolved."""
        function = function_named_by(self.model, expr)
        if function is not None:
            return function.name.value
        return expr.attr.value if isinstance(expr, cst.Attribute) else source(expr)

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
        self.report(task, _message(pool_call, what, advice), fix=fix)

    def _report_wrapper(
        self,
        pool_call: PoolCall,
        task: cst.Arg,
        function: cst.FunctionDef,
        unpacking: UnpackingTask,
    ) -> None:
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
        self.report(task, _message(pool_call, what, advice))


def _message(pool_call: PoolCall, what: str, advice: str) -> str:
    return f"`{pool_call.method.name}()` is given {what}: {advice}"
