"""PCK302 serial-submission-in-loop."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.pools import ALL_KINDS, PoolCall
from flake8_poolcheck.rules import Rule
from flake8_poolcheck.semantic import SemanticModel
from flake8_poolcheck.tree import SCOPES

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def in_loop_body(model: SemanticModel) -> bool:
    """Whether the node being visited runs once per iteration of an enclosing loop
    (a ``for``/``while`` body or a comprehension's element) in its own scope."""
    ancestors = model.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        node, child = ancestors[index], ancestors[index + 1]
        if isinstance(node, SCOPES):
            return False
        if isinstance(node, (cst.For, cst.While)) and child is node.body:
            return True
        if isinstance(node, _COMPREHENSIONS) and child is not node.for_in:
            return True
    return False


class SerialSubmissionInLoop(Rule):
    """## What it does
    Flags a blocking `apply()`, or `apply_async(...).get()`, inside the body of a
    `for` or `while` loop or the element of a comprehension (not inside a function
    defined in the loop).

    ## Why is this bad?
    `apply()` is `apply_async(...).get()`: it waits for its task to finish before
    the loop can submit the next one, so the pool runs one task at a time. Four
    tasks of 0.5 s took 2.0 s this way, and 0.5 s with `map` on four workers.

    ## Example
    ```python
    from multiprocessing import Pool


    def work(x):
        return x * x


    def main(items):
        with Pool() as pool:
            return [pool.apply(work, (x,)) for x in items]
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def work(x):
        return x * x


    def main(items):
        with Pool() as pool:
            return pool.map(work, items)
    ```
    Or submit everything first, then wait:
    `results = [pool.apply_async(work, (x,)) for x in items]`, then
    `[result.get() for result in results]`.

    ## Fix safety
    There is no fix: the loop body may do other work between tasks.

    ## References
    - [Python docs: `Pool.apply`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.apply)
    """

    code = "PCK302"
    name = "serial-submission-in-loop"
    message = (
        "{what} in a loop waits for each task before the next one is submitted, so the "
        "tasks run one at a time; use `map()`/`starmap()`, or submit them all with "
        "`apply_async()` and then call `.get()` on each"
    )
    kinds = ALL_KINDS

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self._blocking_call(node)
        if pool_call is not None and in_loop_body(self.model):
            what = "`apply()`" if pool_call.method.name == "apply" else "`apply_async(...).get()`"
            self.report(node, what=what)

    def _blocking_call(self, node: cst.Call) -> PoolCall | None:
        pool_call = self.model.pool_call(node)
        if pool_call is not None:
            return pool_call if pool_call.method.name == "apply" else None
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get":
            receiver = func.value
            if isinstance(receiver, cst.Call):
                submitted = self.model.pool_call(receiver)
                if submitted is not None and submitted.method.name == "apply_async":
                    return submitted
        return None
