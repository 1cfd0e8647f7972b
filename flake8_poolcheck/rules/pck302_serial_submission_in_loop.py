"""PCK302 serial-submission-in-loop."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, POOL_KINDS, Pool, PoolCall
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.tree import SCOPE_TYPES
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule, per_file

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_COMPREHENSION_TYPES = frozenset(_COMPREHENSIONS)


def innermost_loop(model: SemanticModel) -> cst.CSTNode | None:
    """The loop the node being visited runs once per iteration of (a ``for``/``while``
    body or a comprehension's element) within its own scope, if any. (``type()`` tests:
    this runs for every call, and isinstance() misses on LibCST's classes are slow.)"""
    ancestors = model.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        node, child = ancestors[index], ancestors[index + 1]
        if type(node) in SCOPE_TYPES:
            return None
        if (type(node) is cst.For or type(node) is cst.While) and child is node.body:
            return node
        if type(node) in _COMPREHENSION_TYPES:
            assert isinstance(node, _COMPREHENSIONS)
            if child is not node.for_in:
                return node
    return None


class SerialSubmissionInLoop(Rule):
    """## What it does
    Flags a blocking `apply()`, or `apply_async(...).get()` or an executor's
    `submit(...).result()` (chained, or through a name read in the same iteration),
    inside the body of a `for` or `while` loop or the element of a comprehension
    (not inside a function defined in the loop). A pool or executor made inside the
    loop, one per iteration (to isolate each task), or made with one worker, is not
    flagged.

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
    One form is fixed: `[executor.submit(f, x).result() for x in xs]` becomes
    `list(executor.map(f, xs))`. The fix is unsafe: every task is submitted before
    the first result is read, so a failing task no longer stops the ones after it
    from running (their side effects happen), and the tasks run side by side. Other
    loops get no fix: the loop body may do other work between tasks.

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
    fixes = Fixes("Use the executor's `map()`", FixAvailability.SOMETIMES)
    _loop_of: dict[int, cst.CSTNode | None] = per_file(dict)  # submitting call -> its loop
    _made_in: dict[int, cst.CSTNode | None] = per_file(dict)  # pool creation -> its loop

    def visit_Call(self, node: cst.Call) -> None:
        made = self.pool_of(node)
        if made is not None and made.created_by is node:
            self._made_in[id(node)] = innermost_loop(self.model)
        pool_call = self.pool_call(node)
        if pool_call is None or self._made_for_this_iteration(pool_call.pool):
            return
        if _one_worker(pool_call.pool):
            return  # nothing could run side by side
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
            message = _message(f"`{method}(...).{func.attr.value}()`", method)
            self.report(node, message, fix=self._map_fix(loop, node, result))

    def _map_fix(self, loop: cst.CSTNode, get: cst.Call, result: PoolCall) -> Fix | None:
        """``[ex.submit(f, x).result() for x in xs]`` -> ``list(ex.map(f, xs))``."""
        call, submit = result.call, result.call.func
        if not (
            isinstance(loop, cst.ListComp)
            and loop.elt is get
            and isinstance(get.func, cst.Attribute)
            and get.func.value is call
            and not get.args
            and result.method.name == "submit"
            and isinstance(submit, cst.Attribute)
        ):
            return None
        for_in = loop.for_in
        target, args = for_in.target, call.args
        simple = for_in.inner_for_in is None and not for_in.ifs and not for_in.asynchronous
        if not (simple and isinstance(target, cst.Name) and len(args) == 2):
            return None
        task, item = args
        if task.keyword or item.keyword or task.star or item.star:
            return None
        if not (isinstance(item.value, cst.Name) and item.value.value == target.value):
            return None
        mapped = cst.Call(
            submit.with_changes(attr=cst.Name("map")),
            [task.with_changes(comma=_COMMA), cst.Arg(for_in.iter)],
        )
        listed = cst.Call(cst.Name("list"), [cst.Arg(mapped)])
        new = listed.with_changes(lpar=loop.lpar, rpar=loop.rpar)
        return self.fix(Applicability.UNSAFE, ((loop, new),))

    def _made_for_this_iteration(self, pool: Pool) -> bool:
        """A pool made inside the loop, one per iteration (to isolate each task): the
        loop does not keep a shared pool from running tasks side by side."""
        loop = innermost_loop(self.model)
        return loop is not None and self._made_in.get(id(pool.created_by)) is loop


def _one_worker(pool: Pool) -> bool:
    """A pool or executor made with one worker (``Pool(1)``, ``max_workers=1``)."""
    created = pool.created_by
    if created is None:
        return False
    first = created.args[0] if created.args and created.args[0].keyword is None else None
    sizes = [first] + [a for a in created.args if a.keyword and a.keyword.value in _SIZES]
    return any(
        arg is not None and isinstance(arg.value, cst.Integer) and arg.value.value == "1"
        for arg in sizes
    )


_SIZES = frozenset({"processes", "max_workers"})
_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))

#: The asynchronous submissions, and the call that waits for each one's result.
_WAITS_BY = {"apply_async": "get", "submit": "result"}


def _message(what: str, asynchronous: str) -> str:
    maps = "`map()`" if asynchronous == "submit" else "`map()`/`starmap()`"
    return (
        f"{what} in a loop waits for each task before the next one is submitted, so the"
        f" tasks run one at a time; use {maps}, or submit them all with `{asynchronous}()`"
        f" and then call `.{_WAITS_BY[asynchronous]}()` on each"
    )
