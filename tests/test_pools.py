"""The Pool model's contract: what is a pool, of which kind, and what is not."""

from __future__ import annotations

import inspect
import multiprocessing.pool
import sys
import textwrap

import libcst as cst
import pytest

from flake8_poolcheck.analysis.pools import GENERATOR, PoolCall, PoolKind, methods_for
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.values import (
    Function,
    FunctionPlace,
    ObjectValue,
    ResultValue,
    Value,
)
from flake8_poolcheck.engine import Linter, walk
from flake8_poolcheck.settings import Settings

P, T, D = PoolKind.PROCESS, PoolKind.THREAD, PoolKind.DILL
PX, TX = PoolKind.PROCESS_EXECUTOR, PoolKind.THREAD_EXECUTOR


class Probe:
    """Records, at every ``probe(x)`` call, what the model says ``x`` is."""

    def __init__(self, model: SemanticModel) -> None:
        self.model = model
        self.pools: list[tuple[PoolKind, str | None] | None] = []
        self.values: list[Value] = []
        self.guarded: list[bool] = []
        self.import_time: list[bool] = []
        self.pool_calls: list[PoolCall | None] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            expr = node.args[0].value
            pool = self.model.pool_of(expr)
            self.pools.append(None if pool is None else (pool.kind, pool.start_method))
            self.values.append(self.model.value_of(expr))
            self.guarded.append(self.model.in_main_guard)
            self.import_time.append(self.model.at_import_time)
            self.pool_calls.append(
                self.model.pool_call(expr) if isinstance(expr, cst.Call) else None
            )


def probe(code: str, settings: Settings | None = None) -> Probe:
    linter = Linter(settings or Settings())
    model = linter.new_model()
    found = Probe(model)
    walk(cst.parse_module(textwrap.dedent(code)), model, [found])
    return found


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import multiprocessing as mp\nwith mp.Pool() as p:\n    probe(p)", (P, None)),
        ("import multiprocessing\nprobe(multiprocessing.Pool(4))", (P, None)),
        ("from multiprocessing import Pool as P\np = P()\nprobe(p)", (P, None)),
        ("from multiprocessing.pool import Pool\np = Pool()\nprobe(p)", (P, None)),
        ("from multiprocessing.pool import ThreadPool\np = ThreadPool()\nprobe(p)", (T, None)),
        ("import multiprocessing.pool\nprobe(multiprocessing.pool.ThreadPool())", (T, None)),
        ("import multiprocessing.dummy\nprobe(multiprocessing.dummy.Pool())", (T, None)),
        ("from multiprocessing.dummy import Pool\nprobe(Pool())", (T, None)),
        ("import multiprocessing as mp\nprobe(mp.get_context('spawn').Pool())", (P, "spawn")),
        ("import multiprocessing as mp\nctx = mp.get_context()\nprobe(ctx.Pool())", (P, None)),
        (
            "from multiprocessing import get_context\nctx = get_context('forkserver')\n"
            "with ctx.Pool() as p:\n    probe(p)",
            (P, "forkserver"),
        ),
        (
            "import multiprocessing as mp\nprobe(mp.Pool(context=mp.get_context('fork')))",
            (P, "fork"),
        ),
        (
            "from multiprocessing.context import SpawnContext\nprobe(SpawnContext().Pool())",
            (P, "spawn"),
        ),
        ("import multiprocess\nprobe(multiprocess.Pool())", (D, None)),
        ("from multiprocess.pool import ThreadPool\nprobe(ThreadPool())", (T, None)),
        ("import torch.multiprocessing as tmp\nprobe(tmp.Pool())", (P, None)),
        ("import billiard\nprobe(billiard.Pool())", (P, None)),
        ("from multiprocessing import *\nprobe(Pool())", (P, None)),
        (
            "import contextlib, multiprocessing\n"
            "with contextlib.closing(multiprocessing.Pool()) as p:\n    probe(p)",
            (P, None),
        ),
        (
            "from contextlib import closing\nfrom multiprocessing import Pool\n"
            "with closing(Pool()) as p:\n    probe(p)",
            (P, None),
        ),
        (
            "from multiprocessing.pool import Pool\ndef f(p: Pool):\n    probe(p)",
            (P, None),
        ),
        (
            "import multiprocessing.pool\ndef f(p: 'multiprocessing.pool.ThreadPool'):\n"
            "    probe(p)",
            (T, None),
        ),
        (
            "from multiprocessing import Pool, get_context\n"
            "class Runner:\n    def __init__(self):\n        self.pool = Pool()\n"
            "    def run(self):\n        probe(self.pool)",
            (P, None),
        ),
        (
            "from multiprocessing import Pool\nfrom multiprocessing.pool import ThreadPool\n"
            "a, b = ThreadPool(), Pool()\nprobe(b)",
            (P, None),
        ),
        ("from multiprocessing import Pool\nif (p := Pool()):\n    probe(p)", (P, None)),
        (
            "from multiprocessing import Pool\nPOOL = None\ndef start():\n"
            "    global POOL\n    POOL = Pool()\ndef use():\n    probe(POOL)",
            (P, None),
        ),
        (
            "from concurrent.futures import ProcessPoolExecutor\nprobe(ProcessPoolExecutor())",
            (PX, None),
        ),
        (
            "import contextlib\nfrom multiprocessing import Pool\n"
            "with (Pool(2) if jobs else contextlib.nullcontext()) as p:\n    probe(p)",
            (P, None),
        ),
        ("from multiprocessing import Pool\np = None if serial else Pool()\nprobe(p)", (P, None)),
        (
            "from multiprocessing import Pool\ndef make(n):\n    return Pool(n)\nprobe(make(2))",
            (P, None),
        ),
        (
            "import multiprocessing as mp\ndef make():\n"
            "    return mp.get_context('spawn').Pool()\nwith make() as p:\n    probe(p)",
            (P, "spawn"),
        ),
        (
            "import concurrent.futures as cf\nwith cf.ThreadPoolExecutor(4) as ex:\n    probe(ex)",
            (TX, None),
        ),
        (
            "import concurrent.futures\nimport multiprocessing as mp\n"
            "ex = concurrent.futures.ProcessPoolExecutor(mp_context=mp.get_context('fork'))\n"
            "probe(ex)",
            (PX, "fork"),
        ),
        (
            "from concurrent import futures\n"
            "def f(ex: futures.ProcessPoolExecutor):\n    probe(ex)",
            (PX, None),
        ),
        (
            "from concurrent.futures.process import ProcessPoolExecutor as PPE\nprobe(PPE())",
            (PX, None),
        ),
    ],
)
def test_pools_are_recognised(code: str, expected: tuple[PoolKind, str | None]) -> None:
    assert probe(code).pools == [expected]


