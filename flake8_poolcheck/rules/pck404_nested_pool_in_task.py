"""PCK404 nested-pool-in-task."""

from __future__ import annotations

from flake8_poolcheck.analysis.functions import FunctionFacts
from flake8_poolcheck.analysis.pools import PROCESS_KINDS
from flake8_poolcheck.analysis.tasks import ModuleTask
from flake8_poolcheck.rules import TaskBodyRule

#: Process pools and dill pools both run their tasks in daemonic worker processes.


class NestedPoolInTask(TaskBodyRule):
    """## What it does
    Flags a module function used as the task of a process pool when it creates a
    process pool or a `multiprocessing.Process` itself, directly or in a module
    function it calls.

    ## Why is this bad?
    A pool's workers are daemonic processes, and a daemonic process may not start
    children: the task fails with `AssertionError: daemonic processes are not
    allowed to have children`, raised where the result is read (`apply_async`
    itself returns normally). The check is an `assert`, which `python -O` skips.
    A thread pool inside the task is fine, and so is a process pool inside a
    thread-pool task. Each library keeps its own record of which process is daemonic,
    so a `multiprocess` (dill) pool inside a `multiprocessing` task, or the reverse,
    works as well (measured); the rule speaks of `multiprocessing` pools only.

    ## Example
    ```python
    from multiprocessing import Pool


    def inner(x):
        return x * x


    def outer(xs):
        with Pool(2) as pool:
            return pool.map(inner, xs)


    def main():
        with Pool() as pool:
            return pool.map(outer, [[1, 2], [3]])
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool
    from multiprocessing.pool import ThreadPool


    def inner(x):
        return x * x


    def outer(xs):
        with ThreadPool(2) as pool:
            return pool.map(inner, xs)


    def main():
        with Pool() as pool:
            return pool.map(outer, [[1, 2], [3]])
    ```

    ## Fix safety
    There is no fix: flattening the work into one pool is a redesign.

    ## References
    - [Python docs: `Process.daemon`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.Process.daemon)
    """

    code = "PCK404"
    name = "nested-pool-in-task"
    summary = (
        "A process-pool task creates a process pool or a Process, which its daemonic worker"
        " may not: AssertionError."
    )
    kinds = PROCESS_KINDS

    def body_does(self, facts: FunctionFacts) -> bool:
        spawning = any(pool.kind in PROCESS_KINDS for pool in facts.pools)
        return spawning or bool(facts.processes)

    def report_task(self, task: ModuleTask, found: str, facts: FunctionFacts) -> None:
        name = task.function.name.value
        made = "a process pool" if facts.pools else "a `Process`"
        how = f"creates {made}" + ("" if found == name else f" (in `{found}()`)")
        where = task.pool_call.method.returns.error_surfaces_at
        message = (
            f"`{name}` runs in a daemonic pool worker and {how}: AssertionError: daemonic"
            f" processes are not allowed to have children, at {where} (an assert, which"
            " `python -O` skips); use a ThreadPool inside the task, or one pool for all work"
        )
        self.report(task.task, message)
