"""The pre-commit hook, through the real pre-commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

HEADER = "import multiprocessing\n\n\ndef run(pool: multiprocessing.pool.ThreadPool, pairs):\n"
BAD = HEADER + "    return pool.map(lambda pair: divmod(*pair), pairs)\n"
GOOD = HEADER + "    return pool.starmap(divmod, pairs)\n"

pytestmark = pytest.mark.slow


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text(GOOD)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    return tmp_path


def test_manifest_is_valid(home: Path) -> None:
    result = pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=ROOT, home=home)
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_repo(repo: Path, home: Path) -> None:
    failed = pre_commit(
        "try-repo", str(ROOT), "poolcheck", "--files", "bad.py", cwd=repo, home=home
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "bad.py:5:21: PCK102 [*]" in failed.stdout
    passed = pre_commit(
        "try-repo", str(ROOT), "poolcheck", "--files", "good.py", cwd=repo, home=home
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_fix_argument_rewrites_and_fails(repo: Path, home: Path) -> None:
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {revision}\n"
        "  hooks:\n  - id: poolcheck\n    args: [--fix]\n"
    )
    result = pre_commit("run", "poolcheck", "--files", "bad.py", cwd=repo, home=home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "files were modified by this hook" in result.stdout
    assert (repo / "bad.py").read_text() == GOOD
