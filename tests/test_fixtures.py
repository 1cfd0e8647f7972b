"""Each fixture's ``# error:`` annotations against what the checker reports, in four variants."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from support import (
    FIXTURES,
    ROOT,
    Expected,
    expectations,
    fixture_paths,
    fixture_settings,
    noqa_variant,
)

from flake8_poolcheck.diagnostics import Diagnostic
from flake8_poolcheck.engine import Linter

PATHS = fixture_paths()
IDS = [path.stem for path in PATHS]
#: flake8 reports a file Python cannot compile as E999 and runs no plugin on it.
NOT_FOR_FLAKE8 = {"PCK000_unparsable_file"}
FLAKE8_PATHS = [path for path in PATHS if path.stem not in NOT_FOR_FLAKE8]


def compare(expected: list[Expected], found: list[Diagnostic]) -> list[str]:
    """Every missing and every unexpected diagnostic, one line each."""
    problems = []
    unmatched = list(found)
    for mark in expected:
        match = next(
            (
                d
                for d in unmatched
                if d.line == mark.line
                and d.code == mark.code
                and (mark.column is None or d.column == mark.column)
                and (mark.text is None or mark.text in d.message)
            ),
            None,
        )
        if match is None:
            near = [f"{d.code}@{d.column}: {d.message}" for d in found if d.line == mark.line]
            problems.append(
                f"line {mark.line}: missing {mark.code} {mark.text or ''} (got {near})"
            )
        else:
            unmatched.remove(match)
    problems += [f"line {d.line}:{d.column}: unexpected {d.code} {d.message}" for d in unmatched]
    return problems


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_plain(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    problems = compare(expectations(source), Linter(fixture_settings(path)).check(source))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_noqa_suppresses_everything(path: Path) -> None:
    variant = noqa_variant(path.read_text(encoding="utf-8"))
    linter = Linter(fixture_settings(path))
    assert linter.check(variant) == []
    assert linter.fix(variant.encode()).source == variant.encode()


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_fix_matches_golden(path: Path, update_golden: bool) -> None:
    golden = path.with_suffix(".fixed.py")
    unsafe = Linter(dataclasses.replace(fixture_settings(path), unsafe_fixes=True))
    result = unsafe.fix(path.read_bytes())
    if update_golden and result.source != path.read_bytes():
        golden.write_bytes(result.source)
    if not golden.exists():
        assert result.source == path.read_bytes(), f"fixes applied but no {golden.name}"
        return
    assert result.error is None
    assert result.source == golden.read_bytes()
    compile(result.source, str(golden), "exec")
    assert not [d for d in unsafe.check(result.source) if d.fix is not None]
    assert unsafe.fix(result.source).source == result.source


@pytest.fixture(scope="module")
def flake8_results() -> dict[str, set[tuple[int, int, str]]]:
    """flake8 over the fixtures, through the installed plugin: one run per selection."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in FLAKE8_PATHS:
        groups[fixture_settings(path).extend_select].append(str(path))
    found: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    for extra, paths in groups.items():
        completed = subprocess.run(
            [sys.executable, "-m", "flake8", "--isolated", f"--select={','.join(('PCK', *extra))}",
             "--format=%(path)s|%(row)d|%(col)d|%(code)s", *paths],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        assert completed.returncode in (0, 1), completed.stderr
        for line in completed.stdout.splitlines():
            path, row, col, code = line.rsplit("|", 3)
            found[Path(path).stem].add((int(row), int(col), code))
    return found


@pytest.mark.parametrize("path", FLAKE8_PATHS, ids=[p.stem for p in FLAKE8_PATHS])
def test_flake8_reports_the_same(
    path: Path, flake8_results: dict[str, set[tuple[int, int, str]]]
) -> None:
    source = path.read_text(encoding="utf-8")
    ours = {(d.line, d.column, d.code) for d in Linter(fixture_settings(path)).check(source)}
    assert flake8_results.get(path.stem, set()) == ours


def test_every_fixture_is_named_after_a_rule() -> None:
    codes = {re.match(r"PCK[0-9]{3}", path.stem) for path in PATHS}
    assert None not in codes
    assert (FIXTURES / "_proof.py").exists()
