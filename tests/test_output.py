"""Output formats, statistics, fix listings and exit codes of the ``poolcheck`` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from support import ROOT

from flake8_poolcheck.cli import main

SOURCE = (
    "import multiprocessing\n"
    "\n"
    "\n"
    "def add(a, b):\n"
    "    return a + b\n"
    "\n"
    "\n"
    "def run(pool: multiprocessing.pool.ThreadPool, pairs):\n"
    "    pool.apply_async(add, (1, 2))\n"
    "    first = pool.map(lambda pair: add(*pair), pairs)\n"
    "    return first, pool.map(lambda t: add(t[0], t[1]), pairs)\n"
)


@pytest.fixture
def job(tmp_path: Path) -> Path:
    path = tmp_path / "job.py"
    path.write_text(SOURCE)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--isolated", *args])
    return code, capsys.readouterr().out


def test_concise_and_summary(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(job))
    assert code == 1
    assert out.splitlines() == [
        f"{job}:9:5: PCK201 The AsyncResult of `apply_async()` is discarded: an exception "
        "raised by the task is lost silently; call `.get()` on it, or pass `error_callback=`",
        f"{job}:10:22: PCK102 [*] `map()` is given a lambda that only unpacks each item into "
        "`add`: `starmap(add, ...)` does the same without it",
        f"{job}:11:28: PCK102 `map()` is given a lambda that only passes the elements of each "
        "item to `add`: `starmap(add, ...)` does the same for items of that length",
        "Found 3 errors (0 fixed, 3 remaining).",
        "[*] 1 fixable with the `--fix` option.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]


def test_full_shows_the_line_and_the_fix(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--output-format", "full", str(job))
    assert (
        "   |\n"
        "10 |     first = pool.map(lambda pair: add(*pair), pairs)\n"
        "   |                      ^^^^^^^^^^^^^^^^^^^^^^^\n"
        "   = help: Use `starmap()` (safe)\n"
        "  -     first = pool.map(lambda pair: add(*pair), pairs)\n"
        "  +     first = pool.starmap(add, pairs)\n"
    ) in out


def test_json_fields_and_edits(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--output-format", "json", str(job))
    items = json.loads(out)
    assert [item["code"] for item in items] == ["PCK201", "PCK102", "PCK102"]
    fixed = items[1]
    assert set(fixed) == {
        "code", "name", "message", "filename", "location", "end_location", "fix", "noqa_row",
        "url",
    }  # fmt: skip
    assert fixed["location"] == {"row": 10, "column": 22}
    assert fixed["fix"] == {
        "applicability": "safe",
        "message": "Use `starmap()`",
        "edits": [
            {
                "content": "    first = pool.starmap(add, pairs)\n",
                "location": {"row": 10, "column": 1},
                "end_location": {"row": 11, "column": 1},
            }
        ],
    }
    assert items[2]["fix"]["applicability"] == "unsafe"
    assert items[0]["fix"] is None
    assert (ROOT / fixed["url"]).exists()


def test_github_annotations(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--output-format", "github", str(job))
    lines = out.splitlines()
    assert len(lines) == 3
    pattern = re.compile(
        r"^::error title=poolcheck \(PCK[0-9]{3}\),file=[^,:]+,line=\d+,col=\d+,"
        r"endLine=\d+,endColumn=\d+::PCK[0-9]{3} [^\n]+$"
    )
    for line in lines:
        assert pattern.match(line.replace(str(job).replace(":", "%3A"), "job.py")), line
    assert "file=" + str(job) in lines[0]


def test_sarif_is_valid_against_the_published_schema(
    job: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = run(capsys, "--output-format", "sarif", str(job))
    log = json.loads(out)
    schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [result["ruleId"] for result in run_["results"]] == ["PCK201", "PCK102", "PCK102"]
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    location = run_["results"][1]["locations"][0]["physicalLocation"]
    assert location["region"]["startLine"] == 10
    assert location["artifactLocation"]["uri"] == job.as_uri()


def test_output_file(job: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    code, out = run(capsys, "--output-format", "json", "--output-file", str(report), str(job))
    assert code == 1
    assert out == ""
    assert len(json.loads(report.read_text())) == 3


def test_statistics(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--statistics", str(job))
    assert out.splitlines()[-2:] == [
        "    2\tPCK102\t[*] star-unpacking-task",
        "    1\tPCK201\t    discarded-async-result",
    ]


def test_show_fixes_and_exit_non_zero_on_fix(
    job: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(
        capsys, "--fix", "--unsafe-fixes", "--show-fixes", "--select", "PCK1", str(job)
    )
    assert code == 0
    assert out.splitlines()[-3:] == [
        "Fixed 2 errors:",
        f"{job}:",
        "    2 x PCK102 (star-unpacking-task)",
    ]
    job.write_text(SOURCE)
    code, _ = run(capsys, "--fix", "--exit-non-zero-on-fix", "--select", "PCK1", str(job))
    assert code == 1
    code, _ = run(capsys, "--fix", "--exit-non-zero-on-fix", "--select", "PCK1", str(job))
    assert code == 1  # the unsafe fix remains
    code, _ = run(capsys, "--fix", "--select", "PCK2", "--exit-non-zero-on-fix", str(job))
    assert code == 1  # PCK201 remains, nothing to fix


def test_unknown_output_format_in_config(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = job.parent / "pyproject.toml"
    config.write_text('[tool.poolcheck]\noutput-format = "xml"\n')
    assert main(["--config", str(config), str(job)]) == 2
    assert "output-format: 'xml'" in capsys.readouterr().err


def test_one_of_a_kind_is_singular(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "--select", "PCK201", str(job))
    assert out.splitlines()[-1] == "Found 1 error (0 fixed, 1 remaining)."
    _, out = run(capsys, "--fix", "--show-fixes", "--select", "PCK102", str(job))
    assert out.splitlines()[-5:] == [
        "Found 2 errors (1 fixed, 1 remaining).",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
        "Fixed 1 error:",
        f"{job}:",
        "    1 x PCK102 (star-unpacking-task)",
    ]


def test_no_all_clear_beside_an_error(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that could not be checked is not a pass: the summary stays silent."""
    (job.parent / "clean.py").write_text("x = 1\n")
    code = main(["--isolated", str(job.parent / "clean.py"), str(job.parent / "missing.py")])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert "missing.py: cannot read" in captured.err
