"""What a task callable is: its signature, whether it only unpacks its argument, whether
it is a generator, and the ``map`` -> ``starmap`` rewrite that several rules offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.analysis.pools import GENERATOR, PROCESS_FACTORIES, PoolCall, PoolKind
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.tree import called_name, descendants
from flake8_poolcheck.analysis.values import (
    Context,
    Function,
    FunctionPlace,
    Imported,
    LambdaFunction,
    LocalInstance,
    ObjectValue,
    Partial,
    Value,
)
from flake8_poolcheck.diagnostics import Applicability, Fix

_DOCSTRINGS = (cst.SimpleString, cst.ConcatenatedString)

#: The ``starmap`` counterpart of each method that passes one argument per item.
STARMAP_FORM = {"map": "starmap", "map_async": "starmap_async"}


@dataclass(frozen=True)
class Signature:
    """How many positional arguments a ``def`` accepts."""

    required: int
    maximum: int | None  # None: it takes *args
    keyword_only: tuple[str, ...]  # keyword-only parameters without a default

    def accepts(self, count: int) -> bool:
        """Whether a call with ``count`` positional arguments (and no keywords) can bind."""
        within = self.maximum is None or count <= self.maximum
        return not self.keyword_only and self.required <= count and within

    def describe(self) -> str:
        if self.keyword_only:
            names = ", ".join(f"`{name}`" for name in self.keyword_only)
            return f"requires the keyword-only argument(s) {names}"
        if self.maximum == self.required:
            return f"takes {_arguments(self.required)}"
        if self.maximum is None:
            return f"takes at least {_arguments(self.required)}"
        return f"takes {self.required} to {_arguments(self.maximum)}"


def task_signature(model: SemanticModel, expr: cst.BaseExpression) -> Signature | None:
    """What the task ``expr`` accepts: a module function (without decorators), or a
    ``functools.partial`` of one that binds positional arguments only."""
    value = model.value_of(expr)
    bound: int | None = 0
    if isinstance(value, Partial):
        bound = value.bound
        value = value.func
    function = _module_def(value)
    if bound is None or function is None or function.decorators:
        return None
    known = signature(function)
    if known.maximum is not None and known.maximum < bound:
        return None  # the partial itself is wrong: another story
    maximum = None if known.maximum is None else known.maximum - bound
    return Signature(max(0, known.required - bound), maximum, known.keyword_only)


def _arguments(count: int) -> str:
    return f"{count} positional argument" + ("" if count == 1 else "s")


def signature(function: cst.FunctionDef) -> Signature:
    params = function.params
    positional = [*params.posonly_params, *params.params]
    required = sum(1 for param in positional if param.default is None)
    maximum = None if isinstance(params.star_arg, cst.Param) else len(positional)
    keyword_only = tuple(p.name.value for p in params.kwonly_params if p.default is None)
    return Signature(required, maximum, keyword_only)


def function_named_by(model: SemanticModel, expr: cst.BaseExpression) -> cst.FunctionDef | None:
    """The module-level ``def`` an expression names (directly or through an alias)."""
    return _module_def(model.value_of(expr))


def _module_def(value: Value) -> cst.FunctionDef | None:
    if isinstance(value, Function) and value.place in (
        FunctionPlace.MODULE,
        FunctionPlace.MAIN_GUARD,
    ):
        return value.node
    return None


def uses_name(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in [node, *descendants(node)])


def _single_parameter(params: cst.Parameters) -> str | None:
    """The name of the only parameter, when there is exactly one plain one."""
    positional = [*params.posonly_params, *params.params]
    if (
        len(positional) == 1
        and positional[0].default is None
        and not params.kwonly_params
        and not isinstance(params.star_arg, cst.Param)
        and params.star_kwarg is None
    ):
        return positional[0].name.value
    return None


def star_lambda_target(node: cst.Lambda) -> cst.BaseExpression | None:
    """``f`` for ``lambda a: f(*a)``."""
    name = _single_parameter(node.params)
    body = node.body
    if name is None or not isinstance(body, cst.Call) or len(body.args) != 1:
        return None
    (arg,) = body.args
    if arg.star != "*" or not (isinstance(arg.value, cst.Name) and arg.value.value == name):
        return None
    return None if uses_name(body.func, name) else body.func


def indexed_lambda_target(node: cst.Lambda) -> cst.BaseExpression | None:
    """``f`` for ``lambda t: f(t[0], t[1], ...)`` (two or more consecutive indices)."""
    name = _single_parameter(node.params)
    body = node.body
    if name is None or not isinstance(body, cst.Call) or len(body.args) < 2:
        return None
    for position, arg in enumerate(body.args):
        if arg.star or arg.keyword is not None or _index_of(arg.value, name) != position:
            return None
    return None if uses_name(body.func, name) else body.func


def _index_of(expr: cst.BaseExpression, name: str) -> int | None:
    """``i`` for ``name[i]`` with a literal integer ``i``."""
    if not (isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name)):
        return None
    if expr.value.value != name or len(expr.slice) != 1:
        return None
    index = expr.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
        return int(index.value.evaluated_value)
    return None


@dataclass(frozen=True)
class UnpackingTask:
    """A one-parameter ``def`` whose first statement unpacks that parameter."""

    parameter: str
    names: tuple[str, ...] | None  # the names it unpacks into; None for ``f(*args)``
    forwards_to: cst.BaseExpression | None  # ``f`` when the body is only ``return f(...)``


def unpacking_task(function: cst.FunctionDef) -> UnpackingTask | None:
    """Recognise ``return f(*args)``, ``a, b = args; return f(a, b)`` and
    ``a, b = args; ...`` (``args`` never used again)."""
    parameter = _single_parameter(function.params)
    statements = _statements(function)
    if parameter is None or not statements:
        return None
    first = statements[0]
    if len(statements) == 1 and isinstance(first, cst.Return) and first.value is not None:
        call = first.value
        if isinstance(call, cst.Call) and len(call.args) == 1 and call.args[0].star == "*":
            star = call.args[0].value
            forwards = isinstance(star, cst.Name) and star.value == parameter
            if forwards and not uses_name(call.func, parameter):
                return UnpackingTask(parameter, None, call.func)
        return None
    names = _unpacked_names(first, parameter)
    rest = statements[1:]
    if names is None or any(uses_name(statement, parameter) for statement in rest):
        return None
    forwards_to = None
    if len(rest) == 1 and isinstance(rest[0], cst.Return):
        forwards_to = _forwarded(rest[0].value, names)
    return UnpackingTask(parameter, names, forwards_to)


def _statements(function: cst.FunctionDef) -> list[cst.CSTNode]:
    """The small statements of the body, in order, without a leading docstring.

    Compound statements are kept as they are (they end the run of recognisable ones).
    """
    body = function.body
    lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
    statements: list[cst.CSTNode] = []
    for line in lines:
        if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            statements.extend(line.body)
        else:
            statements.append(line)
    first = statements[0] if statements else None
    if isinstance(first, cst.Expr) and isinstance(first.value, _DOCSTRINGS):
        statements = statements[1:]
    return statements


def _unpacked_names(statement: cst.CSTNode, parameter: str) -> tuple[str, ...] | None:
    """``("a", "b")`` for ``a, b = parameter``."""
    if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0].target
    value = statement.value
    if not (isinstance(value, cst.Name) and value.value == parameter):
        return None
    if not isinstance(target, (cst.Tuple, cst.List)):
        return None
    names = tuple(e.value.value for e in target.elements if isinstance(e.value, cst.Name))
    plain = all(isinstance(e, cst.Element) for e in target.elements)
    return names if plain and len(names) == len(target.elements) else None


def _forwarded(
    value: cst.BaseExpression | None, names: Sequence[str]
) -> cst.BaseExpression | None:
    """``f`` for ``f(a, b)`` that passes exactly ``names``, in order."""
    if not isinstance(value, cst.Call) or len(value.args) != len(names):
        return None
    for arg, name in zip(value.args, names):
        passed = arg.value
        if arg.star or arg.keyword is not None or not isinstance(passed, cst.Name):
            return None
        if passed.value != name:
            return None
    return None if any(uses_name(value.func, name) for name in names) else value.func


def starmap_fix(
    pool_call: PoolCall, task: cst.BaseExpression | None, applicability: Applicability
) -> Fix | None:
    """``map(..., xs)`` -> ``starmap(task, xs)`` (task kept when None)."""
    new_method = STARMAP_FORM.get(pool_call.method.name)
    func = pool_call.call.func
    task_arg = pool_call.task
    if new_method is None or not isinstance(func, cst.Attribute) or task_arg is None:
        return None
    args = [
        arg.with_changes(value=task) if arg is task_arg and task is not None else arg
        for arg in pool_call.call.args
    ]
    new_call = pool_call.call.with_changes(
        func=func.with_changes(attr=cst.Name(new_method)), args=args
    )
    title = f"Use `{new_method}()`"
    return Fix(title, applicability, ((pool_call.call, new_call),))


@dataclass(frozen=True)
class ModuleTask:
    """A pool call whose task is a function defined in the module."""

    pool_call: PoolCall
    task: cst.Arg
    function: cst.FunctionDef


def module_task(
    model: SemanticModel, call: cst.Call, kinds: frozenset[PoolKind]
) -> ModuleTask | None:
    """The module function ``call`` gives a pool of one of ``kinds`` as its task, also
    through ``functools.partial`` (whose task runs the function's body all the same)."""
    pool_call = model.pool_call(call)
    if pool_call is None or pool_call.pool.kind not in kinds or pool_call.task is None:
        return None
    value = model.value_of(pool_call.task.value)
    function = _module_def(value.func if isinstance(value, Partial) else value)
    return ModuleTask(pool_call, pool_call.task, function) if function is not None else None


def unpicklable_callable(value: Value) -> tuple[str, str] | None:
    """How a callable that pickle cannot send is described, and the error it raises.

    None when the callable pickles by reference (a module-level function) or when
    the checker does not know what it is.
    """
    if isinstance(value, LambdaFunction):
        return "a lambda", "AttributeError" if value.in_function else "PicklingError"
    if isinstance(value, Function) and value.place is FunctionPlace.NESTED:
        return f"the nested function `{value.node.name.value}`", "AttributeError"
    if isinstance(value, Partial):
        inner = unpicklable_callable(value.func)
        if inner is not None:
            return f"a functools.partial of {inner[0]}", inner[1]
    return None


#: ``Process`` classes whose targets spawn and forkserver pickle with plain pickle.
_PICKLED_PROCESSES = PROCESS_FACTORIES - {"multiprocess.Process"}


@dataclass(frozen=True)
class ProcessCall:
    """A ``Process(...)`` call: multiprocessing's, a context's, or a package's like it."""

    #: PROCESS, or DILL for ``multiprocess`` (which pickles with dill)
    kind: PoolKind
    #: The method its context names (``get_context("fork").Process``); None: the default.
    start_method: str | None


def process_call(model: SemanticModel, call: cst.Call) -> ProcessCall | None:
    """``call`` as a ``Process(...)``; None for other calls and for contexts whose method
    is chosen at run time (``get_context(method)`` may be fork)."""
    func = call.func
    if called_name(func) != "Process":
        return None
    callee = model.value_of(func)
    if not (isinstance(callee, Imported) and callee.qualname in PROCESS_FACTORIES):
        return None
    kind = PoolKind.PROCESS if callee.qualname in _PICKLED_PROCESSES else PoolKind.DILL
    context = model.value_of(func.value) if isinstance(func, cst.Attribute) else None
    if not isinstance(context, Context):
        return ProcessCall(kind, None)
    if context.chosen_at_run_time:
        return None
    return ProcessCall(context.kind, context.start_method)


@dataclass(frozen=True)
class ProcessStart:
    """A ``Process(target=...)`` whose target spawn and forkserver pickle at ``start()``."""

    target: cst.Arg
    #: The method its context names (``get_context("fork").Process``); None: the default.
    start_method: str | None


def pickled_process_start(model: SemanticModel, call: cst.Call) -> ProcessStart | None:
    """``call`` as a ``Process(...)`` with a target that plain pickle sends under spawn
    and forkserver; None for other calls, dill's ``Process``, and contexts whose method
    is chosen at run time.
    """
    process = process_call(model, call)
    if process is None or process.kind is PoolKind.DILL:
        return None
    target = _process_target(call)
    return ProcessStart(target, process.start_method) if target is not None else None


def _process_target(call: cst.Call) -> cst.Arg | None:
    """The ``target`` argument: by keyword, or second positional (after ``group``)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "target":
            return arg
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[1] if len(positional) > 1 else None


def unpicklable_process_callable(value: Value) -> tuple[str, str] | None:
    """``unpicklable_callable`` for a callable a process is started with, except a nested
    function with decorators: what pickle then sees is the decorator's result (a
    ``@staticmethod`` one raises TypeError, not what the message would say)."""
    if isinstance(value, Function) and value.node.decorators:
        return None
    return unpicklable_callable(value)


@dataclass(frozen=True)
class StartFailure:
    """An object that starting a process under spawn or forkserver cannot pickle."""

    what: str
    error: str
    advice: str
    fails_with_dill: bool  # dill cannot pickle it either (measured: only generators)


_DEFINE_AT_MODULE_LEVEL = "define it with `def` at module level"
#: Special methods by which a class decides how its instances pickle.
_REDUCERS = frozenset({"__reduce__", "__reduce_ex__", "__getnewargs__", "__getnewargs_ex__"})


def fails_at_start(value: Value) -> StartFailure | None:
    """Why ``value``, given to a process as it starts (``initargs``, ``Process(args=...)``),
    makes the start fail under spawn and forkserver; None when it pickles there (as
    multiprocessing's own queues and locks do) or the checker cannot tell."""
    if isinstance(value, ObjectValue) and value.unshareable is not None:
        kind = value.unshareable
        if kind.start_advice is None:
            return None
        return StartFailure(kind.what, kind.error, kind.start_advice, kind is GENERATOR)
    if isinstance(value, LocalInstance) and _pickles_by_class(value.cls):
        what = f"an instance of the class `{value.cls.name.value}` defined in a function"
        advice = "define the class at module level"
        # "Can't pickle local object" ("Can't get local object" from Python 3.13)
        return StartFailure(what, "AttributeError", advice, False)
    found = unpicklable_process_callable(value)
    if found is not None:
        return StartFailure(found[0], found[1], _DEFINE_AT_MODULE_LEVEL, False)
    return None


def _pickles_by_class(cls: cst.ClassDef) -> bool:
    """Whether pickle must name the class itself: no bases (or ``object``), no metaclass
    or decorator, and no special method of its own that could pickle it otherwise."""
    bases = [arg.value for arg in cls.bases]
    plain = all(isinstance(base, cst.Name) and base.value == "object" for base in bases)
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    methods = {line.name.value for line in body if isinstance(line, cst.FunctionDef)}
    return plain and not cls.keywords and not cls.decorators and not methods & _REDUCERS
