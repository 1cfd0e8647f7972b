"""flake8-poolcheck: finds misuse of ``multiprocessing.Pool`` before it runs."""

from __future__ import annotations

from flake8_poolcheck.engine import FixResult, Linter
from flake8_poolcheck.model import Applicability, Diagnostic, Fix
from flake8_poolcheck.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "Applicability",
    "Diagnostic",
    "Fix",
    "FixResult",
    "Settings",
    "__version__",
    "check_source",
    "fix_source",
]


def check_source(source: str | bytes, settings: Settings | None = None) -> list[Diagnostic]:
    """The diagnostics for one module's source text, ``# noqa`` applied."""
    return Linter(settings or Settings()).check(source)


def fix_source(source: bytes, settings: Settings | None = None) -> FixResult:
    """Apply the fixes the settings allow; the result holds the new bytes and what remains."""
    return Linter(settings or Settings()).fix(source)
