"""Ctrl-C and SIGTERM: how the command stops, and how a write in place waits for them.

Python runs signal handlers in the main thread, whichever thread a signal reaches, so
swapping the handlers works in a process with threads too (a signal mask would not: the
signal goes to a thread that does not block it).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

#: The signals that stop a run.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)

_interrupted = threading.Event()


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM reached this process; no file is written after it."""


def was_interrupted() -> bool:
    """Whether an interrupt arrived (it may surface inside a library as another error)."""
    return _interrupted.is_set()


@contextlib.contextmanager
def _handled_by(handler: Callable[[int, Any], None]) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in INTERRUPTS}
    try:
        yield
    finally:
        for sig, earlier in previous.items():
            signal.signal(sig, earlier)


def _raise_interrupt(signum: int, frame: object) -> None:
    _interrupted.set()
    raise Interrupted


@contextlib.contextmanager
def interrupts_unwind() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM raise ``Interrupted``, which runs cleanups."""
    _interrupted.clear()
    with _handled_by(_raise_interrupt):
        yield


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends (then act as usual)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only it runs them
        return
    arrived: list[int] = []
    with _handled_by(lambda signum, _: arrived.append(signum)):
        yield
    if arrived:
        signal.raise_signal(arrived[0])
