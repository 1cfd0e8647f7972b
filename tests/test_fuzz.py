"""Fuzzing: generated programs never crash the engine, and fixed output always compiles.

A bounded run is part of the suite; set POOLCHECK_FUZZ_EXAMPLES for a longer one.
"""

from __future__ import annotations

import os
import textwrap
import warnings

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_poolcheck.engine import Linter
from flake8_poolcheck.rules import all_rules
from flake8_poolcheck.settings import Settings

#: Generated programs are full of code Python warns about when it compiles them.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::SyntaxWarning")]

EXAMPLES = int(os.environ.get("POOLCHECK_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
LINTER = Linter(Settings(select=tuple(rule.code for rule in all_rules()), unsafe_fixes=True))
#: Makes every generated program pass the pre-filter, so the rules really run.
HEADER = "from multiprocessing import Pool\n"


def compiles(source: str | bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def exercise(source: str) -> None:
    for diagnostic in LINTER.check(source):
        assert diagnostic.line >= 1 and diagnostic.column >= 1, diagnostic
    result = LINTER.fix(source.encode())
    if compiles(source):
        assert result.error is None, result.error
        assert compiles(result.source), result.source.decode()
        assert LINTER.fix(result.source).source == result.source


@FUZZ
@given(hypothesmith.from_grammar())
def test_programs_from_the_grammar(source: str) -> None:
    exercise(HEADER + source)


@FUZZ
@given(hypothesmith.from_node(cst.Module))
def test_programs_from_libcst_nodes(source: str) -> None:
    exercise(HEADER + source)


# -- programs that use pools, built from the shapes the rules look at ------------------

IMPORTS = {
    "multiprocessing.Pool": "import multiprocessing",
    "mp.Pool": "import multiprocessing as mp",
    "mp.get_context('spawn').Pool": "import multiprocessing as mp",
    "mp.get_context('fork').Pool": "import multiprocessing as mp",
    "P": "from multiprocessing import Pool as P",
    "ThreadPool": "from multiprocessing.pool import ThreadPool",
    "multiprocess.Pool": "import multiprocess",
    "dummy.Pool": "from multiprocessing import dummy",
}
TASKS = [
    "work", "lambda x: x", "lambda a: work(*a)", "lambda t: pair(t[0], t[1])", "inner",
    "functools.partial(pair, 1)", "gen", "exits", "unpacks", "nested_pool", "print",
]  # fmt: skip
ITERABLES = [
    "[1, 2]", "[(1, 2), (3, 4)]", "gen(3)", "itertools.count()", '["ab", "cd"]', "range(10**8)",
    "(x for x in gen(2))", "[queue]", "items",
]  # fmt: skip
KEYWORDS = [
    "", ", chunksize=2", ", chunksize=0", ", chunksize=2.5", ", callback=print",
    ", error_callback=print", ", timeout=1", ", 0",
]  # fmt: skip
METHODS = [
    "apply", "apply_async", "map", "map_async", "imap", "imap_unordered", "starmap",
    "starmap_async",
]  # fmt: skip
USES = [
    "{call}", "result = {call}", "result = {call}\nresult.get()", "{call}.get()",
    "for value in {call}:\n    print(value)", "print(list(zip(items, {call})))",
    "for index, value in enumerate({call}):\n    items[index] = value",
    "[{call} for _ in items]", "results.append({call})", "return {call}",
]  # fmt: skip

PRELUDE = textwrap.dedent(
    """\
    import functools
    import itertools
    import sys
    import multiprocessing


    def work(x):
        return x


    def pair(a, b):
        return a + b


    def gen(n):
        yield from range(n)


    def exits(x):
        sys.exit(x)


    def unpacks(job):
        a, b = job
        return a + b


    def nested_pool(x):
        with multiprocessing.Pool() as inner_pool:
            return inner_pool.map(work, [x])
    """
)


@st.composite
def pool_programs(draw: st.DrawFn) -> str:
    factory = draw(st.sampled_from(sorted(IMPORTS)))
    binding = draw(st.sampled_from(["with", "assign", "closing", "temporary"]))
    statements = []
    for _ in range(draw(st.integers(1, 4))):
        method = draw(st.sampled_from(METHODS))
        task = draw(st.sampled_from(TASKS))
        if method.startswith("apply"):
            arguments = draw(st.sampled_from(["", ", (1,)", ", (1)", ', "ab"', ", {'x': 1}"]))
        else:
            arguments = ", " + draw(st.sampled_from(ITERABLES))
        receiver = f"{factory}()" if binding == "temporary" else "pool"
        call = f"{receiver}.{method}({task}{arguments}{draw(st.sampled_from(KEYWORDS))})"
        statements.append(draw(st.sampled_from(USES)).format(call=call))
    if draw(st.booleans()):
        statements += ["pool.close()", "pool.join()"] if binding != "temporary" else []
    body = "\n".join(statements)
    if binding == "with":
        block = f"with {factory}(2) as pool:\n" + textwrap.indent(body, "    ")
    elif binding == "closing":
        block = f"with contextlib.closing({factory}()) as pool:\n" + textwrap.indent(body, "    ")
    elif binding == "assign":
        block = f"pool = {factory}(2)\n{body}"
    else:
        block = body
    guarded = draw(st.booleans())
    function = (
        "def main(items, queue, results):\n"
        "    def inner(x):\n        return x\n\n" + textwrap.indent(block, "    ") + "\n"
    )
    tail = (
        'if __name__ == "__main__":\n    main([1], None, [])\n'
        if guarded
        else "main([1], None, [])\n"
    )
    return f"{PRELUDE}import contextlib\n{IMPORTS[factory]}\n\n\n{function}\n\n{tail}"


@FUZZ
@given(pool_programs())
def test_pool_programs(source: str) -> None:
    assert compiles(source), source
    exercise(source)
