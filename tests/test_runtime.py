"""The runtime proofs: each rule's fixture cases run on real pools, in fresh interpreters.

A case declares with ``proof(...)`` what really happens (see fixtures/_proof.py);
this suite runs it and compares. A hang is never a guess and never a timeout: the
launched case proves why it can no longer end (tests/runtime/launch.py), or, for an
input read without end, this suite sees its memory pass a bound with no outcome.
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
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import Proof, fixture_paths, proofs

LAUNCH = Path(__file__).resolve().parent / "runtime" / "launch.py"
OUTCOME_MARKER = "POOLCHECK-OUTCOME "
#: Any case gets this long (spawn on a busy 2-core machine is slow); proven hangs end
#: within a second or two, so only a defect ever waits this out.
FINISH_SECONDS = 120.0
#: A case whose memory passes this with no outcome is reading an input without end.
MEMORY_BOUND = 1 << 30
POLL_SECONDS = 0.05

ALL_PROOFS = [proof for path in fixture_paths() for proof in proofs(path)]

pytestmark = pytest.mark.runtime


@dataclass(frozen=True)
class Run:
    outcome: dict[str, object] | None  # None: stopped by the suite, or exited early
    exit_status: int | None  # None: stopped by the suite (time or memory)
    stdout: str
    stderr: str
    memory_exceeded: bool = False  # stopped when its memory passed MEMORY_BOUND


def run_case(fixture: Path, case: str | None, kind: str) -> Run:
    """Run one case in a new session, so that it can be stopped with all its workers."""
    command = [sys.executable, str(LAUNCH), kind, str(fixture), *([case] if case else [])]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + FINISH_SECONDS
        exit_status = memory_exceeded = None
        try:
            while exit_status is None and time.monotonic() < deadline:
                memory_exceeded = _resident_bytes(process.pid) > MEMORY_BOUND
                if memory_exceeded:
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    exit_status = process.wait(timeout=POLL_SECONDS)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    marked = [line for line in stdout.splitlines() if line.startswith(OUTCOME_MARKER)]
    outcome = json.loads(marked[-1][len(OUTCOME_MARKER) :]) if marked else None
    return Run(outcome, exit_status, stdout, stderr, bool(memory_exceeded))


def _resident_bytes(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # ended already
        return 0
    kib = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return int(kib) * 1024


def _program_output(stdout: str) -> object:
    lines = [line for line in stdout.splitlines() if line and not line.startswith(OUTCOME_MARKER)]
    return ast.literal_eval(lines[-1]) if lines else None


def check(proof: Proof, run: Run, expectation: dict[str, object]) -> None:
    """Assert that the run did what the proof declares."""
    context = f"{proof.id}: stderr tail:\n{run.stderr[-2000:]}"
    assert run.memory_exceeded == (expectation.get("hangs") == "input-never-ends"), (
        f"memory bound passed: {run.memory_exceeded}. {context}"
    )
    if "exits" in expectation:
        assert run.exit_status == expectation["exits"], f"ended with {run.exit_status}. {context}"
        assert run.outcome is None, f"declared to end the process, but got {run.outcome}"
    elif not run.memory_exceeded:
        assert run.exit_status is not None, f"still running after {FINISH_SECONDS} s. {context}"
        assert run.outcome is not None, f"the case died without an outcome. {context}"
        hung = run.outcome.get("hung")
        if expectation.get("hangs") != hung:
            raise AssertionError(f"declared hangs={expectation.get('hangs')}, got {hung}")
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
        elif where == "result":
            assert ".result(" in line, f"surfaced at {line!r}, not at .result()"
        elif where == "call":
            assert ".get(" not in line and "next(" not in line, f"surfaced at {line!r}"
    if "stderr" in expectation:
        assert str(expectation["stderr"]) in run.stderr, context
    if expectation.get("silent"):
        assert "Traceback" not in run.stderr, context


@pytest.mark.parametrize("proof", ALL_PROOFS, ids=[proof.id for proof in ALL_PROOFS])
def test_fixture_case(proof: Proof) -> None:
    run = run_case(proof.fixture, proof.case, proof.kind)
    check(proof, run, proof.expectation)


FIXED_PROOFS = [proof for proof in ALL_PROOFS if "fixed" in proof.expectation]


@pytest.mark.parametrize("proof", FIXED_PROOFS, ids=[proof.id for proof in FIXED_PROOFS])
def test_fixed_program_case(proof: Proof) -> None:
    """The golden fix output runs, and the fixed case does what its proof declares."""
    fixed = proof.fixture.with_suffix(".fixed.py")
    assert fixed.exists(), f"fixed= declared, but there is no {fixed.name}"
    run = run_case(fixed, proof.case, proof.kind)
    expectation = proof.expectation["fixed"]
    assert isinstance(expectation, dict)
    check(proof, run, expectation)


def test_a_wrong_declaration_fails() -> None:
    """The checker of outcomes is not a rubber stamp: a flipped expectation is caught."""
    proof = next(p for p in ALL_PROOFS if "raises" in p.expectation and p.kind == "fork")
    run = run_case(proof.fixture, proof.case, proof.kind)
    check(proof, run, proof.expectation)
    for wrong in ({"returns": None}, {"hangs": "worker-died"}, {"exits": 1}):
        with pytest.raises(AssertionError):
            check(proof, run, wrong)


def test_a_slow_case_is_not_a_hang(tmp_path: Path) -> None:
    """Time alone proves nothing: a case that only sleeps before working finishes, and a
    declared hang without evidence fails."""
    fixture = tmp_path / "PCK101_slow.py"
    fixture.write_text(
        "import time\n\ndef case(pool):\n    time.sleep(3)\n    return pool.map(abs, [-1])\n"
    )
    run = run_case(fixture, "case", "fork")
    proof = Proof(fixture, "case", "fork", {"hangs": "worker-died"}, frozenset())
    with pytest.raises(AssertionError, match="declared hangs=worker-died, got None"):
        check(proof, run, proof.expectation)
    check(proof, run, {"returns": [1]})
