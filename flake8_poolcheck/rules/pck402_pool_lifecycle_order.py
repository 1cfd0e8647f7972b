"""PCK402 pool-lifecycle-order."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, Pool
from flake8_poolcheck.analysis.tree import SCOPES
from flake8_poolcheck.analysis.values import Imported
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule, per_file

_STOPS = ("close", "terminate")
_LIFECYCLE = frozenset({*_STOPS, "join"})
_SUPPRESS = Imported("contextlib.suppress")


@dataclass(frozen=True)
class _Stopped:
    """A pool stopped by the statement at ``index`` of a block."""

    index: int
    how: str


@dataclass
class _Join:
    """A ``join()`` on a pool that is still running, reported when the walk ends."""

    call: cst.Call
    func: cst.Attribute
    line: cst.SimpleStatementLine | None  # the statement, when the join is all of it
    block: cst.CSTNode | None  # the block that holds the line
    caught: bool  # a handler in the function may catch its ValueError
    later_close: cst.SimpleStatementLine | None = None  # `p.close()` further down the block


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
    For a `join()` with no `close()` before it, the fix puts `close()` just
    before the `join()`: the `close()` that the same block calls later is moved
    there (so the pool is not closed twice), or a new one is inserted. The
    `join()` raised before; now it waits for the submitted work, which is what
    it was written to do, so the fix is safe. It is unsafe when the `join()`
    stands in a `try` with `except` clauses or in `with contextlib.suppress(...)`
    in the same function: a program that caught the `ValueError` and went on
    using the pool now finds it closed (`ValueError: Pool not running`), and
    one whose tasks wait for something it sends only after the `join()` now
    hangs.

    ## References
    - [Python docs: `Pool.close`, `Pool.join`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.close)
    """

    code = "PCK402"
    name = "pool-lifecycle-order"
    summary = (
        "A pool is joined before it is closed, or used after it is closed or terminated:"
        " ValueError at the call."
    )
    kinds = POOL_KINDS
    fixes = Fixes("Call `close()` before `join()`", FixAvailability.SOMETIMES)
    _stops: dict[tuple[Pool, int], _Stopped] = per_file(dict)  # (pool, id(block)) -> first stop
    _stopped: set[Pool] = per_file(set)  # stopped by an earlier statement, in any block
    _created_in: dict[int, cst.CSTNode | None] = per_file(dict)  # creation call -> its function
    _handed_on: set[Pool] = per_file(set)  # pools passed to other calls: closed there, maybe
    _joins: dict[Pool, _Join] = per_file(dict)  # the first join of each pool still running

    def visit_Call(self, node: cst.Call) -> None:
        value = self.pool_of(node)
        if value is not None and value.created_by is node:
            self._created_in[id(node)] = self.model.enclosing_function
            return
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in _LIFECYCLE:
            pool = self.pool_of(func.value)
            if pool is not None:
                self._lifecycle_call(node, func, pool)
                return
        pool_call = self.pool_call(node)
        if pool_call is not None:
            self._check_after_stop(node, pool_call.pool, pool_call.method.name)

    def visit_Arg(self, node: cst.Arg) -> None:
        pool = self.pool_of(node.value)
        if pool is not None:
            self._handed_on.add(pool)

    def leave_With(self, node: cst.With) -> None:
        for item in node.items:
            pool = self.pool_of(item.item)
            if pool is not None:
                self._stop(pool, "the `with` block ended")

    def leave_Module(self, node: cst.Module) -> None:
        for join in self._joins.values():
            message = (
                "`join()` on a pool that was neither closed nor terminated: ValueError: Pool is"
                " still running at the call"
            )
            self.report(join.call, message, fix=self._fix(join))

    def _stop(self, pool: Pool, how: str) -> None:
        positions = self.model.statement_positions()
        if positions:
            block, index = positions[-1]
            self._stops.setdefault((pool, id(block)), _Stopped(index, how))
            self._stopped.add(pool)

    def _lifecycle_call(self, node: cst.Call, func: cst.Attribute, pool: Pool) -> None:
        method = func.attr.value
        if method in _STOPS:
            if method == "close":
                self._close_after_join(node, pool)
            self._stop(pool, f"`{method}()`")
            return
        if pool in self._stopped or pool in self._handed_on or pool in self._joins:
            return
        created = pool.created_by
        if (
            created is None
            or self._created_in.get(id(created), -1) != self.model.enclosing_function
        ):
            return  # created elsewhere: it may be closed there
        line = self._statement_of(node)
        block = self.model.ancestors[-4] if line else None
        self._joins[pool] = _Join(node, func, line, block, self._caught())

    def _close_after_join(self, node: cst.Call, pool: Pool) -> None:
        """Note the first ``close()`` statement after a running pool's ``join()`` in the
        same block: the fix moves that one up."""
        join = self._joins.get(pool)
        line = self._statement_of(node)
        if join is None or line is None or join.later_close is not None:
            return
        if self.model.ancestors[-4] is join.block:
            join.later_close = line

    def _check_after_stop(self, node: cst.Call, pool: Pool, method: str) -> None:
        for block, index in self.model.statement_positions():
            stopped = self._stops.get((pool, id(block)))
            if stopped is not None and stopped.index < index:
                message = (
                    f"`{method}()` is called after {stopped.how}: ValueError: Pool not running"
                    " at the call"
                )
                self.report(node, message)
                return

    def _statement_of(self, node: cst.Call) -> cst.SimpleStatementLine | None:
        """The statement line that is nothing but the call being visited."""
        ancestors = self.model.ancestors
        if len(ancestors) < 4 or not isinstance(ancestors[-2], cst.Expr):
            return None
        line = ancestors[-3]
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            return line
        return None

    def _caught(self) -> bool:
        """Whether an ``except`` or ``contextlib.suppress`` of this scope wraps the node."""
        ancestors = self.model.ancestors
        for outer, inner in zip(reversed(ancestors[:-1]), reversed(ancestors[1:])):
            if isinstance(outer, SCOPES):
                break
            if isinstance(outer, (cst.Try, cst.TryStar)):
                catches = bool(outer.handlers)
            elif isinstance(outer, cst.With):
                catches = any(self._is_suppress(item.item) for item in outer.items)
            else:
                continue
            if catches and inner is outer.body:
                return True
        return False

    def _is_suppress(self, expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Call) and self.model.value_of(expr.func) == _SUPPRESS

    def _fix(self, join: _Join) -> Fix | None:
        line, block = join.line, join.block
        if line is None or not isinstance(block, (cst.Module, cst.IndentedBlock)):
            return None
        if join.later_close is None:
            close = cst.Expr(cst.Call(join.func.with_changes(attr=cst.Name("close"))))
            first = line.with_changes(body=[close], trailing_whitespace=cst.TrailingWhitespace())
        else:  # moved, with its comments
            leading = [*line.leading_lines, *join.later_close.leading_lines]
            first = join.later_close.with_changes(leading_lines=leading)
        body: list[cst.BaseStatement] = []
        for statement in block.body:
            if statement is line:
                body += [first, line.with_changes(leading_lines=())]
            elif statement is not join.later_close:
                body.append(statement)
        applicability = Applicability.UNSAFE if join.caught else Applicability.SAFE
        return self.fix(applicability, ((block, block.with_changes(body=body)),))
