"""Rule documentation, generated from each rule's docstring."""

from __future__ import annotations

import inspect
from pathlib import Path

from flake8_poolcheck.analysis.pools import PoolKind
from flake8_poolcheck.rules import Rule, all_rules

#: The sections every rule docstring has, in this order.
SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "References",
)

_KIND_NAMES = {
    PoolKind.PROCESS: "process pools",
    PoolKind.THREAD: "thread pools",
    PoolKind.DILL: "dill pools (`multiprocess`)",
    PoolKind.PROCESS_EXECUTOR: "process executors (`ProcessPoolExecutor`)",
    PoolKind.THREAD_EXECUTOR: "thread executors (`ThreadPoolExecutor`)",
}


def sections(rule: type[Rule]) -> dict[str, str]:
    """The docstring of ``rule`` split at its ``## `` headings."""
    found: dict[str, str] = {}
    heading = None
    lines: list[str] = []
    for line in inspect.cleandoc(rule.__doc__ or "").splitlines():
        if line.startswith("## "):
            if heading is not None:
                found[heading] = "\n".join(lines).strip()
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    if heading is not None:
        found[heading] = "\n".join(lines).strip()
    return found


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced ```python blocks in ``text``."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def rule_page(rule: type[Rule]) -> str:
    """The Markdown page of one rule: a header, then the docstring's sections."""
    if rule.fixes is None:
        fix = "No fix."
    else:
        fix = f"Fix {rule.fixes.availability.value} available: {rule.fixes.title}."
    kinds = ", ".join(_KIND_NAMES[kind] for kind in PoolKind if kind in rule.kinds)
    header = [
        f"# {rule.code} {rule.name}",
        "",
        rule.summary,
        "",
        f"Applies to: {kinds}.",
        fix,
    ]
    if rule.opt_in:
        header.append(f"Opt-in: off unless selected (`--select {rule.code}`).")
    body = []
    for title, text in sections(rule).items():
        body += ["", f"## {title}", "", text]
    return "\n".join(header + body) + "\n"


TABLE_START = "<!-- rules-table:start -->"
TABLE_END = "<!-- rules-table:end -->"


def rules_table() -> str:
    """The Markdown table of every rule, for README.md."""
    rows = [
        "| code | name | fix | applies to |",
        "|---|---|---|---|",
    ]
    for rule in all_rules():
        fix = "—" if rule.fixes is None else rule.fixes.availability.value
        kinds = ", ".join(kind.value for kind in PoolKind if kind in rule.kinds)
        opt_in = " (opt-in)" if rule.opt_in else ""
        rows.append(
            f"| [{rule.code}](docs/rules/{rule.code}.md) | {rule.name}{opt_in} | {fix} | {kinds} |"
        )
    return "\n".join(rows)


def write_docs(root: Path) -> None:
    """Write docs/rules/*.md under ``root`` and refresh the table in its README.md."""
    pages = root / "docs" / "rules"
    pages.mkdir(parents=True, exist_ok=True)
    for old in pages.glob("PCK*.md"):
        old.unlink()
    for rule in all_rules():
        (pages / f"{rule.code}.md").write_text(rule_page(rule), encoding="utf-8")
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        before, _, rest = text.partition(TABLE_START)
        _, _, after = rest.partition(TABLE_END)
        if rest:
            table = f"{TABLE_START}\n{rules_table()}\n{TABLE_END}"
            readme.write_text(before + table + after, encoding="utf-8")


if __name__ == "__main__":
    write_docs(Path.cwd())
