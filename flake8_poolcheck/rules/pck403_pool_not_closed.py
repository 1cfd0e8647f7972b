"""PCK403 pool-not-closed."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS
from flake8_poolcheck.analysis.scopes import ScopeKind
from flake8_poolcheck.rules import PerFunctionRule

_CLOSERS = frozenset({"close", "terminate", "__exit__"})


@dataclass
class _Held:
    """Pools bound to one name in one scope."""

    creations: list[cst.Call] = field(default_factory=list)
    closed: bool = False
    escaped: bool = False  # returned, stored, passed on: someone else may close it


class PoolNotClosed(PerFunctionRule[dict[str, _Held]]):
    """## What it does
    Flags a pool that is created and then neither used as a context manager
    (`with`, `contextlib.closing`), nor closed or terminated in its scope (a
    `finally:` counts), nor handed on (returned, yielded, stored on an object or
    in a container, passed to a call, made global). That includes temporaries such
    as `Pool(4).map(...)`, pools bound to a local name, and module-level pools in
    scripts.

    ## Why is this bad?
    The workers stay up until the pool is garbage-collected (a pending result
    keeps it alive until that work is done) or the interpreter exits. Exit
    terminates the pool: unfinished asynchronous work is killed, silently.
    Python's `ResourceWarning: unclosed running multiprocessing pool` would say
    so, but it is hidden unless warnings are turned on (`-W default`, `-X dev`).

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        return Pool(4).map(abs, items)
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool(4) as pool:
            return pool.map(abs, items)
    ```
    For asynchronous work, end the `with` block with `pool.close()` and
    `pool.join()`.

    ## Fix safety
    There is no fix: where the pool's life should end is the author's decision.

    ## References
    - [Python docs: `Pool` (shut it down explicitly)](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool)
    """

    code = "PCK403"
    name = "pool-not-closed"
    summary = (
        "A pool is never closed: its workers stay up until it is garbage-collected, and"
        " exit kills unfinished async work silently."
    )
    kinds = POOL_KINDS

    def new_frame(self) -> dict[str, _Held]:
        return {}  # the pools bound in the body, by name

    def close_frame(self, frame: dict[str, _Held]) -> None:
        for name, held in frame.items():
            if not (held.closed or held.escaped):
                for creation in held.creations:
                    self.report(creation, _message(f"The pool bound to `{name}`"))

    def visit_Call(self, node: cst.Call) -> None:
        pool = self.pool_of(node)
        if pool is None or pool.created_by is not node:
            return
        parent = self.model.ancestors[-2]
        if isinstance(parent, cst.Attribute) and parent.attr.value not in _CLOSERS:
            self.report(node, _message("A pool created for one call"))
            return
        name = self._bound_name(parent)
        if name is not None and self.model.scope.kind in (ScopeKind.MODULE, ScopeKind.FUNCTION):
            held = self.frame.setdefault(name, _Held())
            held.creations.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        ancestors = self.model.ancestors
        if not self.model.name_is_read:
            return
        held = next((f[node.value] for f in reversed(self.frames) if node.value in f), None)
        if held is None:
            return
        parent = ancestors[-2]
        if isinstance(parent, cst.Attribute) and parent.value is node:
            held.closed = held.closed or parent.attr.value in _CLOSERS
        else:
            held.escaped = True

    def _bound_name(self, parent: cst.CSTNode) -> str | None:
        """The local name an assignment binds the pool to (None: managed or handed on)."""
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
            return None
        target = parent.targets[0].target
        if not isinstance(target, cst.Name) or target.value in self.model.scope.declared_global:
            return None
        return target.value


def _message(what: str) -> str:
    return (
        f"{what} is never closed: its workers stay up until it is garbage-collected or the"
        " interpreter exits, and exit kills unfinished async work silently (the"
        " ResourceWarning is hidden by default); use `with` (and `close(); join()` at its"
        " end for async work)"
    )
