"""PCK103 task-arity-mismatch."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, PoolCall
from flake8_poolcheck.analysis.tasks import STARMAP_FORM, Signature, starmap_fix, task_signature
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.analysis.values import STRINGS, never_iterable
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule

_DISPLAYS = (cst.List, cst.Tuple, cst.Set)


def _elements(node: cst.BaseExpression | None) -> Sequence[cst.BaseExpression] | None:
    """The items of a literal list, tuple or set display without ``*unpacking``."""
    if not isinstance(node, _DISPLAYS):
        return None
    if any(isinstance(element, cst.StarredElement) for element in node.elements):
        return None
    return [element.value for element in node.elements]


def _fits(item: cst.BaseExpression, known: Signature) -> bool:
    """Whether ``item`` is a tuple display whose elements ``known`` accepts as arguments."""
    elements = _elements(item) if isinstance(item, cst.Tuple) else None
    return elements is not None and known.accepts(len(elements))


class TaskArityMismatch(Rule):
    """## What it does
    Flags a task whose signature cannot match how the pool calls it: a module
    function that `map`, `map_async`, `imap` or `imap_unordered` would call with
    one argument but that needs another number; `starmap`/`starmap_async` over a
    literal list whose items are numbers or `None` (not iterable), strings (split
    into characters), or tuples of the wrong length; `apply`/`apply_async` with a
    literal `args` tuple of the wrong length. Only functions defined in the module
    (by name or through a module-level alias) are checked, and decorated ones are
    not; items that are never iterable are flagged whatever the task is.

    ## Why is this bad?
    The pool calls `func(item)` for `map`, `func(*item)` for `starmap` and
    `func(*args, **kwds)` for `apply`. A mismatch raises `TypeError` in the worker,
    re-raised where the result is read: at the call for the blocking methods, at
    `.get()` for the `*_async` ones, at the first `next()` for `imap`. A string
    given to `starmap` is worse: it is split into one argument per character, and
    when the count happens to fit, nothing fails at all.

    ## Example
    ```python
    from multiprocessing import Pool


    def add(a, b):
        return a + b


    def main():
        with Pool() as pool:
            return pool.map(add, [(1, 2), (3, 4)])
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def add(a, b):
        return a + b


    def main():
        with Pool() as pool:
            return pool.starmap(add, [(1, 2), (3, 4)])
    ```

    ## Fix safety
    When `map`/`map_async` is given a literal list of tuples that all fit the
    function, the fix switches to `starmap`/`starmap_async`. It is safe: the
    original call always failed with `TypeError`. Other mismatches get no fix.

    ## References
    - [Python docs: `Pool.map`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.map)
    - [Python docs: `Pool.starmap`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.starmap)
    """

    code = "PCK103"
    name = "task-arity-mismatch"
    summary = (
        "A task function is given more or fewer arguments than it takes: every task fails"
        " with TypeError."
    )
    kinds = POOL_KINDS
    fixes = Fixes("Use `starmap()`", FixAvailability.SOMETIMES)

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None or pool_call.has_unpacking:
            return
        task = pool_call.task
        if task is None:
            return
        known = task_signature(self.model, task.value)
        method = pool_call.method
        if method.star:
            self._check_star_items(pool_call, task.value, known)
        elif known is None:
            return
        elif "iterable" in method.params:
            self._check_one_argument(pool_call, task, known)
        else:
            self._check_args_tuple(pool_call, task, known)

    def _report(
        self, node: cst.CSTNode, pool_call: PoolCall, problem: str, fix: Fix | None = None
    ) -> None:
        where = pool_call.method.returns.error_surfaces_at
        advice = ""
        if fix is not None:
            advice = (
                f"; `{STARMAP_FORM[pool_call.method.name]}()` passes the elements of each item"
            )
        self.report(node, f"{problem}: TypeError at {where}{advice}", fix=fix)

    def _check_one_argument(self, pool_call: PoolCall, task: cst.Arg, known: Signature) -> None:
        if known.accepts(1):
            return
        method = pool_call.method.name
        problem = (
            f"`{source(task.value)}()` {known.describe()}, but `{method}()` passes one per item"
        )
        items = _elements(getattr(pool_call.argument("iterable"), "value", None))
        fix = None
        if items and all(_fits(item, known) for item in items):
            fix = starmap_fix(pool_call, None, Applicability.SAFE)
        self._report(task, pool_call, problem, fix)

    def _check_star_items(
        self, pool_call: PoolCall, task: cst.BaseExpression, known: Signature | None
    ) -> None:
        method = pool_call.method.name
        items = _elements(getattr(pool_call.argument("iterable"), "value", None)) or ()
        for item in items:
            if never_iterable(item):
                problem = (
                    f"`{method}()` unpacks each item into arguments, "
                    f"but `{source(item)}` is not iterable"
                )
                self._report(item, pool_call, problem)
                return
            if known is None:
                continue
            if isinstance(item, STRINGS):
                message = (
                    f"`{method}()` splits the string {source(item)} into one argument per"
                    " character: a wrong call, silent when the count happens to fit"
                )
                self.report(item, message)
                return
            elements = _elements(item) if isinstance(item, (cst.Tuple, cst.List)) else None
            if elements is not None and not known.accepts(len(elements)):
                problem = (
                    f"`{source(task)}()` {known.describe()}, "
                    f"but the item `{source(item)}` gives {len(elements)}"
                )
                self._report(item, pool_call, problem)
                return

    def _check_args_tuple(self, pool_call: PoolCall, task: cst.Arg, known: Signature) -> None:
        if pool_call.argument("kwds") is not None:
            return  # keyword arguments may fill the missing parameters
        args = pool_call.argument("args")
        if args is None:
            count, node = 0, task
        elif isinstance(args.value, cst.Tuple) and (elements := _elements(args.value)) is not None:
            count, node = len(elements), args
        else:
            return
        if not known.accepts(count):
            method = pool_call.method.name
            problem = (
                f"`{source(task.value)}()` {known.describe()}, but `{method}()` passes {count}"
            )
            self._report(node, pool_call, problem)
