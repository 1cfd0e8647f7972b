"""Runs one runtime case in this fresh interpreter and prints its outcome as JSON.

    python launch.py KIND FIXTURE [CASE]

KIND is fork, spawn, forkserver (made the default start method, not fixed), thread,
dill, executor-fork, executor-spawn, executor-forkserver (a ``ProcessPoolExecutor``
with that start method, also made the default) or thread-executor. The fixture runs as
the real ``__main__`` module (so spawn and forkserver workers can import it). With CASE,
the function of that name is called, with a pool of KIND when it takes one;
without, the program itself is the case.

A watcher thread proves hangs instead of waiting them out: when the case's thread waits
with no timeout for a pool's result that can no longer come, it prints why and ends
the run. The reasons it knows:

- ``worker-died``: a worker of the pool ended while the pool was running and a job was
  pending (a task that exits or is killed; workers that die while starting);
- ``terminated``: the pool was terminated while a job was pending;
- ``tasks-never-sent``: every task the pool sent for a job has answered, and the job
  still waits for more (an input that failed while it was being cut into chunks).

An input read into a list without end holds the interpreter's lock, so no thread here
can see it: the suite proves that one from outside, by the memory it takes.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import importlib
import inspect
import json
import multiprocessing
import multiprocessing.pool
import os
import sys
import threading
import time
import traceback
import types
import weakref
from collections.abc import Callable, Iterator

OUTCOME_MARKER = "POOLCHECK-OUTCOME "
#: How often the watcher looks at the case, and how long a reason must hold.
WATCH_SECONDS = 0.05
CONFIRM_SECONDS = 0.5

#: Every worker each pool started; weak, so that a pool no one holds is still collected.
_workers: weakref.WeakKeyDictionary[multiprocessing.pool.Pool, list[object]] = (
    weakref.WeakKeyDictionary()
)
_sent: dict[int, int] = {}  # tasks generated, by job, once the job's generator is done
_answered: dict[int, int] = {}  # results received, by job
_report_lock = threading.Lock()
_pool_module: types.ModuleType = multiprocessing.pool  # multiprocess.pool for dill pools


def _record_pools(pool_module: types.ModuleType) -> None:
    """Remember every pool this process makes, and every worker each one starts."""
    global _pool_module
    _pool_module = pool_module
    pool_class = pool_module.Pool
    original_init = pool_class.__init__
    original_repopulate = pool_class._repopulate_pool_static  # type: ignore[attr-defined]

    def init(self: multiprocessing.pool.Pool, *args: object, **kwargs: object) -> None:
        _workers[self] = []
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    def repopulate(*args: object) -> None:
        workers = args[3]
        assert isinstance(workers, list)
        started = len(workers)
        original_repopulate(*args)
        for pool, started_workers in list(_workers.items()):
            if pool._pool is workers:  # type: ignore[attr-defined]
                started_workers.extend(workers[started:])

    original_generation = pool_class._guarded_task_generation  # type: ignore[attr-defined]

    def generation(self: object, job: int, *args: object) -> Iterator[object]:
        count = 0
        for task in original_generation(self, job, *args):
            count += 1
            yield task
        _sent[job] = count

    pool_class.__init__ = init  # type: ignore[method-assign]
    pool_class._repopulate_pool_static = staticmethod(repopulate)  # type: ignore[attr-defined]
    pool_class._guarded_task_generation = generation  # type: ignore[attr-defined]
    for result_class in {cls for cls in vars(pool_module).values()
                         if isinstance(cls, type) and "_set" in vars(cls)}:  # fmt: skip
        result_class._set = _counting(result_class._set)  # type: ignore[attr-defined]


def _counting(original: Callable[..., None]) -> Callable[..., None]:
    def set_result(self: object, *args: object) -> None:
        job = self._job  # type: ignore[attr-defined]
        _answered[job] = _answered.get(job, 0) + 1
        original(self, *args)

    return set_result


def _worker_died(pool: multiprocessing.pool.Pool, worker: object) -> bool:
    if isinstance(worker, threading.Thread):
        return worker.ident is not None and not worker.is_alive()
    exitcode = getattr(worker, "exitcode", None)
    return exitcode is not None and (exitcode != 0 or pool._maxtasksperchild is None)  # type: ignore[attr-defined]


def _waits_forever(thread_id: int) -> bool:
    """Whether the thread is in a pool's wait for a result, with no timeout."""
    frame = sys._current_frames().get(thread_id)
    in_pool = False
    waits = False
    while frame is not None:
        code = frame.f_code
        if code.co_filename == _pool_module.__file__:
            in_pool = True
        if code.co_name == "wait" and code.co_filename == threading.__file__:
            waits = frame.f_locals.get("timeout") is None
        frame = frame.f_back
    return in_pool and waits


