"""Where nodes are in the source: LibCST's syntactic positions, for a fraction of the cost.

LibCST's ``PositionProvider`` regenerates the module's code and, for every token, splits
it on newlines to keep a line and a column, and for every node builds position objects.
This regenerates the code once too, but only counts characters; offsets become lines and
columns only for the nodes asked about. The rules for which offsets a node spans are
LibCST's own (the node's syntactic span where its code generation records one, else all
the code it generates, whitespace included); a test compares the two on real files.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

#: What LibCST counts as a line break.
_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class Span:
    """A node's place: lines 1-based, columns 0-based, the end exclusive (as LibCST)."""

    line: int
    column: int
    end_line: int
    end_column: int


class SourcePositions:
    """The spans of every node of one module, read off one code generation."""

    def __init__(self, module: cst.Module) -> None:
        state = _OffsetRecorder(module.default_indent, module.default_newline)
        module._codegen(state)
        self._offsets = state.spans
        self.code = "".join(state.tokens)
        text = self.code + state.popped
        self._line_starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def __getitem__(self, node: cst.CSTNode) -> Span:
        start, end = self._offsets[id(node)]
        line, column = self._place(start)
        end_line, end_column = self._place(end)
        return Span(line, column, end_line, end_column)

    def _place(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index]


class _OffsetRecorder(CodegenState):
    """Code generation that remembers where each node starts and ends, in characters."""

    __slots__ = ("offset", "popped", "spans", "starts")

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.offset = 0
        self.popped = ""
        self.starts: list[int] = []
        self.spans: dict[int, tuple[int, int]] = {}

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        self.spans.setdefault(id(node), (start, self.offset))  # a syntactic span wins

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.popped = self.tokens.pop()  # LibCST's positions still count it

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """The span of the code generated inside the block (or of the children it names)."""

    __slots__ = ("end_node", "node", "recorder", "start", "start_node")

    def __init__(
        self,
        recorder: _OffsetRecorder,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.recorder, self.node = recorder, node
        self.start_node, self.end_node = start_node, end_node

    def __enter__(self) -> None:
        self.start = self.recorder.offset

    def __exit__(self, *exc_info: Any) -> None:
        spans = self.recorder.spans
        start = self.start if self.start_node is None else spans[id(self.start_node)][0]
        end = self.recorder.offset if self.end_node is None else spans[id(self.end_node)][1]
        spans[id(self.node)] = (start, end)
