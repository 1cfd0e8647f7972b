"""PCK108 main-block-task."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import PICKLING_KINDS, PoolCall, PoolKind
from flake8_poolcheck.analysis.tasks import pickled_process_start
from flake8_poolcheck.analysis.values import Function, FunctionPlace, Partial
from flake8_poolcheck.rules import Rule, per_file


class MainBlockTask(Rule):
    """## What it does
    Flags a process-pool task, or the `target` of a `multiprocessing.Process`,
    that is a function defined inside `if __name__ == "__main__":` (at any depth of
    that block), unless the pool or process is explicitly a fork one
    (`get_context("fork")` or `set_start_method("fork")`).

    ## Why is this bad?
    Pickle sends a function by name. Under the spawn and forkserver start methods
    (the default on macOS and Windows, and on Linux from Python 3.14) each worker
    imports the main module under another name, so the guarded block does not run
    there and the function does not exist. The worker dies unpickling the task
    (`Can't get attribute 'f' on <module '__mp_main__'>` on its stderr), the task
    is lost, and the call, `.get()` or `next()` hangs forever; a
    `ProcessPoolExecutor` raises `BrokenProcessPool` at `.result()` instead. A
    `Process` child dies the same way, with exit code 1, and nothing in the parent
    raises: `start()` and `join()` return as if the work was done. Under fork it
    happens to work.

    ## Example
    ```python
    from multiprocessing import Pool

    if __name__ == "__main__":

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
    There is no fix: moving a function out of the guarded block can change what
    it refers to.

    ## References
    - [Python docs: the spawn and forkserver start methods](https://docs.python.org/3/library/multiprocessing.html#the-spawn-and-forkserver-start-methods)
    """

    code = "PCK108"
    name = "main-block-task"
    summary = (
        "A process-pool task or `Process` target is defined in the main block, which spawn"
        " and forkserver children do not run: every worker dies, and the call hangs (a"
        " Pool), raises BrokenProcessPool (a ProcessPoolExecutor), or nothing says so (a"
        " Process)."
    )
    kinds = PICKLING_KINDS
    #: Each task found: its argument, its name, what happens, the method its context names.
    _found: list[tuple[cst.Arg, str, str, str | None]] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is not None:
            if pool_call.task is not None:
                self._check(pool_call.task, _pool_fate(pool_call), pool_call.pool.start_method)
            return
        process = pickled_process_start(self.model, node)
        if process is not None:
            fate = (
                "the child dies unpickling its target (exit code 1) while nothing in the"
                " parent raises"
            )
            self._check(process.target, fate, process.start_method)

    def _check(self, task: cst.Arg, fate: str, start_method: str | None) -> None:
        value = self.model.value_of(task.value)
        if isinstance(value, Partial):
            value = value.func
        if isinstance(value, Function) and value.place is FunctionPlace.MAIN_GUARD:
            self._found.append((task, value.node.name.value, fate, start_method))

    def leave_Module(self, node: cst.Module) -> None:
        # set_start_method("fork") may come after the call in the source: decide at the end.
        for task, name, fate, start_method in self._found:
            if self.model.runs_under_fork(start_method):
                continue
            message = (
                f'`{name}` is defined inside `if __name__ == "__main__":`, which spawn and'
                " forkserver children do not run (the default on macOS, Windows, and Linux"
                f" from Python 3.14): {fate}; define it at module level"
            )
            self.report(task, message)


def _pool_fate(pool_call: PoolCall) -> str:
    """What happens to a pool call whose workers cannot unpickle its task."""
    method = pool_call.method
    if pool_call.pool.kind is PoolKind.PROCESS_EXECUTOR:
        fate = f"{method.returns.error_surfaces_at} raises BrokenProcessPool"
    else:
        fate = f"`{method.name}()` hangs forever"
    return f"each worker dies unpickling the task and {fate}"
