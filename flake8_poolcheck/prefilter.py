"""The text pre-filter: which files cannot contain a pool, decided without parsing.

A pool comes from a factory, and every factory is reached through an import of a
pool package (``multiprocessing``, ``multiprocess``, ``torch.multiprocessing``,
``billiard``, ``concurrent.futures``) or of a factory the project declares, and is
called by a name that contains ``Pool`` (``ProcessPoolExecutor`` too, or the declared
factory's name); a child process, by ``Process(``. A file whose text lacks either
cannot have a pool or a process, and is answered without importing LibCST or parsing.
This module must stay free of LibCST: the front ends use it before they know they need
the engine.
"""

from __future__ import annotations

import re

from flake8_poolcheck.settings import Settings

#: Words one of which a file must contain to import a pool package.
POOL_MODULE_ROOTS = (
    "multiprocess",
    "billiard",
    "concurrent",
)  # "multiprocess" covers "multiprocessing"
#: Words one of which a file must contain to name a pool factory or type, or a process.
POOL_NAMES = ("Pool", "Process(")


def _alternatives(words: set[str]) -> str:
    return "|".join(sorted(re.escape(word) for word in words if word))


class Prefilter:
    """Answers "might this text use a pool?" for one set of settings."""

    def __init__(self, settings: Settings) -> None:
        declared = (*settings.pool_factories, *settings.thread_pool_factories)
        modules = _alternatives({*POOL_MODULE_ROOTS, *(name.split(".")[0] for name in declared)})
        names = _alternatives({*POOL_NAMES, *(name.rsplit(".", 1)[-1] for name in declared)})
        self._modules = re.compile(modules)
        self._names = re.compile(names)
        self._modules_bytes = re.compile(modules.encode())
        self._names_bytes = re.compile(names.encode())

    def may_use_pools(self, source: str | bytes) -> bool:
        if isinstance(source, bytes):
            return bool(self._modules_bytes.search(source) and self._names_bytes.search(source))
        return bool(self._modules.search(source) and self._names.search(source))
