"""Facts about module-level functions: what each one's own body does, and whether it
is a generator and what it walks."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from flake8_poolcheck.analysis.pools import Pool
from flake8_poolcheck.analysis.scopes import names_bound_by
from flake8_poolcheck.analysis.tree import descendants
from flake8_poolcheck.analysis.values import Value


@dataclass
class FunctionFacts:
    """What a module-level function's own body does (nested defs not included)."""

    pools: list[Pool] = field(default_factory=list)  # pools it creates
    processes: list[cst.Call] = field(default_factory=list)  # Process(...) it creates
    exits: list[str] = field(default_factory=list)  # sys.exit() and the like it calls
    calls: set[str] = field(default_factory=set)  # module functions it calls
    returns: list[Value] = field(default_factory=list)  # pools its returns make, else UNKNOWN


def is_generator(function: cst.FunctionDef) -> bool:
    """Whether the function's own body yields (a nested def's ``yield`` does not count)."""
    return any(type(node) is cst.Yield for node in descendants(function.body))


def walked_sources(function: cst.FunctionDef) -> list[cst.BaseExpression] | None:
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
