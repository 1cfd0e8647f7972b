"""PCK104 args-not-a-tuple."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, PoolCall
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.analysis.values import (
    NUMBERS,
    STRINGS,
    Function,
    LambdaFunction,
    Partial,
    never_iterable,
)
from flake8_poolcheck.diagnostics import Applicability, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule

#: Parenthesised expressions that may well be sequences already: left alone.
_MAYBE_SEQUENCES = (
    cst.Tuple, cst.List, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp,
    cst.GeneratorExp, cst.Call, cst.StarredElement,
)  # fmt: skip


def _one_tuple(value: cst.BaseExpression) -> cst.Tuple:
    return cst.Tuple([cst.Element(value.with_changes(lpar=(), rpar=()))])


class ArgsNotATuple(Rule):
    """## What it does
    Flags the `args` of `apply`/`apply_async` when it is not a tuple: a
    parenthesised single value `(x)`, a string, bytes or number literal, or a dict
    display; and the `kwds` of those methods when it is a tuple or list display or
    a function (a callback given positionally lands in the `kwds` slot).

    ## Why is this bad?
    The pool calls `func(*args, **kwds)`. Parentheses alone do not make a tuple:
    `(5)` is `5`, and `*5` raises `TypeError: ... argument after * must be an
    iterable, not int`. A string is split into characters (`"abc"` calls
    `func("a", "b", "c")`; a one-character string works by accident). A dict
    passes its keys as positional arguments, silently. A sequence or a function
    in `kwds` raises `TypeError: ... argument after ** must be a mapping`. The
    error is raised at the call for `apply` and at `.get()` for `apply_async`.

    ## Example
    ```python
    from multiprocessing import Pool


    def square(x):
        return x * x


    def main():
        with Pool() as pool:
            return pool.apply(square, (5))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def square(x):
        return x * x


    def main():
        with Pool() as pool:
            return pool.apply(square, (5,))
    ```

    ## Fix safety
    A number, `None`, `True` or `False`, parenthesised or not, becomes a one-element
    tuple: a safe fix, since the original call always failed. Any other
    parenthesised value and a string literal get the same fix as an unsafe one:
    the value may have been meant as the sequence of arguments (a one-character
    string, or a name that already holds a tuple, worked). Dicts and `kwds`
    problems get no fix.

    ## References
    - [Python docs: `Pool.apply`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.apply)
    - [Python docs: tuples and the comma](https://docs.python.org/3/library/stdtypes.html#tuple)
    """

    code = "PCK104"
    name = "args-not-a-tuple"
    summary = (
        "`args=` is not a tuple, or `kwds=` not a mapping: the task is called with the"
        " wrong arguments, or not at all."
    )
    kinds = POOL_KINDS
    fixes = Fixes("Make it a one-element tuple", FixAvailability.SOMETIMES)

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None or "args" not in pool_call.method.params:
            return
        args = pool_call.argument("args")
        if args is not None and not args.star:
            self._check_args(pool_call, args)
        kwds = pool_call.argument("kwds")
        if kwds is not None and not kwds.star:
            self._check_kwds(pool_call, kwds)

    def _check_args(self, pool_call: PoolCall, args: cst.Arg) -> None:
        value = args.value
        method = pool_call.method.name
        where = pool_call.method.returns.error_surfaces_at
        shown = source(value)
        if isinstance(value, cst.Dict):
            message = (
                f"`{method}()` is given a dict as `args`: its keys are passed as positional"
                " arguments, silently; pass it as `kwds=`"
            )
            self.report(args, message)
            return
        parenthesised = bool(value.lpar) and not isinstance(value, _MAYBE_SEQUENCES)
        if not (parenthesised or isinstance(value, (*NUMBERS, *STRINGS))):
            return
        if never_iterable(value):
            consequence = f"TypeError (argument after * must be an iterable) at {where}"
            applicability = Applicability.SAFE
        elif isinstance(value, STRINGS):
            consequence = (
                "a string is split into one argument per character "
                f"(TypeError at {where}, or a wrong call)"
            )
            applicability = Applicability.UNSAFE
        else:
            inner = source(value.with_changes(lpar=(), rpar=()))
            consequence = f"`{method}()` unpacks `{inner}` itself into the arguments"
            applicability = Applicability.UNSAFE
        problem = f"`args={shown}` is not a tuple" + (
            " (parentheses alone do not make one)" if parenthesised else ""
        )
        fix = self.fix(applicability, ((value, _one_tuple(value)),))
        self.report(args, f"{problem}: {consequence}; write a one-element tuple", fix=fix)

    def _check_kwds(self, pool_call: PoolCall, kwds: cst.Arg) -> None:
        value = kwds.value
        callee = self.model.value_of(value)
        where = pool_call.method.returns.error_surfaces_at
        if isinstance(value, (cst.Tuple, cst.List)):
            problem = f"`kwds={source(value)}` is not a mapping"
        elif isinstance(callee, (Function, LambdaFunction, Partial)):
            problem = (
                f"the function `{source(value)}` is in the `kwds` slot (meant as `callback=`?)"
            )
        else:
            return
        self.report(kwds, f"{problem}: TypeError (argument after ** must be a mapping) at {where}")
