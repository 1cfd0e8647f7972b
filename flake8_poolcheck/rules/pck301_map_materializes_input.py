"""PCK301 map-materializes-input."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, POOL_KINDS, PoolCall
from flake8_poolcheck.analysis.values import ObjectValue
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule

#: The chunk size the fix gives ``imap`` (see Fix safety in the docstring).
FIX_CHUNKSIZE = 100
_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
_CHUNKSIZE = cst.Arg(
    cst.Integer(str(FIX_CHUNKSIZE)),
    keyword=cst.Name("chunksize"),
    equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    ),
)


class MapMaterializesInput(Rule):
    """## What it does
    Flags `map`, `starmap`, `map_async` and `starmap_async` (and an executor's
    `map`) over an iterable whose items are produced on demand: `itertools.count()`,
    `itertools.cycle()`, `itertools.repeat(x)` without `times`, an open file,
    `os.walk()`/`os.scandir()`/`glob.iglob()` or `pathlib.Path(...).rglob()`, a
    `csv.reader`, a `range` with a literal bound of 10,000,000 or more, or a
    generator expression or a generator function defined in the module that walks
    one of these (with `for` or `yield from`; a generator function that loops with
    `while` counts too). A generator expression or generator function over a list
    is not flagged: the list is in memory already.

    ## Why is this bad?
    These methods call `list()` on the iterable before the first task is sent:
    nothing happens until the whole input is in memory, and nothing is returned
    until every task is done. On an infinite iterator the call never returns; it
    pulls items as fast as it can (tens of millions a second) until memory runs
    out. `imap` and `imap_unordered` do not build that list: they send tasks while
    they read, and results start coming back at once. (They do not bound memory by
    themselves: a process pool reads ahead of its workers, a thread pool reads the
    whole input eagerly, and unread results pile up.) An executor's `map()` is
    eager too: it submits a task for every item before it returns its iterator,
    so it needs batches of bounded size (or `buffersize=`, new in Python 3.14).

    ## Example
    ```python
    from multiprocessing import Pool


    def lines(path):
        with open(path) as file:
            yield from file


    def main(path):
        with Pool() as pool:
            for length in pool.map(len, lines(path)):
                print(length)
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def lines(path):
        with open(path) as file:
            yield from file


    def main(path):
        with Pool() as pool:
            for length in pool.imap(len, lines(path), chunksize=100):
                print(length)
    ```

    ## Fix safety
    Where the result of `map` is iterated directly by a `for` loop, the fix
    switches to `imap` and passes `chunksize=100` unless one was given. With the
    default chunk size of 1, `imap` pays the pool's per-task cost (tens of
    microseconds) for every item, which made it about 200 times slower than `map`
    on tiny tasks in our measurements; 100 items per chunk makes that cost
    negligible while results still arrive early. The fix is unsafe: with `imap` a
    failing task raises in the middle of the loop, after the loop body has run for
    earlier results, where `map` raised before the loop began.

    ## References
    - [Python docs: `Pool.imap`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.imap)
    - [CPython gh-64192: making `imap` lazier (`buffersize`, Python 3.16)](https://github.com/python/cpython/issues/64192)
    """

    code = "PCK301"
    name = "map-materializes-input"
    summary = (
        "`map()` reads a generator or other on-demand input to the end before the first task"
        " starts: nothing comes back until all is done, and an endless input never returns."
    )
    kinds = POOL_KINDS | EXECUTOR_KINDS
    fixes = Fixes(
        f"Iterate over `imap(..., chunksize={FIX_CHUNKSIZE})`", FixAvailability.SOMETIMES
    )

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None or pool_call.method.lazy or "iterable" not in pool_call.method.params:
            return
        iterable = pool_call.argument("iterable")
        if iterable is None:
            return
        value = self.model.value_of(iterable.value)
        if not isinstance(value, ObjectValue) or value.lazy is None:
            return
        infinite = (
            ": this one never ends, so the call never returns and memory grows until it runs out"
            if value.lazy.infinite
            else ""
        )
        name, what = pool_call.method.name, value.lazy.what
        if pool_call.pool.kind in EXECUTOR_KINDS:
            message = (
                f"an executor's `{name}()` submits every item of {what} before it"
                f" returns{infinite}; submit it in bounded batches (Python 3.14 adds"
                " `buffersize=`)"
            )
            self.report(iterable, message)
            return
        lazy_form = "`imap()`" + (
            " with a task that takes one tuple" if pool_call.method.star else ""
        )
        message = (
            f"`{name}()` turns {what} into a list before the first task starts{infinite};"
            f" {lazy_form} sends tasks as it reads and returns results at once; give it an"
            " explicit chunksize"
        )
        self.report(iterable, message, fix=self._fix(pool_call))

    def _fix(self, pool_call: PoolCall) -> Fix | None:
        """``for r in p.map(f, xs):`` -> ``for r in p.imap(f, xs, chunksize=100):``."""
        ancestors = self.model.ancestors
        loop = ancestors[-2] if len(ancestors) > 1 else None
        func = pool_call.call.func
        if not (isinstance(loop, cst.For) and loop.iter is pool_call.call):
            return None
        if pool_call.method.name != "map" or not isinstance(func, cst.Attribute):
            return None
        args = list(pool_call.call.args)
        if pool_call.argument("chunksize") is None:
            if args[-1].comma is cst.MaybeSentinel.DEFAULT:
                args[-1] = args[-1].with_changes(comma=_COMMA)
            args.append(_CHUNKSIZE)
        new_call = pool_call.call.with_changes(
            func=func.with_changes(attr=cst.Name("imap")), args=args
        )
        return self.fix(Applicability.UNSAFE, ((pool_call.call, new_call),))
