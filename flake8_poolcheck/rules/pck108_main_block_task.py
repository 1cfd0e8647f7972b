"""PCK108 main-block-task."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import PICKLING_KINDS, PoolCall, PoolKind
from flake8_poolcheck.analysis.values import Function, FunctionPlace, Partial
from flake8_poolcheck.rules import Rule, per_file


class MainBlockTask(Rule):
    """## What it does
    Flags a process-pool task that is a function defined inside
    `if __name__ == "__main__":` (at any depth of that block), unless the pool is
    explicitly a fork context (`get_context("fork")` or `set_start_method("fork")`).

    ## Why is this bad?
    Pickle sends a function by name. Under the spawn and forkserver start methods
    (the default on macOS and Windows, and on Linux from Python 3.14) each worker
    imports the main module under another name, so the guarded block does not run
    there and the function does not exist. The worker dies unpickling the task
    (`Can't get attribute 'f' on <module '__mp_main__'>` on its stderr), the task
    is lost, and the call, `.get()` or `next()` hangs forever; a
    `ProcessPoolExecutor` raises `BrokenProcessPool` at `.result()` instead. Under
    fork it happens to work.

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
        "A process-pool task is defined in the main block, which spawn and forkserver"
        " workers do not run: every worker dies, and the call hangs (a Pool) or raises"
        " BrokenProcessPool (a ProcessPoolExecutor)."
    )
    kinds = PICKLING_KINDS
    _found: list[tuple[cst.Arg, str, PoolCall]] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None:
            return
        task = pool_call.task
        if task is None:
            return
        value = self.model.value_of(task.value)
        if isinstance(value, Partial):
            value = value.func
        if isinstance(value, Function) and value.place is FunctionPlace.MAIN_GUARD:
            self._found.append((task, value.node.name.value, pool_call))

    def leave_Module(self, node: cst.Module) -> None:
        # set_start_method("fork") may come after the call in the source: decide at the end.
        for task, name, pool_call in self._found:
            if self.model.start_method(pool_call.pool) == "fork":
                continue
            method = pool_call.method
            if pool_call.pool.kind is PoolKind.PROCESS_EXECUTOR:
                fate = f"{method.returns.error_surfaces_at} raises BrokenProcessPool"
            else:
                fate = f"`{method.name}()` hangs forever"
            message = (
                f'`{name}` is defined inside `if __name__ == "__main__":`, which spawn and'
                " forkserver workers do not run (the default on macOS, Windows, and Linux"
                f" from Python 3.14): each worker dies unpickling the task and {fate};"
                " define it at module level"
            )
            self.report(task, message)
