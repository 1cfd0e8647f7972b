"""The ``poolcheck`` command: files, selection, output, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_robustness import FIXABLE, FIXED

from flake8_poolcheck.cli import main

MISUSE = textwrap.dedent(
    """\
    import multiprocessing


    def work(pool: multiprocessing.pool.Pool, items):
        pool.apply_async(print, (1,))
        return pool.map(lambda x: x, items)
    """
)
CLEAN = "import multiprocessing\n\ndef square(x):\n    return x * x\n"


def run(
    capsys: pytest.CaptureFixture[str], *args: str, isolated: bool = True
) -> tuple[int, str, str]:
    """``poolcheck [--isolated] ARGS``: the exit status (a usage error's too), stdout, stderr."""
    try:
        code = main(["--isolated", *args] if isolated else list(args))
    except SystemExit as exit:  # argparse's way out
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def run_stdin(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    source: bytes,
    *args: str,
) -> tuple[int, bytes, str]:
    """``poolcheck --isolated ARGS`` reading ``source``: the status, stdout's bytes, stderr."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source)))
    code = main(["--isolated", *args])
    captured = capsysbinary.readouterr()
    return code, captured.out, captured.err.decode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(MISUSE)
    (tmp_path / "good.py").write_text(CLEAN)
    return tmp_path


def test_reports_and_exits_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(project))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        f"{project / 'bad.py'}:5:5: PCK201 The AsyncResult of `apply_async()` is discarded: "
        "an exception raised by the task is lost silently; call `.get()` on it, "
        "or pass `error_callback=`"
    )
    assert lines[1].startswith(f"{project / 'bad.py'}:6:21: PCK101 `map()` is given a lambda")
    assert lines[-1] == "Found 2 errors (0 fixed, 2 remaining)."


def test_clean_files_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(project / "good.py"))
    assert (code, out) == (0, "All checks passed!\n")


def test_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--exit-zero", str(project))[0] == 0


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        ((), {"PCK101", "PCK201"}),
        (("--select", "PCK2"), {"PCK201"}),
        (("--ignore", "PCK1"), {"PCK201"}),
        (("--extend-ignore", "PCK201,PCK101"), set()),
        (("--select", "PCK", "--ignore", "PCK2", "--extend-select", "PCK1"), {"PCK101"}),
        (("--ignore", "PCK2", "--extend-select", "PCK201"), {"PCK101", "PCK201"}),
    ],
)
def test_selection_by_prefix(
    project: Path, capsys: pytest.CaptureFixture[str], options: tuple[str, ...], codes: set[str]
) -> None:
    _, out, _ = run(capsys, "--output-format", "json", *options, str(project / "bad.py"))
    assert {item["code"] for item in json.loads(out)} == codes


def test_json_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--output-format", "json", str(project / "bad.py"))
    first = json.loads(out)[0]
    assert first["code"] == "PCK201"
    assert first["name"] == "discarded-async-result"
    assert first["location"] == {"row": 5, "column": 5}
    assert first["end_location"] == {"row": 5, "column": 34}
    assert first["filename"].endswith("bad.py")
    assert first["fix"] is None


def test_stdin(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_stdin(
        capsysbinary, monkeypatch, MISUSE.encode(), "--stdin-filename", "src/job.py", "-"
    )
    assert code == 1
    assert out.startswith(b"src/job.py:5:5: PCK201 ")


POOL = b"from multiprocessing import Pool\n"


@pytest.mark.parametrize(
    ("source", "fixed", "status", "report"),
    [
        (b"x = 1\n", b"x = 1\n", 0, "All checks passed!"),
        (FIXABLE.encode(), FIXED.encode(), 0, "Found 1 error (1 fixed, 0 remaining)."),
        (MISUSE.encode(), MISUSE.encode(), 1, "Found 2 errors (0 fixed, 2 remaining)."),
        (POOL + b"x = = 1\n", POOL + b"x = = 1\n", 1, ":1:1: PCK000 "),
        (POOL + b"x = '\xe9'\n", POOL + b"x = '\xe9'\n", 2, "-: cannot decode"),
    ],
    ids=["clean", "fixed", "not-fixable", "unparsable", "undecodable"],
)
def test_fix_on_stdin_always_prints_the_whole_source(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    source: bytes,
    fixed: bytes,
    status: int,
    report: str,
) -> None:
    """An editor replaces its buffer with what it reads back; the report goes to stderr."""
    code, out, err = run_stdin(capsysbinary, monkeypatch, source, "--fix", "-")
    assert (code, out) == (status, fixed)
    assert report in err


def test_stdin_filename_alone_means_stdin(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "job.py").write_text(FIXABLE)
    monkeypatch.chdir(tmp_path)
    status, out, err = run_stdin(
        capsysbinary, monkeypatch, FIXABLE.encode(), "--fix", "--stdin-filename", "job.py"
    )
    assert (status, out) == (0, FIXED.encode())
    assert "1 fixed" in err
    assert (tmp_path / "job.py").read_text() == FIXABLE  # only stdin was checked


def test_syntax_error_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.py").write_text("from multiprocessing import Pool\nx = = 1\n")
    code, out, err = run(capsys, str(tmp_path))
    assert code == 1
    assert ":1:1: PCK000 File could not be parsed" in out
    assert "Traceback" not in err


def test_missing_path_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.py").write_text(MISUSE)
    code, out, err = run(capsys, str(tmp_path / "nope.py"), str(tmp_path / "bad.py"))
    assert code == 2
    assert "nope.py: cannot read" in err
    assert "bad.py:5:5: PCK201" in out  # the other file is still checked


def test_directory_walk_and_excludes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder in (".venv/lib", "build", "src/pkg", "src/generated"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "m.py").write_text(MISUSE)
    (tmp_path / "src" / "pkg" / "notes.txt").write_text(MISUSE)

    def files(*args: str) -> set[str]:
        _, out, _ = run(capsys, "--output-format", "json", *args)
        return {Path(item["filename"]).parent.name for item in json.loads(out)}

    assert files(str(tmp_path)) == {"pkg", "generated"}
    assert files("--extend-exclude", "generated", str(tmp_path)) == {"pkg"}
    assert files("--exclude", "pkg", str(tmp_path)) == {"lib", "build", "generated"}
    explicit = str(tmp_path / "build" / "m.py")
    assert files(explicit) == {"build"}
    assert files("--force-exclude", explicit) == set()


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--explain", "pck201")
    assert code == 0
    assert out.startswith("# PCK201 discarded-async-result\n")
    assert "## Why is this bad?" in out
    assert run(capsys, "--explain", "PCK999")[0] == 2


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--list-rules")
    lines = out.splitlines()
    assert any(
        line.startswith("PCK201  discarded-async-result: The AsyncResult") for line in lines
    )
    assert any(line.startswith("PCK102  star-unpacking-task (fixable): ") for line in lines)
    assert "{" not in out


def test_version_and_module_entry_point() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flake8_poolcheck", "--version"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert completed.stdout.startswith("poolcheck ")


def test_config_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poolcheck]\nextend-ignore = ["PCK101"]\n')
    (tmp_path / "bad.py").write_text(MISUSE)
    code = main(["--config", str(tmp_path / "pyproject.toml"), "--output-format", "json",
                 str(tmp_path / "bad.py")])  # fmt: skip
    assert code == 1
    assert {item["code"] for item in json.loads(capsys.readouterr().out)} == {"PCK201"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('colour = "red"', "colour: unknown setting"),
        ('select = "PCK1"', "select: expected a list of strings"),
        ('select = ["E501"]', "'E501' is not a PCK code"),
        ('target-version = "python3"', "not a Python version"),
        ("unsafe-fixes = 1", "unsafe-fixes: expected true or false"),
    ],
)
def test_bad_config_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(f"[tool.poolcheck]\n{table}\n")
    code = main(["--config", str(config), str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        ((), set()),
        (("--select", "PCK"), set()),
        (("--ignore", "PCK2"), set()),
        (("--select", "PCK9"), {"PCK902"}),
        (("--extend-select", "PCK902"), {"PCK902"}),
        (("--select", "PCK902"), {"PCK902"}),
    ],
)
def test_opt_in_rules_need_selecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: tuple[str, ...], codes: set[str]
) -> None:
    path = tmp_path / "job.py"
    path.write_text(
        "import multiprocessing\n\n\n"
        "def run(pool: multiprocessing.pool.Pool, items):\n"
        "    return list(pool.imap(abs, items))\n"
    )
    _, out, _ = run(capsys, "--output-format", "json", *options, str(path))
    assert {item["code"] for item in json.loads(out)} == codes
