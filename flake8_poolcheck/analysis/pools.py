"""What a pool is: factories, kinds, start methods and the task-method tables
(``multiprocessing.Pool`` and its relatives, and ``concurrent.futures`` executors).

Everything here is a fact about ``multiprocessing`` and its look-alikes, written
down once; ``semantic.py`` uses it to decide what an expression in a module is,
and the rules read it instead of re-encoding it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.settings import DEFAULT_TARGET_VERSION


class PoolKind(enum.Enum):
    """How a pool moves work to its workers (which decides what must pickle), and
    which API it offers."""

    PROCESS = "process"  # multiprocessing, torch, billiard: pickles tasks and results
    THREAD = "thread"  # ThreadPool, multiprocessing.dummy: pickles nothing
    DILL = "dill"  # the `multiprocess` package: pickles with dill (lambdas, closures)
    PROCESS_EXECUTOR = "process-executor"  # concurrent.futures.ProcessPoolExecutor
    THREAD_EXECUTOR = "thread-executor"  # concurrent.futures.ThreadPoolExecutor


#: ``multiprocessing.pool.Pool`` and its relatives: the same methods, the same semantics.
POOL_KINDS = frozenset({PoolKind.PROCESS, PoolKind.THREAD, PoolKind.DILL})
#: ``concurrent.futures`` executors: ``submit``/``map``, futures, a ``with`` that waits.
EXECUTOR_KINDS = frozenset({PoolKind.PROCESS_EXECUTOR, PoolKind.THREAD_EXECUTOR})
PROCESS_KINDS = frozenset({PoolKind.PROCESS})
#: Pools whose workers are processes that receive tasks pickled with ``pickle``.
PICKLING_KINDS = frozenset({PoolKind.PROCESS, PoolKind.PROCESS_EXECUTOR})


@dataclass(frozen=True)
class Pool:
    """A pool as the checker knows it.

    ``created_by`` is the factory call that makes it, or None for a pool that is
    only known by its annotation (a parameter). ``start_method`` is set when the
    code names it (``get_context("spawn")``, ``context=``); None means the
    platform default.
    """

    kind: PoolKind
    start_method: str | None = None
    created_by: cst.Call | None = None
    #: For a pool known only as a parameter: that parameter (so two are never equal).
    parameter: cst.Param | None = None


#: Callables that return a pool, by qualified name.
FACTORIES: Mapping[str, PoolKind] = {
    "multiprocessing.Pool": PoolKind.PROCESS,
    "multiprocessing.pool.Pool": PoolKind.PROCESS,
    "multiprocessing.pool.ThreadPool": PoolKind.THREAD,
    "multiprocessing.dummy.Pool": PoolKind.THREAD,
    "torch.multiprocessing.Pool": PoolKind.PROCESS,
    "torch.multiprocessing.pool.Pool": PoolKind.PROCESS,
    "billiard.Pool": PoolKind.PROCESS,
    "billiard.pool.Pool": PoolKind.PROCESS,
    "multiprocess.Pool": PoolKind.DILL,
    "multiprocess.pool.Pool": PoolKind.DILL,
    "multiprocess.pool.ThreadPool": PoolKind.THREAD,
    "multiprocess.dummy.Pool": PoolKind.THREAD,
    "concurrent.futures.ProcessPoolExecutor": PoolKind.PROCESS_EXECUTOR,
    "concurrent.futures.process.ProcessPoolExecutor": PoolKind.PROCESS_EXECUTOR,
    "concurrent.futures.ThreadPoolExecutor": PoolKind.THREAD_EXECUTOR,
    "concurrent.futures.thread.ThreadPoolExecutor": PoolKind.THREAD_EXECUTOR,
}

#: Packages that offer ``get_context()`` and ``set_start_method()``, with the kind
#: of pool their contexts make.
CONTEXT_PACKAGES: Mapping[str, PoolKind] = {
    "multiprocessing": PoolKind.PROCESS,
    "torch.multiprocessing": PoolKind.PROCESS,
    "billiard": PoolKind.PROCESS,
    "multiprocess": PoolKind.DILL,
}

#: Context classes whose instances fix the start method.
CONTEXT_CLASSES: Mapping[str, str] = {
    f"{package}.context.{cls}": method
    for package in CONTEXT_PACKAGES
    for cls, method in (
        ("ForkContext", "fork"),
        ("SpawnContext", "spawn"),
        ("ForkServerContext", "forkserver"),
    )
}


def factory_table(
    pool_factories: Iterable[str] = (), thread_pool_factories: Iterable[str] = ()
) -> dict[str, PoolKind]:
    """The factory table widened by the factories a project declares."""
    table = dict(FACTORIES)
    table.update(dict.fromkeys(pool_factories, PoolKind.PROCESS))
    table.update(dict.fromkeys(thread_pool_factories, PoolKind.THREAD))
    return table


class Returns(enum.Enum):
    """What a task method hands back, which decides where a task's error surfaces."""

    VALUE = enum.auto()
    ASYNC_RESULT = enum.auto()
    ITERATOR = enum.auto()
    FUTURE = enum.auto()

    @property
    def error_surfaces_at(self) -> str:
        """Where a task's exception reaches the caller, in the words of the messages."""
        return {
            Returns.VALUE: "the call",
            Returns.ASYNC_RESULT: "`.get()`",
            Returns.ITERATOR: "the first `next()`",
            Returns.FUTURE: "`.result()`",
        }[self]


