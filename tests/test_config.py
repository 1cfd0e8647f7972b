"""``[tool.poolcheck]`` in pyproject.toml: every key, precedence, discovery and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flake8_poolcheck.cli import main
from flake8_poolcheck.rules import all_rules
from flake8_poolcheck.settings import rule_codes

SOURCE = (
    "import multiprocessing\n"
    "from myproject.parallel import make_pool, make_threads\n"
    "\n"
    "\n"
    "def add(a, b):\n"
    "    return a + b\n"
    "\n"
    "\n"
    "def run(pool: multiprocessing.pool.ThreadPool, pairs):\n"
    "    pool.apply_async(add, (1, 2))\n"
    "    list(pool.imap(abs, pairs, buffersize=4))\n"
    "    with make_pool() as processes:\n"
    "        processes.map(lambda x: x, pairs)\n"
    "    with make_threads() as threads:\n"
    "        threads.map(lambda x: x, pairs)\n"
    "    return pool.map(lambda pair: add(*pair), pairs)\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "job.py").write_text(SOURCE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_job.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes(capsys: pytest.CaptureFixture[str], config: str, *args: str) -> dict[str, set[str]]:
    Path("pyproject.toml").write_text(f"[tool.poolcheck]\n{config}\n")
    assert main(["--output-format", "json", *args]) in (0, 1)
    found: dict[str, set[str]] = {}
    for item in json.loads(capsys.readouterr().out):
        found.setdefault(Path(item["filename"]).name, set()).add(item["code"])
    return found


DEFAULT = {"PCK102", "PCK105", "PCK201"}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("", DEFAULT),
        ('select = ["PCK2"]', {"PCK201"}),
        ('extend-select = ["PCK902"]', DEFAULT),  # keeps the defaults; no process pool here
        ('ignore = ["PCK1"]', {"PCK201"}),
        ('extend-ignore = ["PCK201"]', {"PCK102", "PCK105"}),
        ('target-version = "py316"', {"PCK102", "PCK201"}),
        ('pool-factories = ["myproject.parallel.make_pool"]', DEFAULT | {"PCK101"}),
        ('thread-pool-factories = ["myproject.parallel.make_threads"]', DEFAULT),
    ],
)
def test_keys_that_select(
    project: Path, capsys: pytest.CaptureFixture[str], config: str, expected: set[str]
) -> None:
    assert codes(capsys, config, "src")["job.py"] == expected


def test_per_file_ignores(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = codes(capsys, 'per-file-ignores = { "tests/*" = ["PCK2", "PCK105"] }', ".")
    assert found == {"job.py": DEFAULT, "test_job.py": {"PCK102"}}


def test_per_file_ignores_on_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = codes(capsys, "", "--per-file-ignores", "tests/*:PCK2,PCK105 src/job.py:PCK1", ".")
    assert found == {"job.py": {"PCK201"}, "test_job.py": {"PCK102"}}
    assert main(["--per-file-ignores", "PCK201", "."]) == 2
    assert "is not PATTERN:CODES" in capsys.readouterr().err


def test_exclude_and_extend_exclude(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert set(codes(capsys, 'extend-exclude = ["tests"]', ".")) == {"job.py"}
    assert set(codes(capsys, 'exclude = ["src"]', ".")) == {"test_job.py"}


def test_fixable_unfixable_and_unsafe_fixes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = project / "src" / "job.py"
    Path("pyproject.toml").write_text('[tool.poolcheck]\nunfixable = ["PCK102"]\n')
    main(["--fix", "src"])
    assert job.read_text() == SOURCE
    Path("pyproject.toml").write_text('[tool.poolcheck]\nfixable = ["PCK2"]\n')
    main(["--fix", "src"])
    assert job.read_text() == SOURCE
    Path("pyproject.toml").write_text("[tool.poolcheck]\nunsafe-fixes = true\n")
    main(["--fix", "src"])
    assert "pool.starmap(add, pairs)" in job.read_text()
    capsys.readouterr()


def test_output_format_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("pyproject.toml").write_text('[tool.poolcheck]\noutput-format = "github"\n')
    main(["src"])
    assert capsys.readouterr().out.startswith("::error title=poolcheck")


def test_command_line_overrides_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert codes(capsys, 'select = ["PCK2"]', "--select", "PCK1", "src")["job.py"] == {
        "PCK102",
        "PCK105",
    }
    assert codes(capsys, 'select = ["PCK2"]', "--isolated", "src")["job.py"] == DEFAULT


def test_nearest_pyproject_with_a_poolcheck_table(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("pyproject.toml").write_text('[tool.poolcheck]\nselect = ["PCK2"]\n')
    (project / "src" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no table
    monkeypatch.chdir(project / "src")
    main(["--output-format", "json", "job.py"])
    assert {item["code"] for item in json.loads(capsys.readouterr().out)} == {"PCK201"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("fixable = [1]", "fixable: expected a list of strings"),
        ('per-file-ignores = ["x"]', "per-file-ignores: expected a table"),
        ('per-file-ignores = { "x" = ["F401"] }', "'F401' is not a PCK code"),
        ("pool-factories = 3", "pool-factories: expected a list of strings"),
        ('start-methods = ["fok"]', "start-methods: 'fok' is not one of fork, spawn, forkserver"),
        ("[tool.poolcheck.nested]", "nested: unknown setting"),
        ("select = [", "cannot read"),
    ],
)
def test_wrong_values_are_clear_errors(
    project: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    Path("pyproject.toml").write_text(f"[tool.poolcheck]\n{table}\n")
    assert main(["src"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_selectors_are_checked_against_every_rule_code() -> None:
    """The codes read from the rule modules' names are exactly the rules' own."""
    assert rule_codes() == {rule.code for rule in all_rules()}


FORK_ONLY = (
    "import multiprocessing\n"
    "\n"
    "CONFIG = None\n"
    "\n"
    "\n"
    "def work(x):\n"
    "    return (x, CONFIG)\n"
    "\n"
    "\n"
    "def run(items):\n"
    "    with multiprocessing.Pool() as pool:\n"
    "        pool.map(work, items)\n"
    "    with multiprocessing.get_context('spawn').Pool() as pool:\n"
    "        return pool.map(work, items)\n"
    "\n"
    "\n"
    "if __name__ == '__main__':\n"
    "    CONFIG = 3\n"
    "    run([1])\n"
)


@pytest.mark.parametrize(
    ("config", "args", "lines"),
    [
        ("", (), {12, 14}),
        ('start-methods = ["fork"]', (), {14}),  # an explicit spawn context still spawns
        ('start-methods = ["fork", "forkserver"]', (), {12, 14}),
        ("", ("--start-methods", "fork"), {14}),
        ('start-methods = ["fork"]', ("--start-methods", "spawn"), {12, 14}),
    ],
)
def test_start_methods(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: str,
    args: tuple[str, ...],
    lines: set[int],
) -> None:
    """Saying the project's processes fork silences what breaks only under spawn and
    forkserver, where the code does not name a method itself."""
    monkeypatch.chdir(tmp_path)
    Path("job.py").write_text(FORK_ONLY)
    Path("pyproject.toml").write_text(f"[tool.poolcheck]\n{config}\n")
    assert main(["--output-format", "json", "--select", "PCK501", *args, "job.py"]) == 1
    found = {item["location"]["row"] for item in json.loads(capsys.readouterr().out)}
    assert found == lines
