"""Our spans are LibCST's: every node of real files, compared with its PositionProvider,
whether they come from the whole module's code or from one statement's at a time; and a
text the engine takes to be LibCST's code exactly is so."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from support import FIXTURES

from flake8_poolcheck.engine import _may_lose_text, _parse, _recursion_headroom
from flake8_poolcheck.positions import Positions, SourcePositions, Span

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLES = [
    *(STDLIB / "multiprocessing" / name for name in ("pool.py", "connection.py")),
    *sorted(FIXTURES.glob("PCK1*.py")),
]
ODD_TEXTS = {
    "crlf": "x = (1,\r\n     2)\r\nif x:\r\n    pass\r\n",
    "cr only": "x = 1\ry = [\r  2]\r",
    "no final newline": "def f():\n    return 1",
    "tabs and continuation": "if True:\n\tx = 1 + \\\n\t\t2\n",
    "empty": "",
    "comments only": "# one\n# two\n",
    "decorators and blocks": "@d\nclass C:\n    '''doc'''\n\n    def f(self): ...\n",
}


def assert_same_spans(module: cst.Module) -> None:
    """SourcePositions: every node of the module, from its whole code."""
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = SourcePositions(module)
    assert ours.code == module.code
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        assert ours[node] == _span(theirs[node]), (type(node).__name__, _code(module, node))


def assert_same_spans_by_statement(module: cst.Module, text: str) -> None:
    """Positions: every node of each top-level statement, asked with the statement (the
    way the engine asks), then with none; a fresh Positions for each statement, so that
    each one's code is generated on its own, and the search for a statement is tried."""
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    tree = ast.parse(text)
    for statement in module.body:
        hinted, searched = Positions(module, text, tree), Positions(module, text, tree)
        stack: list[cst.CSTNode] = [statement]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            expected = _span(theirs[node])
            assert hinted.span(node, statement) == expected, _code(module, node)
            assert searched.span(node) == expected, _code(module, node)


def _span(where: CodeRange) -> Span:
    return Span(where.start.line, where.start.column, where.end.line, where.end.column)


def _code(module: cst.Module, node: cst.CSTNode) -> tuple[str, str]:
    return type(node).__name__, module.code_for_node(node)[:80]


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_real_files(path: Path) -> None:
    module = cst.parse_module(path.read_bytes())
    assert_same_spans(module)
    assert_same_spans_by_statement(module, path.read_text())


@pytest.mark.parametrize("text", ODD_TEXTS.values(), ids=ODD_TEXTS)
def test_odd_texts(text: str) -> None:
    module = _parse(text, python_accepts=False)
    assert_same_spans(module)
    assert_same_spans_by_statement(module, text)


@pytest.mark.parametrize(
    "text",
    [
        "if x:\n    pass\n\x0cdef f(): pass\n",
        "\ufeffx = 1\n",
        "x = 1\ry = 2\r",
        "try:\n    pass\nexcept E :\n    pass\n",
        "try:\n    pass\nexcept* E\t:\n    pass\n",
        "try:\n    pass\nexcept (A,\n        B) :\n    pass\n",
        "try:\n    pass\nexcept x[a:b] :\n    pass\n",  # the slice's colon comes first
        "try:\n    pass\nexcept ')' :\n    pass\n",  # a bracket in a string
        "try:\n    pass\nexcept lambda: E :\n    pass\n",
    ],
    ids=[
        "form-feed",
        "bom",
        "cr",
        "except",
        "except-star",
        "multi-line",
        "slice",
        "quote",
        "lambda",
    ],
)
def test_what_libcst_may_lose_is_noticed(text: str) -> None:
    assert _may_lose_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "try:\n    pass\nexcept(E):\n    pass\n",
        "try:\n    pass\nexcept E: x = {1 : 2}\n",
        "# except that\nx = y[a : b]\n",
    ],
)
def test_what_libcst_keeps_is_not_suspected(text: str) -> None:
    assert not _may_lose_text(text)
    assert cst.parse_module(text).code == text


def assert_round_trips_unless_suspected(paths: list[Path]) -> None:
    """Each text LibCST parses and _may_lose_text does not suspect is LibCST's code."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            module = _parse(text, python_accepts=False)
        except (UnicodeDecodeError, cst.ParserSyntaxError, RecursionError):
            continue
        if not _may_lose_text(text):
            assert module.code == text, path


def test_fixtures_round_trip_unless_suspected() -> None:
    assert_round_trips_unless_suspected(sorted(FIXTURES.glob("*.py")))


#: The standard library's files, in shards that pytest-xdist can spread over the CPUs.
STDLIB_SHARDS = 4


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(STDLIB_SHARDS))
def test_stdlib_round_trips_unless_suspected(shard: int) -> None:
    """The claim the engine's check rests on (it compares texts with LibCST's code only
    where _may_lose_text says so), over every file of the standard library."""
    paths = [path for path in sorted(STDLIB.rglob("*.py")) if "site-packages" not in path.parts]
    with _recursion_headroom():
        assert_round_trips_unless_suspected(paths[shard::STDLIB_SHARDS])
