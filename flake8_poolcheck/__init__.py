"""flake8-poolcheck: finds misuse of ``multiprocessing.Pool`` before it runs.

Importing the package is cheap: LibCST (and the engine) load only when a file that
may use pools is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flake8_poolcheck.diagnostics import Applicability, Diagnostic, Fix
from flake8_poolcheck.settings import Settings

if TYPE_CHECKING:
    from flake8_poolcheck.engine import FixResult

__version__ = "0.1.0"

__all__ = [
    "Applicability",
    "Diagnostic",
    "Fix",
    "Settings",
    "__version__",
    "check_source",
    "fix_source",
]


def check_source(source: str | bytes, settings: Settings | None = None) -> list[Diagnostic]:
    """The diagnostics for one module's source text, ``# noqa`` applied."""
    from flake8_poolcheck.engine import Linter

    return Linter(settings or Settings()).check(source)


def fix_source(source: bytes, settings: Settings | None = None) -> FixResult:
    """Apply the fixes the settings allow; the result holds the new bytes and what remains."""
    from flake8_poolcheck.engine import Linter

    return Linter(settings or Settings()).fix(source)
