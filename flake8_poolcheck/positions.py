"""Where nodes are in the source: LibCST's syntactic positions, for a fraction of the cost.

LibCST's ``PositionProvider`` regenerates the module's code and, for every token, splits
it on newlines to keep a line and a column, and for every node builds position objects.
``SourcePositions`` regenerates the code once too, but only counts characters; offsets
become lines and columns only for the nodes asked about. ``StatementPositions`` goes
further: it generates the code of only the top-level statements that hold a node asked
about, and finds where each starts in the text from Python's own tree. The rules for which
offsets a node spans are LibCST's own (the node's syntactic span where its code generation
records one, else all the code it generates, whitespace included); a test compares them
with LibCST's on real files.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from flake8_poolcheck.analysis.tree import children

#: What LibCST counts as a line break.
_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class Span:
    """A node's place: lines 1-based, columns 0-based, the end exclusive (as LibCST)."""

    line: int
    column: int
    end_line: int
    end_column: int


class _Lines:
    """Offsets into a text as lines and columns."""

    def __init__(self, text: str) -> None:
        self._starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def span(self, start: int, end: int) -> Span:
        return Span(*self._place(start), *self._place(end))

    def _place(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index]

    def offset_of_line(self, line: int) -> int | None:
        """Where the line (1-based) starts; None if there is no such line."""
        return self._starts[line - 1] if 0 < line <= len(self._starts) else None


class SourcePositions:
    """The spans of every node of one module, read off one code generation."""

    def __init__(self, module: cst.Module) -> None:
        state = _OffsetRecorder(module.default_indent, module.default_newline)
        module._codegen(state)
        self._offsets = state.spans
        self.code = "".join(state.tokens)
        self._lines = _Lines(self.code + state.popped)

    def __getitem__(self, node: cst.CSTNode) -> Span:
        return self._lines.span(*self._offsets[id(node)])


class Positions:
    """Where a module's nodes are: from the code of the top-level statement that holds
    each (StatementPositions) where it can, else from the whole module's (SourcePositions).

    ``text``: the file's text, only if it is the module's code exactly; ``tree``: Python's
    tree of it. Without either, every answer comes from the whole module's code.
    """

    def __init__(self, module: cst.Module, text: str | None, tree: ast.Module | None) -> None:
        self._module = module
        self._statements: StatementPositions | None = None
        if text is not None and tree is not None:
            self._statements = StatementPositions(module, text, tree)
        self._whole: SourcePositions | None = None

    def span(self, node: cst.CSTNode, statement: cst.CSTNode | None = None) -> Span:
        """The node's span; ``statement``: the top-level statement most likely to hold it."""
        if self._statements is not None:
            found = self._statements.span(node, statement)
            if found is not None:
                return found
        if self._whole is None:
            self._whole = SourcePositions(self._module)
        return self._whole[node]


#: The statements of Python's tree that a compound statement of LibCST's stands for.
_COMPOUND: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("FunctionDef", "AsyncFunctionDef"),
    cst.ClassDef: ("ClassDef",),
    cst.If: ("If",),
    cst.For: ("For", "AsyncFor"),
    cst.While: ("While",),
    cst.With: ("With", "AsyncWith"),
    cst.Try: ("Try",),
    cst.TryStar: ("TryStar",),
    cst.Match: ("Match",),
}


class StatementPositions:
    """The spans of the nodes of a module's top-level statements, generating the code of
    only the statements asked about (on the pool-heavy corpus, about a tenth of the code).

    Only for a text that is the module's code exactly. A top-level statement's code starts
    a line: the line of its first token in Python's tree (``ast``), less the comment and
    blank lines LibCST keeps in front of it. Every answer is checked: the statement's code
    must be the text found there, and the two trees' statements must pair up; where they
    do not, the answer is None and the caller asks ``SourcePositions``.
    """

    def __init__(self, module: cst.Module, text: str, tree: ast.Module) -> None:
        self._module = module
        self._text = text
        self._first_lines = _first_lines(module, tree)
        self._lines = _Lines(text)
        self._offsets: dict[int, tuple[int, int]] = {}
        self._done: set[int] = set()  # the statements whose code has been generated

    def span(self, node: cst.CSTNode, statement: cst.CSTNode | None) -> Span | None:
        """The node's span; ``statement``: the top-level statement most likely to hold it
        (else the statements are searched). None if the statement that holds the node
        cannot be placed in the text."""
        offsets = self._offsets.get(id(node))
        if offsets is None and statement is not None and self._generate(statement):
            offsets = self._offsets.get(id(node))
        if offsets is None:
            holder = self._holding(node)
            if holder is not None and self._generate(holder):
                offsets = self._offsets.get(id(node))
        return None if offsets is None else self._lines.span(*offsets)

    def _holding(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The top-level statement that holds the node, by a walk of the statements in
        order (about a sixth of the cost of generating the module's code)."""
        for statement in self._module.body:
            stack: list[cst.CSTNode] = [statement]
            while stack:
                current = stack.pop()
                if current is node:
                    return statement
                stack.extend(children(current))
        return None

    def _generate(self, statement: cst.CSTNode) -> bool:
        """Generate the statement's code where it starts in the text; False if it is not
        the text there (or the statement cannot be placed)."""
        if id(statement) in self._done:
            return False
        self._done.add(id(statement))
        start = self._start(statement)
        if start is None:
            return False
        module = self._module
        state = _OffsetRecorder(module.default_indent, module.default_newline, start)
        statement._codegen(state)
        if not self._text.startswith("".join(state.tokens), start):
            return False
        self._offsets.update(state.spans)
        return True

    def _start(self, statement: cst.CSTNode) -> int | None:
        """The offset in the text where the code of a top-level statement starts."""
        line = self._first_lines.get(id(statement)) if self._first_lines else None
        if line is None:
            return None
        # every top-level statement has leading lines; only a def or a class, decorators
        line -= len(getattr(statement, "leading_lines", ()))
        decorators = getattr(statement, "decorators", ())
        if decorators:
            line -= len(decorators[0].leading_lines)
        return self._lines.offset_of_line(line)


def _first_lines(module: cst.Module, tree: ast.Module) -> dict[int, int] | None:
    """The line of the first token of each top-level statement (by id), from Python's
    tree; None if the two trees' statements do not pair up."""
    lines: dict[int, int] = {}
    index = 0
    for statement in module.body:
        if index >= len(tree.body):
            return None
        first = tree.body[index]
        if type(statement) is cst.SimpleStatementLine:
            index += len(statement.body)  # ``a; b``: one line of LibCST's, two of Python's
        elif type(first).__name__ in _COMPOUND.get(type(statement), ()):
            index += 1
        else:
            return None
        decorators: list[ast.expr] = getattr(first, "decorator_list", [])
        lines[id(statement)] = decorators[0].lineno if decorators else first.lineno
    return lines if index == len(tree.body) else None


class _OffsetRecorder(CodegenState):
    """Code generation that remembers where each node starts and ends, in characters."""

    __slots__ = ("offset", "popped", "spans", "starts")

    def __init__(self, default_indent: str, default_newline: str, offset: int = 0) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.offset = offset
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
