"""The proof declarations themselves: strict words, and every fixed case proven.

These run without a pool; tests/test_runtime.py runs the cases.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import fixture_paths, proofs

DECLARATIONS = {
    "misspelt outcome": '@proof(pools="fork", rasies="ZeroDivisionError")',
    "misspelt returns": '@proof(pools="fork", retruns=1)',
    "no outcome": '@proof(pools="fork", stderr="x")',
    "two outcomes": '@proof(pools="fork", returns=1, raises="ValueError")',
    "a hang without a reason": '@proof(pools="fork", hangs=True)',
    "an unknown reason": '@proof(pools="fork", hangs="slow")',
    "an unknown pool": '@proof(pools="fork threads", returns=1)',
    "fixed as a bare value": '@proof(pools="fork", returns=1, fixed=2)',
    "a misspelt fixed outcome": '@proof(pools="fork", returns=1, fixed={"retruns": 2})',
    "surfaces without raises": '@proof(pools="fork", returns=1, surfaces="get")',
}


@pytest.mark.parametrize("declaration", DECLARATIONS.values(), ids=DECLARATIONS)
def test_a_wrong_declaration_is_refused(tmp_path: Path, declaration: str) -> None:
    fixture = tmp_path / "PCK101_case.py"
    fixture.write_text(f"{declaration}\ndef case(pool):\n    return 1\n")
    with pytest.raises(ValueError, match=r"PCK101_case\.py:1"):
        proofs(fixture)


def test_a_right_declaration_is_read(tmp_path: Path) -> None:
    fixture = tmp_path / "PCK101_case.py"
    fixture.write_text(
        '@proof(pools="process", raises="ValueError", surfaces="get",'
        ' fixed={"hangs": "worker-died"})\ndef case(pool):\n    return 1\n'
    )
    declared = proofs(fixture)
    assert [proof.kind for proof in declared] == ["fork", "spawn", "forkserver"]
    assert declared[0].expectation == {
        "raises": "ValueError",
        "surfaces": "get",
        "fixed": {"hangs": "worker-died"},
    }


def _case_sources(path: Path) -> dict[str | None, str]:
    """Each proof case's code by name (None: the whole program)."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    cases: dict[str | None, str] = {None: source}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            cases[node.name] = ast.get_source_segment(source, node) or ""
    return cases


FIXED_FIXTURES = [path for path in fixture_paths() if path.with_suffix(".fixed.py").exists()]


@pytest.mark.parametrize("path", FIXED_FIXTURES, ids=[path.stem for path in FIXED_FIXTURES])
def test_every_case_the_fix_changes_is_proven_fixed(path: Path) -> None:
    """A case whose code ``--fix`` changes declares what its fixed form does, so the
    replacement is run and judged in the same words as the misuse."""
    before, after = _case_sources(path), _case_sources(path.with_suffix(".fixed.py"))
    unproven = sorted(
        {
            f"{proof.case or '<program>'}"
            for proof in proofs(path)
            if before.get(proof.case) != after.get(proof.case) and "fixed" not in proof.expectation
        }
    )
    assert not unproven, f"--fix changes these cases, which declare no fixed=: {unproven}"
