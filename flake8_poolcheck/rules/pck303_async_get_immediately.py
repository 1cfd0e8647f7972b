"""PCK303 async-get-immediately."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from flake8_poolcheck.analysis.pools import BLOCKING_FORM, POOL_KINDS, PoolCall, Returns
from flake8_poolcheck.analysis.tree import descendants
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, PerFunctionRule

if TYPE_CHECKING:
    from flake8_poolcheck.diagnostics import Edits

#: Statements that evaluate their value first: where the bound form's fix may rewrite.
_VALUE_STATEMENTS = (cst.Assign, cst.AnnAssign, cst.Return, cst.Expr)


@dataclass(frozen=True)
class _Bound:
    """``r = p.map_async(...)`` directly followed by a statement that calls ``r.get()``."""

    name: str
    pool_call: PoolCall
    fix: Fix | None


def _is_plain_get(node: cst.CSTNode, name: str | None = None) -> bool:
    """``X.get()`` with no arguments (``name.get()`` when a name is given)."""
    if not (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)):
        return False
    receiver = node.func.value
    named = name is None or (isinstance(receiver, cst.Name) and receiver.value == name)
    return node.func.attr.value == "get" and named


def _runs_first(expr: cst.BaseExpression, get: cst.CSTNode) -> bool:
    """Whether ``get`` is the first call that evaluating ``expr`` makes: ``expr`` itself,
    the first argument of a call of a plain name, the first element of a display, or
    the object of a subscript or attribute, and so on down."""
    while expr is not get:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.args:
            expr = expr.args[0].value
        elif isinstance(expr, (cst.List, cst.Tuple, cst.Set)) and expr.elements:
            expr = expr.elements[0].value
        elif isinstance(expr, (cst.Subscript, cst.Attribute)):
            expr = expr.value
        else:
            return False
    return True


class AsyncGetImmediately(PerFunctionRule[list[_Bound]]):
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
    The fix calls the blocking method with the same arguments. It is safe: the two
    spellings run the same code. For a bound result it deletes the assignment
    (keeping its comments above the next statement) and calls the blocking method
    where `.get()` was. That is offered only when the name is a local variable of
    a function, because a module or class name, or one declared `global` or
    `nonlocal`, can be read by code elsewhere, which would lose it; and only when
    the `.get()` is the first thing the next statement evaluates, apart from
    looking up names (`values = r.get()`, `print(r.get())`), so that the work is
    still submitted before anything else runs, exactly once.

    ## References
    - [Python docs: `Pool.map`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.map)
    """

    code = "PCK303"
    name = "async-get-immediately"
    summary = (
        "An async pool call whose `.get()` follows at once is the blocking call with more code."
    )
    kinds = POOL_KINDS
    fixes = Fixes("Call the blocking method", FixAvailability.SOMETIMES)

    def new_frame(self) -> list[_Bound]:
        return []  # the async results bound in the body and read once, by the next statement

    def close_frame(self, frame: list[_Bound]) -> None:
        for bound in frame:
            if self.model.scope.reads[bound.name] == 1:  # read by the .get() alone
                self._report(bound.pool_call, bound.fix)

    def visit_Call(self, node: cst.Call) -> None:
        if not _is_plain_get(node):
            return
        assert isinstance(node.func, cst.Attribute)
        receiver = node.func.value
        pool_call = self._asynchronous(receiver)
        if pool_call is not None:
            edits: Edits = ((node, self._blocking(pool_call)),)
            self._report(pool_call, self._fix(pool_call, edits))

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
        if following and len(gets) == 1:
            local = self.model.binds_local(target.value)
            fix = self._bound_fix(pool_call, node, following, gets[0]) if local else None
            self.frame.append(_Bound(target.value, pool_call, fix))

    def _asynchronous(self, node: cst.BaseExpression) -> PoolCall | None:
        if not isinstance(node, cst.Call):
            return None
        pool_call = self.pool_call(node)
        if pool_call is None or pool_call.method.returns is not Returns.ASYNC_RESULT:
            return None
        if pool_call.given("callback") or pool_call.given("error_callback"):
            return None
        return pool_call

    def _next_statement(self, node: cst.SimpleStatementLine) -> cst.SimpleStatementLine | None:
        parent = self.model.ancestors[-2]
        body = getattr(parent, "body", ())
        if not isinstance(body, (list, tuple)):
            return None
        for index, statement in enumerate(body[:-1]):
            if statement is node:
                following = body[index + 1]
                return following if isinstance(following, cst.SimpleStatementLine) else None
        return None

    def _bound_fix(
        self,
        pool_call: PoolCall,
        assignment: cst.SimpleStatementLine,
        following: cst.SimpleStatementLine,
        get: cst.CSTNode,
    ) -> Fix | None:
        """Delete the assignment and call the blocking method where ``get`` is: one edit
        of the whole block, so that the comments it moves count as kept."""
        block = self.model.ancestors[-2]
        statement = following.body[0] if len(following.body) == 1 else None
        if (
            not isinstance(block, cst.IndentedBlock)
            or not isinstance(statement, _VALUE_STATEMENTS)
            or statement.value is None
            or not _runs_first(statement.value, get)
        ):
            return None
        comment = assignment.trailing_whitespace.comment
        leading = [
            *assignment.leading_lines,
            *([cst.EmptyLine(comment=comment)] if comment else []),
            *following.leading_lines,
        ]
        blocking = statement.deep_replace(get, self._blocking(pool_call))
        rewritten = following.with_changes(leading_lines=leading, body=[blocking])
        body = [rewritten if s is following else s for s in block.body if s is not assignment]
        return self._fix(pool_call, ((block, block.with_changes(body=body)),))

    @staticmethod
    def _blocking(pool_call: PoolCall) -> cst.Call:
        func = pool_call.call.func
        assert isinstance(func, cst.Attribute)
        blocking = BLOCKING_FORM[pool_call.method.name]
        return pool_call.call.with_changes(func=func.with_changes(attr=cst.Name(blocking)))

    def _fix(self, pool_call: PoolCall, edits: Edits) -> Fix:
        blocking = BLOCKING_FORM[pool_call.method.name]
        return self.fix(Applicability.SAFE, edits, title=f"Call `{blocking}()`")

    def _report(self, pool_call: PoolCall, fix: Fix | None) -> None:
        method = pool_call.method.name
        message = (
            f"`{method}()` followed at once by `.get()` is `{BLOCKING_FORM[method]}()` with more"
            " code (both wait forever if a worker dies: keep the async form only to call"
            " `.get(timeout=...)`)"
        )
        self.report(pool_call.call, message, fix=fix)