@pytest.mark.parametrize(
    "code",
    [
        "def f(pool):\n    probe(pool)",  # an unannotated parameter
        "import multiprocessing\ndef f(executor):\n    pool = executor.pool\n    probe(pool)",
        "pool = make_pool()\nprobe(pool)",  # no multiprocessing at all
        "from schwimmbad import MultiPool\nprobe(MultiPool())",
        "from pathos.multiprocessing import ProcessingPool\nprobe(ProcessingPool())",
        "import dask.distributed\nprobe(dask.distributed.Client())",  # has submit/map too
        "from multiprocessing import Pool\np = Pool() if fast else make_other()\nprobe(p)",
        "from multiprocessing import Pool\ndef make(x):\n    if x:\n        return Pool()\n"
        "    return None\nprobe(make(1))",  # not always a pool
        "from multiprocessing import Pool\nprobe(make())\ndef make():\n    return Pool()",  # later
        "from multiprocessing import Pool, pool\np = Pool() if a else pool.ThreadPool()\nprobe(p)",
        "from loky import get_reusable_executor\nprobe(get_reusable_executor())",
        "from concurrent.futures import Executor\nclass Mine(Executor): ...\nprobe(Mine())",
        "from multiprocessing import Pool\nPool = object\nprobe(Pool())",  # shadowed
        "from multiprocessing import Pool\np = Pool()\np = open('x')\nprobe(p)",  # rebound
        "from multiprocessing import Pool\nfor p in [Pool()]:\n    probe(p)",
        "import multiprocessing\nclass A:\n    def run(self, other):\n        probe(other.pool)",
        "from .multiprocessing import Pool\nprobe(Pool())",  # a relative import
        "import multiprocessing\nwith open('f') as p:\n    probe(p)",
        "from multiprocessing import Pool\ndef f(Pool):\n    probe(Pool())",  # parameter shadows
    ],
)
def test_lookalikes_are_not_pools(code: str) -> None:
    assert probe(code).pools == [None]


def test_declared_factories() -> None:
    code = (
        "from myproject.parallel import make_pool, make_threads\n"
        "probe(make_pool())\nprobe(make_threads())"
    )
    assert probe(code).pools == [None, None]
    settings = Settings(
        pool_factories=("myproject.parallel.make_pool",),
        thread_pool_factories=("myproject.parallel.make_threads",),
    )
    assert probe(code, settings).pools == [(P, None), (T, None)]


def test_pool_calls_bind_arguments_by_position_and_keyword() -> None:
    code = """
    import multiprocessing
    with multiprocessing.Pool() as p:
        probe(p.apply_async(f, (1,), {}, done, error_callback=failed))
        probe(p.map(f, items, 10))
        probe(p.imap(func=f, iterable=items))
        probe(task.apply_async((1, 2)))
    """
    calls = probe(code).pool_calls
    apply_async, map_call, imap_call, celery = calls
    assert apply_async is not None and map_call is not None and imap_call is not None
    assert apply_async.method.name == "apply_async"
    assert isinstance((callback := apply_async.argument("callback")), cst.Arg)
    assert cst.ensure_type(callback.value, cst.Name).value == "done"
    assert apply_async.given("error_callback")
    assert cst.ensure_type(map_call.argument("chunksize"), cst.Arg).value
    assert cst.ensure_type(imap_call.argument("func"), cst.Arg).keyword is not None
    assert imap_call.argument("chunksize") is None
    assert celery is None


