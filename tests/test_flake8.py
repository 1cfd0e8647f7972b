"""The flake8 plugin, and noqa parity between flake8 and ``poolcheck``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import FIXTURES, ROOT

from flake8_poolcheck.cli import main
from flake8_poolcheck.plugin import Plugin

FLAKE8_FORMAT = "--format=%(path)s|%(row)d|%(col)d|%(code)s"

HEADER = "import multiprocessing\n\n\ndef work(items, pool: multiprocessing.pool.Pool):\n"
NOQA_SNIPPETS = {
    "blanket": "    pool.map(lambda x: x, items)  # noqa\n",
    "code": "    pool.map(lambda x: x, items)  # noqa: PCK101\n",
    "prefix": "    pool.map(lambda x: x, items)  # noqa: PCK1\n",
    "bare_prefix": "    pool.map(lambda x: x, items)  # noqa: PCK\n",
    "no_space": "    pool.map(lambda x: x, items)  # noqa:PCK201,PCK101\n",
    "other_code": "    pool.map(lambda x: x, items)  # noqa: E501\n",
    "lower_case": "    pool.map(lambda x: x, items)  # NOQA: pck101\n",
    "space_before_colon": "    pool.map(lambda x: x, items)  # noqa : E501\n",
    "first_line_of_call": "    pool.map(  # noqa: PCK101\n        lambda x: x,\n        items)\n",
    "last_line_of_call": "    pool.map(\n        lambda x: x,\n        items)  # noqa: PCK101\n",
    "in_a_string": "    pool.map(lambda x: x, ['# noqa'])\n",
    "string_spanning_lines": '    pool.map(lambda x: x, ["""a\n    b"""])  # noqa: PCK101\n',
    "two_codes_one_kept": "    pool.apply_async(lambda: 1)  # noqa: PCK101\n",
    "file_level": "    pool.map(lambda x: x, items)\n# flake8: noqa\n",
    "file_level_with_code": "    pool.map(lambda x: x, items)  # flake8: noqa\n",
}


def flake8(*args: str, cwd: Path = ROOT) -> set[tuple[str, int, int, str]]:
    completed = subprocess.run(
        [sys.executable, "-m", "flake8", FLAKE8_FORMAT, *args],
        capture_output=True, text=True, cwd=cwd, check=False,
    )  # fmt: skip
    assert completed.returncode in (0, 1), completed.stderr
    found = set()
    for line in completed.stdout.splitlines():
        path, row, col, code = line.rsplit("|", 3)
        found.add((Path(path).name, int(row), int(col), code))
    return found


def poolcheck(capsys: pytest.CaptureFixture[str], *args: str) -> set[tuple[str, int, int, str]]:
    main(["--isolated", "--output-format", "json", *args])
    items = json.loads(capsys.readouterr().out)
    return {
        (Path(i["filename"]).name, i["location"]["row"], i["location"]["column"], i["code"])
        for i in items
    }


@pytest.mark.parametrize("disable_noqa", [False, True])
def test_noqa_parity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], disable_noqa: bool
) -> None:
    for name, body in NOQA_SNIPPETS.items():
        (tmp_path / f"{name}.py").write_text(HEADER + body)
    extra = ["--disable-noqa"] if disable_noqa else []
    theirs = flake8("--isolated", "--select=PCK", *extra, str(tmp_path))
    ours = poolcheck(capsys, *extra, str(tmp_path))
    assert theirs == ours
    if not disable_noqa:  # the snippets really exercise both outcomes
        reported = {name for name, *_ in ours}
        # flake8 joins the physical lines of one token (a multi-line string), not the
        # lines of a bracketed call: a noqa on another line of the call does not count.
        assert {"other_code.py", "lower_case.py", "file_level_with_code.py"} <= reported
        assert {"first_line_of_call.py", "last_line_of_call.py"} <= reported
        assert not {"code.py", "string_spanning_lines.py", "in_a_string.py"} & reported


def test_version_lists_the_plugin() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True, check=True
    )
    assert "flake8-poolcheck:" in completed.stdout


def test_unparsable_file_yields_pck000_not_an_exception() -> None:
    lines = ["from multiprocessing import Pool\n", "x = = 1\n"]
    results = list(Plugin(None, lines, "broken.py").run())  # type: ignore[arg-type]
    assert [(row, col, text.split()[0]) for row, col, text, _ in results] == [(1, 0, "PCK000")]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_jobs_give_the_same_results(method: str) -> None:
    """flake8's workers parse the options again under spawn/forkserver: same results."""
    script = textwrap.dedent(
        f"""
        import multiprocessing, sys
        from flake8.main.cli import main
        if __name__ == "__main__":
            multiprocessing.set_start_method({method!r})
            sys.exit(main(sys.argv[1:]))
        """
    )
    args = ["--isolated", "--select=PCK", FLAKE8_FORMAT, str(FIXTURES)]
    outputs = []
    for jobs in ("1", "2"):
        completed = subprocess.run(
            [sys.executable, "-c", script, f"--jobs={jobs}", *args],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        assert completed.returncode == 1, completed.stderr
        outputs.append(sorted(completed.stdout.splitlines()))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 10


def test_flake8_config_options(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(
        "from myproject.parallel import make_pool\n\n\n"
        "def run(items):\n    with make_pool() as pool:\n        pool.apply_async(print).get()\n"
        "        return pool.map(lambda x: x, items)\n"
    )
    assert flake8("--select=PCK", "job.py", cwd=tmp_path) == set()
    (tmp_path / ".flake8").write_text(
        "[flake8]\nselect = PCK\nextend-ignore = PCK303\n"
        "poolcheck-pool-factories = myproject.parallel.make_pool\n"
    )
    assert flake8("job.py", cwd=tmp_path) == {("job.py", 7, 25, "PCK101")}


def test_flake8_start_methods(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(
        "import multiprocessing\n\n\n"
        "def run(items):\n    process = multiprocessing.Process(target=lambda: None)\n"
    )
    assert flake8("--select=PCK", "job.py", cwd=tmp_path) == {("job.py", 5, 39, "PCK503")}
    assert (
        flake8("--select=PCK", "--poolcheck-start-methods=fork", "job.py", cwd=tmp_path) == set()
    )


OPT_IN_SOURCE = (
    "import multiprocessing\n\n\n"
    "def run(pool: multiprocessing.pool.Pool, items):\n"
    "    return list(pool.imap(abs, items))\n"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--select=PCK"], set()),
        (["--extend-select=PCK"], set()),
        (["--select=PCK", "--ignore=E501"], set()),  # replacing the default ignore list
        (["--select=PCK9"], {"PCK902"}),
        (["--select=PCK", "--extend-select=PCK902"], {"PCK902"}),
    ],
)
def test_opt_in_rules_need_selecting(tmp_path: Path, args: list[str], expected: set[str]) -> None:
    (tmp_path / "job.py").write_text(OPT_IN_SOURCE)
    found = {code for *_, code in flake8("--isolated", *args, "job.py", cwd=tmp_path)}
    assert found == expected


def test_extend_ignore_in_dot_flake8(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(
        "import multiprocessing\n\n\n"
        "def run(pool: multiprocessing.pool.Pool, items):\n"
        "    pool.apply_async(print)\n"
        "    return pool.map(lambda x: x, items)\n"
    )
    assert flake8("--select=PCK", "job.py", cwd=tmp_path) == {
        ("job.py", 5, 5, "PCK201"),
        ("job.py", 6, 21, "PCK101"),
    }
    (tmp_path / ".flake8").write_text("[flake8]\nselect = PCK\nextend-ignore = PCK201\n")
    assert flake8("job.py", cwd=tmp_path) == {("job.py", 6, 21, "PCK101")}
