"""The flake8 adapter: runs the engine on flake8's lines and yields its 4-tuples.

No logic of its own: flake8 selects codes and applies ``# noqa``. It stays cheap for
files without pools: the pre-filter answers them before LibCST is imported.
``parse_options`` depends on nothing but the options, because flake8's ``--jobs``
workers parse them again in every process under spawn and forkserver.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from flake8_poolcheck import __version__
from flake8_poolcheck.prefilter import Prefilter
from flake8_poolcheck.settings import CODE_PREFIX, OPT_IN_PREFIX, Settings, build_settings

if TYPE_CHECKING:
    from flake8.options.manager import OptionManager

    from flake8_poolcheck.engine import Linter

#: The settings flake8 users give as ``--poolcheck-<name>`` or ``poolcheck-<name> =``.
_OPTIONS = {
    "pool-factories": "qualified names of functions that return a process pool",
    "thread-pool-factories": "qualified names of functions that return a thread pool",
    "target-version": "the oldest Python the code runs on, like py39",
    "start-methods": "the start methods the project's processes use where the code does not"
    " say (fork: quiet for what breaks only under spawn and forkserver)",
}
#: The options that take comma-separated lists.
_LISTS = frozenset({"pool-factories", "thread-pool-factories", "start-methods"})


class Plugin:
    name = "flake8-poolcheck"
    version = __version__

    _settings: ClassVar[Settings] = Settings()
    _prefilter: ClassVar[Prefilter] = Prefilter(_settings)
    _linter: ClassVar[Linter | None] = None  # built when a file first needs it

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        self._lines = lines
        # flake8's tree of the same text: the engine's depth guard and positions use it
        # instead of parsing the text again (ast.parse: ~5% of a check of pool code)
        self._tree = tree if isinstance(tree, ast.Module) else None

    @staticmethod
    def add_options(manager: OptionManager) -> None:
        for option, help_text in _OPTIONS.items():
            manager.add_option(
                f"--poolcheck-{option}",
                parse_from_config=True,
                comma_separated_list=option in _LISTS,
                default=None,
                help=f"{help_text} (flake8-poolcheck)",
            )
        manager.extend_default_ignore([OPT_IN_PREFIX])

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        values: dict[str, object] = {
            option: getattr(options, f"poolcheck_{option.replace('-', '_')}", None)
            for option in _OPTIONS
        }
        # flake8 decides what is shown. Opt-in rules run only when a selector names them
        # more precisely than PCK, so that replacing flake8's default ignore list (which
        # holds them) never turns them on by accident.
        selectors = [*(options.select or ()), *(getattr(options, "extend_select", None) or ())]
        opt_in = [s.upper() for s in selectors if s.upper().startswith(OPT_IN_PREFIX)]
        values["select"] = [CODE_PREFIX, *opt_in]
        cls._settings = build_settings({k: v for k, v in values.items() if v is not None})
        cls._prefilter = Prefilter(cls._settings)
        cls._linter = None

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        source = "".join(self._lines)
        if not self._prefilter.may_use_pools(source):
            return
        for diagnostic in self._get_linter().check(source, respect_noqa=False, tree=self._tree):
            text = f"{diagnostic.code} {diagnostic.message}"
            yield diagnostic.line, diagnostic.column - 1, text, type(self)

    @classmethod
    def _get_linter(cls) -> Linter:
        if cls._linter is None:
            from flake8_poolcheck.engine import Linter

            cls._linter = Linter(cls._settings)
        return cls._linter
