"""PCK402 pool-lifecycle-order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.model import Applicability, Fix, FixAvailability
from flake8_poolcheck.pools import ALL_KINDS, Pool
from flake8_poolcheck.rules import Report, Rule
from flake8_poolcheck.semantic import SemanticModel

_STOPS = ("close", "terminate")


@dataclass(frozen=True)
class _Stopped:
    """A pool stopped by the statement at ``index`` of ``block``."""

    pool: Pool
    block: cst.CSTNode
    index: int
    how: str


class PoolLifecycleOrder(Rule):
    """## What it does
    Flags a pool used in the wrong order in straight-line code: a task method
    called after `close()` or `terminate()` (or after the `with` block that
    managed the pool) by a later statement of the same block, and `join()` on a
    pool created in the same scope with no `close()` or `terminate()` before it.

    ## Why is this bad?
    A pool accepts no work once it is closed or terminated: the call raises
    `ValueError: Pool not running`. `join()` waits for the workers to exit, which
    they only do once the pool is closed or terminated, so on a running pool it
    raises `ValueError: Pool is still running` at once.

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        pool = Pool()
        results = pool.map(abs, items)
        pool.join()
        return results
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        pool = Pool()
        results = pool.map(abs, items)
        pool.close()
        pool.join()
        return results
    ```

    ## Fix safety
    For a `join()` with no `close()` before it, the fix inserts `close()` just
    before the `join()`. It is safe: the `join()` raised before, and now waits
    for the submitted work, which is what it was written to do.

    ## References
    - [Python docs: `Pool.close`, `Pool.join`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.close)
    """

    code = "PCK402"
    name = "pool-lifecycle-order"
    message = "{problem}: ValueError: {error} at the call"
    kinds = ALL_KINDS
    fix_title = "Call `close()` before `join()`"
    fix_availability = FixAvailability.SOMETIMES

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        super().__init__(model, sink)
        self._stopped: list[_Stopped] = []
        self._created_in: dict[int, cst.CSTNode | None] = {}  # creation call -> its function
        self._handed_on: list[Pool] = []  # pools passed to other calls: closed there, maybe

    def visit_Call(self, node: cst.Call) -> None:
        value = self.model.pool_of(node)
        if value is not None and value.created_by is node:
            self._created_in[id(node)] = self.model.enclosing_function
            return
        func = node.func
        if isinstance(func, cst.Attribute):
            pool = self.model.pool_of(func.value)
            if pool is not None and func.attr.value in (*_STOPS, "join"):
                self._lifecycle_call(node, func, pool)
                return
        pool_call = self.model.pool_call(node)
        if pool_call is not None:
            self._check_after_stop(node, pool_call.pool, pool_call.method.name)

    def visit_Arg(self, node: cst.Arg) -> None:
        pool = self.model.pool_of(node.value)
        if pool is not None:
            self._handed_on.append(pool)

    def leave_With(self, node: cst.With) -> None:
        positions = self.model.statement_positions()
        for item in node.items:
            pool = self.model.pool_of(item.item)
            if pool is not None and positions:
                block, index = positions[-1]
                self._stopped.append(_Stopped(pool, block, index, "the `with` block ended"))

    def _lifecycle_call(self, node: cst.Call, func: cst.Attribute, pool: Pool) -> None:
        method = func.attr.value
        positions = self.model.statement_positions()
        if method in _STOPS:
            if positions:
                block, index = positions[-1]
                self._stopped.append(_Stopped(pool, block, index, f"`{method}()`"))
            return
        if any(stopped.pool == pool for stopped in self._stopped) or pool in self._handed_on:
            return
        created = pool.created_by
        if (
            created is None
            or self._created_in.get(id(created), -1) != self.model.enclosing_function
        ):
            return  # created elsewhere: it may be closed there
        self.report(
            node,
            fix=self._fix(func),
            problem="`join()` on a pool that was neither closed nor terminated",
            error="Pool is still running",
        )

    def _check_after_stop(self, node: cst.Call, pool: Pool, method: str) -> None:
        for block, index in self.model.statement_positions():
            for stopped in self._stopped:
                if stopped.pool == pool and stopped.block is block and stopped.index < index:
                    self.report(
                        node,
                        problem=f"`{method}()` is called after {stopped.how}",
                        error="Pool not running",
                    )
                    return

    def _fix(self, func: cst.Attribute) -> Fix | None:
        ancestors = self.model.ancestors
        if len(ancestors) < 3 or not isinstance(ancestors[-2], cst.Expr):
            return None
        line = ancestors[-3]
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            return None
        close = cst.Expr(cst.Call(func.with_changes(attr=cst.Name("close"))))
        replacement = cst.FlattenSentinel(
            [
                line.with_changes(body=[close], trailing_whitespace=cst.TrailingWhitespace()),
                line.with_changes(leading_lines=()),
            ]
        )
        return Fix(self.fix_title or "", Applicability.SAFE, ((line, replacement),))
