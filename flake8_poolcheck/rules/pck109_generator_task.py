"""PCK109 generator-task."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, PoolKind
from flake8_poolcheck.analysis.tasks import module_task
from flake8_poolcheck.rules import Rule


class GeneratorTask(Rule):
    """## What it does
    Flags a module-level generator function (its own body contains `yield`) used as
    the task of a pool's task method.

    ## Why is this bad?
    Calling a generator function returns a generator object and runs none of its
    body. A process pool then has to pickle that object to send it back, which
    fails: `MaybeEncodingError: Error sending result: '[<generator object ...>]'.
    Reason: 'TypeError("cannot pickle 'generator' object")'`, raised at `.get()`
    (at the call for `map`), for the whole chunk. A thread pool pickles nothing and
    silently returns the generator objects instead of results.

    ## Example
    ```python
    from multiprocessing import Pool


    def squares(n):
        for i in range(n):
            yield i * i


    def main():
        with Pool() as pool:
            return pool.map(squares, [3, 4])
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def squares(n):
        return [i * i for i in range(n)]


    def main():
        with Pool() as pool:
            return pool.map(squares, [3, 4])
    ```

    ## Fix safety
    There is no fix: whether to return a list or to restructure the work is the
    author's choice.

    ## References
    - [Python docs: generator functions](https://docs.python.org/3/glossary.html#term-generator)
    """

    code = "PCK109"
    name = "generator-task"
    summary = (
        "A task is a generator function: each task only creates a generator, which a thread"
        " pool returns unrun and a process pool cannot send back."
    )
    kinds = POOL_KINDS

    def visit_Call(self, node: cst.Call) -> None:
        found = module_task(self.model, node, self.kinds)
        if found is None or not self.model.is_generator(found.function):
            return
        pool_call, task, function = found.pool_call, found.task, found.function
        if pool_call.pool.kind is PoolKind.THREAD:
            consequence = (
                "a thread pool returns the generator objects instead of results, silently"
            )
        else:
            where = pool_call.method.returns.error_surfaces_at
            consequence = f"a process pool cannot pickle them (MaybeEncodingError at {where})"
        name = function.name.value
        message = f"`{name}` is a generator function, so each task only creates a generator"
        self.report(task, f"{message}: {consequence}; return a list")
