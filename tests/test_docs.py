"""Rule documentation: complete, current, and its examples honest."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from support import ROOT, everything_linter, fixture_paths, proofs

from flake8_poolcheck.analysis.pools import PoolKind
from flake8_poolcheck.docs import SECTIONS, code_blocks, rule_page, sections
from flake8_poolcheck.rules import Rule, all_rules

RULES = all_rules()
IDS = [rule.code for rule in RULES]
DOCS = ROOT / "docs" / "rules"
#: PCK000 is about the checker itself: there is no pool behaviour to prove.
NO_RUNTIME_CLAIM = {"PCK000"}
#: The runtime kinds that prove a rule's claim on each kind of pool it lists.
KIND_PROVEN_BY = {
    PoolKind.PROCESS: {"fork", "spawn", "forkserver"},
    PoolKind.THREAD: {"thread"},
    PoolKind.DILL: {"dill"},
    PoolKind.PROCESS_EXECUTOR: {"executor-fork", "executor-spawn", "executor-forkserver"},
    PoolKind.THREAD_EXECUTOR: {"thread-executor"},
}


def codes_in(source: str) -> set[str]:
    return {d.code for d in everything_linter().check(source)}


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_docstring_has_every_section(rule: type[Rule]) -> None:
    assert list(sections(rule)) == list(SECTIONS)
    assert all(sections(rule).values())


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_example_triggers_and_use_instead_does_not(rule: type[Rule]) -> None:
    parts = sections(rule)
    (example,) = code_blocks(parts["Example"])
    assert rule.code in codes_in(example)
    for replacement in code_blocks(parts["Use instead"]):
        assert rule.code not in codes_in(replacement)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_docs_page_is_current(rule: type[Rule]) -> None:
    page = DOCS / f"{rule.code}.md"
    assert page.exists(), "run: python -m flake8_poolcheck.docs"
    assert page.read_text(encoding="utf-8") == rule_page(rule), (
        "run: python -m flake8_poolcheck.docs"
    )


def test_no_stale_docs_pages() -> None:
    assert {page.stem for page in DOCS.glob("*.md")} == set(IDS)


def test_readme_rule_table_is_current() -> None:
    from flake8_poolcheck.docs import rules_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rules_table() in readme, "run: python -m flake8_poolcheck.docs"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_rule_is_complete(rule: type[Rule]) -> None:
    """Every rule has a fixture that triggers it, a runtime proof, and a CHANGELOG entry."""
    assert re.fullmatch(r"PCK[0-9]{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    fixtures = [p for p in fixture_paths() if p.name.startswith(rule.code)]
    assert fixtures, f"no fixtures/{rule.code}_*.py"
    assert any(f"[{rule.code}]" in p.read_text(encoding="utf-8") for p in fixtures)
    if rule.code not in NO_RUNTIME_CLAIM:
        cases = [proof for path in fixture_paths() for proof in proofs(path)]
        assert any(rule.code in case.flagged for case in cases), "no runtime proof of the claim"
        own = [case for case in cases if case.fixture in fixtures]
        assert any(not case.flagged for case in own), "no runtime proof of the replacement"
        for kind, pool_kinds in KIND_PROVEN_BY.items():
            if kind in rule.kinds:
                assert any(case.kind in pool_kinds for case in own), f"no proof on {kind} pools"
    assert rule.summary.endswith(".") and "{" not in rule.summary
    if rule.fixes is not None:
        golden = [p for p in fixture_paths() if p.with_suffix(".fixed.py").exists()]
        assert any(f"[{rule.code}]" in p.read_text(encoding="utf-8") for p in golden)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"{rule.code} {rule.name}" in changelog


def test_opt_in_rules_are_the_9xx_band() -> None:
    """The flake8 plugin relies on it to keep opt-in rules off without importing them."""
    from flake8_poolcheck.settings import OPT_IN_PREFIX

    for rule in RULES:
        assert rule.opt_in == rule.code.startswith(OPT_IN_PREFIX), rule.code


def test_codes_are_never_reused() -> None:
    """A released code keeps its name forever (add new codes, never rename old ones)."""
    released = dict(
        line.split()[:2]
        for line in (ROOT / "docs" / "released-codes.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    current = {rule.code: rule.name for rule in RULES}
    for code, name in released.items():
        assert current.get(code, name) == name, f"{code} was {name}"
    assert set(current) <= set(released), "add new codes to docs/released-codes.txt"


def test_docs_generator_is_deterministic(tmp_path: Path) -> None:
    from flake8_poolcheck.docs import write_docs

    write_docs(tmp_path)
    for page in (tmp_path / "docs" / "rules").glob("*.md"):
        assert page.read_text() == (DOCS / page.name).read_text()


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_explain_prints_the_docs_page(
    rule: type[Rule], capsys: pytest.CaptureFixture[str]
) -> None:
    from flake8_poolcheck.cli import main

    assert main(["--explain", rule.code]) == 0
    assert capsys.readouterr().out == (DOCS / f"{rule.code}.md").read_text(encoding="utf-8")


def test_readme_example_output_is_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flake8_poolcheck.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What it says", 1)[1].split("\n## ", 1)[0]
    program = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("$ poolcheck jobs.py\n", 1)[1].split("```", 1)[0]
    (tmp_path / "jobs.py").write_text(program)
    monkeypatch.chdir(tmp_path)
    output = io.StringIO()
    monkeypatch.setattr(sys, "stdout", output)
    main(["--isolated", "jobs.py"])
    assert output.getvalue() == shown


def test_every_package_is_shipped() -> None:
    """A wheel (pre-commit installs one) holds only the packages pyproject.toml lists."""
    from flake8_poolcheck.config import tomllib

    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = set(listed["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "flake8_poolcheck").rglob("__init__.py")
    }
    assert packages == found


def test_readme_audit_output_is_real(capsys: pytest.CaptureFixture[str]) -> None:
    """The lines the 3.14 audit section shows are lines the command prints, and its count."""
    from flake8_poolcheck.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Ready for Python 3.14?", 1)[1].split("\n## ", 1)[0]
    shown = section.split("$ poolcheck --select PCK5 fixtures/\n", 1)[1].split("```", 1)[0]
    *lines, ellipsis, count = shown.splitlines()
    assert ellipsis == "…"
    main(["--isolated", "--select", "PCK5", str(ROOT / "fixtures")])
    printed = capsys.readouterr().out.replace(f"{ROOT / 'fixtures'}/", "fixtures/").splitlines()
    assert set(lines) <= set(printed)
    assert printed[-1] == count
