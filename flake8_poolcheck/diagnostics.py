"""The data every front end shares: diagnostics, the fixes they carry, and what
happened to each file."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:  # the front ends import this module before they know they need LibCST
    import libcst as cst

    #: What a fix puts in place of a node: one node, or several statements (none: removal).
    Replacement = Union[cst.CSTNode, cst.FlattenSentinel[cst.CSTNode]]
    #: A fix's changes: nodes of the parsed module and what replaces each.
    Edits = tuple[tuple[cst.CSTNode, Replacement], ...]


class Applicability(enum.Enum):
    """How far a fix may be trusted."""

    SAFE = "safe"  # keeps the behaviour of every execution that worked
    UNSAFE = "unsafe"  # may change a working execution: only with --unsafe-fixes


class FixAvailability(enum.Enum):
    """Whether every diagnostic of a fixing rule comes with a fix, or only some."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"


@dataclass(frozen=True)
class TextEdit:
    """Whole lines ``row`` to ``end_row - 1`` (1-based) replaced by ``content``."""

    row: int
    end_row: int
    content: str


@dataclass(frozen=True)
class Fix:
    """A fix as data: nodes of the parsed module and what replaces each.

    ``text_edits`` says the same in lines of text; the engine fills it in on request
    (for output formats that show fixes).
    """

    title: str
    applicability: Applicability
    edits: Edits
    text_edits: tuple[TextEdit, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """One finding, positioned in the text the user sees (1-based rows and columns)."""

    code: str
    name: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Fix | None = None


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)  # fixes applied, by code
    error: str | None = None
    diff: str = ""
    lines: list[str] = field(default_factory=list)  # the text checked, for `full`
    names: dict[str, str] = field(default_factory=dict)  # the names of the codes fixed