def _why_stuck(thread_id: int) -> str | None:
    """The reason the thread can never finish, if there is one (see the module's doc)."""
    if not _waits_forever(thread_id):
        return None
    for pool, workers in list(_workers.items()):
        if not pool._cache:  # type: ignore[attr-defined]
            continue
        if pool._state == _pool_module.TERMINATE:  # type: ignore[attr-defined]
            return "terminated"
        if any(_sent.get(job, -1) == _answered.get(job, 0) for job in list(pool._cache)):  # type: ignore[attr-defined]
            return "tasks-never-sent"
        running = pool._state == _pool_module.RUN  # type: ignore[attr-defined]
        if running and any(_worker_died(pool, worker) for worker in workers):
            return "worker-died"
    return None


def _report(outcome: dict[str, object]) -> None:
    """Print the outcome once and end the process (no pool finalizers: some are broken)."""
    with _report_lock:
        sys.stdout.write(f"\n{OUTCOME_MARKER}{json.dumps(outcome)}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _watch(thread_id: int) -> None:
    since: float | None = None
    while True:
        time.sleep(WATCH_SECONDS)
        reason = _why_stuck(thread_id)
        if reason is None:
            since = None
        elif since is None:
            since = time.monotonic()
        elif time.monotonic() - since >= CONFIRM_SECONDS:
            _report({"hung": reason})


def _pool(kind: str) -> object:
    if kind == "thread-executor":
        return concurrent.futures.ThreadPoolExecutor(2)
    if kind.startswith("executor-"):
        context = multiprocessing.get_context(kind.partition("-")[2])
        return concurrent.futures.ProcessPoolExecutor(2, mp_context=context)
    if kind == "thread":
        from multiprocessing.pool import ThreadPool

        return ThreadPool(2)
    if kind == "dill":
        import multiprocess

        return multiprocess.get_context("spawn").Pool(2)
    return multiprocessing.get_context(kind).Pool(2)


def _failure(error: BaseException, path: str, case: str | None) -> dict[str, object]:
    """The exception, and the line of the case (or program) where it surfaced."""
    frame_name = case or "<module>"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == path and frame.name == frame_name
    ]
    return {
        "raised": type(error).__name__,
        "message": str(error)[:2000],
        "line": frames[-1].line if frames else None,
    }


def main() -> None:
    kind, path = sys.argv[1], os.path.abspath(sys.argv[2])
    case = sys.argv[3] if len(sys.argv) > 3 else None
    method = kind.removeprefix("executor-")
    if method in ("fork", "spawn", "forkserver"):
        # The method becomes the platform's default, as forkserver became Linux's in Python
        # 3.14, without fixing it: a fixture may still call set_start_method() as a program
        # would.
        default = multiprocessing.context._default_context
        default._default_context = multiprocessing.get_context(method)  # type: ignore[attr-defined]
    sys.path.insert(0, os.path.dirname(path))
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    sys.argv = [path]
    _record_pools(
        importlib.import_module("multiprocess.pool" if kind == "dill" else "multiprocessing.pool")
    )
    watcher = threading.Thread(target=_watch, args=(threading.get_ident(),), daemon=True)
    watcher.start()
    outcome: dict[str, object]
    try:
        with open(path, encoding="utf-8") as file:
            code = compile(file.read(), path, "exec")
        exec(code, module.__dict__)
        result = None
        if case is not None:
            function = getattr(module, case)
            takes_pool = bool(inspect.signature(function).parameters)
            result = function(_pool(kind)) if takes_pool else function()
        outcome = {"returned": repr(result)}
    except BaseException as error:  # the outcome under test may be any exception
        outcome = _failure(error, path, case)
    _report(outcome)


if __name__ == "__main__":
    main()
