"""The ``--jobs`` workers: quiet shutdown, prompt interrupts, no orphans, no lost files.

Each run here is a real ``poolcheck`` process over a tree that gives every worker work.
A subprocess timeout only detects a hang; nothing here measures speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

FIXABLE = (
    "import multiprocessing\n\n\n"
    "def run(pool: multiprocessing.pool.ThreadPool, pairs):\n"
    "    return pool.map(lambda pair: divmod(*pair), pairs)\n"
) * 20
HANG_SECONDS = 60

pytestmark = pytest.mark.slow


def make_tree(root: Path, files: int) -> list[Path]:
    paths = [root / f"job_{index:03}.py" for index in range(files)]
    for path in paths:
        path.write_text(FIXABLE)
    return paths


def start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    """``poolcheck`` in a session of its own, as a terminal would run it."""
    command = [sys.executable, "-m", "flake8_poolcheck", "--isolated", *args, str(root)]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def group_members(process: subprocess.Popen[bytes]) -> list[str]:
    found = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    return found.stdout.split()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def modified_since(paths: list[Path], moment_ns: int) -> list[Path]:
    return [path for path in paths if path.stat().st_mtime_ns > moment_ns]


def test_runs_end_quietly(tmp_path: Path) -> None:
    """Normal runs end without a signal to idle workers: nothing on stderr, ever."""
    make_tree(tmp_path, 12)
    for _ in range(20):
        process = start(tmp_path, "--jobs", "2")
        _, err = process.communicate(timeout=HANG_SECONDS)
        assert process.returncode == 1
        assert err == b""


def interrupt_group_with_sigint(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal


def terminate_the_parent(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)  # `kill PID`


def terminate_the_group(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)  # `timeout`, a service manager


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    "interrupt", [interrupt_group_with_sigint, terminate_the_parent, terminate_the_group]
)
def test_an_interrupt_stops_the_fixing(
    tmp_path: Path, jobs: str, interrupt: Callable[[subprocess.Popen[bytes]], None]
) -> None:
    """The run stops at once, writes no file after the signal, and leaves every file whole."""
    paths = make_tree(tmp_path, 300)
    process = start(tmp_path, "--fix", "--jobs", jobs)
    wait_until(lambda: any(path.read_text() != FIXABLE for path in paths), "a file was fixed")
    sent = time.time_ns()
    interrupt(process)
    _, err = process.communicate(timeout=HANG_SECONDS)
    assert process.returncode == 130
    assert err.decode() == "poolcheck: interrupted; every file is either unchanged or fixed\n"
    # A write that had begun may end a moment after the signal; none starts later.
    assert modified_since(paths, sent + 500_000_000) == []
    contents = [path.read_text() for path in paths]
    assert FIXABLE in contents, "the run finished before the signal"
    assert {len(text.splitlines()) for text in contents} == {len(FIXABLE.splitlines())}
    assert sorted(tmp_path.iterdir()) == paths  # no temporary file left
    wait_until(lambda: group_members(process) == [], "every worker ended")


def test_workers_end_when_the_parent_is_killed(tmp_path: Path) -> None:
    paths = make_tree(tmp_path, 300)
    process = start(tmp_path, "--fix", "--jobs", "2")
    wait_until(lambda: any(path.read_text() != FIXABLE for path in paths), "a file was fixed")
    process.kill()
    process.wait()
    killed = time.time_ns()
    wait_until(lambda: group_members(process) == [], "the orphaned workers ended")
    assert modified_since(paths, killed) == []


def test_a_killed_worker_costs_only_its_files(tmp_path: Path) -> None:
    """A worker that dies (the OOM killer, a crash in a parser) ends in a clear error for
    the files it had not finished; every other file is still checked and fixed."""
    paths = make_tree(tmp_path, 300)
    process = start(tmp_path, "--fix", "--jobs", "2")
    wait_until(lambda: any(path.read_text() != FIXABLE for path in paths), "a file was fixed")
    workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
    os.kill(int(workers.stdout.split()[0]), signal.SIGKILL)
    _, err = process.communicate(timeout=HANG_SECONDS)
    assert process.returncode == 2
    lines = err.decode().splitlines()
    assert lines, "the lost files were not reported"
    assert all(line.endswith("not checked: its worker process died") for line in lines), lines
    assert "Traceback" not in err.decode()
    lost = {line.split(": ")[2] for line in lines}
    fixed = [path for path in paths if path.read_text() != FIXABLE]
    assert fixed, "no file was fixed"
    assert not lost & {str(path) for path in fixed}
