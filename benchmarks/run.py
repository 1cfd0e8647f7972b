"""How fast poolcheck is, against flake8 and ruff, on the running Python's standard library.

    python benchmarks/run.py [--repeat 3] [--corpus DIR] [--skip-flake8]

Builds the corpus (a copy of the standard library's .py files, site-packages left out),
then times each command several times, alternating their order, and prints medians and
the ratios the project tracks, all measured side by side in one run:

- flake8 -j1 with the plugin / flake8 -j1 without it (flake8-bugbear alongside, for scale);
- poolcheck / ruff check --no-cache (default rules);
- poolcheck's analysis of the files that use pools / LibCST's bare parse of them;
- poolcheck's peak RSS.

The flake8 variants run in this environment with plugins hidden from flake8's plugin
discovery, so one installation measures all three. Nothing here is asserted: the test
suite has no timed checks.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

#: Runs flake8 with only the named plugin packages (besides flake8's own) visible.
FLAKE8_WITH = """
import sys
import flake8.plugins.finder as finder
keep = set(sys.argv[1].split(",")) | {"flake8", "pycodestyle", "pyflakes", "mccabe", "local"}
find = finder.find_plugins
finder.find_plugins = lambda cfg, opts: [p for p in find(cfg, opts) if p.package in keep]
from flake8.main.cli import main
sys.exit(main(sys.argv[2:]))
"""

#: Runs one command and prints the peak resident set size of its processes, in KiB.
PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def build_corpus(target: Path) -> tuple[int, int]:
    """Copy the standard library's .py files into ``target``: (files, lines)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = lines = 0
    for source in sorted(stdlib.rglob("*.py")):
        relative = source.relative_to(stdlib)
        if "site-packages" in relative.parts or "__pycache__" in relative.parts:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        files += 1
        lines += source.read_bytes().count(b"\n")
    return files, lines


def commands(corpus: Path, skip_flake8: bool) -> dict[str, list[str]]:
    python = sys.executable
    scripts = Path(python).parent
    found: dict[str, list[str]] = {}
    if not skip_flake8:
        flake8 = ["-j1", "--isolated", "--exit-zero", str(corpus)]
        found["flake8"] = [python, "-c", FLAKE8_WITH, "", *flake8]
        found["flake8 + poolcheck"] = [python, "-c", FLAKE8_WITH, "flake8-poolcheck", *flake8]
        if _installed("bugbear"):
            found["flake8 + bugbear"] = [python, "-c", FLAKE8_WITH, "flake8-bugbear", *flake8]
    poolcheck = shutil.which("poolcheck", path=str(scripts)) or shutil.which("poolcheck")
    assert poolcheck, "install flake8-poolcheck first: python -m pip install ."
    found["poolcheck"] = [poolcheck, "--isolated", "--exit-zero", str(corpus)]
    found["poolcheck -j1"] = [*found["poolcheck"], "--jobs", "1"]
    ruff = shutil.which("ruff", path=str(scripts)) or shutil.which("ruff")
    if ruff:
        found["ruff"] = [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--exit-zero",
            "-q",
            str(corpus),
        ]
    return found


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def time_commands(named: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Median wall time of each command; the order rotates every round (A/B alternation)."""
    times: dict[str, list[float]] = {name: [] for name in named}
    names = list(named)
    for round_number in range(repeat):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            subprocess.run(
                named[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
            times[name].append(time.perf_counter() - start)
            print(f"  round {round_number + 1}: {name:<20} {times[name][-1]:8.2f} s", flush=True)
    return {name: statistics.median(values) for name, values in times.items()}


def pool_heavy(corpus: Path, repeat: int) -> tuple[int, int, float, float]:
    """Files that pass the pre-filter: (files, lines, median parse time, median analysis time)."""
    import libcst

    from flake8_poolcheck.engine import Linter
    from flake8_poolcheck.settings import Settings

    linter = Linter(Settings())
    sources = [
        path.read_bytes()
        for path in sorted(corpus.rglob("*.py"))
        if linter.prefilter.may_use_pools(path.read_bytes())
    ]
    parse_times, analysis_times = [], []
    for _ in range(repeat):  # parse and analysis alternate file by file: same conditions
        parse = analysis = 0.0
        for source in sources:
            start = time.perf_counter()
            with contextlib.suppress(libcst.ParserSyntaxError):
                libcst.parse_module(source)
            parse += time.perf_counter() - start
            start = time.perf_counter()
            linter.check(source)
            analysis += time.perf_counter() - start
        parse_times.append(parse)
        analysis_times.append(analysis)
    lines = sum(source.count(b"\n") for source in sources)
    return len(sources), lines, statistics.median(parse_times), statistics.median(analysis_times)


def peak_rss_mib(command: list[str]) -> float:
    completed = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command], capture_output=True, text=True, check=True
    )
    return int(completed.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    parser.add_argument("--corpus", type=Path, help="a folder to use instead of the stdlib copy")
    parser.add_argument(
        "--skip-flake8", action="store_true", help="leave out the slow flake8 runs"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        if args.corpus:
            corpus = args.corpus.resolve()
            files = len(list(corpus.rglob("*.py")))
            lines = sum(p.read_bytes().count(b"\n") for p in corpus.rglob("*.py"))
        else:
            corpus = Path(scratch) / "corpus"
            files, lines = build_corpus(corpus)
        machine = f"{platform.platform()}, {os.cpu_count()} CPUs"
        print(f"machine: {machine}, Python {platform.python_version()}")
        print(f"corpus: {corpus} ({files:,} files, {lines:,} lines)")
        medians = time_commands(commands(corpus, args.skip_flake8), args.repeat)
        heavy_files, heavy_lines, parse, analysis = pool_heavy(corpus, args.repeat)
        rss = peak_rss_mib(commands(corpus, skip_flake8=True)["poolcheck"])

    report(medians, heavy_files, heavy_lines, analysis / parse, rss)


def report(
    medians: dict[str, float], heavy_files: int, heavy_lines: int, heavy: float, rss: float
) -> None:
    print("\nmedian wall time")
    for name, seconds in medians.items():
        print(f"  {name:<20} {seconds:8.2f} s")
    print("\nratios (goal in brackets)")

    def ratio(label: str, value: float, goal: str) -> None:
        print(f"  {label:<32} {value:6.3f}  ({goal})")

    if "flake8" in medians:
        plugin = medians["flake8 + poolcheck"] / medians["flake8"]
        ratio("flake8 + poolcheck / flake8", plugin, "<= 1.05")
        if "flake8 + bugbear" in medians:
            ratio(
                "flake8 + bugbear / flake8",
                medians["flake8 + bugbear"] / medians["flake8"],
                "for scale",
            )
    if "ruff" in medians:
        ratio("poolcheck / ruff", medians["poolcheck"] / medians["ruff"], "<= 2")
        ratio("poolcheck -j1 / ruff", medians["poolcheck -j1"] / medians["ruff"], "one process")
    ratio("analysis / LibCST parse", heavy, f"<= 1.5; {heavy_files} files, {heavy_lines:,} lines")
    print(f"  {'poolcheck peak RSS':<32} {rss:6.1f} MiB  (<= 200)")


if __name__ == "__main__":
    main()
