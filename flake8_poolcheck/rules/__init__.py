"""The rules: one module per rule, named ``pck<code>_<slug>.py``, found without a list.

A rule is a read-only visitor. It declares ``visit_<Node>``/``leave_<Node>`` methods
for the LibCST node types it cares about, asks ``self.model`` what names mean, and
calls ``self.report(node, ...)``. It never edits the tree: a fix is data (nodes and
their replacements) that the engine applies later.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from flake8_poolcheck.model import Fix, FixAvailability
from flake8_poolcheck.pools import PoolKind
from flake8_poolcheck.semantic import FunctionFacts, SemanticModel
from flake8_poolcheck.tasks import ModuleTask, module_task

_MODULE_NAME = re.compile(r"^pck[0-9]{3}_[a-z0-9_]+$")


@dataclass(frozen=True)
class Report:
    """A rule's finding before the engine has positioned it."""

    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: Fix | None


class Rule:
    """Base class of every rule.

    Subclasses set the class attributes below and carry a ruff-style docstring
    (What it does / Why is this bad? / Example / Use instead / Fix safety /
    References); the docs and ``poolcheck --explain`` are generated from it.
    """

    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, names the problem
    message: ClassVar[str]  # a str.format template filled from report()'s fields
    kinds: ClassVar[frozenset[PoolKind]]  # the pools the rule applies to
    fix_title: ClassVar[str | None] = None
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NEVER
    opt_in: ClassVar[bool] = False  # off unless selected by a prefix longer than PCK

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        self.model = model
        self._sink = sink

    def report(self, node: cst.CSTNode, *, fix: Fix | None = None, **fields: Any) -> None:
        self._sink(Report(type(self), node, self.message.format(**fields), fix))


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

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        super().__init__(model, sink)
        self._tasks: list[ModuleTask] = []

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
