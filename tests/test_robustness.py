"""Bad input gets a clear outcome, never a traceback, and --fix never loses a byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flake8_poolcheck.cli import main
from flake8_poolcheck.engine import Linter, SourceError
from flake8_poolcheck.settings import Settings

POOL = "from multiprocessing import Pool\n"
FIXABLE = (
    "import multiprocessing\n\n\n"
    "def run(pool: multiprocessing.pool.ThreadPool, pairs):\n"
    "    return pool.map(lambda pair: divmod(*pair), pairs)\n"
)
FIXED = FIXABLE.replace(
    "pool.map(lambda pair: divmod(*pair), pairs)", "pool.starmap(divmod, pairs)"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--isolated", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin1.py", POOL.encode() + b"x = '\xe9'\n", "cannot decode"),
        ("cookie.py", b"# -*- coding: klingon -*-\n" + POOL.encode(), "cannot decode"),
        (
            "lying_cookie.py",
            b"# coding: ascii\n" + POOL.encode() + b"x = '\xc3\xa9'\n",
            "cannot decode",
        ),
    ],
)
def test_undecodable_files_are_errors_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "zz_other.py").write_text(FIXABLE)
    code, out, err = run(capsys, str(tmp_path))
    assert code == 2
    assert f"{tmp_path / name}: {message}" in err
    assert "zz_other.py:5:21: PCK102" in out  # the other file is still checked


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", 0),
        (b"\n\n\n", 0),
        (POOL.encode() + b"x = 1\x00\n", 1),  # a null byte: the parser refuses it
        (POOL.encode() + b"x = '" + b"a" * 200_000 + b"'\n", 0),  # a very long line
        (POOL.encode() + b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", 1),  # deep nesting
        (POOL.encode() + b"x = " + b"+".join([b"1"] * 10000) + b"\n", 1),  # a deep operator tree
        (POOL.encode() + b"x = a" + b".b" * 10000 + b"\n", 1),  # LibCST alone takes minutes
        (POOL.encode() + b"def f(:\n", 1),
        (b"\xef\xbb\xbf" + POOL.encode(), 0),  # a BOM
        (POOL.encode().replace(b"\n", b"\r\n"), 0),
        (POOL.encode().replace(b"\n", b"\r"), 0),  # old Mac line endings
        (POOL.encode() + b"if True:\n\tx = 1\n        y = 2\n", 1),  # inconsistent tabs
    ],
    ids=[
        "empty",
        "blank",
        "null-byte",
        "long-line",
        "deep",
        "deep-operators",
        "deep-attributes",
        "syntax",
        "bom",
        "crlf",
        "cr",
        "tabs",
    ],
)
def test_odd_files_never_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, code: int
) -> None:
    path = tmp_path / "odd.py"
    path.write_bytes(content)
    status, out, _ = run(capsys, str(path))
    assert status == code
    if code == 1:
        assert ":1:1: PCK000 File could not be parsed" in out
    status, _, _ = run(capsys, "--fix", "--unsafe-fixes", str(path))
    assert path.read_bytes() == content


def test_fix_keeps_old_mac_line_endings() -> None:
    """LibCST's parser drops the last CR of a file whose lines end in CR alone."""
    source = FIXABLE.replace("\n", "\r").encode()
    linter = Linter(Settings())
    assert [(d.code, d.line, d.column) for d in linter.check(source)] == [("PCK102", 5, 21)]
    assert linter.fix(source).source == FIXED.replace("\n", "\r").encode()


def test_tabs_and_spaces_python_accepts_are_checked_but_not_fixed() -> None:
    """A block indented by a space holds one indented by a tab and a space: Python takes
    it (9 columns, or 2 with a tab as 1, are both deeper than 1), LibCST does not."""
    source = FIXABLE.replace("    return", " if pairs:\n\t return").encode()
    linter = Linter(Settings())
    (diagnostic,) = linter.check(source)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("PCK102", 6, 19)
    assert diagnostic.fix is None
    result = linter.fix(source)
    assert result.source == source
    assert [d.code for d in result.remaining] == ["PCK102"]


@pytest.mark.parametrize(
    "source",
    [
        FIXABLE.replace("\ndef", "\n\x0cdef"),  # a form feed before a statement
        FIXABLE + "\n\ntry:\n    pass\nexcept OSError :\n    pass\n",
    ],
    ids=["form-feed", "except-space"],
)
def test_what_libcst_cannot_print_back_is_checked_but_not_fixed(source: str) -> None:
    linter = Linter(Settings())
    (diagnostic,) = linter.check(source)
    assert (diagnostic.code, diagnostic.line, diagnostic.fix) == ("PCK102", 5, None)
    assert linter.fix(source.encode()).source == source.encode()


