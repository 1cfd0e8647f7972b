"""What a hostile user can hand ``poolcheck``: each gets a clear message and its exit
status, never a traceback, a hang, an exhausted memory, or a fix written past a symlink,
through a hard link, an owner or a read-only mode."""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from test_cli import MISUSE, run
from test_robustness import FIXABLE, FIXED

from flake8_poolcheck.files import MAX_FILE_SIZE, FileError, write_source

POOL = "from multiprocessing import Pool\n"
HANG_SECONDS = 60  # a subprocess still running after this is taken to hang
MEMORY_LIMIT = 2**30  # bytes of address space for a subprocess, so that /dev/zero stops it


# -- settings and the command line: exit 2, a message naming the culprit, nothing fixed --


@pytest.mark.parametrize(
    ("pyproject", "args", "message"),
    [
        (b"tool = 1\n", (), "pyproject.toml: [tool] must be a table"),
        (b'tool = "poolcheck"\n', (), "pyproject.toml: [tool] must be a table"),
        (b"[tool]\npoolcheck = 3\n", (), "pyproject.toml: [tool.poolcheck] must be a table"),
        (b"[tool.poolcheck]\n# \xe9\n", (), "pyproject.toml: cannot read: not UTF-8"),
        (b"[tool.poolcheck\n", (), "pyproject.toml: cannot read: invalid TOML"),
        (b"x = " + b"[" * 5000, (), "pyproject.toml: cannot read: nested too deeply"),
        (b'[tool.poolcheck]\nselect = ["PCK999"]\n', (), "select: 'PCK999' matches no rule"),
        (b'[tool.poolcheck]\nfixable = ["PCK8"]\n', (), "fixable: 'PCK8' matches no rule"),
        (b"", ("--select", "PCK999"), "select: 'PCK999' matches no rule"),
        (b"", ("--select", ""), "select: '' is not a PCK code"),
        (b"", ("--extend-select", "PCK99"), "extend-select: 'PCK99' matches no rule"),
        (b"", ("--ignore", "PCK7"), "ignore: 'PCK7' matches no rule"),
        (b"", ("--extend-ignore", "PCK1,"), "extend-ignore: '' is not a PCK code"),
        (b"", ("--per-file-ignores", "t/*:PCK999"), "['t/*']: 'PCK999' matches no rule"),
        (b"", ("--config", "/dev/zero"), "cannot read: not a regular file (a character device)"),
        (b"", ("--output-file", "missing/report.txt"), "cannot write the report"),
        (b"", ("--stdin-filename", "job.py"), "--stdin-filename checks stdin"),
    ],
    ids=[
        "tool-integer",
        "tool-string",
        "poolcheck-integer",
        "not-utf8",
        "invalid-toml",
        "toml-too-deep",
        "config-unknown-select",
        "config-unknown-fixable",
        "unknown-select",
        "empty-select",
        "unknown-extend-select",
        "unknown-ignore",
        "empty-extend-ignore",
        "unknown-per-file-ignore",
        "config-device",
        "unwritable-output-file",
        "stdin-filename-with-paths",
    ],
)
def test_bad_settings_are_usage_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pyproject: bytes,
    args: tuple[str, ...],
    message: str,
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(pyproject)
    (tmp_path / "job.py").write_text(FIXABLE)
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "--fix", *args, ".", isolated=False)
    assert status == 2
    assert message in err
    assert "All checks passed!" not in out
    assert (tmp_path / "job.py").read_text() == FIXABLE


# -- files that are not source: skipped with a warning when found, an error when named --


def poolcheck(*args: str, stdin: IO[bytes] | None = None) -> subprocess.CompletedProcess[str]:
    """``poolcheck --isolated ARGS`` in a process that may neither hang nor take all memory."""
    return subprocess.run(
        [sys.executable, "-m", "flake8_poolcheck", "--isolated", "--jobs", "1", *args],
        stdin=stdin or subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)),
    )


def fifo(directory: Path) -> Path:
    path = directory / "pipe.py"
    os.mkfifo(path)
    return path


def endless_device(directory: Path) -> Path:
    path = directory / "zero.py"
    path.symlink_to("/dev/zero")
    return path


def huge(directory: Path) -> Path:
    path = directory / "huge.py"
    path.write_bytes(b"")
    os.truncate(path, MAX_FILE_SIZE + 1)  # sparse: costs no disk
    return path


UNREADABLE = pytest.mark.parametrize(
    ("make", "reason"),
    [
        (fifo, "not a regular file (a FIFO)"),
        (endless_device, "not a regular file (a character device)"),
        (huge, "larger than 2 MiB"),
    ],
    ids=["fifo", "dev-zero", "huge"],
)


