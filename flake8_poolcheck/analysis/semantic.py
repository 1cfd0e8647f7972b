"""What the names of a module mean, built during the one traversal.

The model follows scopes, imports and assignments in source order, as the engine
walks the tree, and answers the questions every rule asks: is this expression a
pool (of which kind, with which start method), is this call a pool's task method,
what is this callable (a lambda, a nested function, a module function), and is
this code run at import time or under ``if __name__ == "__main__":``.

It resolves names only from what the module really imports and binds; anything it
cannot follow is ``UNKNOWN``, and an unknown receiver is never a pool.
"""

from __future__ import annotations

import builtins
import enum
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from flake8_poolcheck.analysis.pools import (
    CONTEXT_CLASSES,
    CONTEXT_PACKAGES,
    GENERATOR,
    HUGE_RANGE,
    LAZY_SOURCES,
    PATH_WALKS,
    PROCESS_FACTORIES,
    SYNC_NAMES,
    UNSHAREABLE,
    WORKER_EXITS,
    Lazy,
    Method,
    Pool,
    PoolCall,
    PoolKind,
    Unshareable,
)
from flake8_poolcheck.analysis.tree import SCOPES, descendants

_BUILTINS = frozenset(dir(builtins))


class Value:
    """What an expression evaluates to, as far as the checker can tell."""


@dataclass(frozen=True)
class Imported(Value):
    """A module or an object reached through imports, by qualified name."""

    qualname: str


@dataclass(frozen=True)
class Factory(Value):
    """A callable that returns a pool."""

    kind: PoolKind
    start_method: str | None = None


@dataclass(frozen=True)
class Context(Value):
    """A multiprocessing context (``get_context(...)``)."""

    kind: PoolKind
    start_method: str | None


@dataclass(frozen=True)
class PoolValue(Value):
    pool: Pool


@dataclass(frozen=True)
class ResultValue(Value):
    """The AsyncResult or iterator a pool's task method returns."""

    pool_call: PoolCall


@dataclass(frozen=True)
class ObjectValue(Value):
    """An object the checker knows two things about.

    ``unshareable``: a lock, queue, open file or generator, which a process-pool task
    cannot receive; ``lazy``: an iterable that produces its items on demand.
    """

    unshareable: Unshareable | None
    lazy: Lazy | None


class FunctionPlace(enum.Enum):
    """Where a ``def`` stands, which decides whether a process pool can pickle it."""

    MODULE = "module"  # importable by name: picklable
    MAIN_GUARD = "main guard"  # module level, inside ``if __name__ == "__main__":``
    NESTED = "nested"  # inside another function: never picklable
    METHOD = "method"  # in a class body


@dataclass(frozen=True)
class Function(Value):
    node: cst.FunctionDef
    place: FunctionPlace


@dataclass(frozen=True)
class LambdaFunction(Value):
    node: cst.Lambda
    in_function: bool  # written inside a def or lambda: pickle calls it a local object


@dataclass(frozen=True)
class Partial(Value):
    """``functools.partial(func, ...)``."""

    func: Value


class _Unknown(Value):
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass
class FunctionFacts:
    """What a module-level function's own body does (nested defs not included)."""

    pools: list[Pool] = field(default_factory=list)  # pools it creates
    processes: list[cst.Call] = field(default_factory=list)  # Process(...) it creates
    exits: list[str] = field(default_factory=list)  # sys.exit() and the like it calls
    calls: set[str] = field(default_factory=set)  # module functions it calls