def test_huge_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "".join(
        f"def f{i}(pool: Pool):\n    return pool.map(abs, [{i}])\n\n\n" for i in range(3000)
    )
    path = tmp_path / "huge.py"
    path.write_text(POOL + "\n\n" + body + FIXABLE)
    status, out, _ = run(capsys, str(path))
    assert status == 1
    assert out.count("PCK102") == 1


def test_paths_that_are_not_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "package.py").mkdir()
    (tmp_path / "package.py" / "inner.py").write_text(FIXABLE)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    status, out, err = run(capsys, str(tmp_path), str(tmp_path / "missing.py"))
    assert status == 2
    assert f"{tmp_path / 'dangling.py'}: cannot read" in err
    assert f"{tmp_path / 'missing.py'}: cannot read" in err
    assert "inner.py:5:21: PCK102" in out


def test_unwritable_file_is_reported_and_the_rest_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked, free = tmp_path / "a_locked.py", tmp_path / "b_free.py"
    locked.write_text(FIXABLE)
    free.write_text(FIXABLE)
    real_replace = os.replace

    def refuse(source: str, target: str | os.PathLike[str]) -> None:
        if Path(target) == locked:
            raise PermissionError(13, "Permission denied")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", refuse)
    status, _, err = run(capsys, "--fix", str(tmp_path))
    assert status == 2
    assert f"{locked}: cannot write the fixes: Permission denied" in err
    assert locked.read_text() == FIXABLE
    assert free.read_text() == FIXED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_locked.py", "b_free.py"]


def test_the_checked_code_is_never_imported_or_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "sneaky.py").write_text(
        f"import multiprocessing\nopen({str(marker)!r}, 'w').write('x')\n"
        "with multiprocessing.Pool() as pool:\n    pool.map(print, [1])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "flake8_poolcheck", "--isolated", "--fix", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert not marker.exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_fix_leaves_each_file_whole(tmp_path: Path, sig: signal.Signals) -> None:
    """Every file ends either untouched or completely fixed, and no temporary is left."""
    for index in range(300):
        (tmp_path / f"job_{index:03}.py").write_text(FIXABLE * 20)
    command = ["-m", "flake8_poolcheck", "--isolated", "--fix", "--jobs", "1", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.read_text() != FIXABLE * 20 for p in tmp_path.glob("job_*.py")):
        assert time.monotonic() < deadline, "no file was ever fixed"
        time.sleep(0.01)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"Traceback" not in err
    contents = {p.read_text() for p in tmp_path.glob("job_*.py")}
    assert contents <= {FIXABLE * 20, FIXED * 20}
    assert FIXABLE * 20 in contents, "the run finished before the signal: interrupt sooner"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"job_{i:03}.py" for i in range(300)]


#: The standard library's files, in shards that pytest-xdist can spread over the CPUs.
STDLIB_SHARDS = 8


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("shard", range(STDLIB_SHARDS))
def test_every_stdlib_file(shard: int) -> None:
    """The whole standard library through the engine, pre-filter off so every file is walked
    (test data that does not compile included): no crash, every diagnostic well-formed, and
    fixing leaves files compiling and stable."""
    import sysconfig

    linter = Linter(Settings(unsafe_fixes=True))
    linter.prefilter.may_use_pools = lambda source: True  # type: ignore[method-assign]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [path for path in sorted(stdlib.rglob("*.py")) if "site-packages" not in path.parts]
    mine = paths[shard::STDLIB_SHARDS]
    undecodable = 0
    for path in mine:
        source = path.read_bytes()
        try:
            result = linter.fix(source)
        except SourceError:
            undecodable += 1  # test data in other encodings on purpose: an error, not a crash
            continue
        for d in result.remaining:
            assert d.line >= 1 and d.column >= 1 and d.message and d.code.startswith("PCK"), d
            assert (d.end_line, d.end_column) >= (d.line, d.column), d
        if result.source != source:
            assert result.error is None, (path, result.error)
            try:
                compile(source, str(path), "exec")
            except SyntaxError:
                pass  # broken before the fix: the fix owes it nothing
            else:
                compile(result.source, str(path), "exec")
            assert linter.fix(result.source).source == result.source, path
    assert mine and undecodable < len(mine) // 10, "the standard library was not read"
