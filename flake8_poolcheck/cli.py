"""The ``poolcheck`` command: check and fix files, print what remains."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from flake8_poolcheck import __version__
from flake8_poolcheck.config import find_pyproject, load_config
from flake8_poolcheck.diagnostics import FileReport
from flake8_poolcheck.files import skip_reason
from flake8_poolcheck.interrupts import interrupts_unwind
from flake8_poolcheck.output import WRITERS, Options, fixes_applied, statistics
from flake8_poolcheck.runner import Job, check_files
from flake8_poolcheck.settings import (
    Settings,
    SettingsError,
    build_settings,
    path_matches,
    rule_codes,
)

#: Directories never worth walking into unless named on the command line.
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules", "site-packages", "build",
    "dist", "*.egg-info",
)  # fmt: skip
PYTHON_SUFFIXES = (".py", ".pyi")

EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="poolcheck", description="Find (and fix) misuse of multiprocessing.Pool."
    )
    parser.add_argument("paths", nargs="*", help="files or directories; '-' reads stdin")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument("--unsafe-fixes", action="store_true", default=None)
    parser.add_argument("--diff", action="store_true", help="print fixes as diffs, write nothing")
    for option in ("select", "extend-select", "ignore", "extend-ignore"):
        parser.add_argument(f"--{option}", metavar="CODES", help="comma-separated code prefixes")
    parser.add_argument(
        "--per-file-ignores", metavar="PATTERN:CODES", help="e.g. 'tests/*:PCK401,PCK403'"
    )
    parser.add_argument(
        "--start-methods",
        metavar="METHODS",
        help="the start methods used where the code does not say, e.g. 'fork'",
    )
    parser.add_argument("--exclude", metavar="PATTERNS", help="replaces the default excludes")
    parser.add_argument("--extend-exclude", metavar="PATTERNS")
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to paths named on the command line too",
    )
    parser.add_argument("--stdin-filename", metavar="PATH", help="the name of the file on stdin")
    parser.add_argument("--output-format", choices=tuple(WRITERS), default=None)
    parser.add_argument("--output-file", metavar="PATH", help="write the report to this file")
    parser.add_argument("--statistics", action="store_true", help="count diagnostics per code")
    parser.add_argument("--show-fixes", action="store_true", help="list the fixes applied")
    parser.add_argument("--exit-zero", action="store_true")
    parser.add_argument(
        "--exit-non-zero-on-fix", action="store_true", help="exit 1 when anything was fixed"
    )
    parser.add_argument("--disable-noqa", action="store_true")
    parser.add_argument(
        "--jobs", "-j", type=int, metavar="N", help="worker processes (default: CPU count)"
    )
    parser.add_argument("--config", metavar="PATH", help="read settings from this pyproject.toml")
    parser.add_argument("--isolated", action="store_true", help="ignore configuration files")
    parser.add_argument("--explain", metavar="CODE", help="show a rule's documentation")
    parser.add_argument("--list-rules", action="store_true")
    parser.add_argument("--version", action="version", version=f"poolcheck {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with interrupts_unwind():  # a fix being written is cleaned up, not cut off
            return _main(argv)
    except BrokenPipeError:  # the reader went away (`poolcheck | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("poolcheck: interrupted; every file is either unchanged or fixed", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.explain:
        return _explain(args.explain)
    if args.list_rules:
        from flake8_poolcheck.rules import all_rules

        for rule in all_rules():
            fix = "" if rule.fixes is None else " (fixable)"
            opt_in = " [opt-in]" if rule.opt_in else ""
            print(f"{rule.code}  {rule.name}{fix}{opt_in}: {rule.summary}")
        return EXIT_CLEAN
    paths = args.paths or (["-"] if args.stdin_filename else ["."])
    if args.stdin_filename and paths != ["-"]:
        others = ", ".join(path for path in paths if path != "-")
        parser.error(f"--stdin-filename checks stdin, so no path may be given with it ({others})")
    try:
        values = _option_values(args)
        settings = build_settings(values, rule_codes())
    except SettingsError as error:
        print(f"poolcheck: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    excludes = [
        *_list(values.get("exclude"), DEFAULT_EXCLUDE),
        *_list(values.get("extend-exclude")),
    ]
    output_format = str(values.get("output-format") or "concise")
    if output_format not in WRITERS:
        print(f"poolcheck: error: output-format: {output_format!r} is not one of "
              f"{', '.join(WRITERS)}", file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    job = Job(
        settings=settings,
        fix=args.fix,
        diff=args.diff,
        respect_noqa=not args.disable_noqa,
        text_edits=output_format in ("full", "json"),
        stdin_filename=args.stdin_filename,
    )
    files, skipped = _files(paths, excludes, force_exclude=args.force_exclude)
    # With --fix on stdin the fixed code owns stdout; everything else goes to stderr.
    out: TextIO = sys.stderr if args.fix and not args.diff and "-" in paths else sys.stdout
    with contextlib.ExitStack() as stack:
        if args.output_file:
            try:  # before any file is fixed
                out = stack.enter_context(open(args.output_file, "w", encoding="utf-8"))
            except OSError as error:
                print(f"poolcheck: error: {args.output_file}: cannot write the report: "
                      f"{error.strerror or error}", file=sys.stderr)  # fmt: skip
                return EXIT_ERROR
        reports = check_files(files, job, args.jobs or os.cpu_count() or 1)
        _write_report(reports, args, settings, output_format, out)
    return _finish(reports, skipped, args)


def _explain(code: str) -> int:
    from flake8_poolcheck.rules import rule_by_code

    rule = rule_by_code(code)
    if rule is None:
        print(f"poolcheck: error: no rule {code!r}", file=sys.stderr)
        return EXIT_ERROR
    from flake8_poolcheck.docs import rule_page

    sys.stdout.write(rule_page(rule))
    return EXIT_CLEAN


def _option_values(args: argparse.Namespace) -> dict[str, object]:
    """Config-file values overridden by the command line, keyed by config names."""
    values: dict[str, object] = {}
    if not args.isolated:
        config = Path(args.config) if args.config else find_pyproject(Path.cwd())
        if config is not None:
            values.update(load_config(config))
    for option in (
        "select",
        "extend-select",
        "ignore",
        "extend-ignore",
        "exclude",
        "extend-exclude",
        "start-methods",
    ):
        given = getattr(args, option.replace("-", "_"))
        if given is not None:
            values[option] = _split(given)
    if args.per_file_ignores is not None:
        values["per-file-ignores"] = _per_file_ignores(args.per_file_ignores)
    if args.unsafe_fixes is not None:
        values["unsafe-fixes"] = args.unsafe_fixes
    if args.output_format is not None:
        values["output-format"] = args.output_format
    return values


def _per_file_ignores(text: str) -> dict[str, list[str]]:
    """flake8's form, ``"tests/*:PCK401,PCK403 scripts/*.py:PCK4"``, as a table."""
    table: dict[str, list[str]] = {}
    for item in text.split():
        pattern, separator, codes = item.rpartition(":")
        if not separator or not pattern:
            raise SettingsError(f"per-file-ignores: {item!r} is not PATTERN:CODES")
        table.setdefault(pattern, []).extend(_split(codes))
    return table


