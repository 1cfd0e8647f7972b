"""PCK502 start-method-already-set."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from flake8_poolcheck.analysis.pools import (
    CONTEXT_PACKAGES,
    PROCESS_FACTORIES,
    PROCESS_KINDS,
    PoolKind,
)
from flake8_poolcheck.analysis.tree import called_name, descendants
from flake8_poolcheck.analysis.values import Imported, PoolValue, string_literal
from flake8_poolcheck.rules import Rule, per_file

_SET_START_METHOD = frozenset(f"{package}.set_start_method" for package in CONTEXT_PACKAGES)

#: Where a statement stands in its scope: each block around it and its index there.
_Position = list[tuple[cst.CSTNode, int]]


class StartMethodAlreadySet(Rule):
    """## What it does
    Flags `multiprocessing.set_start_method()` where it raises `RuntimeError:
    context has already been set`: at module level, outside
    `if __name__ == "__main__":`, in a module that starts processes (a process
    pool, a `Process`), unless it picks `"fork"`; or after a pool was made, or
    after another `set_start_method()`, earlier in the same body. Calls with
    `force=True`, in a `try`, or under an `if` that asks `get_start_method()`
    are not flagged.

    ## Why is this bad?
    The start method can be set once per process, before anything fixes it:
    making a pool (a thread pool, or one from a spawn or forkserver context, too)
    fixes it, so a later call raises. A call made when the module is imported runs
    again in every spawn and forkserver child, which imports the main module again
    after its start method was set: the call raises there, the child dies (its
    traceback on stderr), and a pool replaces its workers forever and hangs.

    ## Example
    ```python
    import multiprocessing

    multiprocessing.set_start_method("spawn")


    def square(x):
        return x * x


    if __name__ == "__main__":
        with multiprocessing.Pool() as pool:
            print(pool.map(square, range(10)))
    ```

    ## Use instead
    ```python
    import multiprocessing


    def square(x):
        return x * x


    if __name__ == "__main__":
        with multiprocessing.get_context("spawn").Pool() as pool:
            print(pool.map(square, range(10)))
    ```

    ## Fix safety
    There is no fix: which start method the program needs is the author's call.

    ## References
    - [Python docs: contexts and start methods](https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods)
    """

    code = "PCK502"
    name = "start-method-already-set"
    summary = (
        "`set_start_method()` is called at import time or after the start method was"
        " fixed: it raises `RuntimeError: context has already been set`."
    )
    kinds = PROCESS_KINDS
    #: Where the start method became fixed: the scope, the position, and by what.
    _fixed: list[tuple[cst.CSTNode, _Position, str]] = per_file(list)
    #: Calls made when the module is imported, judged at its end.
    _at_import: list[cst.Call] = per_file(list)
    #: Whether the module starts child processes (a process pool, a ``Process``).
    _starts_children: list[bool] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        model = self.model
        func = node.func
        if called_name(func) in ("set_start_method", "Process"):
            callee = model.value_of(func)
            if isinstance(callee, Imported) and callee.qualname in _SET_START_METHOD:
                if not _forced(node) and not _guarded(model.ancestors):
                    self._judge(node)
                    where = model.statement_positions()
                    self._fixed.append((model.scope.node, where, "another `set_start_method()`"))
            elif isinstance(callee, Imported) and callee.qualname in PROCESS_FACTORIES:
                self._starts_children.append(True)
            return
        value = model.value_of(node)
        if (
            isinstance(value, PoolValue)
            and value.pool.kind is not PoolKind.DILL
            and value.pool.start_method != "fork"
        ):
            if value.pool.kind is PoolKind.PROCESS:
                self._starts_children.append(True)
            self._fixed.append((model.scope.node, model.statement_positions(), "making a pool"))

    def leave_Module(self, node: cst.Module) -> None:
        # Only a module that starts children is hurt by their dying.
        if self._starts_children:
            for call in self._at_import:
                self.report(call, _at_import_message(_method(call)))

    def _judge(self, node: cst.Call) -> None:
        model = self.model
        if model.at_import_time and not model.in_main_guard:
            if _method(node) != "fork":
                self._at_import.append(node)
            return
        here = model.statement_positions()
        earlier = next(
            (
                what
                for scope, where, what in self._fixed
                if scope is model.scope.node and _ran_before(where, here)
            ),
            None,
        )
        if earlier is not None:
            self.report(
                node,
                "`set_start_method()` raises `RuntimeError: context has already been set`"
                f" here: {earlier} earlier in this body fixed the start method; use"
                " `multiprocessing.get_context(...)` for the pools that need another method,"
                " or set it once, before anything else",
            )


def _at_import_message(method: str | None) -> str:
    if method is None:
        picks = "Unless it picks fork, every"
        shown = ""
    else:
        picks, shown = "Every", repr(method)
    return (
        f"`set_start_method({shown})` runs when the module is imported. {picks} child that"
        " spawn or forkserver starts imports the main module again, after its start method"
        " was set: the call raises `RuntimeError: context has already been set` there and"
        " the child dies, so a pool replaces its workers forever and hangs; call it under"
        ' `if __name__ == "__main__":`, or use `multiprocessing.get_context('
        f"{shown or '...'})` and its `Pool()`"
    )


def _method(call: cst.Call) -> str | None:
    for index, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "method" or (keyword is None and index == 0):
            return string_literal(arg.value)
    return None


def _forced(call: cst.Call) -> bool:
    """``force=True`` (by keyword or second positional argument)."""
    for index, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "force" or (keyword is None and index == 1):
            return not (isinstance(arg.value, cst.Name) and arg.value.value == "False")
    return False


def _guarded(ancestors: Sequence[cst.CSTNode]) -> bool:
    """Inside a ``try``, or under an ``if`` that asks ``get_start_method()`` first."""
    return any(
        isinstance(node, cst.Try)
        or (
            isinstance(node, cst.If)
            and any(
                isinstance(name, cst.Name) and name.value == "get_start_method"
                for name in descendants(node.test)
            )
        )
        for node in ancestors
    )


def _ran_before(earlier: _Position, later: _Position) -> bool:
    """Whether the statement at ``earlier`` surely ran before the one at ``later``: it
    stands in a block around ``later``, before the statement that holds ``later``."""
    depth = len(earlier) - 1
    if depth < 0 or len(later) <= depth:
        return False
    outer = all(a is c and i == j for (a, i), (c, j) in zip(earlier[:depth], later))
    block, index = earlier[depth]
    return outer and later[depth][0] is block and index < later[depth][1]
