"""PCK201 discarded-async-result."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from flake8_poolcheck.pools import ALL_KINDS, PoolCall, Returns
from flake8_poolcheck.rules import Report, Rule
from flake8_poolcheck.semantic import ScopeKind, SemanticModel

_COMPREHENSIONS = (cst.ListComp, cst.SetComp)


class DiscardedAsyncResult(Rule):
    """## What it does
    Flags the `AsyncResult` of `apply_async`, `map_async` or `starmap_async` when
    it is thrown away (an expression statement, a list comprehension used as a
    statement) or bound to a name that is never read, and no `error_callback=`
    is given; and the iterator of `imap`/`imap_unordered` when it is never
    consumed.

    ## Why is this bad?
    A task's exception (and a pickling error) is stored in its result and raised
    only when the result is read. Nobody reads a discarded result, so the error is
    lost silently: nothing is printed, nothing is raised. A `callback=` alone does
    not help, because it is not called when the task fails. The same holds for
    the tasks of an `imap` iterator that is never iterated.

    ## Example
    ```python
    from multiprocessing import Pool


    def work(x):
        return 1 / x


    def main():
        with Pool() as pool:
            for x in range(3):
                pool.apply_async(work, (x,))
            pool.close()
            pool.join()
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def work(x):
        return 1 / x


    def main():
        with Pool() as pool:
            results = [pool.apply_async(work, (x,)) for x in range(3)]
            return [result.get() for result in results]
    ```
    Or pass `error_callback=` to be told about failures.

    ## Fix safety
    There is no fix: where the result should be read is the author's decision.

    ## References
    - [Python docs: `AsyncResult.get`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.AsyncResult.get)
    - [Python docs: `Pool.apply_async`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.apply_async)
    """

    code = "PCK201"
    name = "discarded-async-result"
    message = "{what} {fate}: {consequence}"
    kinds = ALL_KINDS

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        super().__init__(model, sink)
        # One frame per module or function: the results bound in it.
        self._bound: list[list[tuple[str, PoolCall]]] = []

    def visit_Module(self, node: cst.Module) -> None:
        self._open_frame()

    def leave_Module(self, node: cst.Module) -> None:
        self._close_frame()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._open_frame()

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._close_frame()

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if isinstance(value, _COMPREHENSIONS):
            value = value.elt
        pool_call = self._unchecked_result(value)
        if pool_call is not None:
            self._report(pool_call, "is discarded")

    def visit_Assign(self, node: cst.Assign) -> None:
        pool_call = self._unchecked_result(node.value)
        target = node.targets[0].target if len(node.targets) == 1 else None
        tracked = self.model.scope.kind in (ScopeKind.MODULE, ScopeKind.FUNCTION)
        if pool_call is not None and isinstance(target, cst.Name) and tracked:
            self._bound[-1].append((target.value, pool_call))

    def _unchecked_result(self, node: cst.BaseExpression) -> PoolCall | None:
        if not isinstance(node, cst.Call):
            return None
        pool_call = self.model.pool_call(node)
        if pool_call is None or pool_call.method.returns is Returns.VALUE:
            return None
        if pool_call.given("error_callback"):
            return None
        return pool_call

    def _open_frame(self) -> None:
        self._bound.append([])

    def _close_frame(self) -> None:
        reads = self.model.scope.reads  # the model leaves the scope after the rules
        for name, pool_call in self._bound.pop():
            if not reads[name]:
                self._report(pool_call, f"is bound to `{name}` and never read")

    def _report(self, pool_call: PoolCall, fate: str) -> None:
        method = pool_call.method
        if method.returns is Returns.ITERATOR:
            what = f"The iterator of `{method.name}()`"
            consequence = (
                "the results and any exception raised by a task are never seen; iterate over it"
            )
        else:
            what = f"The AsyncResult of `{method.name}()`"
            consequence = "an exception raised by the task is lost silently"
            if pool_call.given("callback"):
                consequence += " (`callback=` is not called when a task fails)"
            consequence += "; call `.get()` on it, or pass `error_callback=`"
        self.report(pool_call.call, what=what, fate=fate, consequence=consequence)
