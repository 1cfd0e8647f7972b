"""PCK303 async-get-immediately."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from flake8_poolcheck.model import Applicability, Fix, FixAvailability
from flake8_poolcheck.pools import ALL_KINDS, BLOCKING_FORM, PoolCall, Returns
from flake8_poolcheck.rules import Report, Rule
from flake8_poolcheck.semantic import SemanticModel
from flake8_poolcheck.tree import descendants

if TYPE_CHECKING:
    from flake8_poolcheck.model import Edits


@dataclass(frozen=True)
class _Bound:
    """``r = p.map_async(...)`` directly followed by a statement that calls ``r.get()``."""

    name: str
    pool_call: PoolCall
    assignment: cst.SimpleStatementLine
    get: cst.Call


def _is_plain_get(node: cst.CSTNode, name: str | None = None) -> bool:
    """``X.get()`` with no arguments (``name.get()`` when a name is given)."""
    if not (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)):
        return False
    receiver = node.func.value
    named = name is None or (isinstance(receiver, cst.Name) and receiver.value == name)
    return node.func.attr.value == "get" and named


class AsyncGetImmediately(Rule):
    """## What it does
    Flags `apply_async`, `map_async` or `starmap_async` whose result's `.get()` is
    called at once, with no arguments, and no `callback=`/`error_callback=` given:
    chained (`pool.map_async(f, xs).get()`), or bound to a name whose `.get()` is
    in the very next statement and that is used nowhere else.

    ## Why is this bad?
    `map(f, xs)` is `map_async(f, xs).get()` inside CPython: same code path, same
    timing, same exceptions. The asynchronous spelling only adds code and suggests
    concurrency that is not there. (`.get(timeout=...)` is a different program and
    is not flagged.)

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return pool.map_async(abs, items).get()
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return pool.map(abs, items)
    ```

    ## Fix safety
    The fix replaces the pair with the blocking method and the same arguments. It
    is safe: the two spellings run the same code.

    ## References
    - [Python docs: `Pool.map`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.map)
    """

    code = "PCK303"
    name = "async-get-immediately"
    message = "`{method}()` followed at once by `.get()` is `{blocking}()` with more code"
    kinds = ALL_KINDS
    fix_title = "Call the blocking method"
    fix_availability = FixAvailability.ALWAYS

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        super().__init__(model, sink)
        self._bound: list[list[_Bound]] = []  # one frame per module or function

    def visit_Module(self, node: cst.Module) -> None:
        self._bound.append([])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bound.append([])

    def leave_Module(self, node: cst.Module) -> None:
        self._close_frame()

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._close_frame()

    def visit_Call(self, node: cst.Call) -> None:
        if not _is_plain_get(node):
            return
        assert isinstance(node.func, cst.Attribute)
        receiver = node.func.value
        pool_call = self._asynchronous(receiver)
        if pool_call is not None:
            self._report(pool_call, ((node, self._blocking(pool_call)),))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(node.body) != 1 or not isinstance(node.body[0], cst.Assign):
            return
        assign = node.body[0]
        target = assign.targets[0].target if len(assign.targets) == 1 else None
        pool_call = self._asynchronous(assign.value)
        if not isinstance(target, cst.Name) or pool_call is None:
            return
        following = self._next_statement(node)
        gets = (
            [n for n in descendants(following) if _is_plain_get(n, target.value)]
            if following
            else []
        )
        if len(gets) == 1:
            assert isinstance(gets[0], cst.Call)
            self._bound[-1].append(_Bound(target.value, pool_call, node, gets[0]))

    def _close_frame(self) -> None:
        for bound in self._bound.pop():
            if self.model.scope.reads[bound.name] == 1:  # read by the .get() alone
                edits: Edits = (
                    (bound.assignment, cst.FlattenSentinel([])),
                    (bound.get, self._blocking(bound.pool_call)),
                )
                self._report(bound.pool_call, edits)

    def _asynchronous(self, node: cst.BaseExpression) -> PoolCall | None:
        if not isinstance(node, cst.Call):
            return None
        pool_call = self.model.pool_call(node)
        if pool_call is None or pool_call.method.returns is not Returns.ASYNC_RESULT:
            return None
        if pool_call.given("callback") or pool_call.given("error_callback"):
            return None
        return pool_call

    def _next_statement(self, node: cst.SimpleStatementLine) -> cst.CSTNode | None:
        parent = self.model.ancestors[-2]
        body = getattr(parent, "body", ())
        if not isinstance(body, (list, tuple)):
            return None
        for index, statement in enumerate(body[:-1]):
            if statement is node:
                following: cst.CSTNode = body[index + 1]
                return following if isinstance(following, cst.SimpleStatementLine) else None
        return None

    @staticmethod
    def _blocking(pool_call: PoolCall) -> cst.Call:
        func = pool_call.call.func
        assert isinstance(func, cst.Attribute)
        blocking = BLOCKING_FORM[pool_call.method.name]
        return pool_call.call.with_changes(func=func.with_changes(attr=cst.Name(blocking)))

    def _report(self, pool_call: PoolCall, edits: Edits) -> None:
        blocking = BLOCKING_FORM[pool_call.method.name]
        fix = Fix(f"Call `{blocking}()`", Applicability.SAFE, edits)
        self.report(pool_call.call, fix=fix, method=pool_call.method.name, blocking=blocking)