def test_main_guard_and_import_time() -> None:
    code = """
    probe(1)
    def f():
        probe(2)
    if __name__ == "__main__":
        probe(3)
        def g():
            probe(4)
    else:
        probe(5)
    if "__main__" == __name__:
        probe(6)
    """
    found = probe(code)
    assert found.guarded == [False, False, True, True, False, True]
    assert found.import_time == [True, False, True, False, True, True]


def test_function_places() -> None:
    code = """
    import multiprocessing
    def top(): pass
    def outer():
        def inner(): pass
        probe(inner)
    class C:
        def method(self): pass
        probe(method)
    if __name__ == "__main__":
        def guarded(): pass
        probe(guarded)
    probe(top)
    """
    places = [v.place for v in probe(code).values if isinstance(v, Function)]
    assert places == [
        FunctionPlace.NESTED,
        FunctionPlace.METHOD,
        FunctionPlace.MAIN_GUARD,
        FunctionPlace.MODULE,
    ]


def test_generator_functions_before_and_after_their_def() -> None:
    """The walk's answer (a def it has left) and the search's (one it has not) agree: a
    ``yield`` counts in the def's own body only, not in a nested def, lambda or class, nor
    in a nested def's decorator."""
    code = """
    def early():
        probe(gen())
        probe(plain())
    def gen():
        if True:
            yield 1
    def plain():
        def inner():
            yield 1
        f = lambda: (yield)
        class C:
            x = (yield)
        @(yield)
        def decorated(): pass
        return [x for x in (1, 2)]
    probe(gen())
    probe(plain())
    """
    found = probe(code)
    generators = [
        isinstance(value, ObjectValue) and value.unshareable is GENERATOR for value in found.values
    ]
    assert generators == [True, False, True, False]


def test_method_table_matches_the_running_python() -> None:
    methods = methods_for(sys.version_info[:2])  # type: ignore[arg-type]
    for cls in (multiprocessing.pool.Pool, multiprocessing.pool.ThreadPool):
        for name, method in methods.items():
            params = tuple(inspect.signature(getattr(cls, name)).parameters)[1:]
            assert method.params == params, name


def test_method_table_is_keyed_by_version() -> None:
    assert "buffersize" not in methods_for((3, 15))["imap"].params
    assert "buffersize" in methods_for((3, 16))["imap_unordered"].params
    table = methods_for((3, 9))
    assert {name for name, m in table.items() if m.takes_callbacks} == {
        "apply_async",
        "map_async",
        "starmap_async",
    }
    assert not table["apply_async"].takes_chunksize
    assert [name for name, m in table.items() if not m.ordered] == ["imap_unordered"]
    assert [name for name, m in table.items() if m.lazy] == ["imap", "imap_unordered"]
    assert {name for name, m in table.items() if m.blocking} == {"apply", "map", "starmap"}


def test_executors_have_their_own_methods() -> None:
    """An executor's submit/map are its own; a Pool's methods on an executor are not
    task calls, and neither is submit on a Pool."""
    code = """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    with ProcessPoolExecutor() as ex, multiprocessing.Pool() as pool:
        probe(ex.submit(abs, -1))
        probe(ex.map(abs, [1], timeout=5))
        probe(ex.apply_async(abs, (1,)))
        probe(pool.submit(abs, 1))
        futures = [ex.submit(abs, x) for x in range(3)]
        probe(as_completed(futures))
    """
    found = probe(code)
    names = [call.method.name if call else None for call in found.pool_calls]
    assert names == ["submit", "map", None, None, None]
    submitted = found.pool_calls[0]
    assert submitted is not None and submitted.task is not None
    assert submitted.pool.kind is PX and submitted.method.variadic
    completed = found.values[-1]
    assert isinstance(completed, ResultValue) and not completed.pool_call.method.ordered


@pytest.mark.parametrize(
    ("calls", "seeded"),
    [
        ("work(p, 1)", True),
        ("work(items=1, pool=p)", True),  # by keyword
        ("work(p, 1)\nwork(None, 2)", False),  # not every call gives a pool
        ("work(*[p, 1])", False),  # unpacked: unknown
        ("work(p, 1)\nwork(t, 2)", False),  # two kinds
        ("work(p, 1)\nhandlers = [work]", False),  # also used as a value
        ("", False),  # never called
    ],
)
def test_parameters_every_call_gives_a_pool(calls: str, seeded: bool) -> None:
    """A discarded ``apply_async`` on an unannotated parameter is found only when every
    call in the module gives that parameter a pool of one kind."""
    code = (
        "import multiprocessing\nfrom multiprocessing.pool import ThreadPool\n"
        "def work(pool, items=0):\n    pool.apply_async(abs, (items,))\n"
        "p, t = multiprocessing.Pool(), ThreadPool()\n" + calls + "\n"
    )
    found = [d.code for d in Linter(Settings(select=("PCK201",))).check(code)]
    assert found == (["PCK201"] if seeded else [])
