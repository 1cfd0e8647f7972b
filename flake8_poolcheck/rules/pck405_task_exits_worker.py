"""PCK405 task-exits-worker."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from flake8_poolcheck.pools import PoolKind
from flake8_poolcheck.rules import Report, Rule
from flake8_poolcheck.semantic import FunctionFacts, SemanticModel
from flake8_poolcheck.tasks import ModuleTask, module_task


def _exits(facts: FunctionFacts) -> bool:
    return bool(facts.exits)


class TaskExitsWorker(Rule):
    """## What it does
    Flags a module function used as a pool task that calls `sys.exit()`, `exit()`,
    `quit()` or `os._exit()`, directly or in a module function it calls.

    ## Why is this bad?
    In a process pool, exiting ends the worker without an exception. The pool
    replaces the worker, but the task's result never arrives: `map()`, `.get()`
    and `imap` iteration wait forever, and so does `close(); join()` afterwards
    (`terminate()` still works; CPython gh-66587). In a thread pool `sys.exit()`
    ends the worker thread and the result never arrives either. Raise an
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
    message = (
        "`{task}` calls `{exit}`{via}, which ends the worker without an exception: the "
        "result never arrives and `{method}()` waits forever (so does `close(); join()`); "
        "raise an exception instead"
    )
    kinds = frozenset({PoolKind.PROCESS, PoolKind.THREAD})

    def __init__(self, model: SemanticModel, sink: Callable[[Report], None]) -> None:
        super().__init__(model, sink)
        self._tasks: list[ModuleTask] = []

    def visit_Call(self, node: cst.Call) -> None:
        task = module_task(self.model, node, self.kinds)
        if task is not None:
            self._tasks.append(task)

    def leave_Module(self, node: cst.Module) -> None:
        for task in self._tasks:
            name = task.function.name.value
            found = self.model.reaches(name, _exits, depth=1)
            if found is None:
                continue
            via = "" if found == name else f" (in `{found}()`)"
            exit_call = self.model.functions[found].exits[0]
            method = task.pool_call.method.name
            self.report(task.task, task=name, exit=exit_call, via=via, method=method)
