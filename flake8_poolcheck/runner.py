"""Checking and fixing files for the command line: reading them, the pre-filter, the
engine, writing fixes, and the worker processes of ``--jobs``.

Workers only compute; this process alone writes files. So an interrupt stops the writing
at once, and a worker can be killed at any moment without leaving a file half-written.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flake8_poolcheck.diagnostics import FileReport
from flake8_poolcheck.files import FileError, decode_source, read_file, read_stdin, write_source
from flake8_poolcheck.interrupts import Interrupted, was_interrupted
from flake8_poolcheck.output import unified_diff
from flake8_poolcheck.prefilter import Prefilter
from flake8_poolcheck.settings import Settings

if TYPE_CHECKING:
    from flake8_poolcheck.engine import Linter

#: How often an idle worker looks whether the process that started it is still there.
ORPHAN_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Job:
    """What to do with each file."""

    settings: Settings
    fix: bool
    diff: bool
    respect_noqa: bool
    text_edits: bool  # the output format shows what fixes change
    stdin_filename: str | None


@dataclass
class Checked:
    """A file's report, and its fixed text when the fixes changed it (not yet written)."""

    report: FileReport
    fixed_source: bytes | None = None


class Checker:
    """Checks files for one job; LibCST and the engine load only when a file needs them."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.prefilter = Prefilter(job.settings)
        self._linter: Linter | None = None

    def read(self, path: str) -> tuple[bytes | None, FileReport]:
        """The file's bytes (None if unreadable) and the report to fill for it."""
        report = FileReport((self.job.stdin_filename or "-") if path == "-" else path)
        try:
            source = read_stdin() if path == "-" else read_file(path)
        except FileError as error:
            report.error = str(error)
            return None, report
        try:
            decode_source(source)
        except FileError as error:
            report.error = str(error)  # the bytes are still returned: `--fix -` echoes them
        return source, report

    def check(self, source: bytes, report: FileReport) -> Checked:
        """Check (and with the job's fixes, fix) one file's text; write nothing."""
        from flake8_poolcheck.engine import SourceError, source_text

        job = self.job
        linter = self._get_linter().for_file(report.path)
        try:
            if not (job.fix or job.diff):
                report.diagnostics = linter.check(
                    source, respect_noqa=job.respect_noqa, text_edits=job.text_edits
                )
                if job.text_edits:
                    report.lines = source_text(source).splitlines(keepends=True)
                return Checked(report)
            result = linter.fix(source, respect_noqa=job.respect_noqa)
        except SourceError as error:
            report.error = str(error)
            return Checked(report)
        except Exception as error:  # a bug of ours must not cost the user the other files
            if was_interrupted():  # the interrupt surfaced inside a library as another error
                raise Interrupted from error
            report.error = f"internal error: {type(error).__name__}: {error} (please report it)"
            return Checked(report)
        report.diagnostics = result.remaining
        report.error = result.error
        if result.source == source:
            return Checked(report)
        report.fixed = result.fixed
        report.names = {rule.code: rule.name for rule in linter.rules}
        if job.diff:
            report.diff = unified_diff(report.path, source, result.source)
            return Checked(report)
        return Checked(report, result.source)

    def check_file(self, path: str) -> Checked:
        """Read and check one file (in a worker: the parent sends names, not contents)."""
        source, report = self.read(path)
        return Checked(report) if source is None or report.error else self.check(source, report)

    def _get_linter(self) -> Linter:
        if self._linter is None:
            from flake8_poolcheck.engine import Linter

            self._linter = Linter(self.job.settings)
        return self._linter


def check_files(paths: list[str], job: Job, jobs: int) -> list[FileReport]:
    """A report for every path, in order; files that may use pools go to ``jobs`` workers."""
    checker = Checker(job)
    reports: list[FileReport] = []
    pending: dict[int, tuple[str, bytes]] = {}  # the files that may use pools, by position
    for path in paths:
        source, report = checker.read(path)
        reports.append(report)
        may_use_pools = (
            source is not None and report.error is None and checker.prefilter.may_use_pools(source)
        )
        if path == "-":  # stdin belongs to this process
            reports[-1] = _check_stdin(checker, source, report, may_use_pools)
        elif may_use_pools:
            assert source is not None
            pending[len(reports) - 1] = (path, source)
    results: Generator[tuple[int, Checked], None, None]
    if jobs > 1 and len(pending) > 1:
        paths_by_index = {index: path for index, (path, _) in pending.items()}
        results = _check_in_workers(paths_by_index, job, min(jobs, len(pending)))
    else:
        results = ((i, checker.check(source, reports[i])) for i, (_, source) in pending.items())
    with contextlib.closing(results):  # an interrupt while writing stops the workers too
        for index, checked in results:
            reports[index] = _write_fixes(pending[index][0], checked)
    return reports


def _check_stdin(
    checker: Checker, source: bytes | None, report: FileReport, may_use_pools: bool
) -> FileReport:
    if source is None:
        return report
    text = source
    if may_use_pools:
        text = checker.check(source, report).fixed_source or source
    if checker.job.fix and not checker.job.diff:
        # An editor replaces its buffer with what it reads back: always the whole text.
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    return report


def _write_fixes(path: str, checked: Checked) -> FileReport:
    report = checked.report
    if checked.fixed_source is not None:
        try:
            write_source(path, checked.fixed_source)
        except FileError as error:
            report.error = str(error)
            report.fixed.clear()
    return report


def _check_in_workers(
    paths: dict[int, str], job: Job, workers: int
) -> Generator[tuple[int, Checked], None, None]:
    """Each file's check, by position, as the workers finish them.

    A process pool executor, not ``multiprocessing.Pool``: its shutdown never waits on a
    queue lock, so a worker killed from outside (``timeout``, a process group's SIGTERM)
    cannot leave this process hanging. Workers are sent file names, never contents, so
    no pipe between the processes is ever full when one of them dies. A normal run ends
    with ``shutdown(wait=True)``, which sends the idle workers no signal; an interrupt
    kills the workers (they write nothing) and then waits for the executor to wind down.
    """
    before = set(multiprocessing.active_children())
    executor = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(job, os.getpid()))
    try:
        futures = {executor.submit(_check_in_worker, path): index for index, path in paths.items()}
        for future in as_completed(futures):
            yield futures[future], _result(future, paths[futures[future]])
    except BaseException:
        for worker in set(multiprocessing.active_children()) - before:
            worker.kill()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _result(future: Future[Checked], path: str) -> Checked:
    try:
        return future.result()
    except BrokenProcessPool:
        report = FileReport(path, error="not checked: its worker process died")
        return Checked(report)


_worker: Checker | None = None


def _start_worker(job: Job, parent: int) -> None:
    global _worker
    _worker = Checker(job)
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides.
    # SIGTERM keeps its default action: a worker writes nothing, so it may die at any time.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits our handler
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_SECONDS)
    os._exit(1)


def _check_in_worker(path: str) -> Checked:
    assert _worker is not None, "the executor's initializer sets the worker's checker"
    return _worker.check_file(path)
