"""How results are written: the output formats, diffs, statistics and the summary line."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from flake8_poolcheck import __version__
from flake8_poolcheck.diagnostics import Applicability, Diagnostic, FileReport

DOCS_PATH = "docs/rules/{code}.md"  # the rule pages shipped in this repository
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Options:
    """What the writers need to know beyond the reports."""

    unsafe_fixes: bool
    fixing: bool  # --fix or --diff


def is_shown_fixable(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    fix = diagnostic.fix
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (
        unsafe_fixes and fix.applicability is Applicability.UNSAFE
    )


def _concise_line(path: str, d: Diagnostic, options: Options) -> str:
    marker = " [*]" if is_shown_fixable(d, options.unsafe_fixes) else ""
    return f"{path}:{d.line}:{d.column}: {d.code}{marker} {d.message}\n"


def write_concise(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    for report in reports:
        for d in report.diagnostics:
            out.write(_concise_line(report.path, d, options))
    _write_summary(reports, out, options)


def _write_summary(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    text = summary(reports, options)
    if text:
        out.write(text + "\n")


def write_full(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    """Each diagnostic with its source line, a caret under it, and its fix as a diff."""
    for report in reports:
        for d in report.diagnostics:
            out.write(_concise_line(report.path, d, options))
            text = report.lines[d.line - 1].rstrip("\r\n") if d.line <= len(report.lines) else ""
            width = len(str(d.line))
            end = d.end_column if d.end_line == d.line else len(text) + 1
            carets = "^" * max(1, end - d.column)
            out.write(f"{' ' * width} |\n{d.line} | {text}\n{' ' * width} | ")
            out.write(f"{' ' * (d.column - 1)}{carets}\n")
            if d.fix is not None:
                out.write(f"{' ' * width} = help: {d.fix.title} ({d.fix.applicability.value})\n")
                for edit in d.fix.text_edits:
                    for line in report.lines[edit.row - 1 : edit.end_row - 1]:
                        out.write(f"  - {line.rstrip(chr(13) + chr(10))}\n")
                    for line in edit.content.splitlines():
                        out.write(f"  + {line}\n")
            out.write("\n")
    _write_summary(reports, out, options)


def write_json(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    items = [_json_item(report.path, d) for report in reports for d in report.diagnostics]
    json.dump(items, out, indent=2)
    out.write("\n")


def _json_item(path: str, d: Diagnostic) -> dict[str, Any]:
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "message": d.fix.title,
            "edits": [
                {
                    "content": edit.content,
                    "location": {"row": edit.row, "column": 1},
                    "end_location": {"row": edit.end_row, "column": 1},
                }
                for edit in d.fix.text_edits
            ],
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


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def write_github(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    """GitHub Actions workflow commands: one ``::error`` annotation per diagnostic."""
    for report in reports:
        path = _github_escape(report.path, property_value=True)
        for d in report.diagnostics:
            title = _github_escape(f"poolcheck ({d.code})", property_value=True)
            out.write(
                f"::error title={title},file={path},line={d.line},col={d.column},"
                f"endLine={d.end_line},endColumn={d.end_column}::"
                f"{_github_escape(f'{d.code} {d.message}')}\n"
            )


def write_sarif(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    """One SARIF 2.1.0 log with the rule metadata and every result."""
    from flake8_poolcheck.docs import rule_page, sections  # the rules need LibCST
    from flake8_poolcheck.rules import all_rules

    rules = list(all_rules())
    index = {rule.code: position for position, rule in enumerate(rules)}
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(report.path)},
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": d.end_column,
                        },
                    }
                }
            ],
        }
        for report in reports
        for d in report.diagnostics
    ]
    driver = {
        "name": "poolcheck",
        "version": __version__,
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": sections(rule)["What it does"].split("\n\n")[0]},
                "fullDescription": {"text": sections(rule)["Why is this bad?"]},
                "help": {"text": rule.summary, "markdown": rule_page(rule)},
                "defaultConfiguration": {"enabled": not rule.opt_in, "level": "error"},
                "properties": {"kinds": sorted(kind.value for kind in rule.kinds)},
            }
            for rule in rules
        ],
    }
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    json.dump(log, out, indent=2)
    out.write("\n")


def _uri(path: str) -> str:
    candidate = Path(path)
    return candidate.as_uri() if candidate.is_absolute() else candidate.as_posix()


WRITERS: dict[str, Callable[[Sequence[FileReport], TextIO, Options], None]] = {
    "concise": write_concise,
    "full": write_full,
    "json": write_json,
    "github": write_github,
    "sarif": write_sarif,
}


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))


def _plural(count: int, word: str, words: str | None = None) -> str:
    """``1 error``, ``2 errors``; ``words`` is the plural when it is not ``word`` + s."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def summary(reports: Sequence[FileReport], options: Options) -> str:
    """The closing lines; none when nothing was found but some file could not be checked."""
    remaining = sum(len(report.diagnostics) for report in reports)
    fixed = sum(sum(report.fixed.values()) for report in reports)
    if remaining + fixed == 0:
        return "" if any(report.error for report in reports) else "All checks passed!"
    found = _plural(remaining + fixed, "error")
    lines = [f"Found {found} ({fixed} fixed, {remaining} remaining)."]
    diagnostics = [d for report in reports for d in report.diagnostics]
    fixable = sum(is_shown_fixable(d, options.unsafe_fixes) for d in diagnostics)
    hidden = sum(
        d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in diagnostics
    )
    if fixable and not options.fixing:
        lines.append(f"[*] {fixable} fixable with the `--fix` option.")
    if hidden and not options.unsafe_fixes:
        fixes = _plural(hidden, "hidden fix", "hidden fixes")
        lines.append(f"({fixes} can be enabled with the `--unsafe-fixes` option.)")
    return "\n".join(lines)


def statistics(reports: Sequence[FileReport], options: Options) -> str:
    """One line per code: how often it was found, whether it can be fixed, its name."""
    by_code: dict[str, list[Diagnostic]] = {}
    for report in reports:
        for d in report.diagnostics:
            by_code.setdefault(d.code, []).append(d)
    lines = []
    for code, found in sorted(by_code.items(), key=lambda item: (-len(item[1]), item[0])):
        fixable = "[*]" if any(is_shown_fixable(d, options.unsafe_fixes) for d in found) else "   "
        lines.append(f"{len(found):>5}\t{code}\t{fixable} {found[0].name}")
    return "\n".join(lines)


def fixes_applied(reports: Sequence[FileReport]) -> str:
    """What --fix changed, per file and code (``--show-fixes``)."""
    lines = []
    for report in reports:
        if report.fixed:
            lines.append(f"{report.path}:")
            for code, count in sorted(report.fixed.items()):
                lines.append(f"    {count} x {code} ({report.names[code]})")
    total = sum(sum(report.fixed.values()) for report in reports)
    return "\n".join([f"Fixed {_plural(total, 'error')}:", *lines]) if total else ""
