"""PCK405 task-exits-worker."""

from __future__ import annotations

from flake8_poolcheck.analysis.functions import FunctionFacts
from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, PoolKind
from flake8_poolcheck.analysis.tasks import ModuleTask
from flake8_poolcheck.rules import TaskBodyRule


class TaskExitsWorker(TaskBodyRule):
    """## What it does
    Flags a module function used as a pool task that calls `sys.exit()`, `exit()`,
    `quit()` or `os._exit()`, directly or in a module function it calls.

    ## Why is this bad?
    In a process pool, exiting ends the worker without an exception. The pool
    replaces the worker, but the task's result never arrives: `map()`, `.get()`
    and `imap` iteration wait forever, and so does `close(); join()` afterwards
    (`terminate()` still works; CPython gh-66587). In a thread pool `sys.exit()`
    ends the worker thread and the result never arrives either, and `os._exit()`
    ends the whole program. A `concurrent.futures` executor does not hang: it
    re-raises `SystemExit` in the caller at `.result()`, which ends the caller's
    program unless it is caught, and a process executor whose worker calls
    `os._exit()` raises `BrokenProcessPool` and takes no more work. Raise an
    exception instead: the pool delivers it to the caller.

    ## Example
    ```python
    import sys
    from multiprocessing import Pool


    def work(x):
        if x < 0:
            sys.exit(1)
        return x


    def main(items):
        with Pool() as pool:
            return pool.map(work, items)
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def work(x):
        if x < 0:
            raise ValueError(f"negative input: {x}")
        return x


    def main(items):
        with Pool() as pool:
            return pool.map(work, items)
    ```

    ## Fix safety
    There is no fix: which exception to raise is the author's decision.

    ## References
    - [CPython gh-66587: Pool hangs when a worker exits](https://github.com/python/cpython/issues/66587)
    """

    code = "PCK405"
    name = "task-exits-worker"
    summary = (
        "A task calls `sys.exit()` or `os._exit()`: a pool's worker ends without an"
        " exception and the result never arrives; an executor raises SystemExit in the"
        " caller."
    )
    kinds = frozenset(
        {PoolKind.PROCESS, PoolKind.THREAD, PoolKind.PROCESS_EXECUTOR, PoolKind.THREAD_EXECUTOR}
    )

    def body_does(self, facts: FunctionFacts) -> bool:
        return bool(facts.exits)

    def report_task(self, task: ModuleTask, found: str, facts: FunctionFacts) -> None:
        name = task.function.name.value
        via = "" if found == name else f" (in `{found}()`)"
        exit_call = facts.exits[0]
        kind = task.pool_call.pool.kind
        where = task.pool_call.method.returns.error_surfaces_at
        threads = kind in (PoolKind.THREAD, PoolKind.THREAD_EXECUTOR)
        if threads and exit_call == "os._exit()":
            consequence = "ends the whole program from a worker thread, with no cleanup"
        elif kind is PoolKind.PROCESS_EXECUTOR and exit_call == "os._exit()":
            consequence = (
                f"kills the worker: {where} raises BrokenProcessPool and the executor"
                " takes no more work"
            )
        elif kind in EXECUTOR_KINDS:
            consequence = (
                "raises SystemExit, and the executor raises it again in the caller at"
                f" {where}: it ends the caller's program unless caught"
            )
        else:
            consequence = (
                "ends the worker without an exception: the result never arrives and "
                f"`{task.pool_call.method.name}()` waits forever (so does `close(); join()`)"
            )
        message = f"`{name}` calls `{exit_call}`{via}, which {consequence}"
        self.report(task.task, f"{message}; raise an exception instead")
