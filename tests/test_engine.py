"""The engine: the walk, positions, and the fix loop's promises about bytes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from flake8_poolcheck import check_source, fix_source
from flake8_poolcheck import engine as engine_module
from flake8_poolcheck.analysis.tree import children
from flake8_poolcheck.cli import main
from flake8_poolcheck.diagnostics import Applicability
from flake8_poolcheck.engine import Linter
from flake8_poolcheck.settings import Settings

STAR_LAMBDA = (
    "import multiprocessing\n"
    "\n"
    "def add(a, b):\n"
    "    return a + b\n"
    "\n"
    "def run(pool: multiprocessing.pool.ThreadPool, pairs):\n"
    "    return pool.map(lambda pair: add(*pair), pairs)\n"
)
FIXED_LINE = "    return pool.starmap(add, pairs)\n"


@pytest.mark.parametrize("name", ["typing.py", "asyncio/tasks.py", "multiprocessing/pool.py"])
def test_walk_visits_in_source_order(name: str) -> None:
    """Our fast children() agrees in order with LibCST's own (slow) ``children``."""
    module = cst.parse_module(Path(sysconfig.get_paths()["stdlib"], name).read_text())
    pending: list[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        ours = list(children(node))
        theirs = [child for child in node.children if any(child is o for o in ours)]
        assert [id(n) for n in ours] == [id(n) for n in theirs], type(node).__name__
        pending.extend(ours)


@pytest.mark.parametrize(
    "name", ["typing.py", "asyncio/tasks.py", "multiprocessing/pool.py", "dataclasses.py"]
)
def test_unchecked_parse_builds_the_same_tree(name: str) -> None:
    """Skipping LibCST's node checks for text Python accepts changes nothing in the tree,
    and the checks are back afterwards."""
    text = Path(sysconfig.get_paths()["stdlib"], name).read_text()
    unchecked = engine_module._parse(text, python_accepts=True)
    checked = engine_module._parse(text, python_accepts=False)
    assert unchecked.deep_equals(checked)
    assert unchecked.code == checked.code == text
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_a_parse_that_fails_restores_the_node_checks() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        engine_module._parse("def f(:\n", python_accepts=True)
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_files_without_pool_modules_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(cst, "parse_module", fail)
    assert check_source("def f(pool):\n    pool.map(lambda x: x, [1])\n") == []


def test_public_api() -> None:
    diagnostics = check_source(STAR_LAMBDA)
    assert [(d.code, d.line, d.column) for d in diagnostics] == [("PCK102", 7, 21)]
    result = fix_source(STAR_LAMBDA.encode())
    assert result.source.decode().splitlines()[-1] == FIXED_LINE.rstrip("\n")
    assert result.fixed == {"PCK102": 1}
    assert result.remaining == []


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.replace("\n", "\r\n").encode(),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + text).encode("latin-1"),
        lambda text: text.replace("\n", "\r\n", 3).encode(),  # mixed line endings
    ],
    ids=["crlf", "bom", "latin-1", "mixed"],
)
def test_fixes_keep_encoding_bom_and_line_endings(encode) -> None:  # type: ignore[no-untyped-def]
    before = encode(STAR_LAMBDA)
    after = fix_source(before).source
    expected = before.replace(
        b"pool.map(lambda pair: add(*pair), pairs)", b"pool.starmap(add, pairs)"
    )
    assert after == expected


def test_a_fix_that_drops_a_comment_is_unsafe() -> None:
    source = STAR_LAMBDA.replace("add(*pair)", "add(  # keep me\n        *pair)")
    (diagnostic,) = check_source(source)
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability is Applicability.UNSAFE
    assert fix_source(source.encode()).source == source.encode()


def test_output_that_does_not_compile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = cst.parse_module("return 1\n")  # parses, but Python will not compile it
    monkeypatch.setattr(engine_module, "_apply", lambda module, fixes: broken)
    result = Linter(Settings()).fix(STAR_LAMBDA.encode())
    assert result.source == STAR_LAMBDA.encode()
    assert result.error is not None and "would not compile" in result.error
    assert not result.fixed


def test_fix_loop_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fix that never converges is applied at most MAX_FIX_PASSES times."""
    calls = []

    def counting(module: cst.Module, fixes: list) -> cst.Module:  # type: ignore[type-arg]
        calls.append(1)
        return module  # changes nothing, so the same fix is found again

    monkeypatch.setattr(engine_module, "_apply", counting)
    Linter(Settings()).fix(STAR_LAMBDA.encode())
    assert len(calls) == engine_module.MAX_FIX_PASSES


def test_cli_fix_writes_only_changed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixable = tmp_path / "fixable.py"
    fixable.write_text(STAR_LAMBDA)
    fixable.chmod(0o754)
    untouched = tmp_path / "untouched.py"
    untouched.write_text("import multiprocessing\n")
    old = untouched.stat().st_mtime_ns
    os.utime(untouched, ns=(old - 10**9, old - 10**9))
    before = untouched.stat().st_mtime_ns
    assert main(["--isolated", "--fix", str(tmp_path)]) == 0
    assert fixable.read_text().endswith(FIXED_LINE)
    assert stat.S_IMODE(fixable.stat().st_mode) == 0o754
    assert untouched.stat().st_mtime_ns == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    out = capsys.readouterr().out
    assert out.strip().endswith("Found 1 error (1 fixed, 0 remaining).")


def test_cli_diff_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "job.py"
    path.write_text(STAR_LAMBDA)
    assert main(["--isolated", "--diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert "-    return pool.map(lambda pair: add(*pair), pairs)" in out
    assert "+" + FIXED_LINE in out
    assert path.read_text() == STAR_LAMBDA


def test_cli_fix_on_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(STAR_LAMBDA.encode())))
    assert main(["--isolated", "--fix", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.endswith(FIXED_LINE)
    assert "1 fixed" in captured.err


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    source = STAR_LAMBDA.replace("add(*pair)", "add(pair[0], pair[1])")
    path = tmp_path / "job.py"
    path.write_text(source)
    assert main(["--isolated", "--fix", str(path)]) == 1
    assert path.read_text() == source
    assert main(["--isolated", "--fix", "--unsafe-fixes", str(path)]) == 0
    assert path.read_text().endswith(FIXED_LINE)


def test_libcst_loads_only_for_files_that_may_use_pools(tmp_path: Path) -> None:
    """The front ends answer files without pools before importing LibCST."""
    (tmp_path / "plain.py").write_text("def f(pool):\n    return pool.map(len, [])\n")
    script = (
        "import sys\n"
        "import flake8_poolcheck.plugin\n"
        "from flake8_poolcheck.cli import main\n"
        f"assert main(['--isolated', {str(tmp_path)!r}]) == 0\n"
        "assert 'libcst' not in sys.modules, 'LibCST was imported'\n"
        f"open({str(tmp_path / 'job.py')!r}, 'w').write('from multiprocessing import Pool\\n')\n"
        f"main(['--isolated', {str(tmp_path)!r}])\n"
        "assert 'libcst' in sys.modules\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.slow
def test_jobs_give_the_same_reports(capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = str(Path(__file__).resolve().parent.parent / "fixtures")
    outputs = []
    for jobs in ("1", "2"):
        main(["--isolated", "--jobs", jobs, "--output-format", "json", fixtures])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 1000
