"""PCK107 unpicklable-argument."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from flake8_poolcheck.analysis.pools import PICKLING_KINDS, PoolCall, Returns
from flake8_poolcheck.analysis.tree import source
from flake8_poolcheck.analysis.values import Imported, ObjectValue, dict_values, sequence_items
from flake8_poolcheck.rules import Rule


class UnpicklableArgument(Rule):
    """## What it does
    Flags a multiprocessing `Queue`, `SimpleQueue`, `Lock`, `RLock`, `Event`,
    `Semaphore`, `Condition`, `Value` or `Array`, a `threading` lock, an open
    file, or a generator, created in the module and passed to a process pool's
    task: in `args`, in `kwds`, as an item of a literal iterable, or bound into a
    `functools.partial` task. A `Manager()` queue or lock is a proxy and is fine,
    and so is anything given to a thread pool.

    ## Why is this bad?
    Every argument of a process-pool task is pickled. Multiprocessing's
    synchronisation objects refuse it (`RuntimeError: Queue objects should only be
    shared between processes through inheritance`), and thread locks, files and
    generators cannot be pickled at all (`TypeError: cannot pickle ...`). The
    error is raised at the call for `map`/`starmap`/`apply`, at `.get()` for the
    `*_async` methods, and, for a `ProcessPoolExecutor`, at `.result()` of the
    future `submit()` returns (every argument after the task is pickled); when
    nobody reads the result, it is lost silently.

    ## Example
    ```python
    import multiprocessing


    def produce(queue, item):
        queue.put(item)


    def main(items):
        queue = multiprocessing.Queue()
        with multiprocessing.Pool() as pool:
            pool.starmap(produce, [(queue, item) for item in items])
            pool.apply(produce, (queue, 1))
    ```

    ## Use instead
    ```python
    import multiprocessing


    def produce(queue, item):
        queue.put(item)


    def main(items):
        with multiprocessing.Manager() as manager:
            queue = manager.Queue()
            with multiprocessing.Pool() as pool:
                pool.apply(produce, (queue, 1))
    ```
    Or hand the object to every worker once, with `initializer=` and `initargs=`.

    ## Fix safety
    There is no fix: a Manager adds a server process, and `initargs` changes the
    task's signature; both are design decisions.

    ## References
    - [Python docs: sharing state between processes](https://docs.python.org/3/library/multiprocessing.html#sharing-state-between-processes)
    - [Python docs: what can be pickled](https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled)
    """

    code = "PCK107"
    name = "unpicklable-argument"
    summary = (
        "A lock, queue, generator or other object that cannot be pickled is sent with a"
        " process-pool task: every task fails."
    )
    kinds = PICKLING_KINDS

    def visit_Call(self, node: cst.Call) -> None:
        pool_call = self.pool_call(node)
        if pool_call is None:
            return
        for candidate in self._sent(pool_call):
            value = self.model.value_of(candidate)
            if isinstance(value, ObjectValue) and value.unshareable is not None:
                kind = value.unshareable
                returns = pool_call.method.returns
                where = returns.error_surfaces_at
                if returns in (Returns.ASYNC_RESULT, Returns.FUTURE):
                    where += ", or lost silently when the result is never read"
                message = (
                    f"`{source(candidate)}` is {kind.what}, which a process-pool task cannot"
                    f" receive: {kind.error} at {where}; {kind.advice}"
                )
                self.report(candidate, message)
                return  # one object is enough to make every task fail

    def _sent(self, pool_call: PoolCall) -> Iterator[cst.BaseExpression]:
        """The expressions that are pickled with each task."""
        if pool_call.method.variadic:  # submit(fn, *args, **kwargs)
            yield from (arg.value for arg in pool_call.call.args[1:] if not arg.star)
        for param in ("args", "iterable"):
            arg = pool_call.argument(param)
            if arg is not None and not arg.star:
                for item in sequence_items(arg.value):
                    yield item
                    if pool_call.method.star:
                        yield from sequence_items(item)
        kwds = pool_call.argument("kwds")
        if kwds is not None and not kwds.star:
            yield from dict_values(kwds.value)
        task = pool_call.task
        if task is not None and isinstance(task.value, cst.Call) and task.value.args:
            partial = self.model.value_of(task.value.func)
            if isinstance(partial, Imported) and partial.qualname == "functools.partial":
                yield from (arg.value for arg in task.value.args[1:] if not arg.star)
