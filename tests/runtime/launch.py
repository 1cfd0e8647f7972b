"""Runs one runtime case in this fresh interpreter and prints its outcome as JSON.

    python launch.py KIND FIXTURE [CASE]

KIND is fork, spawn, forkserver, thread or dill. The fixture runs as the real
``__main__`` module (so spawn and forkserver workers can import it). With CASE,
the function of that name is called, with a pool of KIND when it takes one;
without, the program itself is the case.
"""

from __future__ import annotations

import builtins
import inspect
import json
import multiprocessing
import os
import sys
import traceback
import types

OUTCOME_MARKER = "POOLCHECK-OUTCOME "


def _pool(kind: str) -> object:
    if kind == "thread":
        from multiprocessing.pool import ThreadPool

        return ThreadPool(2)
    if kind == "dill":
        import multiprocess

        return multiprocess.get_context("spawn").Pool(2)
    return multiprocessing.get_context(kind).Pool(2)


def _failure(error: BaseException, path: str, case: str | None) -> dict[str, object]:
    """The exception, and the line of the case (or program) where it surfaced."""
    frame_name = case or "<module>"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == path and frame.name == frame_name
    ]
    return {
        "raised": type(error).__name__,
        "message": str(error)[:2000],
        "line": frames[-1].line if frames else None,
    }


def main() -> None:
    kind, path = sys.argv[1], os.path.abspath(sys.argv[2])
    case = sys.argv[3] if len(sys.argv) > 3 else None
    if kind in ("fork", "spawn", "forkserver"):
        multiprocessing.set_start_method(kind)
    sys.path.insert(0, os.path.dirname(path))
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    sys.argv = [path]
    outcome: dict[str, object]
    try:
        with open(path, encoding="utf-8") as file:
            code = compile(file.read(), path, "exec")
        exec(code, module.__dict__)
        result = None
        if case is not None:
            function = getattr(module, case)
            takes_pool = bool(inspect.signature(function).parameters)
            result = function(_pool(kind)) if takes_pool else function()
        outcome = {"returned": repr(result)}
    except BaseException as error:  # the outcome under test may be any exception
        outcome = _failure(error, path, case)
    sys.stdout.write(f"\n{OUTCOME_MARKER}{json.dumps(outcome)}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip pool finalizers: some cases leave a pool broken on purpose


if __name__ == "__main__":
    main()
