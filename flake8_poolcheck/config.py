"""Finds and reads ``[tool.poolcheck]`` in the nearest ``pyproject.toml``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flake8_poolcheck.files import FileError, read_file
from flake8_poolcheck.settings import (
    ALL_OPTIONS,
    BOOL_OPTIONS,
    LIST_OPTIONS,
    STR_OPTIONS,
    SettingsError,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has ``[tool.poolcheck]``."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and _table(path) is not None:
            return path
    return None


def load_config(path: Path) -> dict[str, object]:
    """The validated ``[tool.poolcheck]`` table of ``path`` (empty when it has none)."""
    table = _table(path)
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.poolcheck] must be a table")
    for key, value in table.items():
        where = f"{path}: [tool.poolcheck] {key}"
        if key not in ALL_OPTIONS:
            raise SettingsError(f"{where}: unknown setting (known: {', '.join(ALL_OPTIONS)})")
        if key in LIST_OPTIONS and not _is_list_of_str(value):
            raise SettingsError(f"{where}: expected a list of strings")
        if key in BOOL_OPTIONS and not isinstance(value, bool):
            raise SettingsError(f"{where}: expected true or false")
        if key in STR_OPTIONS and not isinstance(value, str):
            raise SettingsError(f"{where}: expected a string")
        if key == "per-file-ignores" and not (
            isinstance(value, dict) and all(_is_list_of_str(codes) for codes in value.values())
        ):
            raise SettingsError(f"{where}: expected a table of glob = [codes]")
    return dict(table)


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _table(path: Path) -> object:
    """The value of ``tool.poolcheck`` in ``path``, None when it has none."""
    tool = _read(path).get("tool", {})
    if not isinstance(tool, dict):
        raise SettingsError(f"{path}: [tool] must be a table")
    return tool.get("poolcheck")


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_file(path).decode("utf-8"))
    except FileError as error:
        raise SettingsError(f"{path}: {error}") from error
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path}: cannot read: not UTF-8 ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: cannot read: invalid TOML: {error}") from error
    except RecursionError as error:
        raise SettingsError(f"{path}: cannot read: nested too deeply") from error
