"""The flake8 adapter: runs the engine on flake8's lines and yields its 4-tuples.

No logic of its own: flake8 selects codes and applies ``# noqa``. ``parse_options``
depends on nothing but the options, because flake8's ``--jobs`` workers parse
them again in every process under spawn and forkserver.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from flake8.options.manager import OptionManager

from flake8_poolcheck import __version__
from flake8_poolcheck.engine import Linter
from flake8_poolcheck.rules import all_rules
from flake8_poolcheck.settings import CODE_PREFIX, Settings, build_settings

#: The settings flake8 users give as ``--poolcheck-<name>`` or ``poolcheck-<name> =``.
_OPTIONS = {
    "pool-factories": "qualified names of functions that return a process pool",
    "thread-pool-factories": "qualified names of functions that return a thread pool",
    "target-version": "the oldest Python the code runs on, like py39",
}


class Plugin:
    name = "flake8-poolcheck"
    version = __version__

    #: Every rule runs here, opt-in ones too: flake8 decides what is shown.
    _linter: ClassVar[Linter] = Linter(Settings(select=tuple(r.code for r in all_rules())))

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        self._lines = lines

    @staticmethod
    def add_options(manager: OptionManager) -> None:
        for option, help_text in _OPTIONS.items():
            manager.add_option(
                f"--poolcheck-{option}",
                parse_from_config=True,
                comma_separated_list=option.endswith("factories"),
                default=None,
                help=f"{help_text} (flake8-poolcheck)",
            )
        manager.extend_default_ignore([r.code for r in all_rules() if r.opt_in])

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        values: dict[str, object] = {
            option: getattr(options, f"poolcheck_{option.replace('-', '_')}", None)
            for option in _OPTIONS
        }
        # flake8 selects what is shown; opt-in rules run only when a selector names them
        # more precisely than PCK, so replacing flake8's default ignore list (which holds
        # them) never turns them on by accident.
        selectors = [*(options.select or ()), *(getattr(options, "extend_select", None) or ())]
        values["select"] = [
            rule.code
            for rule in all_rules()
            if not rule.opt_in
            or any(rule.code.startswith(s) and len(s) > len(CODE_PREFIX) for s in selectors)
        ]
        cls._linter = Linter(build_settings({k: v for k, v in values.items() if v is not None}))

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        for diagnostic in self._linter.check("".join(self._lines), respect_noqa=False):
            text = f"{diagnostic.code} {diagnostic.message}"
            yield diagnostic.line, diagnostic.column - 1, text, type(self)
