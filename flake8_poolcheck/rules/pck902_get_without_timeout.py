"""PCK902 get-without-timeout (opt-in)."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import PROCESS_KINDS, Returns
from flake8_poolcheck.analysis.tree import SCOPES, descendants, source
from flake8_poolcheck.analysis.values import Imported
from flake8_poolcheck.rules import Rule


class GetWithoutTimeout(Rule):
    """## What it does
    Flags, on process pools, `.get()` and `.wait()` without a timeout on the
    result of `apply_async`, `map_async` or `starmap_async`, and iteration of an
    `imap`/`imap_unordered` iterator (a `for` loop, `list()`, `next()`), whether
    the result is used at once or through a name. Off unless selected
    (`--select PCK902`, or `PCK9` for every opt-in rule).

    A `.get()` that cannot wait is not flagged: inside `if result.ready():`,
    after `while not result.ready(): ...` (a loop with no `break`), after
    `if not result.ready(): return` (or `raise`, `continue`), or after
    `result.wait()` (which is flagged itself). A `while not result.ready():` loop
    with no `break`, `return` or `raise` in it is flagged instead: it waits forever
    the same way.

    ## Why is this bad?
    When a worker dies without raising (killed by the out-of-memory killer, a
    segfault in an extension, `os._exit()`), the pool starts a new worker but the
    task's result never arrives, and nothing tells the waiting caller: the call
    waits forever (CPython gh-66587, open). With a timeout it raises
    `multiprocessing.TimeoutError` instead, which a service can handle. The
    blocking `map()`, `starmap()` and `apply()` wait forever the same way (measured
    on Python 3.11 under fork and spawn) and take no timeout: to bound the wait,
    keep the `_async` form and pass `timeout=` to its `.get()`.

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
    summary = (
        "A process-pool result is waited for without a timeout: the wait never ends if a"
        " worker dies."
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
            pool_call = self.result_of(func.value)
            if (
                pool_call is not None
                and pool_call.method.returns is Returns.ASYNC_RESULT
                and not self._known_ready(source(func.value))
            ):
                what = f"`.{func.attr.value}()` without a timeout"
                self.report(node, _message(what, _TIMEOUT_ADVICE))
            return
        consumers = (Imported("builtins.list"), Imported("builtins.next"))
        if len(node.args) == 1 and self.model.value_of(func) in consumers:
            self._check_iteration(node.args[0].value)

    def visit_For(self, node: cst.For) -> None:
        self._check_iteration(node.iter)

    def visit_While(self, node: cst.While) -> None:
        polled = _polled(node.test, negated=True)
        if polled is None or _leaves(node.body, (cst.Break, cst.Return, cst.Raise)):
            return
        pool_call = self.result_of(polled)
        if pool_call is not None and pool_call.method.returns is Returns.ASYNC_RESULT:
            what = "polling `.ready()` in a loop that has no `break`, `return` or `raise`"
            self.report(node.test, _message(what, "leave the loop after a deadline"))

    def _known_ready(self, receiver: str) -> bool:
        """Whether the code around the current node has made sure ``receiver`` is ready."""
        ancestors = self.model.ancestors
        for parent, child in zip(reversed(ancestors[:-1]), reversed(ancestors[1:])):
            if isinstance(parent, SCOPES):
                return False
            if (
                isinstance(parent, cst.If)
                and child is parent.body
                and _source(_polled(parent.test, negated=False)) == receiver
            ):
                return True
            if isinstance(parent, (cst.IndentedBlock, cst.Module)):
                before = parent.body[: [id(s) for s in parent.body].index(id(child))]
                if any(_makes_ready(statement, receiver) for statement in before):
                    return True
        return False

    def _check_iteration(self, iterable: cst.BaseExpression) -> None:
        pool_call = self.result_of(iterable)
        if pool_call is not None and pool_call.method.returns is Returns.ITERATOR:
            what = f"iterating `{pool_call.method.name}()` without a timeout"
            self.report(iterable, _message(what, "call `.next(timeout=...)` on the iterator"))


_TIMEOUT_ADVICE = (
    "pass `timeout=` (the blocking `map()`, `starmap()` and `apply()` wait forever "
    "the same way and take no timeout)"
)


def _message(what: str, advice: str) -> str:
    return (
        f"{what} waits forever if a worker dies (killed, segfault, `os._exit()`): the pool"
        f" never delivers that result (CPython gh-66587); {advice}"
    )


def _polled(test: cst.BaseExpression, *, negated: bool) -> cst.BaseExpression | None:
    """``X`` in ``X.ready()`` (``not X.ready()`` when ``negated``)."""
    if negated:
        if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
            return None
        test = test.expression
    if (
        isinstance(test, cst.Call)
        and not test.args
        and isinstance(test.func, cst.Attribute)
        and test.func.attr.value == "ready"
    ):
        return test.func.value
    return None


def _source(node: cst.BaseExpression | None) -> str | None:
    return None if node is None else source(node)


def _leaves(body: cst.BaseSuite, exits: tuple[type[cst.CSTNode], ...]) -> bool:
    """Whether ``body`` holds one of the statements ``exits``."""
    return any(isinstance(node, exits) for node in descendants(body))


def _makes_ready(statement: cst.CSTNode, receiver: str) -> bool:
    """``while not X.ready(): ...`` without ``break``, ``if not X.ready(): return``
    (or ``raise``/``continue``), or ``X.wait()``: afterwards ``X`` is ready."""
    if isinstance(statement, cst.While):
        polled = _source(_polled(statement.test, negated=True))
        return polled == receiver and not _leaves(statement.body, (cst.Break,))
    if isinstance(statement, cst.If):
        polled = _source(_polled(statement.test, negated=True))
        last = statement.body.body[-1] if statement.body.body else None
        if isinstance(last, cst.SimpleStatementLine):
            last = last.body[-1]
        return polled == receiver and isinstance(last, (cst.Return, cst.Raise, cst.Continue))
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and not small.value.args
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == "wait"
        and source(small.value.func.value) == receiver
        for small in statement.body
    )