def _split(text: str) -> list[str]:
    """The items of a comma-separated list, empty ones kept: an empty code is refused (an
    empty pattern matches nothing)."""
    return [item.strip() for item in text.split(",")]


def _list(value: object, default: Sequence[str] = ()) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else list(default)


def _files(
    paths: Sequence[str], excludes: Sequence[str], *, force_exclude: bool
) -> tuple[list[str], list[tuple[str, str]]]:
    """The files to check, and the files found in directories that are skipped, with why.

    A path named on the command line is always read, to report what is wrong with it.
    """
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if path == "-":
            files.append(path)
        elif os.path.isdir(path):
            if force_exclude and _excluded_anywhere(path, excludes):
                continue
            for found in _walk(path, excludes):
                reason = skip_reason(found)
                if reason is None:
                    files.append(found)
                else:
                    skipped.append((found, reason))
        elif not (force_exclude and _excluded_anywhere(path, excludes)):
            files.append(path)
    return files, skipped


def _walk(directory: str, excludes: Sequence[str]) -> Iterator[str]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not _excluded(os.path.join(root, d), excludes))
        for name in sorted(files):
            path = os.path.normpath(os.path.join(root, name))
            if name.endswith(PYTHON_SUFFIXES) and not _excluded(path, excludes):
                yield path


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    return any(path_matches(path, pattern) for pattern in patterns)


def _excluded_anywhere(path: str, patterns: Sequence[str]) -> bool:
    """Whether ``path`` or any folder it names matches an exclude pattern."""
    parts = Path(os.path.normpath(path)).parts
    return any(_excluded(os.path.join(*parts[: i + 1]), patterns) for i in range(len(parts)))


def _write_report(
    reports: list[FileReport],
    args: argparse.Namespace,
    settings: Settings,
    output_format: str,
    out: TextIO,
) -> None:
    options = Options(unsafe_fixes=settings.unsafe_fixes, fixing=bool(args.fix or args.diff))
    for report in reports:
        out.write(report.diff)
    WRITERS[output_format](reports, out, options)
    if args.statistics:
        out.write(statistics(reports, options) + "\n")
    listing = fixes_applied(reports) if args.show_fixes else ""
    if listing:
        out.write(listing + "\n")


def _finish(
    reports: list[FileReport], skipped: list[tuple[str, str]], args: argparse.Namespace
) -> int:
    """Say which files were skipped and which failed; the exit status."""
    for path, reason in skipped:
        print(f"poolcheck: warning: {path}: skipped: {reason}", file=sys.stderr)
    errors = [report for report in reports if report.error]
    for report in errors:
        print(f"poolcheck: error: {report.path}: {report.error}", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    remaining = any(report.diagnostics for report in reports)
    changed = args.diff and any(report.diff for report in reports)
    fixed = args.exit_non_zero_on_fix and any(report.fixed for report in reports)
    if (remaining or changed or fixed) and not args.exit_zero:
        return EXIT_FOUND
    return EXIT_CLEAN
