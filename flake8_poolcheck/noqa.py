"""``# noqa`` exactly as flake8 reads it, for the ``poolcheck`` command.

flake8 searches for the comment in the span of lines between two NL/NEWLINE
tokens around a diagnostic's row (so every line of a multi-line string counts,
but another line of a bracketed call does not), accepts code prefixes, treats
``# noqa`` without valid codes as blanket, and skips a file that has a
``# flake8: noqa`` line of its own. The expressions below are flake8's.
"""

from __future__ import annotations

import io
import re
import tokenize

_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,\s]")


class NoqaMap:
    """Which rows of one file's text are suppressed for which codes."""

    def __init__(self, text: str) -> None:
        self._has_comments = "noqa" in text.lower()  # most files: nothing more to read
        lines = text.removeprefix("\ufeff").splitlines(keepends=True) if self._has_comments else []
        self.file_ignored = any(_FILE.match(line) for line in lines)
        self._lines = lines
        self._spans: dict[int, str] | None = None

    def suppresses(self, row: int, code: str) -> bool:
        if not self._has_comments:
            return False
        if self.file_ignored:
            return True
        if self._spans is None:  # tokenizing is the cost: only for a file that has a noqa
            self._spans = _logical_line_text(self._lines)
        text = self._spans.get(row)
        if text is None:
            text = self._lines[row - 1] if 0 < row <= len(self._lines) else ""
        match = _INLINE.search(text)
        if match is None:
            return False
        codes_text = match.group("codes")
        if codes_text is None:
            return True
        codes = tuple(code for code in _SEPARATOR.split(codes_text) if code)
        return code in codes or code.startswith(codes)


def _logical_line_text(lines: list[str]) -> dict[int, str]:
    """Map each row to the text of the token span around it (flake8's noqa mapping)."""
    mapping: dict[int, str] = {}
    first, last = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, token.start[0]), max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1 : last])
                mapping.update(dict.fromkeys(range(first, last + 1), joined))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping
