"""PCK503 unpicklable-process-target."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import PROCESS_FACTORIES, PROCESS_KINDS, PoolKind
from flake8_poolcheck.analysis.tasks import unpicklable_process_callable
from flake8_poolcheck.analysis.tree import called_name
from flake8_poolcheck.analysis.values import Context, Imported
from flake8_poolcheck.rules import Rule, per_file

#: ``Process`` classes whose targets spawn and forkserver pickle with plain pickle.
_PICKLING = PROCESS_FACTORIES - {"multiprocess.Process"}


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
        func = node.func
        if called_name(func) != "Process":
            return
        context = self.model.value_of(func.value) if isinstance(func, cst.Attribute) else None
        start_method = None
        if isinstance(context, Context):
            if context.kind is PoolKind.DILL or (context.explicit and not context.start_method):
                return  # dill pickles lambdas; a method chosen at run time may be fork
            start_method = context.start_method
        callee = self.model.value_of(func)
        target = _target(node)
        if not (isinstance(callee, Imported) and callee.qualname in _PICKLING) or not target:
            return
        found = unpicklable_process_callable(self.model.value_of(target.value))
        if found is not None:
            self._found.append((target, *found, start_method))

    def leave_Module(self, node: cst.Module) -> None:
        # set_start_method("fork") may come after the call in the source: decide at the end.
        for target, what, error, start_method in self._found:
            if (start_method or self.model.default_start_method) == "fork":
                continue
            self.report(
                target,
                f"`Process(target=...)` is given {what}: under the spawn and forkserver start"
                " methods (the default on macOS, Windows, and Linux from Python 3.14)"
                f" `start()` pickles the target and raises {error}; define it with `def` at"
                " module level and pass what it needs in `args=`",
            )


def _target(call: cst.Call) -> cst.Arg | None:
    """The ``target`` argument: by keyword, or second positional (after ``group``)."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "target":
            return arg
    return positional[1] if len(positional) > 1 else None
