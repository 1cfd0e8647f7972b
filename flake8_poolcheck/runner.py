"""Checking and fixing files for the command line: reading them, the pre-filter, the
engine, writing fixes, and a process pool of workers for ``--jobs``."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flake8_poolcheck.output import FileReport, unified_diff
from flake8_poolcheck.prefilter import Prefilter
from flake8_poolcheck.settings import Settings

if TYPE_CHECKING:
    from flake8_poolcheck.engine import Linter


@dataclass(frozen=True)
class Job:
    """What to do with each file."""

    settings: Settings
    fix: bool
    diff: bool
    respect_noqa: bool
    text_edits: bool  # the output format shows what fixes change
    stdin_filename: str | None


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
            source = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as error:
            report.error = f"cannot read: {error.strerror or error}"
            return None, report
        return source, report

    def check(self, path: str, source: bytes, report: FileReport) -> FileReport:
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
                return report
            result = linter.fix(source, respect_noqa=job.respect_noqa)
        except SourceError as error:
            report.error = str(error)
            return report
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # a bug of ours must not cost the user the other files
            report.error = f"internal error: {type(error).__name__}: {error} (please report it)"
            return report
        report.diagnostics = result.remaining
        report.error = result.error
        if result.source == source:
            return report
        if job.diff:
            report.diff = unified_diff(report.path, source, result.source)
        elif path == "-":
            sys.stdout.buffer.write(result.source)
        else:
            try:
                write_atomically(Path(path), result.source)
            except OSError as error:
                report.error = f"cannot write the fixes: {error.strerror or error}"
                return report
        report.fixed = result.fixed
        report.names = {rule.code: rule.name for rule in linter.rules}
        return report

    def _get_linter(self) -> Linter:
        if self._linter is None:
            from flake8_poolcheck.engine import Linter

            self._linter = Linter(self.job.settings)
        return self._linter


def check_files(paths: list[str], job: Job, jobs: int) -> list[FileReport]:
    """A report for every path, in order; files that may use pools go to ``jobs`` workers."""
    checker = Checker(job)
    reports: list[FileReport] = []
    pending: list[tuple[int, str, bytes]] = []
    for path in paths:
        source, report = checker.read(path)
        reports.append(report)
        if source is None or not checker.prefilter.may_use_pools(source):
            continue
        if path == "-":  # stdin belongs to this process
            checker.check(path, source, report)
        else:
            pending.append((len(reports) - 1, path, source))
    if jobs > 1 and len(pending) > 1:
        with multiprocessing.Pool(
            min(jobs, len(pending)), initializer=_start_worker, initargs=(job,)
        ) as pool:
            done = pool.starmap(_check_in_worker, [(path, source) for _, path, source in pending])
    else:
        done = [checker.check(path, source, reports[index]) for index, path, source in pending]
    for (index, _, _), report in zip(pending, done):
        reports[index] = report
    return reports


_worker: Checker | None = None


def raise_interrupt(signum: int, frame: object) -> None:
    """A signal handler that unwinds the stack (running cleanups) like Ctrl-C does."""
    raise KeyboardInterrupt


def _start_worker(job: Job) -> None:
    global _worker
    _worker = Checker(job)
    # Ctrl-C reaches every process of the group: the parent handles it and terminates the
    # pool, whose SIGTERM then unwinds a worker that is writing a fix.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, raise_interrupt)


def _check_in_worker(path: str, source: bytes) -> FileReport:
    assert _worker is not None, "the pool's initializer sets the worker's checker"
    return _worker.check(path, source, FileReport(path))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` through a renamed temporary file, keeping its mode."""
    mode = path.stat().st_mode
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
