"""One frozen bundle of settings, built from the CLI and config or from flake8's options."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from importlib import resources

#: Every code of this checker starts with it; selecting it selects all default rules.
CODE_PREFIX = "PCK"
#: The band of opt-in rules (off unless selected by a prefix longer than CODE_PREFIX).
OPT_IN_PREFIX = "PCK9"
_CODE_PREFIX_RE = re.compile(r"^PCK[0-9]{0,3}$")
_RULE_MODULE_RE = re.compile(r"^(pck[0-9]{3})_[a-z0-9_]+\.py$")
_VERSION_RE = re.compile(r"^(?:py)?3\.?([0-9]{1,2})$")


#: The oldest Python the checker targets when the project does not say.
DEFAULT_TARGET_VERSION = (3, 9)
#: The start methods a project can say its processes use.
START_METHODS = ("fork", "spawn", "forkserver")


class SettingsError(ValueError):
    """A setting has a value the checker cannot use; the message names it."""


def rule_codes() -> frozenset[str]:
    """The code of every rule, read from the rule modules' names (importing no rule)."""
    rules = resources.files("flake8_poolcheck") / "rules"
    return frozenset(
        match.group(1).upper()
        for match in (_RULE_MODULE_RE.match(entry.name) for entry in rules.iterdir())
        if match
    )


def parse_codes(
    name: str, values: Iterable[str], known: Collection[str] | None = None
) -> tuple[str, ...]:
    """Validate code prefixes such as ``PCK``, ``PCK2`` or ``PCK201``; with ``known``
    codes, each must also be a prefix of one of them."""
    codes = tuple(value.strip().upper() for value in values)
    for code in codes:
        if not _CODE_PREFIX_RE.match(code):
            raise SettingsError(f"{name}: {code!r} is not a PCK code or code prefix")
        if known is not None and not any(rule.startswith(code) for rule in known):
            raise SettingsError(
                f"{name}: {code!r} matches no rule (`poolcheck --list-rules` lists them)"
            )
    return codes


def parse_target_version(value: str) -> tuple[int, int]:
    """``py39``, ``3.9`` or ``39`` -> ``(3, 9)``."""
    match = _VERSION_RE.match(value.strip().lower())
    if match is None:
        raise SettingsError(f"target-version: {value!r} is not a Python version like 'py39'")
    return (3, int(match.group(1)))


def parse_start_methods(values: Iterable[str]) -> tuple[str, ...]:
    """``["fork"]`` -> ``("fork",)``, each one a start method."""
    methods = tuple(value.strip().lower() for value in values)
    for method in methods:
        if method not in START_METHODS:
            known = ", ".join(START_METHODS)
            raise SettingsError(f"start-methods: {method!r} is not one of {known}")
    return methods


def _longest(code: str, prefixes: Iterable[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@dataclass(frozen=True)
class Settings:
    """What to check and fix. Code lists hold prefixes, matched the way flake8 matches them."""

    select: tuple[str, ...] = (CODE_PREFIX,)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    #: (glob, codes) pairs: codes ignored in files whose path matches the glob.
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fixable: tuple[str, ...] = (CODE_PREFIX,)
    unfixable: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    target_version: tuple[int, int] = DEFAULT_TARGET_VERSION
    pool_factories: tuple[str, ...] = ()
    thread_pool_factories: tuple[str, ...] = field(default=())
    #: The start methods the project's processes use where the code does not say; empty:
    #: any (the rules then assume spawn or forkserver, the default on macOS, Windows and
    #: Linux from Python 3.14).
    start_methods: tuple[str, ...] = ()

    @property
    def assumed_start_method(self) -> str | None:
        """The start method of code that does not name one, when the project says."""
        return "fork" if set(self.start_methods) == {"fork"} else None

    def is_enabled(self, code: str, *, opt_in: bool = False) -> bool:
        """Whether a rule runs: the most specific matching prefix decides, ignore wins ties.

        An opt-in rule needs a selector more specific than ``PCK`` itself, so that
        selecting everything never turns one on by accident.
        """
        selectors = (*self.select, *self.extend_select)
        selected = _longest(code, selectors)
        if opt_in and selected <= len(CODE_PREFIX):
            return False
        return selected > _longest(code, (*self.ignore, *self.extend_ignore))

    def is_fixable(self, code: str) -> bool:
        return _longest(code, self.fixable) > _longest(code, self.unfixable)

    def for_file(self, path: str) -> Settings:
        """These settings with the per-file ignores that match ``path`` added."""
        extra = tuple(
            code
            for pattern, codes in self.per_file_ignores
            if path_matches(path, pattern)
            for code in codes
        )
        return replace(self, extend_ignore=(*self.extend_ignore, *extra)) if extra else self


def path_matches(path: str, pattern: str) -> bool:
    """Whether a glob matches the whole (normalised, /-separated) path or its last part."""
    normalized = os.path.normpath(path).replace(os.sep, "/").replace("\\", "/")
    return fnmatch.fnmatch(normalized, pattern) or fnmatch.fnmatch(
        normalized.rsplit("/", 1)[-1], pattern
    )


#: The settings a user can give, by their config-file name, with the type each takes.
#: flake8 offers the same ones (but selection, which flake8 owns) as ``--poolcheck-<name>``.
LIST_OPTIONS = (
    "select",
    "extend-select",
    "ignore",
    "extend-ignore",
    "fixable",
    "unfixable",
    "exclude",
    "extend-exclude",
    "pool-factories",
    "thread-pool-factories",
    "start-methods",
)
BOOL_OPTIONS = ("unsafe-fixes",)
STR_OPTIONS = ("target-version", "output-format")
TABLE_OPTIONS = ("per-file-ignores",)
ALL_OPTIONS = (*LIST_OPTIONS, *BOOL_OPTIONS, *STR_OPTIONS, *TABLE_OPTIONS)


def build_settings(
    values: dict[str, object], known_codes: Collection[str] | None = None
) -> Settings:
    """Settings from option values keyed by their config names (validated by the caller).

    With ``known_codes``, every code prefix given must match one of them.
    """

    def codes(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = values.get(name)
        return (
            parse_codes(name, value, known_codes) if isinstance(value, (list, tuple)) else default
        )

    def names(name: str) -> tuple[str, ...]:
        value = values.get(name)
        return (
            tuple(str(v).strip() for v in value if str(v).strip())
            if isinstance(value, (list, tuple))
            else ()
        )

    per_file = values.get("per-file-ignores")
    per_file_ignores = tuple(
        (pattern, parse_codes(f"per-file-ignores[{pattern!r}]", file_codes, known_codes))
        for pattern, file_codes in (per_file.items() if isinstance(per_file, dict) else ())
    )
    target = values.get("target-version")
    defaults = Settings()
    return Settings(
        select=codes("select", defaults.select),
        extend_select=codes("extend-select"),
        ignore=codes("ignore"),
        extend_ignore=codes("extend-ignore"),
        per_file_ignores=per_file_ignores,
        fixable=codes("fixable", defaults.fixable),
        unfixable=codes("unfixable"),
        unsafe_fixes=bool(values.get("unsafe-fixes", False)),
        target_version=parse_target_version(target)
        if isinstance(target, str)
        else defaults.target_version,
        pool_factories=names("pool-factories"),
        thread_pool_factories=names("thread-pool-factories"),
        start_methods=parse_start_methods(names("start-methods")),
    )
