"""Fix-safety labels that runtime proofs decided, pinned to the fixture lines they cover.

The golden ``.fixed.py`` files are made with unsafe fixes on, so they cannot tell a
safe fix from an unsafe one: these rows do. Each names a fixture line, the code
reported there, and the applicability of its fix (None: no fix is offered); the
``fixed=`` outcome of the proof case beside the line shows why.
"""

from __future__ import annotations

import pytest
from support import FIXTURES, fixture_settings

from flake8_poolcheck.diagnostics import Applicability
from flake8_poolcheck.engine import Linter

SAFE, UNSAFE = Applicability.SAFE, Applicability.UNSAFE

LABELS = {
    "PCK202 the block now waits for a task that waits for the caller": (
        "PCK202_unawaited_work_in_with", "pool.apply_async(wait_for_stop", "PCK202", UNSAFE,
    ),
    "PCK202 even when the task ends by itself": (
        "PCK202_unawaited_work_in_with", "pool.apply_async(slow_touch", "PCK202", UNSAFE,
    ),
    "PCK303 chained": (
        "PCK303_async_get_immediately", "map_async(square, [1, 2, 3]).get()", "PCK303", SAFE,
    ),
    "PCK303 bound, its comments kept": (
        "PCK303_async_get_immediately", "result = pool.starmap_async(", "PCK303", SAFE,
    ),
    "PCK303 bound, the get is what runs first": (
        "PCK303_async_get_immediately", "squares = pool.map_async(", "PCK303", SAFE,
    ),
    "PCK303 bound, something runs before the get": (
        "PCK303_async_get_immediately", "(no fix: print runs first)", "PCK303", None,
    ),
    "PCK303 a global": (
        "PCK303_async_get_immediately", "LAST = pool.apply_async(", "PCK303", None,
    ),
    "PCK303 a nonlocal": (
        "PCK303_async_get_immediately", "latest = pool.apply_async(", "PCK303", None,
    ),
    "PCK303 a get that may not run": (
        "PCK303_async_get_immediately", "pending = pool.apply_async(", "PCK303", None,
    ),
    "PCK303 a module global": (
        "PCK303_module_result", "RESULT = pool.map_async(", "PCK303", None,
    ),
    "PCK302 map runs every task, side by side, before the first result is read": (
        "PCK302_executor_submit_in_loop", "results = [executor.submit(", "PCK302", UNSAFE,
    ),
    "PCK302 a loop statement": (
        "PCK302_executor_submit_in_loop", "submit(nap, seconds).result()  #", "PCK302", None,
    ),
    "PCK402 a close later in the block is moved": (
        "PCK402_pool_lifecycle_order", '[PCK402] "neither closed nor', "PCK402", SAFE,
    ),
    "PCK402 the ValueError is caught": (
        "PCK402_pool_lifecycle_order", "the error is caught", "PCK402", UNSAFE,
    ),
}  # fmt: skip


@pytest.mark.parametrize(("fixture", "text", "code", "expected"), LABELS.values(), ids=LABELS)
def test_fix_safety(fixture: str, text: str, code: str, expected: Applicability | None) -> None:
    path = FIXTURES / f"{fixture}.py"
    source = path.read_text(encoding="utf-8")
    (line,) = [n for n, row in enumerate(source.splitlines(), start=1) if text in row]
    found = [
        d for d in Linter(fixture_settings(path)).check(source) if (d.line, d.code) == (line, code)
    ]
    assert len(found) == 1, found
    fix = found[0].fix
    assert (fix.applicability if fix else None) == expected