@dataclass(frozen=True)
class Method:
    """A task method: one of the eight of ``multiprocessing.pool.Pool``, or an
    executor's ``submit``/``map``."""

    name: str
    params: tuple[str, ...]  # in positional order, as inspect.signature shows them
    returns: Returns
    ordered: bool  # results come back in input order
    star: bool  # each item is unpacked into the task's arguments
    lazy: bool  # the input is read as tasks are sent, not all before the first one
    variadic: bool = False  # the arguments after the task are the task's (``submit``)

    @property
    def blocking(self) -> bool:
        return self.returns is Returns.VALUE

    @property
    def takes_callbacks(self) -> bool:
        return "callback" in self.params

    @property
    def takes_chunksize(self) -> bool:
        return "chunksize" in self.params


def _method(name: str, params: str, returns: Returns, *, ordered: bool = True) -> Method:
    star = name.startswith("starmap")
    return Method(name, tuple(params.split()), returns, ordered, star, returns is Returns.ITERATOR)


_APPLY = "func args kwds"
_MAP = "func iterable chunksize"
_CALLBACKS = "callback error_callback"

_BASE_METHODS = (
    _method("apply", _APPLY, Returns.VALUE),
    _method("apply_async", f"{_APPLY} {_CALLBACKS}", Returns.ASYNC_RESULT),
    _method("map", _MAP, Returns.VALUE),
    _method("map_async", f"{_MAP} {_CALLBACKS}", Returns.ASYNC_RESULT),
    _method("imap", _MAP, Returns.ITERATOR),
    _method("imap_unordered", _MAP, Returns.ITERATOR, ordered=False),
    _method("starmap", _MAP, Returns.VALUE),
    _method("starmap_async", f"{_MAP} {_CALLBACKS}", Returns.ASYNC_RESULT),
)

#: Parameters added by later Pythons: (version, method, parameter).
#: ``buffersize`` for imap/imap_unordered is new in 3.16 (CPython gh-64192).
_ADDED_PARAMS = (
    ((3, 16), "imap", "buffersize"),
    ((3, 16), "imap_unordered", "buffersize"),
)


def methods_for(version: tuple[int, int] = DEFAULT_TARGET_VERSION) -> dict[str, Method]:
    """The task methods with the signatures they have on Python ``version``."""
    methods = {method.name: method for method in _BASE_METHODS}
    for added_in, name, param in _ADDED_PARAMS:
        if version >= added_in:
            old = methods[name]
            methods[name] = dataclasses.replace(old, params=(*old.params, param))
    return methods


#: An executor's task methods. ``map(fn, *iterables, timeout=None, chunksize=1)`` submits
#: every item before it returns; only its first iterable is named here.
EXECUTOR_METHODS: Mapping[str, Method] = {
    "submit": Method("submit", ("fn",), Returns.FUTURE, True, False, False, variadic=True),
    "map": Method("map", ("fn", "iterable"), Returns.ITERATOR, True, False, False),
}

#: ``concurrent.futures.as_completed(fs)``: the futures, in the order they finish.
AS_COMPLETED = Method("as_completed", (), Returns.ITERATOR, False, False, False)
AS_COMPLETED_NAMES = frozenset(
    {"concurrent.futures.as_completed", "concurrent.futures._base.as_completed"}
)


#: The blocking method that each asynchronous one is equivalent to, ``x_async(...).get()``.
BLOCKING_FORM = {"apply_async": "apply", "map_async": "map", "starmap_async": "starmap"}


@dataclass(frozen=True)
class PoolCall:
    """A call of a task method on an expression known to be a pool."""

    call: cst.Call
    pool: Pool
    method: Method

    @property
    def task(self) -> cst.Arg | None:
        """The argument that is the task (every task method takes it first)."""
        return self.argument(self.method.params[0]) if self.method.params else None

    @property
    def has_unpacking(self) -> bool:
        """``*args``/``**kwargs`` in the call: arguments cannot be matched to parameters."""
        return any(arg.star for arg in self.call.args)

    def argument(self, param: str) -> cst.Arg | None:
        """The argument given for ``param``, by keyword or by position (``submit()``
        hands its keywords to the task: there, by position only)."""
        for arg in self.call.args:
            if arg.keyword is not None and arg.keyword.value == param and not self.method.variadic:
                return arg
        if param not in self.method.params:
            return None
        index = self.method.params.index(param)
        positional = [arg for arg in self.call.args if arg.keyword is None and not arg.star]
        return positional[index] if index < len(positional) else None

    def given(self, param: str) -> bool:
        """True when ``param`` is passed with a value other than a literal None."""
        arg = self.argument(param)
        return arg is not None and not (
            isinstance(arg.value, cst.Name) and arg.value.value == "None"
        )


