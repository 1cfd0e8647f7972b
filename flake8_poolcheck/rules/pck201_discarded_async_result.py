"""PCK201 discarded-async-result."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, POOL_KINDS, PoolCall, Returns
from flake8_poolcheck.analysis.scopes import ScopeKind
from flake8_poolcheck.analysis.tree import called_name, descendants
from flake8_poolcheck.analysis.values import Function, Partial
from flake8_poolcheck.rules import PerFunctionRule


class DiscardedAsyncResult(PerFunctionRule[list[tuple[str, PoolCall]]]):
    """## What it does
    Flags the `AsyncResult` of `apply_async`, `map_async` or `starmap_async` when
    it is thrown away (an expression statement, a list comprehension used as a
    statement) or bound to a name that is never read, and no `error_callback=`
    is given; the iterator of `imap`/`imap_unordered` when it is never
    consumed; and the same for an executor's `submit()` future and `map()` iterator.

    ## Why is this bad?
    A task's exception (and a pickling error) is stored in its result and raised
    only when the result is read. Nobody reads a discarded result, so the error is
    lost silently: nothing is printed, nothing is raised. A `callback=` alone does
    not help, because it is not called when the task fails. The same holds for
    the tasks of an `imap` iterator that is never iterated, and for a
    `concurrent.futures` future: a `with` executor block waits for the task, then
    drops its exception. A future that is read later (stored, returned, given to
    `add_done_callback`) is not flagged, and neither is a task whose body catches
    every exception and logs or prints it (`except Exception: log.exception(...)`).

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
    summary = (
        "The AsyncResult, future or iterator of a pool call is never read: an exception"
        " raised by the task is lost silently."
    )
    kinds = POOL_KINDS | EXECUTOR_KINDS

    def new_frame(self) -> list[tuple[str, PoolCall]]:
        return []  # the results bound in the body, by name

    def close_frame(self, frame: list[tuple[str, PoolCall]]) -> None:
        reads = self.model.scope.reads
        for name, pool_call in frame:
            if not reads[name]:
                self._report(pool_call, f"is bound to `{name}` and never read")

    def visit_Expr(self, node: cst.Expr) -> None:
        pool_call = self._unchecked_result(node.value)
        if pool_call is not None:
            self._report(pool_call, "is discarded")

    def visit_Assign(self, node: cst.Assign) -> None:
        pool_call = self._unchecked_result(node.value)
        target = node.targets[0].target if len(node.targets) == 1 else None
        tracked = self.model.scope.kind in (ScopeKind.MODULE, ScopeKind.FUNCTION)
        if pool_call is not None and isinstance(target, cst.Name) and tracked:
            self.frame.append((target.value, pool_call))

    def _unchecked_result(self, node: cst.BaseExpression) -> PoolCall | None:
        """The pool call whose result ``node`` is (or, for a comprehension, each of its
        elements is), when nothing else will see the task's exception."""
        if type(node) is cst.ListComp or type(node) is cst.SetComp:
            node = node.elt
        if type(node) is not cst.Call:
            return None
        pool_call = self.pool_call(node)
        if pool_call is None or pool_call.method.returns is Returns.VALUE:
            return None
        if pool_call.given("error_callback") or self._handles_its_failures(pool_call):
            return None
        return pool_call

    def _handles_its_failures(self, pool_call: PoolCall) -> bool:
        """Whether the task is a function whose own body catches every exception and
        reports it (logs or prints it): then its failure is not lost silently."""
        task = self.model.value_of(pool_call.task.value) if pool_call.task else None
        if isinstance(task, Partial):
            task = task.func
        return isinstance(task, Function) and any(
            isinstance(node, cst.Try) and any(map(_reports_every_failure, node.handlers))
            for node in descendants(task.node.body)
        )

    def _report(self, pool_call: PoolCall, fate: str) -> None:
        method = pool_call.method
        if method.returns is Returns.ITERATOR:
            what = f"The iterator of `{method.name}()`"
            consequence = (
                "the results and any exception raised by a task are never seen; iterate over it"
            )
        elif method.returns is Returns.FUTURE:
            what = f"The future of `{method.name}()`"
            consequence = (
                "an exception raised by the task is lost silently; call `.result()` on it"
            )
        else:
            what = f"The AsyncResult of `{method.name}()`"
            consequence = "an exception raised by the task is lost silently"
            if pool_call.given("callback"):
                consequence += " (`callback=` is not called when a task fails)"
            consequence += "; call `.get()` on it, or pass `error_callback=`"
        self.report(pool_call.call, f"{what} {fate}: {consequence}")


_BROAD = frozenset({"Exception", "BaseException"})
#: Calls that report a failure: logging's and print's, and traceback's printers.
_REPORTERS = frozenset(
    {"exception", "error", "critical", "warning", "log", "print", "print_exc", "print_exception"}
)


def _reports_every_failure(handler: cst.ExceptHandler) -> bool:
    """``except:``/``except Exception``/``except BaseException`` (alone or in a tuple)
    whose body logs or prints what it caught."""
    caught = handler.type
    names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    broad = caught is None or any(
        isinstance(name, cst.Name) and name.value in _BROAD for name in names
    )
    return broad and any(
        isinstance(node, cst.Call) and called_name(node.func) in _REPORTERS
        for node in descendants(handler.body)
    )