class ScopeKind(enum.Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    LAMBDA = "lambda"
    COMPREHENSION = "comprehension"


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    node: cst.CSTNode
    parent: Scope | None
    bindings: dict[str, Value] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    #: For a method: the name of its first parameter (``self``).
    self_name: str | None = None
    #: For a class: what methods assign to ``self.<attr>``.
    attributes: dict[str, Value] = field(default_factory=dict)
    #: How often each name is read here or in the scopes nested in this one.
    reads: Counter[str] = field(default_factory=Counter)


def string_literal(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def is_main_guard(node: cst.If) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = (test.left, target.comparator)
    names = [side for side in sides if isinstance(side, cst.Name) and side.value == "__name__"]
    literals = [side for side in sides if string_literal(side) == "__main__"]
    return len(names) == 1 and len(literals) == 1


#: Where a plain name is not read: assignment targets, and names that only label something
#: (node type -> the field that holds such a name).
_NOT_READ: dict[type, str] = {
    cst.AssignTarget: "target",
    cst.AnnAssign: "target",
    cst.AugAssign: "target",
    cst.For: "target",
    cst.CompFor: "target",
    cst.NamedExpr: "target",
    cst.AsName: "name",
    cst.Attribute: "attr",
    cst.Arg: "keyword",
    cst.FunctionDef: "name",
    cst.ClassDef: "name",
    cst.Param: "name",
    cst.ImportAlias: "name",
    cst.NameItem: "name",
}
_TARGET_WRAPPERS = frozenset({cst.Tuple, cst.List, cst.Element, cst.StarredElement})


def is_read(ancestors: Sequence[cst.CSTNode]) -> bool:
    """Whether the last node of ``ancestors`` (a Name) is a read of a variable."""
    index = len(ancestors) - 1
    while index > 0 and type(ancestors[index - 1]) in _TARGET_WRAPPERS:
        index -= 1
    if index == 0:
        return True
    parent = ancestors[index - 1]
    field_name = _NOT_READ.get(type(parent))
    return field_name is None or getattr(parent, field_name) is not ancestors[index]


def names_bound_by(target: cst.BaseExpression) -> Iterator[cst.Name]:
    """The plain names an assignment target binds (``a``, ``a, (b, *c)``)."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from names_bound_by(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from names_bound_by(target.value)


class SemanticModel:
    """Scopes and bindings of one module, kept current by the engine's walk."""

    def __init__(
        self,
        factories: Mapping[str, PoolKind],
        methods: Mapping[str, Method],
    ) -> None:
        self._factories = factories
        self.methods = methods
        #: The nodes from the module down to the one being visited (kept by the engine's walk).
        self.ancestors: list[cst.CSTNode] = []
        self.scope = Scope(ScopeKind.MODULE, cst.Module(body=()), None)
        #: Set by ``set_start_method("...")`` anywhere in the module.
        self.default_start_method: str | None = None
        self._pool_calls: dict[int, PoolCall | None] = {}
        #: What each module-level function does, by name (complete at the end of the walk).
        self.functions: dict[str, FunctionFacts] = {}
        self._call_values: dict[int, Value] = {}
        self._walking: set[cst.FunctionDef] = set()  # generator functions being judged
        self._statement_indexes: dict[int, dict[int, int]] = {}
        self._name_read = False

    # -- questions the rules ask ------------------------------------------------

    def value_of(self, expr: cst.BaseExpression) -> Value:
        if isinstance(expr, cst.Name):
            return self._lookup(expr.value)
        if isinstance(expr, cst.Attribute):
            return self._attribute_value(expr)
        if isinstance(expr, cst.Call):
            key = id(expr)
            if key not in self._call_values:
                self._call_values[key] = self._call_value(expr)
            return self._call_values[key]
        if isinstance(expr, cst.Lambda):
            return LambdaFunction(expr, in_function=not self.at_import_time)
        if isinstance(expr, cst.GeneratorExp):
            source = self.value_of(expr.for_in.iter)
            inner = source.lazy if isinstance(source, ObjectValue) else None
            lazy = inner and Lazy(f"a generator expression over {inner.what}", inner.infinite)
            return ObjectValue(GENERATOR, lazy)
        return UNKNOWN

    def pool_of(self, expr: cst.BaseExpression) -> Pool | None:
        value = self.value_of(expr)
        return value.pool if isinstance(value, PoolValue) else None

    def pool_call(self, call: cst.Call) -> PoolCall | None:
        """The task-method call ``call`` is, when its receiver is known to be a pool."""
        key = id(call)
        if key not in self._pool_calls:
            self._pool_calls[key] = self._find_pool_call(call)
        return self._pool_calls[key]

    def start_method(self, pool: Pool) -> str | None:
        """The start method the pool will use, as far as the module says."""
        return pool.start_method or self.default_start_method

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
            isinstance(node, cst.If) and ancestors[index + 1] is node.body and is_main_guard(node)
            for index, node in enumerate(ancestors[:-1])
        )

    @property
    def enclosing_function(self) -> cst.FunctionDef | None:
        """The innermost ``def`` being visited."""
        for node in reversed(self.ancestors):
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    @property
    def module_function(self) -> cst.FunctionDef | None:
        """The module-level ``def`` (not a method) the walk is inside, if any."""
        for node in self.ancestors:
            if isinstance(node, cst.ClassDef):
                return None
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    def statement_positions(self) -> list[tuple[cst.CSTNode, int]]:
        """Where the node being visited stands: for each statement block around it in its
        scope (outermost first), the block and the index of the statement that holds it."""
        ancestors = self.ancestors
        positions: list[tuple[cst.CSTNode, int]] = []
        for parent, child in zip(ancestors, ancestors[1:]):
            if isinstance(parent, SCOPES):
                positions = []
            elif isinstance(parent, (cst.Module, cst.IndentedBlock)):
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
        item = node.item
        if isinstance(item, cst.Call) and item.args:
            closing = self.value_of(item.func)
            if isinstance(closing, Imported) and closing.qualname == "contextlib.closing":
                item = item.args[0].value
        value = self.value_of(item)
        kept = isinstance(value, (PoolValue, ObjectValue))  # __enter__ returns self
        self._bind_target(node.asname.name, value if kept else UNKNOWN)

    def visit_Name(self, node: cst.Name) -> None:
        self._name_read = is_read(self.ancestors)
        if self._name_read:
            self.scope.reads[node.value] += 1

    @property
    def name_is_read(self) -> bool:
        """Whether the Name being visited is a read (the model decides it once per Name)."""
        return self._name_read

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
                    value = PoolValue(Pool(annotated.kind, annotated.start_method))
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
        self._push(ScopeKind.CLASS, node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._pop()
        self._bind(node.name.value, UNKNOWN)

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

    def leave_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, cst.Attribute) else func
        if isinstance(name, cst.Name) and name.value == "set_start_method" and node.args:
            value = self.value_of(func)
            package = value.qualname.rpartition(".")[0] if isinstance(value, Imported) else ""
            if package in CONTEXT_PACKAGES:
                self.default_start_method = string_literal(node.args[0].value)
        function = self.module_function
        if function is not None and self.enclosing_function is function:
            self._record_fact(
                self.functions.setdefault(function.name.value, FunctionFacts()), node
            )

    def reaches(
        self, name: str, has: Callable[[FunctionFacts], object], depth: int | None = None
    ) -> str | None:
        """The module function, ``name`` itself or one it calls (up to ``depth`` calls
        away; None: any), whose own body ``has`` what is asked; None if there is none."""
        seen: set[str] = set()
        frontier = [name]
        level = 0
        while frontier and (depth is None or level <= depth):
            following: list[str] = []
            for current in frontier:
                facts = self.functions.get(current)
                if current in seen or facts is None:
                    continue
                seen.add(current)
                if has(facts):
                    return current
                following.extend(sorted(facts.calls))
            frontier, level = following, level + 1
        return None

    def _record_fact(self, facts: FunctionFacts, node: cst.Call) -> None:
        value = self.value_of(node)
        if isinstance(value, PoolValue):
            facts.pools.append(value.pool)
            return
        callee = self.value_of(node.func)
        if isinstance(callee, Function) and callee.place is FunctionPlace.MODULE:
            facts.calls.add(callee.node.name.value)
        elif isinstance(callee, Imported) and callee.qualname in PROCESS_FACTORIES:
            facts.processes.append(node)
        elif isinstance(callee, Imported) and callee.qualname in WORKER_EXITS:
            facts.exits.append(WORKER_EXITS[callee.qualname])

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

    def _attribute_value(self, expr: cst.Attribute) -> Value:
        attr = expr.attr.value
        if isinstance(expr.value, cst.Name):
            owner = self._class_of_self(expr.value.value)
            if owner is not None:
                return owner.attributes.get(attr, UNKNOWN)
        base = self.value_of(expr.value)
        if isinstance(base, Imported):
            return self._resolve(f"{base.qualname}.{attr}")
        if isinstance(base, Context) and attr == "Pool":
            return Factory(base.kind, base.start_method)
        if isinstance(base, Context) and (attr in SYNC_NAMES or attr == "Process"):
            return Imported(f"multiprocessing.{attr}")
        return UNKNOWN

    def _call_value(self, call: cst.Call) -> Value:
        pool_call = self.pool_call(call)
        if pool_call is not None:
            return UNKNOWN if pool_call.method.blocking else ResultValue(pool_call)
        func = self.value_of(call.func)
        if isinstance(func, Factory):
            return PoolValue(Pool(func.kind, func.start_method or self._context_of(call), call))
        if isinstance(func, Function) and is_generator(func.node):
            return ObjectValue(GENERATOR, self._generator_source(func.node))
        if self._is_path_walk(call):
            return ObjectValue(None, Lazy("a directory walk"))
        if not isinstance(func, Imported):
            return UNKNOWN
        lazy = self._lazy_source(func.qualname, call)
        unshareable = UNSHAREABLE.get(func.qualname)
        if lazy is not None or unshareable is not None:
            return ObjectValue(unshareable, lazy)
        package, _, name = func.qualname.rpartition(".")
        if name == "get_context" and package in CONTEXT_PACKAGES:
            method = string_literal(call.args[0].value) if call.args else None
            return Context(CONTEXT_PACKAGES[package], method)
        if func.qualname in CONTEXT_CLASSES:
            return Context(
                CONTEXT_PACKAGES[package.rpartition(".")[0]], CONTEXT_CLASSES[func.qualname]
            )
        if func.qualname == "functools.partial" and call.args and not call.args[0].star:
            return Partial(self.value_of(call.args[0].value))
        return UNKNOWN

    def _lazy_source(self, qualname: str, call: cst.Call) -> Lazy | None:
        if qualname == "itertools.repeat" and len(call.args) > 1:
            return None  # bounded by `times`
        if qualname == "builtins.range" and call.args:
            bound = _literal_int(call.args[min(1, len(call.args) - 1)].value)
            return (
                Lazy(f"`range()` of {bound:,} numbers") if bound and bound >= HUGE_RANGE else None
            )
        return LAZY_SOURCES.get(qualname)

    def _generator_source(self, function: cst.FunctionDef) -> Lazy | None:
        """A generator function is lazy when what it walks is (a file, a directory walk,
        ``count()``, a huge range, a lazy generator) or it loops with ``while``; one that
        walks a container already in memory is not."""
        if function in self._walking:
            return None  # a recursive generator: judged by its other loops
        self._walking.add(function)
        try:
            walked = _walked_sources(function)
            if walked is None:  # a `while` loop
                return Lazy(f"the generator `{function.name.value}()`")
            for source in walked:
                value = self.value_of(source)
                if isinstance(value, ObjectValue) and value.lazy is not None:
                    what = f"the generator `{function.name.value}()`"
                    return Lazy(what, value.lazy.infinite)
            return None
        finally:
            self._walking.discard(function)

    def _is_path_walk(self, call: cst.Call) -> bool:
        """``pathlib.Path(...).rglob(...)`` and the like."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in PATH_WALKS):
            return False
        owner = func.value
        return isinstance(owner, cst.Call) and self.value_of(owner.func) == Imported(
            "pathlib.Path"
        )

    def _context_of(self, call: cst.Call) -> str | None:
        """The start method of a ``context=`` argument given to a pool factory."""
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "context":
                context = self.value_of(arg.value)
                if isinstance(context, Context):
                    return context.start_method
        return None

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

    def _find_pool_call(self, call: cst.Call) -> PoolCall | None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        method = self.methods.get(func.attr.value)
        if method is None:
            return None
        pool = self.pool_of(func.value)
        return PoolCall(call, pool, method) if pool is not None else None

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


def is_generator(function: cst.FunctionDef) -> bool:
    """Whether the function's own body yields (a nested def's ``yield`` does not count)."""
    return any(isinstance(node, cst.Yield) for node in descendants(function.body))


def _walked_sources(function: cst.FunctionDef) -> list[cst.BaseExpression] | None:
    """What a generator's ``for`` loops and ``yield from`` walk (a name bound in the body
    by ``=`` or ``with ... as`` stands for its value); None if it loops with ``while``."""
    local: dict[str, cst.BaseExpression] = {}
    walked: list[cst.BaseExpression] = []
    for node in descendants(function.body):
        if isinstance(node, cst.While):
            return None
        if isinstance(node, cst.WithItem) and node.asname is not None:
            local.update((name.value, node.item) for name in names_bound_by(node.asname.name))
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            local.update(
                (name.value, node.value) for name in names_bound_by(node.targets[0].target)
            )
        elif isinstance(node, (cst.For, cst.CompFor)):
            walked.append(node.iter)
        elif isinstance(node, cst.Yield) and isinstance(node.value, cst.From):
            walked.append(node.value.item)
    return [local.get(w.value, w) if isinstance(w, cst.Name) else w for w in walked]


def _literal_int(node: cst.BaseExpression) -> int | None:
    """The value of ``10_000_000`` or ``10**7``."""
    if isinstance(node, cst.Integer):
        value = node.evaluated_value
        return value if isinstance(value, int) else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
        base, exponent = _literal_int(node.left), _literal_int(node.right)
        if base is not None and exponent is not None and 0 <= exponent <= 100:
            return int(base**exponent)
    return None
