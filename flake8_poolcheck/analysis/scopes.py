"""Scopes, and how a name stands in the code: read, bound, or guarded by
``if __name__ == "__main__":``."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from flake8_poolcheck.analysis.values import Value, string_literal


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
