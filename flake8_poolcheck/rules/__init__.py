"""The rules: one module per rule, named ``pck<code>_<slug>.py``, found without a list.

A rule is a read-only visitor. It declares ``visit_<Node>``/``leave_<Node>`` methods
for the LibCST node types it cares about, asks ``self.model`` what names mean, and
calls ``self.report(node, message)``. It never edits the tree: a fix is data (nodes and
their replacements) that the engine applies later.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar, cast

import libcst as cst

from flake8_poolcheck.analysis.functions import FunctionFacts
from flake8_poolcheck.analysis.pools import Pool, PoolCall, PoolKind
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.tasks import ModuleTask, module_task
from flake8_poolcheck.analysis.values import ResultValue
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability

if TYPE_CHECKING:
    from flake8_poolcheck.diagnostics import Edits

_MODULE_NAME = re.compile(r"^pck[0-9]{3}_[a-z0-9_]+$")


@dataclass(frozen=True)
class Report:
    """A rule's finding before the engine has positioned it."""

    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: Fix | None


@dataclass(frozen=True)
class Fixes:
    """Whether, and how, a rule's findings come with a fix."""

    title: str  # what the fix does, for the docs and for fixes whose title does not vary
    availability: FixAvailability  # ALWAYS or SOMETIMES


T = TypeVar("T")


class _PerFile(Generic[T]):
    """A rule attribute made fresh, by ``factory``, for each file (each rule instance)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, rule: object | None, owner: type) -> T:
        if rule is None:
            return cast(T, self)
        value = self._factory()
        vars(rule)[self._name] = value  # from now on the instance's own value is found first
        return value


def per_file(factory: Callable[[], T]) -> T:
    """Declare per-file rule state as a class attribute: ``_seen: set[str] = per_file(set)``."""
    return cast(T, _PerFile(factory))


class Rule:
    """Base class of every rule.

    Subclasses set the class attributes below and carry a ruff-style docstring
    (What it does / Why is this bad? / Example / Use instead / Fix safety /
    References); the docs and ``poolcheck --explain`` are generated from it. A rule
    gets a fresh instance for each file: state declared with ``per_file`` starts
    empty every time.
    """

    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, names the problem
    summary: ClassVar[str]  # what goes wrong, in one sentence: the rule's help text
    kinds: ClassVar[frozenset[PoolKind]]  # the pools the rule applies to
    fixes: ClassVar[Fixes | None] = None
    opt_in: ClassVar[bool] = False  # off unless selected by a prefix longer than PCK

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        self.model = model
        self._sink = sink

    def report(self, node: cst.CSTNode, message: str, *, fix: Fix | None = None) -> None:
        self._sink(Report(type(self), node, message, fix))

    def fix(self, applicability: Applicability, edits: Edits, *, title: str | None = None) -> Fix:
        """A fix of this rule: ``title`` when this fix says more than the rule's own title."""
        assert self.fixes is not None, f"{self.code} declares no fixes"
        return Fix(title or self.fixes.title, applicability, edits)

    def pool_call(self, node: cst.Call) -> PoolCall | None:
        """The call as a call of a pool method, if it is one on a pool this rule applies to."""
        pool_call = self.model.pool_call(node)
        if pool_call is None or pool_call.pool.kind not in self.kinds:
            return None
        return pool_call

    def pool_of(self, expr: cst.BaseExpression) -> Pool | None:
        """The pool ``expr`` is, if it is one this rule applies to."""
        pool = self.model.pool_of(expr)
        return pool if pool is not None and pool.kind in self.kinds else None

    def result_of(self, expr: cst.BaseExpression) -> PoolCall | None:
        """The pool call whose result ``expr`` is (an AsyncResult, an iterator, a future),
        on a pool this rule applies to."""
        value = self.model.value_of(expr)
        if isinstance(value, ResultValue) and value.pool_call.pool.kind in self.kinds:
            return value.pool_call
        return None

    @classmethod
    def unparsable(cls, reason: str) -> str | None:
        """The message for a file that cannot be parsed (None: the rule has nothing to say)."""
        return None


class PerFunctionRule(Rule, Generic[T]):
    """A rule that gathers facts for each module or function body and judges them when
    the body ends, while ``self.model.scope`` still describes it."""

    _frames: list[T] = per_file(list)

    def new_frame(self) -> T:
        """The empty facts of a body about to be walked."""
        raise NotImplementedError

    def close_frame(self, frame: T) -> None:
        """Judge the facts of a body that has just been walked."""
        raise NotImplementedError

    @property
    def frame(self) -> T:
        """The facts of the innermost body being walked."""
        return self._frames[-1]

    @property
    def frames(self) -> Sequence[T]:
        """The facts of every body being walked, the innermost last."""
        return self._frames

    def visit_Module(self, node: cst.Module) -> None:
        self._frames.append(self.new_frame())

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(self.new_frame())

    def leave_Module(self, node: cst.Module) -> None:
        self.close_frame(self._frames.pop())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.close_frame(self._frames.pop())


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class in this package, ordered by code."""
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(__path__):
        if not _MODULE_NAME.match(module_info.name):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        rules = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value is not Rule
            and value.__module__ == module.__name__
        ]
        if len(rules) != 1 or not module_info.name.startswith(rules[0].code.lower()):
            raise RuntimeError(f"{module.__name__} must define exactly the rule its name gives")
        found.append(rules[0])
    return tuple(sorted(found, key=lambda rule: rule.code))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.code == code.upper()), None)


class TaskBodyRule(Rule):
    """A rule about what a task function's body does: its calls are collected during the
    walk and judged at the end, when every module function is known (also those defined
    after the pool call), one call deep into the module functions the task calls."""

    _tasks: list[ModuleTask] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        task = module_task(self.model, node, self.kinds)
        if task is not None:
            self._tasks.append(task)

    def leave_Module(self, node: cst.Module) -> None:
        for task in self._tasks:
            found = self.model.reaches(task.function.name.value, self.body_does, depth=1)
            if found is not None:
                self.report_task(task, found, self.model.functions[found])

    def body_does(self, facts: FunctionFacts) -> bool:
        """Whether a function whose own body has ``facts`` is what the rule looks for."""
        raise NotImplementedError

    def report_task(self, task: ModuleTask, found: str, facts: FunctionFacts) -> None:
        """Report ``task``, whose function ``found`` (itself, or one it calls) has ``facts``."""
        raise NotImplementedError
