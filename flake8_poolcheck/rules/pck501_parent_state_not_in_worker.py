"""PCK501 parent-state-not-in-worker."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.analysis.pools import PoolKind
from flake8_poolcheck.analysis.state import Change, ModuleState, import_time_names
from flake8_poolcheck.analysis.tasks import ModuleTask
from flake8_poolcheck.analysis.values import Function, FunctionPlace, Partial
from flake8_poolcheck.rules import Rule, per_file


@dataclass(frozen=True)
class _Submitted:
    """A module function given to a process pool, and where the pool call stands."""

    task: ModuleTask
    body: str | None  # the module function the call is in
    in_main: bool  # the call is in the main block itself
    order: int


class ParentStateNotInWorker(Rule):
    """## What it does
    Flags a task of a process pool or `ProcessPoolExecutor` that reads a
    module-level name (itself, or in a module function it calls) which the parent
    changes at run time: binds or
    defines in `if __name__ == "__main__":`, binds in a function through `global`,
    or changes by item or attribute assignment or a mutating method (`update()`,
    `append()`, `setdefault()`, ...) from the main block or a function it runs.
    Not flagged: names never changed after import, changes made when the module is
    imported, names the task (or the pool's `initializer=`) sets itself, imported
    modules (spawn sends `sys.path`, children inherit `os.environ`), thread pools,
    and pools whose context is explicitly fork.

    ## Why is this bad?
    Under the fork start method a worker is a copy of the parent and sees what the
    parent did before the pool started. Under spawn and forkserver (the default on
    macOS and Windows, and on Linux from Python 3.14) each worker imports the module
    afresh: the main block does not run there and neither do the parent's
    functions, so the worker sees the value the name had at import time. Nothing
    warns: the results are silently wrong, or the task fails on the old value. A
    name that only the main block (or a function through `global`) binds does not
    exist in the worker at all: the task raises `NameError` (at `.result()` of an
    executor's future, or as its `map()` is iterated).

    ## Example
    ```python
    from multiprocessing import Pool

    SCALE = 1


    def work(x):
        return x * SCALE


    if __name__ == "__main__":
        SCALE = 3
        with Pool() as pool:
            print(pool.map(work, range(10)))
    ```

    ## Use instead
    ```python
    from functools import partial
    from multiprocessing import Pool


    def work(x, scale):
        return x * scale


    if __name__ == "__main__":
        with Pool() as pool:
            print(pool.map(partial(work, scale=3), range(10)))
    ```
    A value every task needs can be sent once per worker with
    `Pool(initializer=..., initargs=(value,))`, whose initializer stores it.

    ## Fix safety
    There is no fix: how the value should reach the task is the author's call.

    ## References
    - [Python docs: contexts and start methods](https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods)
    - [Python docs: explicitly pass resources to child processes](https://docs.python.org/3/library/multiprocessing.html#programming-guidelines)
    """

    code = "PCK501"
    name = "parent-state-not-in-worker"
    summary = (
        "A process-pool task reads module state the parent changes at run time: spawn and"
        " forkserver workers see its import-time value instead, silently."
    )
    kinds = frozenset({PoolKind.PROCESS, PoolKind.DILL, PoolKind.PROCESS_EXECUTOR})
    _state: ModuleState = per_file(ModuleState)
    _submitted: list[_Submitted] = per_file(list)

    def visit_Name(self, node: cst.Name) -> None:
        self._state.name(self.model, node)

    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._state.assigned(self.model, target.target)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._state.assigned(self.model, node.target)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self._state.assigned(self.model, node.target)

    def visit_Module(self, node: cst.Module) -> None:
        self._state.import_time = import_time_names(node)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._state.decorator(self.model, node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._state.leave_function(self.model, node)
        self._state.defined(self.model, node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._state.defined(self.model, node)

    def visit_Call(self, node: cst.Call) -> None:
        model = self.model
        self._state.call(model, node)
        pool_call = self.pool_call(node)
        if pool_call is None or (model.at_import_time and not model.in_main_guard):
            return  # an unguarded pool at import time is PCK401's
        task = pool_call.task
        if task is None:
            return
        value = model.value_of(task.value)
        if isinstance(value, Partial):
            value = value.func
        if isinstance(value, Function) and value.place is FunctionPlace.MODULE:
            body = model.enclosing_module_function
            in_main = model.at_import_time and body is None
            name = body.name.value if body is not None else None
            submitted = ModuleTask(pool_call, task, value.node)
            self._submitted.append(_Submitted(submitted, name, in_main, self._state.tick()))

    def leave_Module(self, node: cst.Module) -> None:
        state, model = self._state, self.model
        in_workers = state.reachable(model, state.initializers)
        at_import = state.reachable(model, state.run_at_import)
        for submitted in self._submitted:
            if model.runs_under_fork(submitted.task.pool_call.pool.start_method):
                continue
            in_task = state.reachable(model, [submitted.task.function.name.value])
            read = {
                name
                for name in state.reads_of(in_task)
                if name in state.import_time or not hasattr(builtins, name)
            }
            set_in_worker = {c.name for c in state.changes if c.function in in_task | in_workers}
            roots = [c.callee for c in state.calls if _runs_before(c.caller, c.order, submitted)]
            in_parent = state.reachable(model, roots, leaf=submitted.body)
            in_parent -= in_task | in_workers | at_import
            change = next(
                (
                    c
                    for c in state.changes
                    if c.name in read
                    and c.name not in set_in_worker
                    and (c.name in state.import_time or c.binds)
                    and (
                        _runs_before(c.function, c.order, submitted)
                        or (c.function != submitted.body and c.function in in_parent)
                    )
                ),
                None,
            )
            if change is not None:
                self._report(submitted, change, sorted(in_task))

    def _report(self, submitted: _Submitted, change: Change, in_task: list[str]) -> None:
        task, name = submitted.task.function.name.value, change.name
        reader = next(f for f in [task, *in_task] if name in self._state.reads.get(f, ()))
        via = "" if reader == task else f" (in `{reader}()`)"
        if change.function is None:
            where = 'in the `if __name__ == "__main__":` block'
        else:
            through = " (through `global`)" if change.binds else ""
            where = f"in `{change.function}()`{through}"
        advice = "pass it as an argument or through `initializer=`/`initargs=`"
        if name in self._state.import_time:
            how = "rebinds" if change.how == "binds" else change.how
            sees = f"sees the value `{name}` had at import time, and nothing says so"
        else:
            how = change.how
            surfaces = submitted.task.pool_call.method.returns.error_surfaces_at
            sees = (
                f"has no `{name}`: the task raises `NameError: name '{name}' is not defined`,"
                f" re-raised at {surfaces}"
            )
            if how == "defines":
                advice = "define it at module level"
        message = (
            f"`{task}` reads the module-level `{name}`{via}, which the parent {how} {where}"
            " at run time: under the spawn and forkserver start methods (the default on macOS,"
            " Windows, and Linux from Python 3.14) each worker imports the module afresh and"
            f" {sees}; {advice}"
        )
        self.report(submitted.task.task, message)


def _runs_before(body: str | None, order: int, submitted: _Submitted) -> bool:
    """Whether code in ``body`` (a module function; None: the main block) surely runs in
    the parent before the pool call: earlier in the same body, or in the main block when
    the call is in a function."""
    if body == submitted.body and (body is not None or submitted.in_main):
        return order < submitted.order
    return body is None