@UNREADABLE
def test_unreadable_files_found_by_walking_are_skipped_with_a_warning(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    bad = make(tmp_path)
    (tmp_path / "job.py").write_text(MISUSE)
    completed = poolcheck(str(tmp_path))
    assert completed.returncode == 1, completed.stderr
    assert f"poolcheck: warning: {bad}: skipped: {reason}\n" in completed.stderr
    assert "job.py:5:5: PCK201" in completed.stdout


@UNREADABLE
def test_unreadable_files_named_are_errors(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    bad = make(tmp_path)
    (tmp_path / "job.py").write_text(MISUSE)
    completed = poolcheck(str(bad), str(tmp_path / "job.py"))
    assert completed.returncode == 2, completed.stderr
    assert f"poolcheck: error: {bad}: cannot read: {reason}\n" in completed.stderr
    assert "job.py:5:5: PCK201" in completed.stdout


def test_endless_stdin_is_an_error() -> None:
    with open("/dev/zero", "rb") as zero:
        completed = poolcheck("-", stdin=zero)
    assert completed.returncode == 2, completed.stderr
    assert "poolcheck: error: -: cannot read: larger than 2 MiB\n" in completed.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "(a binary file?)"),
        (POOL.encode("utf-16"), "cannot decode: UTF-16 text"),
        (POOL.encode("utf-32"), "cannot decode: UTF-32 text"),
    ],
    ids=["binary", "utf-16", "utf-32"],
)
def test_undecodable_files_are_errors_even_without_a_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    """Like any undecodable file (the pre-filter, which reads bytes, would pass them)."""
    bad = tmp_path / "odd.py"
    bad.write_bytes(content)
    (tmp_path / "job.py").write_text(MISUSE)
    status, out, err = run(capsys, str(tmp_path))
    assert status == 2
    assert f"poolcheck: error: {bad}: cannot decode: " in err
    assert message in err
    assert "job.py:5:5: PCK201" in out


# -- --fix writes the file the user means, keeps what it is, and refuses a read-only one --


def test_fix_writes_the_file_a_symlink_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real.py"
    real.write_text(FIXABLE)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    assert run(capsys, "--fix", str(link))[0] == 0
    assert link.is_symlink()
    assert real.read_text() == FIXED


def test_fix_keeps_hard_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text(FIXABLE)
    os.link(first, second)
    inode = first.stat().st_ino
    assert run(capsys, "--fix", str(first))[0] == 0
    assert second.read_text() == FIXED
    assert (first.stat().st_ino, first.stat().st_nlink) == (inode, 2)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_fix_keeps_the_owner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "job.py"
    path.write_text(FIXABLE)
    os.chown(path, 65534, 65534)
    assert run(capsys, "--fix", str(path))[0] == 0
    assert path.read_text() == FIXED
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def test_fix_refuses_a_read_only_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Even for root, who may write it: the mode says the user does not want it changed."""
    locked, free = tmp_path / "a_locked.py", tmp_path / "b_free.py"
    locked.write_text(FIXABLE)
    free.write_text(FIXABLE)
    locked.chmod(0o444)
    status, _, err = run(capsys, "--fix", str(tmp_path))
    assert status == 2
    assert f"{locked}: cannot write the fixes: the file is read-only (-r--r--r--)" in err
    assert (locked.read_text(), stat.S_IMODE(locked.stat().st_mode)) == (FIXABLE, 0o444)
    assert free.read_text() == FIXED


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A file with a second hard link, so that it is written in place."""
    path = tmp_path / "job.py"
    path.write_bytes(b"old\n")
    os.link(path, tmp_path / "other.py")
    return path


def test_in_place_when_the_owner_cannot_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "job.py"
    path.write_bytes(b"old\n")
    inode = path.stat().st_ino

    def refuse(*args: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)
    write_source(str(path), b"new\n")
    assert (path.read_bytes(), path.stat().st_ino) == (b"new\n", inode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.py"]


def test_a_full_disk_leaves_the_file_as_it_was(
    linked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_pwrite = os.pwrite

    def fill_up(handle: int, data: bytes, offset: int) -> int:
        if offset > 0:  # the first write, past the old end: a byte fits, then none
            real_pwrite(handle, data[:1], offset)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", fill_up)
    with pytest.raises(FileError, match="cannot write the fixes: No space left on device"):
        write_source(str(linked), b"new and longer\n")
    assert linked.read_bytes() == b"old\n"


class Stopped(Exception):
    pass


def test_an_interrupt_waits_until_the_file_is_whole(
    linked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_pwrite = os.pwrite

    def interrupted(handle: int, data: bytes, offset: int) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        return real_pwrite(handle, data, offset)

    def stop(signum: int, frame: object) -> None:
        raise Stopped

    monkeypatch.setattr(os, "pwrite", interrupted)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(Stopped):
            write_source(str(linked), b"new and longer\n")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert linked.read_bytes() == b"new and longer\n"
