"""PCK105 unsupported-pool-argument."""

from __future__ import annotations

import difflib

import libcst as cst

from flake8_poolcheck.analysis.pools import BLOCKING_FORM, POOL_KINDS, Method, PoolCall
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.analysis.values import Function, LambdaFunction, Partial
from flake8_poolcheck.rules import Rule

#: The asynchronous form of each blocking method.
_ASYNC_FORM = {blocking: asynchronous for asynchronous, blocking in BLOCKING_FORM.items()}


class UnsupportedPoolArgument(Rule):
    """## What it does
    Flags an argument a pool's task method does not take: a keyword that is not
    one of its parameters (`callback=`/`error_callback=` on `map`, `imap`,
    `imap_unordered`, `starmap` or `apply`; `chunksize=` on `apply`/`apply_async`;
    `timeout=` anywhere; typos), more positional arguments than it has, and a
    function passed positionally into the `chunksize` slot. The parameters come
    from the method table of the target Python version (`buffersize` is accepted
    by `imap` from 3.16).

    ## Why is this bad?
    The call raises `TypeError: Pool.imap() got an unexpected keyword argument
    'callback'` before any task is sent. A function in the `chunksize` slot (a
    callback given positionally) fails inside the pool with an obscure
    `TypeError: '<=' not supported between instances of 'function' and 'int'`.

    Only `multiprocessing` pools and their look-alikes are checked: other pool
    libraries have other signatures.

    ## Example
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            return list(pool.imap(abs, items, callback=print))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(items):
        with Pool() as pool:
            result = pool.map_async(abs, items, callback=print)
            return result.get()
    ```

    ## Fix safety
    There is no fix: the right replacement (another method, or a call of your
    own in the loop) depends on what the argument was meant to do.

    ## References
    - [Python docs: `multiprocessing.pool.Pool`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool)
    """

    code = "PCK105"
    name = "unsupported-pool-argument"
    summary = (
        "A pool method is given an argument it does not take: TypeError at the call,"
        " before any task is sent."
    )
    kinds = POOL_KINDS

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None:
            return
        method = pool_call.method
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value not in method.params:
                keyword = arg.keyword.value
                hint = self._hint(method, keyword)
                self.report(arg, _message(method, f"has no `{keyword}` parameter", hint))
        positional = [arg for arg in node.args if arg.keyword is None]
        if any(arg.star for arg in positional):
            return
        if len(positional) > len(method.params):
            extra = positional[len(method.params)]
            count = len(method.params)
            self.report(extra, _message(method, f"takes at most {count} positional arguments"))
            return
        self._check_chunksize_slot(pool_call)

    def _check_chunksize_slot(self, pool_call: PoolCall) -> None:
        method = pool_call.method
        if not method.takes_chunksize:
            return
        chunksize = pool_call.argument("chunksize")
        if chunksize is None or chunksize.keyword is not None:
            return
        if isinstance(self.model.value_of(chunksize.value), (Function, LambdaFunction, Partial)):
            where = "a callback must be given as `callback=`"
            if not method.takes_callbacks:
                where = f"`{_ASYNC_FORM.get(method.name, 'map_async')}()` takes `callback=`"
            self._report_function_chunksize(chunksize, method, where)

    def _report_function_chunksize(self, arg: cst.Arg, method: Method, where: str) -> None:
        problem = f"is given the function `{source(arg.value)}` as its `chunksize`"
        self.report(
            arg, _message(method, problem, f" (comparing a function with an int); {where}")
        )

    def _hint(self, method: Method, keyword: str) -> str:
        takers = [m.name for m in self.model.methods.values() if keyword in m.params]
        if keyword in ("callback", "error_callback"):
            alternative = _ASYNC_FORM.get(method.name)
            if alternative:
                return f"; `{alternative}()` takes it"
            return f"; only {', '.join(f'`{t}()`' for t in takers)} take it"
        if keyword == "timeout":
            return "; no task method takes a timeout: pass it to `.get(timeout=...)`"
        if takers:
            return f"; {', '.join(f'`{t}()`' for t in takers)} take it"
        close = difflib.get_close_matches(keyword, method.params, n=1)
        return f"; did you mean `{close[0]}`?" if close else ""


def _message(method: Method, problem: str, hint: str = "") -> str:
    return f"`{method.name}()` {problem}: TypeError at the call, before any task is sent{hint}"
