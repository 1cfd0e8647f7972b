"""PCK503 unpicklable-process-target."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import PROCESS_KINDS
from flake8_poolcheck.analysis.tasks import pickled_process_start, unpicklable_process_callable
from flake8_poolcheck.rules import Rule, per_file


class UnpicklableProcessTarget(Rule):
    """## What it does
    Flags a lambda, a nested function, or a `functools.partial` of either, given
    as the `target` of a `multiprocessing.Process` (or `ctx.Process`), unless the
    process is explicitly a fork one (`get_context("fork")`, or
    `set_start_method("fork")` in the module) or its context's method is chosen at
    run time (`get_context(method)`). A nested function with decorators is left
    alone: what pickle then sees is the decorator's result.

    ## Why is this bad?
    Under the spawn and forkserver start methods (the default on macOS and
    Windows, and on Linux from Python 3.14) `start()` pickles the target to send
    it to the new process, and pickle sends a function by its importable name. A
    lambda has none (`PicklingError`), and neither has a function or lambda
    written inside another function (`AttributeError: Can't pickle local object`):
    `start()` raises. Under fork nothing is pickled and the same code works.
    `Process` classes from the `multiprocess` package pickle with dill: not
    flagged.

    ## Example
    ```python
    import multiprocessing


    def main():
        process = multiprocessing.Process(target=lambda: print("hello"))
        process.start()
        process.join()
    ```

    ## Use instead
    ```python
    import multiprocessing


    def greet(name):
        print(f"hello {name}")


    def main():
        process = multiprocessing.Process(target=greet, args=("world",))
        process.start()
        process.join()
    ```

    ## Fix safety
    There is no fix: moving a function to module level can change what it closes
    over, so the move is left to the author.

    ## References
    - [Python docs: the spawn and forkserver start methods](https://docs.python.org/3/library/multiprocessing.html#the-spawn-and-forkserver-start-methods)
    - [Python docs: what can be pickled](https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled)
    """

    code = "PCK503"
    name = "unpicklable-process-target"
    summary = (
        "A `Process` target is a lambda or nested function: under spawn and forkserver"
        " `start()` cannot pickle it and raises."
    )
    kinds = PROCESS_KINDS
    _found: list[tuple[cst.Arg, str, str, str | None]] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        process = pickled_process_start(self.model, node)
        if process is None:
            return
        found = unpicklable_process_callable(self.model.value_of(process.target.value))
        if found is not None:
            self._found.append((process.target, *found, process.start_method))

    def leave_Module(self, node: cst.Module) -> None:
        # set_start_method("fork") may come after the call in the source: decide at the end.
        for target, what, error, start_method in self._found:
            if self.model.runs_under_fork(start_method):
                continue
            self.report(
                target,
                f"`Process(target=...)` is given {what}: under the spawn and forkserver start"
                " methods (the default on macOS, Windows, and Linux from Python 3.14)"
                f" `start()` pickles the target and raises {error}; define it with `def` at"
                " module level and pass what it needs in `args=`",
            )
