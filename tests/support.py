"""Reading fixtures: their ``# error:`` expectations and their ``proof(...)`` declarations."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from flake8_poolcheck.engine import Linter
from flake8_poolcheck.rules import all_rules
from flake8_poolcheck.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

#: ``# error: [col] [CODE] "substring"``, several per comment allowed.
_ERROR = re.compile(
    r'error:\s*(?:\[(?P<column>[0-9]+)\]\s*)?\[(?P<code>PCK[0-9]{3})\](?:\s*"(?P<text>[^"]*)")?'
)

_NOT_CODE = (
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.ENCODING,
)

ALL_CODES = Settings(select=tuple(rule.code for rule in all_rules()))


def everything_linter() -> Linter:
    """A linter with every rule on, opt-in ones included."""
    return Linter(ALL_CODES)


def fixture_settings(path: Path) -> Settings:
    """Default settings, plus the fixture's own rule when that one is opt-in."""
    own = tuple(
        rule.code for rule in all_rules() if rule.opt_in and path.name.startswith(rule.code)
    )
    return Settings(extend_select=own)


def fixture_paths() -> list[Path]:
    return sorted(
        path
        for path in FIXTURES.glob("*.py")
        if not path.name.startswith("_") and not path.name.endswith(".fixed.py")
    )


@dataclass(frozen=True)
class Expected:
    line: int
    code: str
    column: int | None
    text: str | None
    comment_line: int  # where the annotation is written


def expectations(source: str) -> list[Expected]:
    """The annotations of a fixture; an own-line comment applies to the next code line."""
    found: list[Expected] = []
    pending: list[tuple[int, re.Match[str]]] = []
    code_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            matches = list(_ERROR.finditer(token.string))
            own_line = token.line.strip().startswith("#")
            for match in matches:
                if own_line:
                    pending.append((token.start[0], match))
                else:
                    found.append(_expected(token.start[0], token.start[0], match))
        elif token.type not in _NOT_CODE and token.start[0] not in code_lines:
            code_lines.add(token.start[0])
            for comment_line, match in pending:
                found.append(_expected(token.start[0], comment_line, match))
            pending = []
    assert not pending, "an own-line # error: comment with no code line after it"
    return found


def _expected(line: int, comment_line: int, match: re.Match[str]) -> Expected:
    column = match.group("column")
    return Expected(
        line, match.group("code"), int(column) if column else None, match.group("text"),
        comment_line,
    )  # fmt: skip


def noqa_variant(source: str) -> str:
    """The fixture with every annotation turned into ``# noqa: CODE`` on the flagged line."""
    marks = expectations(source)
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines, start=1):
        if any(mark.comment_line == index for mark in marks):
            code_part = line.split("# error:")[0]
            lines[index - 1] = (code_part.rstrip() + "\n") if code_part.strip() else "\n"
    codes_by_line: dict[int, list[str]] = {}
    for mark in marks:
        codes_by_line.setdefault(_logical_line_end(source, mark.line), []).append(mark.code)
    for end, codes in codes_by_line.items():
        lines[end - 1] = lines[end - 1].rstrip("\n") + f"  # noqa: {','.join(codes)}\n"
    return "".join(lines)


def _logical_line_end(source: str, line: int) -> int:
    """The last line of the span flake8 searches for a noqa of ``line``.

    flake8 joins the physical lines of one token (a multi-line string), but not
    the lines of a bracketed call: its spans end at every NL or NEWLINE token.
    """
    first = None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if first is None:
            first = token.start[0]
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            if first <= line <= token.start[0]:
                return token.start[0]
            first = None
    return line


# -- runtime proofs -------------------------------------------------------------

PROCESS_KINDS = ("fork", "spawn", "forkserver")
EXECUTOR_KINDS = tuple(f"executor-{method}" for method in PROCESS_KINDS)
POOL_KINDS = (*PROCESS_KINDS, "thread", "dill", *EXECUTOR_KINDS, "thread-executor")
#: Words in ``pools=`` that stand for several kinds.
KIND_GROUPS = {"process": PROCESS_KINDS, "executor": EXECUTOR_KINDS}
#: What a case can be declared to do (see fixtures/_proof.py), and what may qualify it.
OUTCOMES = ("returns", "raises", "hangs", "exits")
QUALIFIERS = ("surfaces", "message", "stderr", "silent")
#: Why a hang is certain, as tests/runtime/launch.py (or the memory watch) proves it.
HANG_REASONS = ("worker-died", "terminated", "tasks-never-sent", "input-never-ends")
SURFACES = ("call", "get", "next", "result")


@dataclass(frozen=True)
class Proof:
    fixture: Path
    case: str | None  # None: the whole program is the case
    kind: str  # one of POOL_KINDS
    expectation: dict[str, object]
    flagged: frozenset[str]  # the codes annotated on the lines of the case

    @property
    def id(self) -> str:
        return f"{self.fixture.stem}::{self.case or '<program>'}[{self.kind}]"


def proofs(path: Path) -> list[Proof]:
    """The runtime cases a fixture declares with ``proof(...)``."""
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # a fixture Python cannot compile has nothing to run
    marks = expectations(source)
    found: list[Proof] = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and _is_proof(node.value):
            assert isinstance(node.value, ast.Call)
            found += _declared(path, None, node.value, frozenset(m.code for m in marks))
        if isinstance(node, ast.FunctionDef):
            lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            codes = frozenset(mark.code for mark in marks if mark.line in lines)
            for decorator in node.decorator_list:
                if _is_proof(decorator):
                    assert isinstance(decorator, ast.Call)
                    found += _declared(path, node.name, decorator, codes)
    return found


def _is_proof(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "proof"
    )


def _declared(
    path: Path, case: str | None, call: ast.Call, flagged: frozenset[str]
) -> list[Proof]:
    expectation = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    where = f"{path.name}:{call.lineno}"
    words = str(expectation.pop("pools", "")).split()
    kinds = [kind for word in words for kind in KIND_GROUPS.get(word, (word,))]
    if not kinds or not set(kinds) <= set(POOL_KINDS):
        raise ValueError(f"{where}: pools= must name some of {POOL_KINDS}, not {kinds}")
    fixed = expectation.pop("fixed", None)
    validate_outcome(expectation, where)
    if fixed is not None:
        if not isinstance(fixed, dict):
            raise ValueError(f"{where}: fixed= is an outcome too, e.g. {{'returns': 9}}")
        validate_outcome(fixed, f"{where} (fixed=)")
        expectation["fixed"] = fixed
    return [Proof(path, case, kind, expectation, flagged) for kind in kinds]


def validate_outcome(expectation: dict[str, object], where: str) -> None:
    """One outcome, known qualifiers, known values: a misspelt word is an error, never
    a proof that silently asks less."""
    unknown = set(expectation) - {*OUTCOMES, *QUALIFIERS}
    if unknown:
        raise ValueError(f"{where}: unknown proof keywords {sorted(unknown)}")
    outcomes = [key for key in OUTCOMES if key in expectation]
    if len(outcomes) != 1:
        raise ValueError(f"{where}: declare exactly one of {OUTCOMES}, not {outcomes}")
    if "hangs" in expectation and expectation["hangs"] not in HANG_REASONS:
        raise ValueError(f"{where}: hangs= says why, one of {HANG_REASONS}")
    if expectation.get("surfaces", "call") not in SURFACES:
        raise ValueError(f"{where}: surfaces= is one of {SURFACES}")
    if ("surfaces" in expectation or "message" in expectation) and "raises" not in expectation:
        raise ValueError(f"{where}: surfaces= and message= qualify raises=")
