"""PCK504 unpicklable-process-argument."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.analysis.pools import PoolKind
from flake8_poolcheck.analysis.tasks import StartFailure, fails_at_start, process_call
from flake8_poolcheck.analysis.tree import called_name, source
from flake8_poolcheck.analysis.values import (
    Context,
    Factory,
    Value,
    dict_values,
    sequence_items,
)
from flake8_poolcheck.rules import Rule, per_file

#: The pools whose workers are started with ``initargs``, and what the message calls them.
_POOLS = {
    PoolKind.PROCESS: "Pool",
    PoolKind.DILL: "Pool",
    PoolKind.PROCESS_EXECUTOR: "ProcessPoolExecutor",
}
#: Where the error surfaces (measured on Python 3.11; 3.9 and 3.13 agree).
_SURFACES = {
    "Pool": "`Pool()`, which starts the workers",
    "ProcessPoolExecutor": "the first `submit()` or `map()`, which start the workers",
    "Process": "`start()`",
}
#: Positions of ``initargs`` and of the context in ``Pool(processes, initializer, initargs,
#: maxtasksperchild, context)`` and ``ProcessPoolExecutor(max_workers, mp_context,
#: initializer, initargs)``; of ``args`` and ``kwargs`` in ``Process(group, target, name,
#: args, kwargs)``.
_POSITIONS = {
    "Pool": {"initargs": 2, "context": 4},
    "ProcessPoolExecutor": {"initargs": 3, "mp_context": 1},
    "Process": {"args": 3, "kwargs": 4},
}


@dataclass(frozen=True)
class _Finding:
    item: cst.BaseExpression
    given_to: str  # "`Pool(initargs=...)`"
    surfaces: str
    failure: StartFailure
    start_method: str | None  # as the code names it; None: the default


class UnpicklableProcessArgument(Rule):
    """## What it does
    Flags a `threading` lock, `RLock`, `Condition`, `Semaphore` or `Event`, an open
    file, a generator, an instance of a class defined inside a function, or a lambda,
    nested function or `functools.partial` of either, written in the `initargs` of a
    process pool (`multiprocessing.Pool`, `ctx.Pool`, `ProcessPoolExecutor`) or in the
    `args`/`kwargs` of a `multiprocessing.Process` (or `ctx.Process`), unless the
    context is explicitly a fork one (`get_context("fork")`, or
    `set_start_method("fork")` in the module).

    Multiprocessing's own `Queue`, `Lock`, `Event`, `Value`, `Array` and the like are
    meant to be given to a process as it starts, and pickle then under every start
    method: not flagged (PCK107 flags them in a pool's task arguments, where they fail).
    Nor are sockets (multiprocessing sends a duplicate of the descriptor: measured to
    work), `Manager()` proxies, thread pools, contexts whose method is chosen at run
    time (`get_context(method)`), or an object the checker cannot identify. Pools and
    processes of the `multiprocess` package pickle with dill, which handles everything
    above except generators: only generators are flagged there.

    ## Why is this bad?
    Under the spawn and forkserver start methods (the default on macOS and Windows,
    and on Linux from Python 3.14) starting a process pickles what it needs: the
    initializer and `initargs` of every pool worker, the target, `args` and `kwargs` of
    a `Process`. Thread locks, open files and generators refuse (`TypeError: cannot
    pickle '_thread.lock' object`, `'_io.TextIOWrapper'`, `'generator'`), and pickle
    can only send a class or function by its importable name, which a lambda or
    anything defined in a function lacks (`AttributeError: Can't pickle local object`,
    `Can't get local object` from Python 3.13;
    `PicklingError` for a lambda at module level). Measured, the error surfaces at
    `Pool()`, at a `Process`'s `start()`, and, for a `ProcessPoolExecutor`, whose
    workers start lazily, at the first `submit()` or `map()` (no hang: the `with`
    block exits). Under fork nothing is pickled and the same code works, which is why
    such code breaks when it moves to Python 3.14 or to a Mac.

    ## Example
    ```python
    import multiprocessing
    import threading


    def init(lock):
        global LOCK
        LOCK = lock


    def main():
        lock = threading.Lock()
        with multiprocessing.Pool(initializer=init, initargs=(lock,)) as pool:
            pool.map(abs, [-1, -2])
    ```

    ## Use instead
    ```python
    import multiprocessing


    def init(lock):
        global LOCK
        LOCK = lock


    def main():
        lock = multiprocessing.Lock()
        with multiprocessing.Pool(initializer=init, initargs=(lock,)) as pool:
            pool.map(abs, [-1, -2])
    ```

    ## Fix safety
    There is no fix: a multiprocessing lock is slower than a thread lock, and moving a
    function or class to module level can change what it closes over; both are left
    to the author.

    ## References
    - [Python docs: the spawn and forkserver start methods](https://docs.python.org/3/library/multiprocessing.html#the-spawn-and-forkserver-start-methods)
    - [Python docs: explicitly pass resources to child processes](https://docs.python.org/3/library/multiprocessing.html#programming-guidelines)
    - [Python docs: what can be pickled](https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled)
    """

    code = "PCK504"
    name = "unpicklable-process-argument"
    summary = (
        "A thread lock, open file, generator, lambda or local object is given to a process"
        " as it starts (`initargs`, `Process(args=...)`): spawn and forkserver cannot pickle"
        " it and the start raises."
    )
    kinds = frozenset(_POOLS)
    _found: list[_Finding] = per_file(list)

    def visit_Call(self, node: cst.Call) -> None:
        if len(node.args) < 3 and all(arg.keyword is None for arg in node.args):
            return  # neither initargs, args nor kwargs can be given
        if called_name(node.func) == "Process":
            self._check_process(node)
        else:
            self._check_pool(node)

    def _check_pool(self, node: cst.Call) -> None:
        factory = self.model.value_of(node.func)
        if not isinstance(factory, Factory) or factory.kind not in _POOLS:
            return
        api = _POOLS[factory.kind]
        context_param = "mp_context" if api == "ProcessPoolExecutor" else "context"
        context_arg = _argument(node, api, context_param)
        context: Value | None
        if context_arg is not None:
            context = self.model.value_of(context_arg)
        else:
            context = self._context_owner(node)  # ctx.Pool(...)
        if context is None:
            self._collect(node, api, "initargs", factory.kind, None)
        elif isinstance(context, Context) and not context.chosen_at_run_time:
            self._collect(node, api, "initargs", factory.kind, context.start_method)
        # else: an unknown context, or one whose method is chosen at run time (maybe fork)

    def _check_process(self, node: cst.Call) -> None:
        process = process_call(self.model, node)
        if process is not None:
            self._collect(node, "Process", "args", process.kind, process.start_method)
            self._collect(node, "Process", "kwargs", process.kind, process.start_method)

    def _context_owner(self, call: cst.Call) -> Context | None:
        """The context whose method is called: ``ctx`` in ``ctx.Pool(...)``."""
        func = call.func
        owner = self.model.value_of(func.value) if isinstance(func, cst.Attribute) else None
        return owner if isinstance(owner, Context) else None

    def _collect(
        self, node: cst.Call, api: str, param: str, kind: PoolKind, start_method: str | None
    ) -> None:
        """Remember the first item of ``param`` that cannot be pickled at the start."""
        arg = _argument(node, api, param)
        if arg is None:
            return
        items = dict_values(arg) if param == "kwargs" else sequence_items(arg)
        for item in items:
            failure = fails_at_start(self.model.value_of(item))
            if failure is not None and (kind is not PoolKind.DILL or failure.fails_with_dill):
                given_to = f"`{api}({param}=...)`"
                self._found.append(_Finding(item, given_to, _SURFACES[api], failure, start_method))
                return  # one object is enough to make the start fail

    def leave_Module(self, node: cst.Module) -> None:
        # set_start_method("fork") may come after the call in the source: decide at the end.
        for found in self._found:
            if self.model.runs_under_fork(found.start_method):
                continue
            failure = found.failure
            self.report(
                found.item,
                f"`{source(found.item)}` is {failure.what}, given to {found.given_to}: under"
                " the spawn and forkserver start methods (the default on macOS, Windows, and"
                " Linux from Python 3.14) starting the process pickles it and raises"
                f" {failure.error} at {found.surfaces}; {failure.advice}",
            )


def _argument(call: cst.Call, api: str, param: str) -> cst.BaseExpression | None:
    """The argument given for ``param``: by keyword, or by position when the call names
    ``api`` itself and unpacks nothing; None for a literal None."""
    found = None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            found = arg.value
    positional = [arg for arg in call.args if arg.keyword is None]
    index = _POSITIONS[api][param]
    # by position only where the callable is named as itself (not a declared factory)
    named = called_name(call.func) == api and not any(arg.star for arg in positional)
    if found is None and named and index < len(positional):
        found = positional[index].value
    if isinstance(found, cst.Name) and found.value == "None":
        return None
    return found
