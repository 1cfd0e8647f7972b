"""PCK902 get-without-timeout (opt-in)."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.pools import PROCESS_KINDS, PoolCall, Returns
from flake8_poolcheck.rules import Rule
from flake8_poolcheck.semantic import Imported, ResultValue


class GetWithoutTimeout(Rule):
    """## What it does
    Flags, on process pools, `.get()` and `.wait()` without a timeout on the
    result of `apply_async`, `map_async` or `starmap_async`, and iteration of an
    `imap`/`imap_unordered` iterator (a `for` loop, `list()`, `next()`), whether
    the result is used at once or through a name. Off unless selected
    (`--select PCK902`, or `PCK9` for every opt-in rule).

    ## Why is this bad?
    When a worker dies without raising (killed by the out-of-memory killer, a
    segfault in an extension, `os._exit()`), the pool starts a new worker but the
    task's result never arrives, and nothing tells the waiting caller: the call
    waits forever (CPython gh-66587, open). With a timeout it raises
    `multiprocessing.TimeoutError` instead, which a service can handle.

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            result = pool.map_async(abs, items)
            return result.get()
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            result = pool.map_async(abs, items)
            return result.get(timeout=600)
    ```
    For `imap`, call `iterator.next(timeout=...)` in a loop.

    ## Fix safety
    There is no fix: only the author knows how long the work may take.

    ## References
    - [CPython gh-66587: Pool hangs when a worker is killed](https://github.com/python/cpython/issues/66587)
    - [Python docs: `AsyncResult.get`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.AsyncResult.get)
    """

    code = "PCK902"
    name = "get-without-timeout"
    message = (
        "{what} without a timeout waits forever if a worker dies (killed, segfault, "
        "`os._exit()`): the pool never delivers that result (CPython gh-66587); {advice}"
    )
    kinds = PROCESS_KINDS
    opt_in = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in ("get", "wait")
            and not node.args
        ):
            pool_call = self._waitable(func.value)
            if pool_call is not None and pool_call.method.returns is Returns.ASYNC_RESULT:
                self.report(node, what=f"`.{func.attr.value}()`", advice="pass `timeout=`")
            return
        consumers = (Imported("builtins.list"), Imported("builtins.next"))
        if len(node.args) == 1 and self.model.value_of(func) in consumers:
            self._check_iteration(node.args[0].value)

    def visit_For(self, node: cst.For) -> None:
        self._check_iteration(node.iter)

    def _check_iteration(self, iterable: cst.BaseExpression) -> None:
        pool_call = self._waitable(iterable)
        if pool_call is not None and pool_call.method.returns is Returns.ITERATOR:
            what = f"iterating `{pool_call.method.name}()`"
            self.report(iterable, what=what, advice="call `.next(timeout=...)` on the iterator")

    def _waitable(self, node: cst.BaseExpression) -> PoolCall | None:
        """The process-pool call whose result ``node`` is (directly or by name)."""
        value = self.model.value_of(node)
        if isinstance(value, ResultValue) and value.pool_call.pool.kind in self.kinds:
            return value.pool_call
        return None
