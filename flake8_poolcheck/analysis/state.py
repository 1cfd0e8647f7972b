"""Module-level state: which module names each module function reads, and where the code
changes them — at import time, in the ``if __name__ == "__main__":`` block, or in a
function (through ``global``, item or attribute assignment, or a mutating method).

A rule feeds a ``ModuleState`` from its visit methods (the model describes the node
being visited) and asks it questions at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from flake8_poolcheck.analysis.scopes import ScopeKind, is_main_guard, names_bound_by
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.tree import children
from flake8_poolcheck.analysis.values import Function, FunctionPlace, Imported, PoolValue

#: Methods that change a list, dict or set in place.
MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "update", "setdefault", "add", "pop", "popitem",
        "clear", "remove", "discard", "sort", "reverse",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Change:
    """A run-time change of a module name: by the main block (``function`` None) or by a
    module function."""

    name: str
    how: str  # "binds", "defines", "changes with `.update()`", "changes by item assignment"
    binds: bool  # the name itself is bound (not the object it names changed)
    function: str | None
    order: int  # when the walk met it


@dataclass(frozen=True)
class Call:
    """A call of a module function, by the main block (``caller`` None) or by another."""

    caller: str | None
    callee: str
    order: int


@dataclass
class ModuleState:
    """What the walk has seen of module-level state."""

    #: Names the module's own code binds when it is imported (see ``import_time_names``).
    import_time: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    #: Module functions run when the module is imported (called, or used as decorators).
    run_at_import: set[str] = field(default_factory=set)
    #: Module functions given as ``initializer=``: they run in the workers.
    initializers: set[str] = field(default_factory=set)
    #: Module names each module function reads (its own parameters and locals excluded).
    reads: dict[str, set[str]] = field(default_factory=dict)
    _order: int = 0

    # -- fed by the walk ------------------------------------------------------------

    def tick(self) -> int:
        """A number that grows in source order."""
        self._order += 1
        return self._order

    def name(self, model: SemanticModel, node: cst.Name) -> None:
        if not model.name_is_read or model.at_import_time:
            return
        function = model.enclosing_module_function
        if function is not None and not _local(model, node.value):
            self.reads.setdefault(function.name.value, set()).add(node.value)

    def defined(self, model: SemanticModel, node: cst.FunctionDef | cst.ClassDef) -> None:
        """A ``def`` or ``class`` ends (its own scope still current): one in the main
        block is defined by the parent alone."""
        outer = model.scope.parent
        if outer is not None and outer.kind is ScopeKind.MODULE and model.in_main_guard:
            self.changes.append(Change(node.name.value, "defines", True, None, self.tick()))

    def leave_function(self, model: SemanticModel, node: cst.FunctionDef) -> None:
        """Forget the names the module function ``node`` binds itself (read before bound)."""
        if model.enclosing_module_function is node:
            scope = model.scope
            own = set(scope.bindings) - scope.declared_global
            name = node.name.value
            self.reads[name] = self.reads.get(name, set()) - own

    def assigned(self, model: SemanticModel, target: cst.BaseExpression) -> None:
        """``target`` is assigned (``=``, ``+=``, annotated)."""
        if model.at_import_time and not model.in_main_guard:
            return
        for name in names_bound_by(target):
            in_function = model.enclosing_module_function is not None
            if not in_function or name.value in model.scope.declared_global:
                self._change(model, name.value, "binds", binds=True)
        if isinstance(target, (cst.Subscript, cst.Attribute)):
            what = "item" if isinstance(target, cst.Subscript) else "attribute"
            self._mutation(model, target.value, f"changes by {what} assignment")

    def call(self, model: SemanticModel, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MUTATING_METHODS:
            self._mutation(model, func.value, f"changes with `.{func.attr.value}()`")
        callee = _module_function(model, func)
        if callee is not None:
            self._called(model, callee)
        for arg in _initializers(model, node):
            initializer = _module_function(model, arg.value)
            if initializer is not None:
                self.initializers.add(initializer)

    def decorator(self, model: SemanticModel, node: cst.Decorator) -> None:
        expr = node.decorator
        callee = _module_function(model, expr.func if isinstance(expr, cst.Call) else expr)
        if callee is not None:
            self._called(model, callee)

    # -- questions at the end of the module ---------------------------------------

    def reachable(
        self, model: SemanticModel, roots: Iterable[str], leaf: str | None = None
    ) -> set[str]:
        """The module functions ``roots`` and every one they call, however deep (not
        through ``leaf``, whose calls are not followed)."""
        found: set[str] = set()
        frontier = list(roots)
        while frontier:
            name = frontier.pop()
            if name not in found:
                found.add(name)
                facts = model.functions.get(name)
                if facts is not None and name != leaf:
                    frontier.extend(facts.calls)
        return found

    def reads_of(self, functions: Iterable[str]) -> set[str]:
        return {name for function in functions for name in self.reads.get(function, ())}

    # -- internals ----------------------------------------------------------------

    def _called(self, model: SemanticModel, callee: str) -> None:
        function = model.enclosing_module_function
        if function is not None:
            self.calls.append(Call(function.name.value, callee, self.tick()))
        elif model.at_import_time and model.in_main_guard:
            self.calls.append(Call(None, callee, self.tick()))
        elif model.at_import_time:
            self.run_at_import.add(callee)

    def _mutation(self, model: SemanticModel, target: cst.BaseExpression, how: str) -> None:
        while isinstance(target, (cst.Attribute, cst.Subscript)):
            target = target.value
        # An imported module is left alone: spawn sends ``sys.path`` along and
        # children inherit ``os.environ``.
        imported = isinstance(model.value_of(target), Imported)
        if isinstance(target, cst.Name) and not imported and not _local(model, target.value):
            self._change(model, target.value, how, binds=False)

    def _change(self, model: SemanticModel, name: str, how: str, *, binds: bool) -> None:
        function = model.enclosing_module_function
        if function is not None:
            self.changes.append(Change(name, how, binds, function.name.value, self.tick()))
        elif model.scope.kind is ScopeKind.MODULE and model.in_main_guard:
            self.changes.append(Change(name, how, binds, None, self.tick()))


def import_time_names(module: cst.Module) -> set[str]:
    """The names the module's code binds when it is imported: by imports, ``def``,
    ``class``, assignments, ``for``, ``with`` and ``except`` outside function and class
    bodies and outside ``if __name__ == "__main__":``."""
    found: set[str] = set()
    pending: list[cst.CSTNode] = [module]
    while pending:
        for child in children(pending.pop()):
            # type() rather than isinstance(): a miss against LibCST's classes is slow
            if type(child) is cst.FunctionDef or type(child) is cst.ClassDef:
                found.add(child.name.value)
            elif type(child) is cst.If and is_main_guard(child):
                if child.orelse is not None:
                    pending.append(child.orelse)
            elif type(child) is not cst.Lambda:
                if type(child) in _BINDERS:
                    found.update(_bound_by(child))
                pending.append(child)
    return found


#: The nodes that bind names themselves (see _bound_by).
_BINDERS = frozenset(
    {cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.AsName, cst.ImportAlias}
    | {cst.NamedExpr}
)


def _bound_by(node: cst.CSTNode) -> Iterator[str]:
    """The names one node binds itself (its children aside)."""
    if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For)):
        yield from (name.value for name in names_bound_by(node.target))
    elif isinstance(node, cst.AsName):  # import ... as, with ... as, except ... as
        yield from (name.value for name in names_bound_by(node.name))
    elif isinstance(node, cst.ImportAlias) and node.asname is None:
        name: cst.BaseExpression = node.name
        while isinstance(name, cst.Attribute):
            name = name.value
        if isinstance(name, cst.Name):
            yield name.value
    elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
        yield node.target.value


def _local(model: SemanticModel, name: str) -> bool:
    """Whether ``name`` here is bound by a function, lambda or comprehension around it."""
    scope = model.scope
    while scope.parent is not None:
        if scope.kind is not ScopeKind.CLASS and name in scope.bindings:
            return name not in scope.declared_global
        if name in scope.declared_global:
            return False
        scope = scope.parent
    return False


def _module_function(model: SemanticModel, expr: cst.BaseExpression) -> str | None:
    if not isinstance(expr, cst.Name):
        return None  # a module function is called by its name
    value = model.value_of(expr)
    if isinstance(value, Function) and value.place is FunctionPlace.MODULE:
        return value.node.name.value
    return None


def _initializers(model: SemanticModel, call: cst.Call) -> list[cst.Arg]:
    """The ``initializer=`` of any call, and the second positional argument of a pool
    factory call (``Pool(4, init, args)``)."""
    found = [arg for arg in call.args if arg.keyword and arg.keyword.value == "initializer"]
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if len(positional) > 1 and isinstance(model.value_of(call), PoolValue):
        found.append(positional[1])
    return found
