"""PCK401 pool-without-main-guard."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.functions import FunctionFacts
from flake8_poolcheck.analysis.pools import PICKLING_KINDS, Pool, PoolKind
from flake8_poolcheck.analysis.scopes import ScopeKind
from flake8_poolcheck.analysis.tasks import ProcessCall, process_call
from flake8_poolcheck.analysis.values import Function, FunctionPlace, PoolValue
from flake8_poolcheck.rules import Rule, per_file


class PoolWithoutMainGuard(Rule):
    """## What it does
    Flags a process pool (`multiprocessing`, `torch.multiprocessing`, `billiard`, a
    `multiprocess` pool, whose dill changes pickling but not how workers start, or a
    `ProcessPoolExecutor`) created by code that runs when the module is imported:
    at module level, or in a module function called from module level, outside
    `if __name__ == "__main__":` (a `ProcessPoolExecutor` made at module level only
    when it is also given work there: it starts no worker before); and a
    `multiprocessing.Process` started at module
    level outside the guard (`Process(...).start()`, or a module-level name bound
    to a `Process(...)` and started there). A pool or process from an explicit fork
    context (`get_context("fork")`, or `set_start_method("fork")` in the module) is
    not flagged.

    ## Why is this bad?
    Under the spawn and forkserver start methods (the default on macOS and
    Windows, and on Linux from Python 3.14) every worker starts by importing the
    main module. An unguarded module creates a pool again while the worker is
    still starting, so the worker dies with `RuntimeError: An attempt has been
    made to start a new process before the current process has finished its
    bootstrapping phase` printed on its stderr. The parent never sees that error:
    it replaces the dead workers forever, and the call that waits for the tasks
    hangs. A `ProcessPoolExecutor` fails instead: `BrokenProcessPool` at the first
    `.result()`. A `Process` child dies the same way, before its target runs,
    with exit code 1, and nothing in the parent raises. Under fork the same code
    happens to work.

    ## Example
    ```python
    from multiprocessing import Pool


    def square(x):
        return x * x


    with Pool() as pool:
        print(pool.map(square, range(10)))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def square(x):
        return x * x


    if __name__ == "__main__":
        with Pool() as pool:
            print(pool.map(square, range(10)))
    ```

    ## Fix safety
    There is no fix: which statements belong under the guard is the author's call.

    ## References
    - [Python docs: safe importing of the main module](https://docs.python.org/3/library/multiprocessing.html#the-spawn-and-forkserver-start-methods)
    - [Python docs: contexts and start methods](https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods)
    """

    code = "PCK401"
    name = "pool-without-main-guard"
    summary = (
        "A process pool is created, or a process started, when the module is imported:"
        " spawn and forkserver workers re-import it and die while starting; the pool"
        " hangs (a ProcessPoolExecutor raises BrokenProcessPool, a Process's target"
        " never runs)."
    )
    kinds = PICKLING_KINDS | {PoolKind.DILL}  # dill changes pickling, not how workers start
    _created_at_import: list[Pool] = per_file(list)
    _called_at_import: list[tuple[cst.Call, str]] = per_file(list)
    #: Module-level names bound to a ``Process(...)`` outside the main guard, and the call.
    _processes: dict[str, tuple[cst.Call, ProcessCall]] = per_file(dict)
    _started_at_import: list[tuple[cst.Call, ProcessCall]] = per_file(list)
    #: Pools given work at import time (an executor starts its workers only then).
    _used_at_import: set[Pool] = per_file(set)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.model.at_import_time or self.model.in_main_guard:
            return
        value = self.model.value_of(node)
        if isinstance(value, PoolValue) and value.pool.kind in self.kinds:
            self._created_at_import.append(value.pool)
            return
        if self._process_started(node):
            return
        pool_call = self.pool_call(node)
        if pool_call is not None:
            self._used_at_import.add(pool_call.pool)
            return
        callee = self.model.value_of(node.func)
        if isinstance(callee, Function) and callee.place is FunctionPlace.MODULE:
            self._called_at_import.append((node, callee.node.name.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        model = self.model
        if model.scope.kind is not ScopeKind.MODULE or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if type(target) is not cst.Name:
            return
        value = node.value
        if type(value) is cst.Call and not model.in_main_guard:
            process = process_call(model, value)
            if process is not None:
                self._processes[target.value] = (value, process)
                return
        self._processes.pop(target.value, None)  # rebound to something else

    def _process_started(self, node: cst.Call) -> bool:
        """Note ``node`` if it starts a process made at import time: ``p.start()`` for a
        module-level ``p = Process(...)``, or ``Process(...).start()``."""
        func = node.func
        if type(func) is not cst.Attribute or func.attr.value != "start" or node.args:
            return False
        receiver = func.value
        started = None
        if type(receiver) is cst.Name:
            started = self._processes.get(receiver.value)
        elif type(receiver) is cst.Call:
            process = process_call(self.model, receiver)
            started = (receiver, process) if process is not None else None
        if started is not None:
            self._started_at_import.append(started)
        return started is not None

    def leave_Module(self, node: cst.Module) -> None:
        # Decided at the end: functions defined later and set_start_method() count too.
        for call, process in self._started_at_import:
            if not self.model.runs_under_fork(process.start_method):
                self.report(call, _message("A process is started", None))
        for pool in self._created_at_import:
            lazy = pool.kind is PoolKind.PROCESS_EXECUTOR and pool not in self._used_at_import
            if self._may_spawn(pool) and not lazy:
                assert pool.created_by is not None
                what = f"A {_NOUN[pool.kind]} is created"
                self.report(pool.created_by, _message(what, pool))
        for call, name in self._called_at_import:
            creator = self.model.reaches(name, self._creates_spawning_pool)
            if creator is not None:
                pool = self._spawning_pools(self.model.functions[creator])[0]
                through = "" if creator == name else f" (through `{creator}()`)"
                what = f"`{name}()` creates a {_NOUN[pool.kind]}{through} and is called"
                self.report(call, _message(what, pool))

    def _creates_spawning_pool(self, facts: FunctionFacts) -> bool:
        return bool(self._spawning_pools(facts))

    def _spawning_pools(self, facts: FunctionFacts) -> list[Pool]:
        return [pool for pool in facts.pools if pool.kind in self.kinds and self._may_spawn(pool)]

    def _may_spawn(self, pool: Pool) -> bool:
        return not self.model.runs_under_fork(pool.start_method)


_NOUN = {
    PoolKind.PROCESS: "process pool",
    PoolKind.DILL: "process pool",
    PoolKind.PROCESS_EXECUTOR: "ProcessPoolExecutor",
}


def _message(what: str, pool: Pool | None) -> str:
    """The message for a pool, or (``pool`` None) a process, that starts at import."""
    if pool is None:
        fate = (
            "the child re-imports the module and dies while starting (RuntimeError), so the"
            " target never runs, and nothing in the parent raises"
        )
    else:
        fate = "every worker re-imports the module and dies while starting, and " + (
            "the executor raises BrokenProcessPool where its results are read"
            if pool.kind is PoolKind.PROCESS_EXECUTOR
            else "the pool hangs"
        )
    return (
        f'{what} when the module is run or imported, outside `if __name__ == "__main__":`:'
        " under the spawn and forkserver start methods (the default on macOS, Windows, and"
        f" Linux from Python 3.14) {fate}; move it under the guard"
    )
