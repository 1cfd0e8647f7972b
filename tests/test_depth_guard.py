"""The depth guard: code too deep for LibCST gets PCK000 before LibCST sees it, on every
supported Python, and one file LibCST would crash on never ends the run; code nested as
deeply as real code gets (and far deeper) is checked and fixed as usual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from test_robustness import FIXABLE, FIXED, POOL

from flake8_poolcheck.engine import MAX_NESTING, Linter
from flake8_poolcheck.rules.pck000_unparsable_file import UnparsableFile
from flake8_poolcheck.settings import Settings

TOO_DEEP = UnparsableFile.unparsable("the code is nested too deeply to parse")
#: Python (before 3.14) cannot parse a t-string, so the guard cannot measure this code;
#: LibCST can, and its parser overflows its stack on the parentheses inside.
CRASHES_LIBCST = POOL + 'x = t"{' + "(" * 2000 + "1" + ")" * 2000 + '}"\n'
#: The same, but shallow: LibCST parses it, and the rules run.
NEWER_SYNTAX = POOL + 'x = t"a"\n' + "# padding\n" * 100 + FIXABLE


def in_pool_call(argument: str) -> str:
    """FIXABLE, with ``argument`` in place of the iterable of its fixable ``map`` call."""
    return FIXABLE.replace("pairs)\n", f"{argument})\n")


def nested(opening: str, inner: str, closing: str, levels: int = 150) -> str:
    return opening * levels + inner + closing * levels


@pytest.mark.parametrize(
    "statement",
    [
        "x = 1" + "+1" * 10_000,
        "x = a" + ".b" * 10_000,
        "x = a" + "[0]" * 10_000,
        "x = f" + "()" * 10_000,
        "@a" + ".b" * 10_000 + "\ndef f(): pass",
        "x = " + "-" * 2000 + "1",
        "x = " + "lambda: " * 2000 + "1",
        "x = " + "a if b else " * 2000 + "c",
        "if a:\n    pass\n" + "elif a:\n    pass\n" * 2000,
        "x = a" + " and a" * 10_000,  # flat in Python's tree, a chain in LibCST's
        "import a" + ".b" * 10_000,
        "from a" + ".b" * 10_000 + " import c",
        "x = 1" + "+1" * 150_000,  # Python 3.9 and 3.10 crash parsing it themselves
    ],
    ids=[
        "operators",
        "attributes",
        "subscripts",
        "calls",
        "decorator",
        "unary",
        "lambdas",
        "conditionals",
        "elif",
        "and",
        "import",
        "from-import",
        "huge",
    ],
)
def test_deep_code_never_reaches_libcst(monkeypatch: pytest.MonkeyPatch, statement: str) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("LibCST was given code too deep for it")

    monkeypatch.setattr(cst, "parse_module", refuse)
    source = (POOL + statement + "\n").encode()
    linter = Linter(Settings())
    assert [(d.code, d.message) for d in linter.check(source)] == [("PCK000", TOO_DEEP)]
    result = linter.fix(source)
    assert result.source == source
    assert [d.code for d in result.remaining] == ["PCK000"]


@pytest.mark.parametrize(
    "source",
    [
        in_pool_call(nested("(", "pairs", ")")),
        in_pool_call(nested("[", "pairs", "]")),
        in_pool_call(nested("{0: ", "pairs", "}")),
        in_pool_call(nested("f(", "pairs", ")")),
        in_pool_call(nested("f(x=", "pairs", ")")),
        in_pool_call(nested("pairs[", "0", "]")),
        in_pool_call(nested("(0, ", "pairs", ")")),
        in_pool_call("pairs" + " + pairs" * (MAX_NESTING - 50)),
        in_pool_call("pairs" + ".b" * (MAX_NESTING - 50)),
        in_pool_call(" and ".join(["pairs"] * (MAX_NESTING - 50))),
        FIXABLE.replace("\ndef", "\n\x0c\ndef"),  # a form feed line between definitions
        FIXABLE.replace("    return", "\x0c    return"),  # a form feed, then the indentation
        FIXABLE.replace("    return", "\treturn"),
        FIXABLE.replace("    return", "\tif pairs:\n\t    return"),  # a tab, then a tab and spaces
    ],
    ids=[
        "parentheses",
        "lists",
        "dicts",
        "calls",
        "keyword-calls",
        "subscripts",
        "tuples",
        "operators",
        "attributes",
        "and",
        "form-feed-line",
        "form-feed-indent",
        "tab-indent",
        "tab-then-spaces",
    ],
)
def test_valid_code_is_checked_and_fixed(source: str) -> None:
    """150 levels of brackets, and chains almost as deep as the guard allows."""
    limit = sys.getrecursionlimit()
    linter = Linter(Settings())
    (diagnostic,) = linter.check(source)
    assert diagnostic.code == "PCK102"
    fixed = source.replace("pool.map(lambda pair: divmod(*pair), ", "pool.starmap(divmod, ")
    result = linter.fix(source.encode())
    assert result.error is None
    assert result.source == fixed.encode()
    assert sys.getrecursionlimit() == limit


def test_the_guard_is_just_beyond_the_deepest_code_allowed() -> None:
    just_too_deep = in_pool_call("pairs" + " + pairs" * (MAX_NESTING + 50))
    assert [d.message for d in Linter(Settings()).check(just_too_deep)] == [TOO_DEEP]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_that_crashes_libcst_does_not_end_the_run(tmp_path: Path, jobs: str) -> None:
    (tmp_path / "crash.py").write_text(CRASHES_LIBCST)
    (tmp_path / "other.py").write_text(FIXABLE)
    completed = subprocess.run(
        [sys.executable, "-m", "flake8_poolcheck", "--isolated", "--jobs", jobs, str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert f"crash.py:1:1: PCK000 {TOO_DEEP}" in completed.stdout
    assert "other.py:5:21: PCK102" in completed.stdout


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="Python parses t-strings from 3.14")
def test_code_python_cannot_parse_is_tried_in_a_child_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    children: list[object] = []
    real_run = subprocess.run

    def recording_run(*args: object, **kwargs: object) -> object:
        children.append(args)
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", recording_run)
    result = Linter(Settings()).fix(NEWER_SYNTAX.encode())
    assert children, "LibCST was not tried in a child process first"
    assert result.source == NEWER_SYNTAX.replace(FIXABLE, FIXED).encode()
