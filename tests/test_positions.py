"""Our spans are LibCST's: every node of real files, compared with its PositionProvider."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider
from support import FIXTURES

from flake8_poolcheck.positions import SourcePositions, Span

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
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = SourcePositions(module)
    assert ours.code == module.code
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        where = theirs[node]
        expected = Span(where.start.line, where.start.column, where.end.line, where.end.column)
        assert ours[node] == expected, (type(node).__name__, module.code_for_node(node)[:80])


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_real_files(path: Path) -> None:
    assert_same_spans(cst.parse_module(path.read_bytes()))


@pytest.mark.parametrize("text", ODD_TEXTS.values(), ids=ODD_TEXTS)
def test_odd_texts(text: str) -> None:
    assert_same_spans(cst.parse_module(text))
