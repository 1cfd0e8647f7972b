"""PCK000 unparsable-file."""

from __future__ import annotations

from flake8_poolcheck.analysis.pools import POOL_KINDS
from flake8_poolcheck.rules import Rule


class UnparsableFile(Rule):
    """## What it does
    Reports a file that may use pools but that LibCST cannot parse, once, at
    line 1, with the parser's message.

    ## Why is this bad?
    A file that does not parse cannot be checked, so every other rule is silent
    on it. The checker says so instead of crashing or passing the file quietly.
    (Files that cannot use pools, because they never mention a pool package or
    never name a `Pool`, are not parsed at all; flake8 reports their syntax errors
    as E999.)

    ## Example
    ```python
    from multiprocessing import Pool

    def broken(:
        pass
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def fixed():
        pass
    ```

    ## Fix safety
    There is no fix: the syntax error must be corrected by hand.

    ## References
    - [LibCST: parsing](https://libcst.readthedocs.io/en/latest/parser.html)
    """

    code = "PCK000"
    name = "unparsable-file"
    summary = "A file that may use pools could not be parsed, so no rule checked it."
    kinds = POOL_KINDS

    @classmethod
    def unparsable(cls, reason: str) -> str:
        return f"File could not be parsed, so it was not checked: {reason}"