@dataclass(frozen=True)
class Unshareable:
    """An object a process-pool task cannot receive as an argument."""

    what: str
    error: str
    advice: str
    #: What to do instead when it is given to a process as it starts (``initargs``,
    #: ``Process(args=...)``); None for multiprocessing's own objects, which are made to
    #: be sent then ("through inheritance") and pickle under every start method.
    start_advice: str | None = None


_SYNC_ADVICE = (
    "use a `multiprocessing.Manager()` one, or give it to the workers with "
    "`initializer=`/`initargs=`"
)
_SYNC_TYPES = {
    "Queue": "Queue",
    "JoinableQueue": "JoinableQueue",
    "SimpleQueue": "SimpleQueue",
    "Lock": "Lock",
    "RLock": "RLock",
    "Semaphore": "Semaphore",
    "BoundedSemaphore": "BoundedSemaphore",
    "Condition": "Condition",
    "Event": "Condition",  # an Event reports the Condition inside it
    "Barrier": "Condition",
    "Value": "Synchronized",
    "Array": "SynchronizedArray",
}

#: ``threading`` classes made of a plain ``_thread.lock`` (the others hold an RLock).
_PLAIN_LOCKS = frozenset({"Lock", "Semaphore", "BoundedSemaphore", "Event"})

#: Callables whose results cannot be sent to a process-pool task, by qualified name.
UNSHAREABLE: Mapping[str, Unshareable] = {
    **{
        f"{package}.{name}": Unshareable(
            f"a `{package}.{name}`",
            f"RuntimeError: {reported} objects should only be shared between processes "
            "through inheritance",
            _SYNC_ADVICE,
        )
        for package in ("multiprocessing", "torch.multiprocessing", "billiard")
        for name, reported in _SYNC_TYPES.items()
    },
    **{
        f"threading.{name}": Unshareable(
            f"a `threading.{name}`",
            # a Condition holds an RLock unless it is given a Lock (measured: '_thread.RLock')
            f"TypeError: cannot pickle '_thread.{'lock' if name in _PLAIN_LOCKS else 'RLock'}'"
            " object",
            "a process cannot share a thread lock; use a `multiprocessing.Manager().Lock()`",
            f"use `multiprocessing.{name}()`, which a process can be given as it starts",
        )
        for name in ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event")
    },
    **{
        opener: Unshareable(
            "an open file",
            "TypeError: cannot pickle '_io.TextIOWrapper' object (or another io class)",
            "pass the path and open the file in the task",
            "pass the path and open the file in the new process",
        )
        for opener in ("builtins.open", "io.open")
    },
}

GENERATOR = Unshareable(
    "a generator",
    "TypeError: cannot pickle 'generator' object",
    "pass a list of what it yields",
    "pass a list of what it yields",
)

#: Names of the context methods that make synchronisation objects (``ctx.Queue()``).
SYNC_NAMES = frozenset(_SYNC_TYPES)


@dataclass(frozen=True)
class Lazy:
    """An iterable whose items are produced on demand rather than held in memory."""

    what: str
    infinite: bool = False


#: Callables that return lazy iterables, by qualified name (``itertools.repeat`` is
#: infinite only without ``times``; the semantic model handles that and ``range``).
LAZY_SOURCES: Mapping[str, Lazy] = {
    "itertools.count": Lazy("`itertools.count()`", infinite=True),
    "itertools.cycle": Lazy("`itertools.cycle()`", infinite=True),
    "itertools.repeat": Lazy("`itertools.repeat()` without `times`", infinite=True),
    "builtins.open": Lazy("the lines of an open file"),
    "io.open": Lazy("the lines of an open file"),
    "os.walk": Lazy("a directory walk"),
    "os.fwalk": Lazy("a directory walk"),
    "os.scandir": Lazy("a directory scan"),
    "glob.iglob": Lazy("a directory walk"),
    "csv.reader": Lazy("a CSV reader"),
    "csv.DictReader": Lazy("a CSV reader"),
}

#: ``pathlib.Path`` methods that walk the file system lazily.
PATH_WALKS = frozenset({"rglob", "glob", "iterdir", "walk"})

#: A literal ``range`` bound from which listing it costs real memory.
HUGE_RANGE = 10**7

#: Callables that start a child process, by qualified name.
PROCESS_FACTORIES = frozenset(f"{package}.Process" for package in CONTEXT_PACKAGES)

#: Calls that end a worker without raising, by qualified name, with how to show them.
WORKER_EXITS: Mapping[str, str] = {
    "sys.exit": "sys.exit()",
    "builtins.exit": "exit()",
    "builtins.quit": "quit()",
    "os._exit": "os._exit()",
}
