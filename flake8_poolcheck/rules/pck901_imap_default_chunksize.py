"""PCK901 imap-default-chunksize (opt-in)."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.pools import ALL_KINDS
from flake8_poolcheck.rules import Rule


class ImapDefaultChunksize(Rule):
    """## What it does
    Flags `imap` and `imap_unordered` called without a `chunksize`. Off unless
    selected (`--select PCK901`, or `PCK9` for every opt-in rule): a default
    chunk size is right whenever tasks are slow.

    ## Why is this bad?
    `imap` and `imap_unordered` default to a chunk size of 1 (`map` computes a
    larger one), so every item pays the pool's per-task cost, about 35-45 µs on a
    process pool. On 200,000 trivial tasks that made `imap` about 200 times
    slower than `map` under fork, and about 30 times on a ThreadPool; a chunk
    size of 1000 brought it within 2-3 times of `map`.

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return sum(pool.imap(abs, items))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return sum(pool.imap(abs, items, chunksize=256))
    ```

    ## Fix safety
    There is no fix: the right chunk size depends on how long each task takes.

    ## References
    - [Python docs: `Pool.imap`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.imap)
    """

    code = "PCK901"
    name = "imap-default-chunksize"
    message = (
        "`{method}()` without `chunksize` sends items one at a time, each paying the pool's "
        "per-task cost (tiny tasks ran up to ~200x slower than `map` on a process pool, "
        "~30x on threads); pass a chunksize"
    )
    kinds = ALL_KINDS
    opt_in = True

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.model.pool_call(node)
        if pool_call is None or not pool_call.method.lazy or pool_call.has_unpacking:
            return
        if pool_call.argument("chunksize") is None:
            self.report(node, method=pool_call.method.name)
