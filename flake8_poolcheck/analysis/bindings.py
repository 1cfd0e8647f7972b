"""Scopes and bindings: what each name of a module is bound to, kept current by the
engine's walk in source order.

Names resolve only from what the module really imports and binds; anything that cannot
be followed is ``UNKNOWN``. What an expression evaluates to is the job of the
``SemanticModel`` built on top of this class (``value_of``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

import libcst as cst

from flake8_poolcheck.analysis.pools import CONTEXT_PACKAGES, Pool, PoolKind
from flake8_poolcheck.analysis.scopes import (
    Scope,
    ScopeKind,
    is_main_guard,
    is_read,
    names_bound_by,
)
from flake8_poolcheck.analysis.tree import SCOPE_TYPES
from flake8_poolcheck.analysis.values import (
    UNKNOWN,
    Factory,
    Function,
    FunctionPlace,
    Imported,
    LocalClass,
    ObjectValue,
    PoolValue,
    Value,
    string_literal,
)

_BUILTINS = frozenset(dir(builtins))


class Bindings:
    """Scopes and bindings of one module, and where the walk stands in it."""

    def __init__(
        self,
        factories: Mapping[str, PoolKind],
        parameter_pools: Mapping[tuple[cst.FunctionDef, str], Pool] = MappingProxyType({}),
    ) -> None:
        self._factories = factories
        #: Unannotated parameters of module functions that every call gives a pool.
        self._parameter_pools = parameter_pools
        #: The nodes from the module down to the one being visited (kept by the engine's walk).
        self.ancestors: list[cst.CSTNode] = []
        self.scope = Scope(ScopeKind.MODULE, cst.Module(body=()), None)
        self._statement_indexes: dict[int, dict[int, int]] = {}
        self._name_read = False

    def value_of(self, expr: cst.BaseExpression) -> Value:
        """What ``expr`` evaluates to (answered by the SemanticModel)."""
        raise NotImplementedError

    def without_closing(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """``pool`` for ``contextlib.closing(pool)``; any other expression as it is."""
        if isinstance(expr, cst.Call) and expr.args:
            closing = self.value_of(expr.func)
            if isinstance(closing, Imported) and closing.qualname == "contextlib.closing":
                return expr.args[0].value
        return expr

    # -- where the walk stands ----------------------------------------------------

    @property
    def at_import_time(self) -> bool:
        """True where code runs when the module is run or imported (not in a def or lambda)."""
        scope: Scope | None = self.scope
        while scope is not None:
            if scope.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA):
                return False
            scope = scope.parent
        return True

    @property
    def in_main_guard(self) -> bool:
        """True inside the body of an ``if __name__ == "__main__":``."""
        ancestors = self.ancestors
        return any(
            type(node) is cst.If and ancestors[index + 1] is node.body and is_main_guard(node)
            for index, node in enumerate(ancestors[:-1])
        )

    @property
    def enclosing_function(self) -> cst.FunctionDef | None:
        """The innermost ``def`` being visited."""
        for node in reversed(self.ancestors):
            if type(node) is cst.FunctionDef:  # not isinstance: see SCOPE_TYPES
                return node
        return None

    @property
    def enclosing_module_function(self) -> cst.FunctionDef | None:
        """The module-level ``def`` (not a method) the walk is inside, if any."""
        for node in self.ancestors:
            if type(node) is cst.ClassDef:
                return None
            if type(node) is cst.FunctionDef:
                return node
        return None

    def statement_positions(self) -> list[tuple[cst.CSTNode, int]]:
        """Where the node being visited stands: for each statement block around it in its
        scope (outermost first), the block and the index of the statement that holds it."""
        ancestors = self.ancestors
        positions: list[tuple[cst.CSTNode, int]] = []
        for parent, child in zip(ancestors, ancestors[1:]):
            if type(parent) in SCOPE_TYPES:
                positions = []
            elif type(parent) is cst.Module or type(parent) is cst.IndentedBlock:
                positions.append((parent, self._index_in(parent, child)))
        return positions

    def _index_in(self, block: cst.Module | cst.IndentedBlock, statement: cst.CSTNode) -> int:
        indexes = self._statement_indexes.get(id(block))
        if indexes is None:
            indexes = {id(child): index for index, child in enumerate(block.body)}
            self._statement_indexes[id(block)] = indexes
        return indexes[id(statement)]

    def binds_local(self, name: str) -> bool:
        """Whether assigning ``name`` here binds a variable of a function that no code
        outside it can read (not a module or class name, not ``global``/``nonlocal``)."""
        scope = self.scope
        return (
            scope.kind is ScopeKind.FUNCTION
            and name not in scope.declared_global
            and name not in scope.declared_nonlocal
        )

    def scope_of_module(self) -> Scope:
        scope = self.scope
        while scope.parent is not None:
            scope = scope.parent
        return scope

    @property
    def name_is_read(self) -> bool:
        """Whether the Name being visited is a read (the model decides it once per Name)."""
        return self._name_read

    # -- the walk ---------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self.scope = Scope(ScopeKind.MODULE, node, None)
        for statement in node.body:  # module functions are known before their first use
            if isinstance(statement, cst.FunctionDef):
                self.scope.bindings[statement.name.value] = Function(
                    statement, FunctionPlace.MODULE
                )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None:
                self._bind_target(alias.asname.name, self._resolve(dotted))
            else:
                top = dotted.split(".")[0]
                self._bind(top, Imported(top))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            if isinstance(node.names, Sequence):
                for alias in node.names:
                    self._bind_target(alias.asname.name if alias.asname else alias.name, UNKNOWN)
            return
        module = _dotted(node.module)
        if isinstance(node.names, cst.ImportStar):
            prefix = f"{module}."
            for qualname in [*self._factories, *_context_functions()]:
                name = qualname[len(prefix) :]
                if qualname.startswith(prefix) and "." not in name:
                    self._bind(name, self._resolve(qualname))
            return
        for alias in node.names:
            name = _dotted(alias.name)
            target = alias.asname.name if alias.asname else alias.name
            self._bind_target(target, self._resolve(f"{module}.{name}"))

    def leave_Assign(self, node: cst.Assign) -> None:
        value = self.value_of(node.value)
        for target in node.targets:
            self._bind_assignment(target.target, node.value, value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_assignment(node.target, node.value, self.value_of(node.value))

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, UNKNOWN)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, self.value_of(node.value))

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target, UNKNOWN)

    def leave_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is None:
            return
        value = self.value_of(self.without_closing(node.item))
        kept = isinstance(value, (PoolValue, ObjectValue))  # __enter__ returns self
        self._bind_target(node.asname.name, value if kept else UNKNOWN)

    def visit_Name(self, node: cst.Name) -> None:
        self._name_read = is_read(self.ancestors)
        if self._name_read:
            self.scope.reads[node.value] += 1

    def visit_Global(self, node: cst.Global) -> None:
        self.scope.declared_global.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.scope.declared_nonlocal.update(item.name.value for item in node.names)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        outer = self.scope
        scope = self._push(ScopeKind.FUNCTION, node)
        for param in _all_params(node.params):
            value: Value = UNKNOWN
            if param.annotation is not None:
                annotated = self._annotation_value(param.annotation.annotation)
                if isinstance(annotated, Factory):
                    value = PoolValue(Pool(annotated.kind, annotated.start_method, None, param))
            elif outer.kind is ScopeKind.MODULE:
                passed = self._parameter_pools.get((node, param.name.value))
                if passed is not None:
                    value = PoolValue(Pool(passed.kind, passed.start_method, None, param))
            scope.bindings[param.name.value] = value
        if outer.kind is ScopeKind.CLASS and not _is_static(node):
            positional = [*node.params.posonly_params, *node.params.params]
            if positional:
                scope.self_name = positional[0].name.value

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pop()
        if self.scope.kind is ScopeKind.CLASS:
            place = FunctionPlace.METHOD
        elif self.scope.kind is not ScopeKind.MODULE:
            place = FunctionPlace.NESTED
        elif self.in_main_guard:
            place = FunctionPlace.MAIN_GUARD
        else:
            place = FunctionPlace.MODULE
        self._bind(node.name.value, Function(node, place))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        scope = self._push(ScopeKind.CLASS, node)
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:  # methods are known before the first ``self.method``
            if isinstance(statement, cst.FunctionDef):
                scope.bindings[statement.name.value] = Function(statement, FunctionPlace.METHOD)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._pop()
        self._bind(node.name.value, UNKNOWN if self.at_import_time else LocalClass(node))

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = self._push(ScopeKind.LAMBDA, node)
        for param in _all_params(node.params):
            scope.bindings[param.name.value] = UNKNOWN

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._pop()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._push_comprehension(node)

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self._pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._push_comprehension(node)

    def leave_SetComp(self, node: cst.SetComp) -> None:
        self._pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._push_comprehension(node)

    def leave_DictComp(self, node: cst.DictComp) -> None:
        self._pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._push_comprehension(node)

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._pop()

    # -- internals --------------------------------------------------------------

    def _push(self, kind: ScopeKind, node: cst.CSTNode) -> Scope:
        self.scope = Scope(kind, node, self.scope)
        return self.scope

    def _pop(self) -> None:
        assert self.scope.parent is not None
        self.scope.parent.reads.update(self.scope.reads)  # a closure's reads count outside
        self.scope = self.scope.parent

    def _push_comprehension(self, node: cst.CSTNode) -> None:
        scope = self._push(ScopeKind.COMPREHENSION, node)
        for_in: cst.CompFor | None = getattr(node, "for_in", None)
        while for_in is not None:
            for name in names_bound_by(for_in.target):
                scope.bindings[name.value] = UNKNOWN
            for_in = for_in.inner_for_in

    def _lookup(self, name: str) -> Value:
        scope: Scope | None = self.scope
        first = True
        while scope is not None:
            # A class body's names are not visible from the functions inside it.
            if first or scope.kind is not ScopeKind.CLASS:
                value = scope.bindings.get(name)
                if value is not None:
                    return value
            first = False
            scope = scope.parent
        return Imported(f"builtins.{name}") if name in _BUILTINS else UNKNOWN

    def _resolve(self, qualname: str) -> Value:
        kind = self._factories.get(qualname)
        return Factory(kind) if kind is not None else Imported(qualname)

    def _annotation_value(self, annotation: cst.BaseExpression) -> Value:
        text = string_literal(annotation)
        if text is None:
            return self.value_of(annotation)
        parts = text.strip().split(".")
        if not all(part.isidentifier() for part in parts):
            return UNKNOWN
        value = self._lookup(parts[0])
        for part in parts[1:]:
            value = (
                self._resolve(f"{value.qualname}.{part}")
                if isinstance(value, Imported)
                else UNKNOWN
            )
        return value

    def _class_of_self(self, name: str) -> Scope | None:
        """The class whose instance ``name`` is, when it is a method's ``self``."""
        scope: Scope | None = self.scope
        while scope is not None:
            if scope.kind is ScopeKind.FUNCTION and scope.self_name == name:
                return scope.parent
            scope = scope.parent
        return None

    def _bind_assignment(
        self, target: cst.BaseExpression, value_node: cst.BaseExpression, value: Value
    ) -> None:
        if (
            isinstance(target, (cst.Tuple, cst.List))
            and isinstance(value_node, (cst.Tuple, cst.List))
            and len(target.elements) == len(value_node.elements)
            and not any(isinstance(e, cst.StarredElement) for e in target.elements)
        ):
            for element, value_element in zip(target.elements, value_node.elements):
                self._bind_assignment(
                    element.value, value_element.value, self.value_of(value_element.value)
                )
            return
        self._bind_target(target, value)

    def _bind_target(self, target: cst.BaseExpression, value: Value) -> None:
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            owner = self._class_of_self(target.value.value)
            if owner is not None:
                owner.attributes[target.attr.value] = value
            return
        names = list(names_bound_by(target))
        for name in names:
            self._bind(name.value, value if len(names) == 1 else UNKNOWN)

    def _bind(self, name: str, value: Value) -> None:
        scope = self.scope
        while scope.kind is ScopeKind.COMPREHENSION and scope.parent is not None:
            scope = scope.parent  # a walrus in a comprehension binds outside it
        if name in scope.declared_global:
            scope = self.scope_of_module()
        scope.bindings[name] = value


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _context_functions() -> list[str]:
    return [
        f"{package}.{name}"
        for package in CONTEXT_PACKAGES
        for name in ("get_context", "set_start_method")
    ]


def _all_params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def _is_static(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
        for d in node.decorators
    )
