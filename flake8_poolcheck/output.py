"""How results are written: concise lines, JSON, diffs and the summary line."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import libcst as cst

from flake8_poolcheck.model import Applicability, Diagnostic

DOCS_PATH = "docs/rules/{code}.md"  # the rule pages shipped in this repository


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0
    error: str | None = None
    diff: str = ""


def is_shown_fixable(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    fix = diagnostic.fix
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (
        unsafe_fixes and fix.applicability is Applicability.UNSAFE
    )


def write_concise(reports: Sequence[FileReport], out: TextIO, *, unsafe_fixes: bool) -> None:
    for report in reports:
        for d in report.diagnostics:
            marker = " [*]" if is_shown_fixable(d, unsafe_fixes) else ""
            out.write(f"{report.path}:{d.line}:{d.column}: {d.code}{marker} {d.message}\n")


def write_json(reports: Sequence[FileReport], out: TextIO) -> None:
    items = [_json_item(report.path, d) for report in reports for d in report.diagnostics]
    json.dump(items, out, indent=2)
    out.write("\n")


def _json_item(path: str, d: Diagnostic) -> dict[str, Any]:
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "message": d.fix.title,
            "edits": [{"content": _code(new), "original": _code(old)} for old, new in d.fix.edits],
        }
    return {
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "filename": path,
        "location": {"row": d.line, "column": d.column},
        "end_location": {"row": d.end_line, "column": d.end_column},
        "fix": fix,
        "noqa_row": d.line,
        "url": DOCS_PATH.format(code=d.code),
    }


def _code(node: cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]) -> str:
    nodes = node.nodes if isinstance(node, cst.FlattenSentinel) else [node]
    empty = cst.Module(body=())
    return "".join(empty.code_for_node(item) for item in nodes)


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))


def summary(reports: Sequence[FileReport], *, unsafe_fixes: bool, fixing: bool) -> str:
    remaining = sum(len(report.diagnostics) for report in reports)
    fixed = sum(report.fixed for report in reports)
    if remaining + fixed == 0:
        return "All checks passed!"
    lines = [f"Found {remaining + fixed} errors ({fixed} fixed, {remaining} remaining)."]
    diagnostics = [d for report in reports for d in report.diagnostics]
    fixable = sum(is_shown_fixable(d, unsafe_fixes) for d in diagnostics)
    hidden = sum(
        d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in diagnostics
    )
    if fixable and not fixing:
        lines.append(f"[*] {fixable} fixable with the `--fix` option.")
    if hidden and not unsafe_fixes:
        fixes = "fix" if hidden == 1 else "fixes"
        lines.append(f"({hidden} hidden {fixes} can be enabled with the `--unsafe-fixes` option.)")
    return "\n".join(lines)
