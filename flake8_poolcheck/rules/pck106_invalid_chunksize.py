"""PCK106 invalid-chunksize."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, Returns
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.analysis.values import STRINGS
from flake8_poolcheck.rules import Rule


def _number(node: cst.BaseExpression) -> int | float | None:
    """The value of a literal int or float, signs included."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        inner = _number(node.expression)
        if inner is None:
            return None
        return -inner if isinstance(node.operator, cst.Minus) else inner
    if isinstance(node, (cst.Integer, cst.Float)):
        value = node.evaluated_value
        return value if isinstance(value, (int, float)) else None
    return None


class InvalidChunksize(Rule):
    """## What it does
    Flags a literal `chunksize` that is zero, negative, a float or a string.

    ## Why is this bad?
    What happens depends on the method, and none of it is what was meant:
    - `map`, `starmap` and their `_async` forms with a chunksize of 0 or less
      return `[None] * len(iterable)` and never run the task, silently. With a
      float below the input length they hang forever; with a float at least as
      long, they raise `ValueError` (from `islice`).
    - `imap` and `imap_unordered` raise `ValueError: Chunksize must be 1+` for 0
      or less, and `ValueError` for a float other than `1.0`.
    - A string raises `TypeError` at the call.

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return pool.map(abs, items, chunksize=0)
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return pool.map(abs, items, chunksize=64)
    ```

    ## Fix safety
    There is no fix: the intended chunksize cannot be guessed.

    ## References
    - [Python docs: `Pool.map` and chunksize](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.map)
    """

    code = "PCK106"
    name = "invalid-chunksize"
    summary = (
        "`chunksize=` is zero, negative, a float or a string: the call raises, hangs,"
        " or returns Nones without running the task."
    )
    kinds = POOL_KINDS

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None or not pool_call.method.takes_chunksize:
            return
        arg = pool_call.argument("chunksize")
        if arg is None or arg.star:
            return
        lazy = pool_call.method.returns is Returns.ITERATOR
        value = arg.value
        number = _number(value)
        if isinstance(value, STRINGS):
            consequence = "raises TypeError at the call"
        elif isinstance(number, bool) or number is None:
            return
        elif isinstance(number, float):
            if lazy and number == 1.0:
                return
            consequence = (
                "raises ValueError (from islice)"
                if lazy
                else "hangs forever when it is below the input length (ValueError otherwise)"
            )
        elif number <= 0:
            consequence = (
                "raises ValueError: Chunksize must be 1+"
                if lazy
                else "returns `[None] * len(iterable)` without running the task, silently"
            )
        else:
            return
        method = pool_call.method.name
        self.report(arg, f"`{method}()` with `chunksize={source(value)}` {consequence}")
