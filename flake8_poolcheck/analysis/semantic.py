"""What the names of a module mean, built during the one traversal.

The model follows scopes, imports and assignments in source order (``bindings.py``),
as the engine walks the tree, and answers the questions every rule asks: is this expression a
pool (of which kind, with which start method), is this call a pool's task method,
what is this callable (a lambda, a nested function, a module function), and is
this code run at import time or under ``if __name__ == "__main__":``.

It resolves names only from what the module really imports and binds; anything it
cannot follow is ``UNKNOWN``, and an unknown receiver is never a pool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from types import MappingProxyType

import libcst as cst

from flake8_poolcheck.analysis.bindings import Bindings
from flake8_poolcheck.analysis.functions import FunctionFacts, is_generator, walked_sources
from flake8_poolcheck.analysis.pools import (
    AS_COMPLETED,
    AS_COMPLETED_NAMES,
    CONTEXT_CLASSES,
    CONTEXT_PACKAGES,
    EXECUTOR_KINDS,
    EXECUTOR_METHODS,
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
    Returns,
)
from flake8_poolcheck.analysis.tree import SCOPE_TYPES, called_name
from flake8_poolcheck.analysis.values import (
    UNKNOWN,
    Context,
    Factory,
    Function,
    FunctionPlace,
    Futures,
    Imported,
    LambdaFunction,
    LocalClass,
    LocalInstance,
    ObjectValue,
    Partial,
    PoolValue,
    ResultValue,
    Value,
    literal_int,
    string_literal,
)


class SemanticModel(Bindings):
    """What the code of one module means: the bindings, what expressions evaluate to
    (pools, their calls and results, callables, lazy and unshareable objects), and what
    each module-level function does. Kept current by the engine's walk."""

    def __init__(
        self,
        factories: Mapping[str, PoolKind],
        methods: Mapping[str, Method],
        parameter_pools: Mapping[tuple[cst.FunctionDef, str], Pool] = MappingProxyType({}),
    ) -> None:
        super().__init__(factories, parameter_pools)
        self.methods = methods
        #: Set by ``set_start_method("...")`` anywhere in the module.
        self.default_start_method: str | None = None
        #: What each module-level function does, by name (complete at the end of the walk).
        self.functions: dict[str, FunctionFacts] = {}
        self._pool_calls: dict[int, PoolCall | None] = {}
        self._call_values: dict[int, Value] = {}
        self._walking: set[cst.FunctionDef] = set()  # generator functions being judged
        #: What each call of a module function gives each unannotated parameter (None: no
        #: pool), and how many direct calls each has.
        self._passed: dict[tuple[cst.FunctionDef, str], list[Pool | None]] = {}
        self._direct_calls: Counter[str] = Counter()
        self._generators: dict[int, bool] = {}  # is_generator, by id of the function

    # -- questions the rules ask ------------------------------------------------

    def value_of(self, expr: cst.BaseExpression) -> Value:
        # ``type(expr) is`` rather than isinstance: a miss against LibCST's abstract node
        # classes goes through ABCMeta.__instancecheck__, and this runs ~230k times here.
        if type(expr) is cst.Name:
            return self._lookup(expr.value)
        if type(expr) is cst.Attribute:
            return self._attribute_value(expr)
        if type(expr) is cst.Call:
            key = id(expr)
            if key not in self._call_values:
                self._call_values[key] = self._call_value(expr)
            return self._call_values[key]
        if type(expr) is cst.Lambda:
            return LambdaFunction(expr, in_function=not self.at_import_time)
        if type(expr) is cst.IfExp:
            return self._pool_or_placeholder(expr)
        if type(expr) is cst.ListComp and type(expr.elt) is cst.Call:
            element = self.value_of(expr.elt)
            if (
                isinstance(element, ResultValue)
                and element.pool_call.method.returns is Returns.FUTURE
            ):
                return Futures(element.pool_call)
            return UNKNOWN
        if type(expr) is cst.GeneratorExp:
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

    def is_generator(self, function: cst.FunctionDef) -> bool:
        """Whether the function is a generator function. Asked for every call of a module
        function: the walk answers it for each def it has left (see visit_Yield); the
        body of one it has not is searched, once. (Over the pool-heavy corpus, a search at
        every call read 174k nodes, in 1.14M generator steps; now 7k nodes are read.)"""
        key = id(function)
        found = self._generators.get(key)
        if found is None:
            found = self._generators[key] = is_generator(function)
        return found

    def runs_under_fork(self, named: str | None) -> bool:
        """Whether processes of a context that names ``named`` (None: names no method) run
        under fork, as far as the module and the project's settings say.
        """
        return (named or self.default_start_method) == "fork"

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

    # -- the walk ---------------------------------------------------------------

    def visit_Yield(self, node: cst.Yield) -> None:
        """A ``yield`` makes a generator of the def whose body holds it (as
        ``is_generator`` reads it: not of a def whose decorator or default holds it)."""
        ancestors = self.ancestors
        for index in range(len(ancestors) - 2, -1, -1):
            scope = ancestors[index]
            if type(scope) in SCOPE_TYPES:
                if type(scope) is cst.FunctionDef and ancestors[index + 1] is scope.body:
                    self._generators[id(scope)] = True
                return

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(node)
        self._generators.setdefault(id(node), False)  # no ``yield`` came

    def leave_Call(self, node: cst.Call) -> None:
        callee = self.value_of(node.func)
        if (
            called_name(node.func) == "set_start_method"
            and node.args
            and isinstance(callee, Imported)
            and callee.qualname.rpartition(".")[0] in CONTEXT_PACKAGES
        ):
            self.default_start_method = string_literal(node.args[0].value)
        facts = self._own_facts()
        if facts is not None:
            self._record_fact(facts, node, callee)
        if isinstance(callee, Function) and callee.place is FunctionPlace.MODULE:
            self._note_arguments(callee.node, node)

    def pools_passed_to_parameters(self) -> dict[tuple[cst.FunctionDef, str], Pool]:
        """The unannotated parameters of module functions to which every call in the
        module gives a pool of one kind, for functions used only by direct calls. (One
        level: a parameter handed on to another function is not followed.)"""
        reads = self.scope_of_module().reads
        found: dict[tuple[cst.FunctionDef, str], Pool] = {}
        for (function, param), passed in self._passed.items():
            pools = {(p.kind, p.start_method) for p in passed if p is not None}
            name = function.name.value
            only_called = reads[name] == self._direct_calls[name]
            if only_called and None not in passed and len(pools) == 1:
                kind, start_method = pools.pop()
                found[function, param] = Pool(kind, start_method)
        return found

    def _note_arguments(self, function: cst.FunctionDef, call: cst.Call) -> None:
        """Remember what ``call`` gives each unannotated parameter of ``function``."""
        name = function.name.value
        self._direct_calls[name] += 1
        params = function.params
        positional = [*params.posonly_params, *params.params]
        keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
        unpacked = any(arg.star for arg in call.args)
        given = [arg for arg in call.args if arg.keyword is None]
        for index, param in enumerate((*positional, *params.kwonly_params)):
            if param.annotation is not None:
                continue
            arg = keywords.get(param.name.value)
            if arg is None and index < len(positional) and index < len(given):
                arg = given[index]
            pool = None if arg is None or unpacked else self.pool_of(arg.value)
            self._passed.setdefault((function, param.name.value), []).append(pool)

    def leave_Return(self, node: cst.Return) -> None:
        facts = self._own_facts()
        if facts is not None and node.value is not None:
            value = self.value_of(node.value)
            made_here = isinstance(value, PoolValue) and value.pool.created_by is node.value
            facts.returns.append(value if made_here else UNKNOWN)

    def _own_facts(self) -> FunctionFacts | None:
        """The facts of the module function whose own body the walk is in, if any."""
        function = self.enclosing_module_function
        if function is None or self.enclosing_function is not function:
            return None
        return self.functions.setdefault(function.name.value, FunctionFacts())

    def _record_fact(self, facts: FunctionFacts, node: cst.Call, callee: Value) -> None:
        value = self.value_of(node)
        if isinstance(value, PoolValue):
            facts.pools.append(value.pool)
            return
        if isinstance(callee, Function) and callee.place is FunctionPlace.MODULE:
            facts.calls.add(callee.node.name.value)
        elif isinstance(callee, Imported) and callee.qualname in PROCESS_FACTORIES:
            facts.processes.append(node)
        elif isinstance(callee, Imported) and callee.qualname in WORKER_EXITS:
            facts.exits.append(WORKER_EXITS[callee.qualname])

    # -- evaluation -------------------------------------------------------------

    def _attribute_value(self, expr: cst.Attribute) -> Value:
        attr = expr.attr.value
        if isinstance(expr.value, cst.Name):
            owner = self._class_of_self(expr.value.value)
            if owner is not None:  # what methods assigned to self.attr, or the class body
                return owner.attributes.get(attr) or owner.bindings.get(attr, UNKNOWN)
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
        if (
            isinstance(func, Function)
            and not func.node.decorators
            and self.is_generator(func.node)
        ):
            # (a decorator may turn what it yields into anything: ``@contextmanager``, a list)
            return ObjectValue(GENERATOR, self._generator_source(func.node))
        if isinstance(func, Function) and func.place is FunctionPlace.MODULE:
            return self._returned_pool(func.node, call)
        if isinstance(func, LocalClass):
            return LocalInstance(func.node)
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
            return Context(CONTEXT_PACKAGES[package], method, explicit=bool(call.args))
        if func.qualname in CONTEXT_CLASSES:
            return Context(
                CONTEXT_PACKAGES[package.rpartition(".")[0]],
                CONTEXT_CLASSES[func.qualname],
                explicit=True,
            )
        if func.qualname in AS_COMPLETED_NAMES and call.args:
            futures = self.value_of(call.args[0].value)
            if isinstance(futures, Futures):
                pool = futures.pool_call.pool
                return ResultValue(PoolCall(call, pool, AS_COMPLETED))
        if func.qualname == "functools.partial" and call.args and not call.args[0].star:
            extra = call.args[1:]
            plain = not any(arg.keyword is not None or arg.star for arg in extra)
            return Partial(self.value_of(call.args[0].value), len(extra) if plain else None)
        return UNKNOWN

    def _lazy_source(self, qualname: str, call: cst.Call) -> Lazy | None:
        if qualname == "itertools.repeat" and len(call.args) > 1:
            return None  # bounded by `times`
        if qualname == "builtins.range" and call.args:
            bound = literal_int(call.args[min(1, len(call.args) - 1)].value)
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
            walked = walked_sources(function)
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
            if arg.keyword is not None and arg.keyword.value in ("context", "mp_context"):
                context = self.value_of(arg.value)
                if isinstance(context, Context):
                    return context.start_method
        return None

    def _returned_pool(self, function: cst.FunctionDef, call: cst.Call) -> Value:
        """A new pool, made by ``call``, when every ``return`` of the module function
        (walked before the call) is a pool factory call of one kind and start method
        (``return Pool(n)``; not a pool kept in a global, nor one passed in)."""
        facts = self.functions.get(function.name.value)
        returned = facts.returns if facts is not None else []
        pools = [value.pool for value in returned if isinstance(value, PoolValue)]
        if not pools or len(pools) != len(returned):
            return UNKNOWN
        if len({(pool.kind, pool.start_method) for pool in pools}) != 1:
            return UNKNOWN
        return PoolValue(Pool(pools[0].kind, pools[0].start_method, call))

    def _pool_or_placeholder(self, expr: cst.IfExp) -> Value:
        """``Pool(n) if parallel else nullcontext()`` (or ``None``) is that pool where it
        is used as one: the other branch has no methods to call."""
        for pool, other in ((expr.body, expr.orelse), (expr.orelse, expr.body)):
            value = self.value_of(pool)
            if isinstance(value, PoolValue) and self._is_placeholder(other):
                return value
        return UNKNOWN

    def _is_placeholder(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Name):
            return expr.value == "None"
        return isinstance(expr, cst.Call) and self.value_of(expr.func) == Imported(
            "contextlib.nullcontext"
        )

    def _find_pool_call(self, call: cst.Call) -> PoolCall | None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        name = func.attr.value
        if name not in self.methods and name not in EXECUTOR_METHODS:
            return None
        pool = self.pool_of(func.value)
        if pool is None:
            return None
        method = (EXECUTOR_METHODS if pool.kind in EXECUTOR_KINDS else self.methods).get(name)
        return PoolCall(call, pool, method) if method is not None else None
