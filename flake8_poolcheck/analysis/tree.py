"""Reading a LibCST tree quickly: the children of a node, in source order.

LibCST's own visitors rebuild every node on the way (about the cost of the parse);
reading the dataclass fields directly costs a small fraction of it. Punctuation and
whitespace fields are skipped: no rule looks at them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

#: Fields that hold only punctuation and whitespace.
_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators",
        "header", "footer", "newline", "trailing_whitespace", "dot", "lbracket", "rbracket",
        "lbrace", "rbrace", "equal", "colon", "first_colon", "second_colon", "asynchronous",
        "leading_whitespace", "relative", "posonly_ind", "trailing_comma", "star",
        "whitespace_before_colon", "operator",
    }
)  # fmt: skip

#: Node types whose fields are declared in another order than they appear in the source.
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.Arg: ("keyword", "value"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.AnnAssign: ("target", "annotation", "value"),
    cst.With: ("items", "body"),
}

_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_types(base: type) -> set[type]:
    found = {base}
    subclass: type
    for subclass in base.__subclasses__():
        found |= _node_types(subclass)
    return found


#: Every LibCST node class: ``type(x) in NODE_TYPES`` is much cheaper than an isinstance
#: check against LibCST's abstract base classes.
NODE_TYPES = frozenset(_node_types(cst.CSTNode))

#: Nodes that open a new scope: code inside them does not run where they stand.
SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
#: The same, for ``type(x) in SCOPE_TYPES`` (LibCST's node classes have no subclasses).
SCOPE_TYPES = frozenset(SCOPES)


def child_fields(node_type: type) -> tuple[str, ...]:
    """The names of the fields of ``node_type`` that hold child nodes, in source order."""
    names = _FIELDS.get(node_type)
    if names is None:
        names = _SOURCE_ORDER.get(node_type) or tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[node_type] = names
    return names


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in child_fields(type(node)):
        child = getattr(node, name)
        if type(child) in NODE_TYPES:
            yield child
        elif type(child) is tuple or type(child) is list:
            yield from (item for item in child if type(item) in NODE_TYPES)


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below ``node`` that runs with it, in source order: nested defs, lambdas
    and classes excluded. (A stack, not recursive generators: those cost a frame per level
    for every node yielded.)"""
    stack = _runs_with(node)
    while stack:
        child = stack.pop()
        yield child
        stack.extend(_runs_with(child))


def _runs_with(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The children of ``node`` that are not scopes, last first (ready to pop)."""
    found = [child for child in children(node) if type(child) not in SCOPE_TYPES]
    found.reverse()
    return found


def called_name(func: cst.BaseExpression) -> str | None:
    """The name a call is made by: ``f`` in ``f()`` and in ``a.b.f()``; None for others."""
    if type(func) is cst.Attribute:
        return func.attr.value
    return func.value if type(func) is cst.Name else None


def source(node: cst.CSTNode) -> str:
    """The code of a node, as written (for messages)."""
    return cst.Module(body=()).code_for_node(node)
