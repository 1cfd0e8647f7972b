"""The runtime proofs: each rule's fixture cases run on real pools, in fresh interpreters.

A case declares with ``proof(...)`` what really happens (see fixtures/_proof.py);
this suite runs it and compares. A hang is a timeout here, never a guess.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import Proof, fixture_paths, proofs

LAUNCH = Path(__file__).resolve().parent / "runtime" / "launch.py"
OUTCOME_MARKER = "POOLCHECK-OUTCOME "
#: A case that should finish gets this long (spawn on a busy 2-core machine is slow).
FINISH_SECONDS = 120.0
#: A case that should hang is stopped after this long and counts as hung.
HANG_SECONDS = 8.0

ALL_PROOFS = [proof for path in fixture_paths() for proof in proofs(path)]

pytestmark = pytest.mark.runtime


@dataclass(frozen=True)
class Run:
    outcome: dict[str, object] | None  # None: still running at the deadline, or exited early
    exit_status: int | None  # None: still running at the deadline
    stdout: str
    stderr: str


def run_case(fixture: Path, case: str | None, kind: str, timeout: float) -> Run:
    """Run one case in a new session, so that a hang can be killed with all its workers."""
    command = [sys.executable, str(LAUNCH), kind, str(fixture), *([case] if case else [])]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        exit_status: int | None = None
        try:
            exit_status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    marked = [line for line in stdout.splitlines() if line.startswith(OUTCOME_MARKER)]
    outcome = json.loads(marked[-1][len(OUTCOME_MARKER) :]) if marked else None
    return Run(outcome, exit_status, stdout, stderr)


def _program_output(stdout: str) -> object:
    lines = [line for line in stdout.splitlines() if line and not line.startswith(OUTCOME_MARKER)]
    return ast.literal_eval(lines[-1]) if lines else None


def check(proof: Proof, run: Run, expectation: dict[str, object]) -> None:
    """Assert that the run did what the proof declares."""
    context = f"{proof.id}: stderr tail:\n{run.stderr[-2000:]}"
    if expectation.get("hangs"):
        assert run.exit_status is None, f"declared to hang, but ended: {run.outcome}. {context}"
    elif "exits" in expectation:
        assert run.exit_status == expectation["exits"], f"ended with {run.exit_status}. {context}"
        assert run.outcome is None, f"declared to end the process, but got {run.outcome}"
    else:
        assert run.exit_status is not None, f"timed out, not declared to hang. {context}"
        assert run.outcome is not None, f"the case died without an outcome. {context}"
    outcome = run.outcome or {}
    if "returns" in expectation:
        assert "raised" not in outcome, f"raised {outcome}. {context}"
        if proof.case is None:
            value = _program_output(run.stdout)
        else:
            value = ast.literal_eval(str(outcome["returned"]))
        assert value == expectation["returns"], context
    if "raises" in expectation:
        assert outcome.get("raised") == expectation["raises"], f"got {outcome}. {context}"
        message = expectation.get("message")
        assert message is None or str(message) in str(outcome["message"]), outcome
        line = str(outcome.get("line")).split("#")[0]  # the code, not its annotation
        where = expectation.get("surfaces")
        if where == "get":
            assert ".get(" in line, f"surfaced at {line!r}, not at .get()"
        elif where == "next":
            assert "next(" in line, f"surfaced at {line!r}, not at next()"
        elif where == "call":
            assert ".get(" not in line and "next(" not in line, f"surfaced at {line!r}"
    if "stderr" in expectation:
        assert str(expectation["stderr"]) in run.stderr, context
    if expectation.get("silent"):
        assert "Traceback" not in run.stderr, context


@pytest.mark.parametrize("proof", ALL_PROOFS, ids=[proof.id for proof in ALL_PROOFS])
def test_fixture_case(proof: Proof) -> None:
    timeout = HANG_SECONDS if proof.expectation.get("hangs") else FINISH_SECONDS
    run = run_case(proof.fixture, proof.case, proof.kind, timeout)
    check(proof, run, proof.expectation)


FIXED_PROOFS = [
    proof
    for proof in ALL_PROOFS
    if "fixed" in proof.expectation and proof.fixture.with_suffix(".fixed.py").exists()
]


@pytest.mark.parametrize("proof", FIXED_PROOFS, ids=[proof.id for proof in FIXED_PROOFS])
def test_fixed_program_case(proof: Proof) -> None:
    """The golden fix output runs, and the fixed case returns what the fix intends."""
    fixed = proof.fixture.with_suffix(".fixed.py")
    run = run_case(fixed, proof.case, proof.kind, FINISH_SECONDS)
    check(proof, run, {"returns": proof.expectation["fixed"]})


def test_a_wrong_declaration_fails() -> None:
    """The checker of outcomes is not a rubber stamp: a flipped expectation is caught."""
    proof = next(p for p in ALL_PROOFS if "raises" in p.expectation and p.kind == "fork")
    run = run_case(proof.fixture, proof.case, proof.kind, FINISH_SECONDS)
    check(proof, run, proof.expectation)
    flipped = {"returns": None}
    with pytest.raises(AssertionError):
        check(proof, run, flipped)
    with pytest.raises(AssertionError):
        check(proof, run, {"hangs": True})
    with pytest.raises(AssertionError):
        check(proof, run, {"exits": 1})
