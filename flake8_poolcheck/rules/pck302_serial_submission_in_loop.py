"""PCK302 serial-submission-in-loop."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, POOL_KINDS, Pool
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.tree import SCOPES
from flake8_poolcheck.rules import Rule, per_file

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def innermost_loop(model: SemanticModel) -> cst.CSTNode | None:
    """The loop the node being visited runs once per iteration of (a ``for``/``while``
    body or a comprehension's element) within its own scope, if any."""
    ancestors = model.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        node, child = ancestors[index], ancestors[index + 1]
        if isinstance(node, SCOPES):
            return None
        if isinstance(node, (cst.For, cst.While)) and child is node.body:
            return node
        if isinstance(node, _COMPREHENSIONS) and child is not node.for_in:
            return node
    return None


class SerialSubmissionInLoop(Rule):
    """## What it does
    Flags a blocking `apply()`, or `apply_async(...).get()` or an executor's
    `submit(...).result()` (chained, or through a name read in the same iteration),
    inside the body of a `for` or `while` loop or the element of a comprehension
    (not inside a function defined in the loop). A pool or executor made inside the
    loop, one per iteration (to isolate each task), is not flagged.

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
    summary = (
        "A loop waits for each task before it submits the next, so the pool runs one task"
        " at a time."
    )
    kinds = POOL_KINDS | EXECUTOR_KINDS
    _loop_of: dict[int, cst.CSTNode | None] = per_file(dict)  # submitting call -> its loop
    _made_in: dict[int, cst.CSTNode | None] = per_file(dict)  # pool creation -> its loop

    def visit_Call(self, node: cst.Call) -> None:
        made = self.pool_of(node)
        if made is not None and made.created_by is node:
            self._made_in[id(node)] = innermost_loop(self.model)
        pool_call = self.pool_call(node)
        if pool_call is None or self._made_for_this_iteration(pool_call.pool):
            return
        if pool_call.method.name in _WAITS_BY:
            self._loop_of[id(node)] = innermost_loop(self.model)
        elif pool_call.method.name == "apply" and innermost_loop(self.model) is not None:
            self.report(node, _message("`apply()`", "apply_async"))

    def leave_Call(self, node: cst.Call) -> None:
        """``result.get()`` in the iteration that submitted ``result`` (children seen)."""
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        result = self.result_of(func.value)
        if result is None or _WAITS_BY.get(result.method.name) != func.attr.value:
            return
        loop = self._loop_of.get(id(result.call))
        if loop is not None and loop is innermost_loop(self.model):
            method = result.method.name
            self.report(node, _message(f"`{method}(...).{func.attr.value}()`", method))

    def _made_for_this_iteration(self, pool: Pool) -> bool:
        """A pool made inside the loop, one per iteration (to isolate each task): the
        loop does not keep a shared pool from running tasks side by side."""
        loop = innermost_loop(self.model)
        return loop is not None and self._made_in.get(id(pool.created_by)) is loop


#: The asynchronous submissions, and the call that waits for each one's result.
_WAITS_BY = {"apply_async": "get", "submit": "result"}


def _message(what: str, asynchronous: str) -> str:
    maps = "`map()`" if asynchronous == "submit" else "`map()`/`starmap()`"
    return (
        f"{what} in a loop waits for each task before the next one is submitted, so the"
        f" tasks run one at a time; use {maps}, or submit them all with `{asynchronous}()`"
        f" and then call `.{_WAITS_BY[asynchronous]}()` on each"
    )
