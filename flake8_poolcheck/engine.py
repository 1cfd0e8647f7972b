"""The engine: pre-filter, one parse, one walk for all rules, positions, and the fix loop.

``Linter.check`` answers "what is wrong with this text"; ``Linter.fix`` applies the
fixes, checks the result still compiles, re-lints and repeats until nothing
changes. Rules never touch the tree; fixes are applied here, after detection, so
every reported position refers to the text the user sees.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import gc
import re
import subprocess
import symtable
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union

import libcst as cst

from flake8_poolcheck.analysis.pools import Pool, factory_table, methods_for
from flake8_poolcheck.analysis.semantic import SemanticModel
from flake8_poolcheck.analysis.tree import NODE_TYPES, child_fields
from flake8_poolcheck.diagnostics import Applicability, Diagnostic, Fix, TextEdit
from flake8_poolcheck.files import FileError, decode_source
from flake8_poolcheck.noqa import NoqaMap
from flake8_poolcheck.positions import Positions, Span
from flake8_poolcheck.prefilter import Prefilter
from flake8_poolcheck.rules import Report, all_rules
from flake8_poolcheck.settings import Settings

if TYPE_CHECKING:
    from flake8_poolcheck.diagnostics import Replacement

Source = Union[str, bytes]
_Handler = Callable[[Any], None]

#: How often the fix loop re-lints and re-fixes before it stops.
MAX_FIX_PASSES = 10
#: Python frames for LibCST's recursive passes (its code generator and visitors take about
#: three a level) over the deepest tree the depth guard lets through, with room to spare.
#: 3.9 and 3.10 keep Python frames on the C stack, 8 MiB: those passes survived 5,000
#: levels and crashed at 8,000. (3.12 stops them at ~740 levels with a RecursionError.)
_RECURSION_LIMIT = 6000


@contextlib.contextmanager
def _recursion_headroom() -> Iterator[None]:
    """Within the block (or the decorated call), Python allows _RECURSION_LIMIT frames."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


class SourceError(Exception):
    """A file's bytes cannot be read as Python source (bad encoding, undecodable bytes)."""


class Linter:
    """The rules that ``settings`` enable, ready to check any number of files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rules = tuple(
            rule for rule in all_rules() if settings.is_enabled(rule.code, opt_in=rule.opt_in)
        )
        self._factories = factory_table(settings.pool_factories, settings.thread_pool_factories)
        self._methods = methods_for(settings.target_version)
        self.prefilter = Prefilter(settings)

    def for_file(self, path: str) -> Linter:
        """This linter, or one with the per-file ignores that match ``path``."""
        settings = self.settings.for_file(path)
        return self if settings is self.settings else Linter(settings)

    @_recursion_headroom()
    def check(
        self,
        source: Source,
        *,
        respect_noqa: bool = True,
        text_edits: bool = False,
        tree: ast.Module | None = None,
    ) -> list[Diagnostic]:
        """The diagnostics for one file's text (noqa applied unless told otherwise).

        With ``text_edits``, each fix also says what it changes in lines of text. ``tree``:
        Python's own tree of the text, when the caller has one (flake8 hands plugins one),
        so that the engine need not parse it again.
        """
        parsed, diagnostics = self._lint(source, respect_noqa=respect_noqa, tree=tree)
        if parsed is None or not text_edits:
            return diagnostics
        return [_with_text_edits(parsed, diagnostic) for diagnostic in diagnostics]

    @_recursion_headroom()
    def fix(self, source: bytes, *, respect_noqa: bool = True) -> FixResult:
        """Apply every fix the settings allow, until the text stops changing."""
        fixed: Counter[str] = Counter()
        parsed, diagnostics = self._lint(source, respect_noqa=respect_noqa, fixing=True)
        for _ in range(MAX_FIX_PASSES):
            chosen = self._fixes_to_apply(parsed, diagnostics)
            if parsed is None or not chosen:
                break
            try:
                new_source = _apply(parsed.module, [fix for _, fix in chosen]).bytes
            except RecursionError:
                return FixResult(source, diagnostics, fixed, f"cannot fix: {_TOO_DEEP}")
            if not _compiles(new_source) and _compiles(source):
                error = "the fixed text would not compile; the file was left as it was"
                return FixResult(source, diagnostics, fixed, error)
            source = new_source
            fixed.update(diagnostic.code for diagnostic, _ in chosen)
            parsed, diagnostics = self._lint(source, respect_noqa=respect_noqa, fixing=True)
        return FixResult(source, diagnostics, fixed, None)

    def _fixes_to_apply(
        self, parsed: _Parsed | None, diagnostics: list[Diagnostic]
    ) -> list[tuple[Diagnostic, Fix]]:
        """The applicable fixes, first come first served, none overlapping another."""
        if parsed is None:
            return []
        allowed = {Applicability.SAFE}
        if self.settings.unsafe_fixes:
            allowed.add(Applicability.UNSAFE)
        candidates = [
            (diagnostic, diagnostic.fix)
            for diagnostic in diagnostics
            if diagnostic.fix is not None
            and diagnostic.fix.applicability in allowed
            and self.settings.is_fixable(diagnostic.code)
        ]
        if not candidates:
            return []
        chosen: list[tuple[Diagnostic, Fix]] = []
        taken: list[Span] = []
        for diagnostic, fix in candidates:
            ranges = [parsed.positions.span(node) for node, _ in fix.edits]
            if any(_overlaps(a, b) for a in ranges for b in taken):
                continue
            chosen.append((diagnostic, fix))
            taken.extend(ranges)
        return chosen

    def _lint(
        self,
        source: Source,
        *,
        respect_noqa: bool,
        tree: ast.Module | None = None,
        fixing: bool = False,
    ) -> tuple[_Parsed | None, list[Diagnostic]]:
        """The diagnostics, and the parsed file if any of them has a fix to apply."""
        if not self.prefilter.may_use_pools(source):
            return None, []
        parsed, diagnostics = self._parse_and_walk(source, tree, fixing)
        if respect_noqa and diagnostics:
            noqa = NoqaMap(source_text(source))
            diagnostics = [d for d in diagnostics if not noqa.suppresses(d.line, d.code)]
        return parsed, diagnostics

    def _parse_and_walk(
        self, source: Source, tree: ast.Module | None, fixing: bool
    ) -> tuple[_Parsed | None, list[Diagnostic]]:
        # A LibCST tree is a large acyclic graph: reference counting frees it, and the
        # cycle collector's passes over it only cost time (about 8% of a check).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._parse_and_walk_unguarded(source, tree, fixing)
        finally:
            if enabled:
                gc.enable()

    def _parse_and_walk_unguarded(
        self, source: Source, tree: ast.Module | None, fixing: bool
    ) -> tuple[_Parsed | None, list[Diagnostic]]:
        try:
            if tree is None:
                tree = _python_tree(source)
            too_deep = _too_deep_for_libcst(source, tree)
        except RecursionError:  # too deep for Python itself
            too_deep = True
        if too_deep:
            return None, self._unparsable(_TOO_DEEP)
        try:
            module = _parse(source, python_accepts=tree is not None)
        except cst.ParserSyntaxError as error:
            respaced = _tabs_as_spaces(source) if tree is not None else None
            if respaced is None:
                return None, self._unparsable(error.message.removeprefix("parser error: "))
            return None, _unfixable(self._parse_and_walk_unguarded(respaced, None, fixing)[1])
        except RecursionError:
            return None, self._unparsable(_TOO_DEEP)
        except (UnicodeDecodeError, LookupError, SyntaxError) as error:
            # SyntaxError: an unknown or broken coding cookie, found while decoding
            raise SourceError(f"cannot decode: {error}") from error
        try:
            reports = self._walk(module)
            if not reports:
                return None, []
            text = source_text(source)
            # Where the text may not be the module's code, positions come from the code,
            # and a fix is offered only when the two are the same (LibCST lost nothing).
            exact = not _may_lose_text(text)
            positions = Positions(module, text if exact else None, tree)
            diagnostics = _diagnostics(module, reports, positions)
            if (fixing or not exact) and any(d.fix for d in diagnostics) and module.code != text:
                return None, _unfixable(diagnostics)
        except RecursionError:
            return None, self._unparsable(_TOO_DEEP)
        return _Parsed(module, text, positions), diagnostics

    def _unparsable(self, reason: str) -> list[Diagnostic]:
        """What the enabled rules say of a file that cannot be parsed, at its start."""
        said = ((rule, rule.unparsable(reason)) for rule in self.rules)
        return [
            Diagnostic(rule.code, rule.name, message, 1, 1, 1, 1)
            for rule, message in said
            if message
        ]

    def new_model(
        self, parameter_pools: Mapping[tuple[cst.FunctionDef, str], Pool] = MappingProxyType({})
    ) -> SemanticModel:
        model = SemanticModel(self._factories, self._methods, parameter_pools)
        model.default_start_method = self.settings.assumed_start_method  # the code may say more
        return model

    def _walk(self, module: cst.Module) -> list[tuple[Report, cst.CSTNode | None]]:
        """What the rules report, each with the top-level statement the walk was in when
        it came (where its node is most likely to be found): from one walk, or from two
        when the first shows module functions whose unannotated parameters every call
        gives a pool (the second walk knows those parameters as pools)."""
        reports: list[tuple[Report, cst.CSTNode | None]] = []
        model = self._walk_once(module, self.new_model(), reports)
        parameter_pools = model.pools_passed_to_parameters()
        if parameter_pools:
            reports.clear()
            self._walk_once(module, self.new_model(parameter_pools), reports)
        return reports

    def _walk_once(
        self,
        module: cst.Module,
        model: SemanticModel,
        reports: list[tuple[Report, cst.CSTNode | None]],
    ) -> SemanticModel:
        """One walk of all the rules, adding what they report to ``reports``."""
        ancestors = model.ancestors

        def sink(report: Report) -> None:
            reports.append((report, ancestors[1] if len(ancestors) > 1 else None))

        walk(module, model, [rule(model, sink) for rule in self.rules])
        return model


def walk(module: cst.Module, model: SemanticModel, visitors: Sequence[object]) -> None:
    """One walk of ``module`` that keeps ``model`` current and calls every visitor (below
    literals and annotations only when some visitor handles them: see _UNWALKED).

    The model sees each node first on the way down and last on the way up, so the
    visitors always find it describing the node they are visiting.
    """
    visit = _handlers([model, *visitors], "visit_")
    leave = _handlers([*visitors, model], "leave_")
    unwalked = _UNWALKED.difference(visit, leave)
    _Walker(visit, leave, model.ancestors, NODE_TYPES - unwalked).walk(module)


#: What the walk does not enter unless a handler asks for it: literals (nothing below
#: them but parentheses) and annotations, which no task runs: a parameter's annotation
#: runs when the ``def`` does, in the parent, and a local variable's never.
_UNWALKED = frozenset(
    {cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.FormattedStringText}
    | {cst.Annotation}
)


@dataclass(frozen=True)
class _Parsed:
    """A file that has diagnostics: its tree, its text, and where the tree's nodes are."""

    module: cst.Module
    text: str
    positions: Positions


@dataclass(frozen=True)
class FixResult:
    source: bytes
    remaining: list[Diagnostic]
    fixed: Counter[str]
    error: str | None


def _handlers(objects: Sequence[object], prefix: str) -> dict[type[cst.CSTNode], list[_Handler]]:
    table: dict[type[cst.CSTNode], list[_Handler]] = {}
    for obj in objects:
        for node_type, attribute in _handled_types(type(obj), prefix):
            table.setdefault(node_type, []).append(getattr(obj, attribute))
    return table


def _handled_types(cls: type, prefix: str) -> list[tuple[type[cst.CSTNode], str]]:
    """The node types a class handles by methods named ``prefix`` + node type, and the
    methods' names (read once per class: ``dir()`` is slow)."""
    found = _HANDLED_TYPES.get((cls, prefix))
    if found is None:
        found = []
        for attribute in dir(cls):
            if attribute.startswith(prefix):
                node_type = getattr(cst, attribute[len(prefix) :], None)
                if not (isinstance(node_type, type) and issubclass(node_type, cst.CSTNode)):
                    raise TypeError(f"{cls.__name__}.{attribute} names no LibCST node")
                found.append((node_type, attribute))
        _HANDLED_TYPES[cls, prefix] = found
    return found


_HANDLED_TYPES: dict[tuple[type, str], list[tuple[type[cst.CSTNode], str]]] = {}

#: The fields walked of nodes that hold a name that is neither a variable nor bound: the
#: attribute in ``a.b``, the keyword in ``f(k=v)``.
_WALKED_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.Attribute: ("value",),
    cst.Arg: ("value",),
}


class _Walker:
    """A depth-first walk in source order that reads children without rebuilding nodes."""

    def __init__(
        self,
        visitors: dict[type[cst.CSTNode], list[_Handler]],
        leavers: dict[type[cst.CSTNode], list[_Handler]],
        ancestors: list[cst.CSTNode],
        walked: frozenset[type[cst.CSTNode]],
    ) -> None:
        self._visitors = visitors
        self._leavers = leavers
        self._ancestors = ancestors
        self._walked = walked

    def walk(self, node: cst.CSTNode) -> None:
        node_type = type(node)
        self._ancestors.append(node)
        for handler in self._visitors.get(node_type, ()):
            handler(node)
        walked = self._walked
        for name in _WALKED_FIELDS.get(node_type) or child_fields(node_type):
            child = getattr(node, name)
            if type(child) in walked:
                self.walk(child)
            elif type(child) is tuple or type(child) is list:
                for item in child:
                    if type(item) in walked:
                        self.walk(item)
        for handler in self._leavers.get(node_type, ()):
            handler(node)
        self._ancestors.pop()


_TOO_DEEP = "the code is nested too deeply to parse"

# LibCST's native parser takes time and memory that grow faster than the nesting, then
# overflows its stack, which kills the process. Seconds to parse one statement N levels
# deep, LibCST 1.9 on CPython 3.9 | 3.11 (the same parser; 2 busy cores); "crash": the
# process died (SIGSEGV; 1 + 1 on 3.9 and a.b.b on 3.11 after minutes); "> 90": stopped
# after 90 s:
#
#   N                      500        1,000      2,000      5,000              10,000
#   1 + 1 + ...            .06 | .05  .27 | .28  1.1 | 1.3  27 | 32            crash
#   a.b.b ...              .27 | .59  1.2 | 2.6  10 | 12    63 | 54            crash
#   a[0][0] ...            .49 | .64  1.5 | 4.5  32 | 35    > 90 (from 3,000)
#   f()() ...              .70 | 1.1  3.8 | 3.2  19 | 15    > 90 (from 5,000)
#   @a.b.b (decorator)     .05 | .04  .14 | .41  1.0 | 2.0  14 | 11            crash
#   -x, not x, 2**2**      .05 - .20  .51 - .93  1.3 - 3.3  12 - 55 (2.9 GB)
#   a if b else ...        .21 | .27  1.7 | 1.0  4.6 | 4.6  52 | 53 (4.2 GB)
#   lambda: lambda: ...    .30 | .14  .38 | .62  1.5 | 1.6  crash (3,000: 4.4, 1.7 GB)
#   elif chain             .03 | .02  .10 | .07  .13 | .17  .63 | .46          crash
#   a and a and ...        .10 | .07  .40 | .11  .53 | .28  1.1 | .57          crash
#   import a.b.b ...       .01 | .02  RecursionError (in LibCST's Python)      crash
#   f(f(...))              6.7 | 9.7  47 (2.2 GB)  crash from 1,200 (1,100: 18 s, 2.7 GB)
#   [[...]]                3.3 | 2.4  15 | 17 (0.8 GB)  crash from 1,400 (1,200: 8.7 s)
#   ((...))                .18 | .07  .63 | .34  crash from 1,400 (1,200: .50)
#
# CPython refuses more than 199 brackets, 99 blocks, and right-nested forms (-x, lambda,
# if-else, elif) from a few thousand levels; LibCST refuses 3,000 implicitly joined
# strings and 3,500 ``for`` clauses of a comprehension. Hand-written code nests far less:
# over the standard library and 15,858 installed files (ast levels), 99.9% stay below
# 40, and the deepest hand-written file reaches 99; only generated tables go further
# (sympy's resolvent_lookup.py reaches 569, and LibCST takes 31 s over it).

#: The deepest nesting handed to LibCST, in levels of Python's own syntax tree (``ast``).
MAX_NESTING = 500
#: On CPython 3.9 and 3.10, ``ast.parse`` overflows the C stack (8 MiB) on a chain about
#: 104,000 levels deep, which takes 208 kB of text at least; a shorter text is safe.
_AST_SAFE_SIZE = 64 * 1024
#: LibCST's parser crashed on no fewer than 1,200 levels (of calls, two characters each)
#: or 1,400 (of parentheses, one each): it cannot crash on a text half that long.
_LIBCST_SAFE_SIZE = 700
#: Run in a child process, LibCST parses the text on stdin; if that crashes, so does the
#: child. Its ``sys.path`` is filled in with this process's, so it imports the same LibCST.
_LIBCST_IN_CHILD = """\
import sys
sys.path[:] = {path!r}
import libcst
text = sys.stdin.buffer.read().decode()
try:
    libcst.parse_module(text)
except Exception:
    pass
"""

#: What LibCST nests and ``ast`` keeps flat, and the length of the chain each makes.
_FLAT_CHAINS: dict[type[ast.AST], Callable[[Any], int]] = {
    ast.BoolOp: lambda node: len(node.values),  # a and b and c
    ast.alias: lambda node: node.name.count("."),  # import a.b.c
    ast.ImportFrom: lambda node: (node.module or "").count("."),  # from a.b.c import d
}


def _python_tree(source: Source) -> ast.Module | None:
    """Python's own tree of the code; None where Python cannot parse it (newer syntax, an
    error). Raises RecursionError where the code nests too deeply for Python itself."""
    try:
        with warnings.catch_warnings():  # the user's code's warnings are not ours to print
            warnings.simplefilter("ignore")
            if sys.version_info < (3, 11) and len(source) > _AST_SAFE_SIZE:
                # Building the symbol table (of text or bytes) parses without crashing and
                # stops at three times the recursion limit: ``ast.parse`` is safe within.
                symtable.symtable(source, "<poolcheck>", "exec")  # type: ignore[arg-type]
            return ast.parse(source)
    except MemoryError as error:  # any version: the parser's stack overflowed
        raise RecursionError(str(error)) from error
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes, before 3.12
        if "too many nested" in str(error):
            raise RecursionError(str(error)) from error
        return None


def _too_deep_for_libcst(source: Source, tree: ast.Module | None) -> bool:
    """Whether the code nests deeper than MAX_NESTING levels, so LibCST must not see it
    (see the figures above), judged on Python's tree of it. Where Python cannot parse the
    code (``tree`` is None), a child process shows whether LibCST's parser survives it.
    """
    if tree is None:
        return len(source) > _LIBCST_SAFE_SIZE and _crashes_libcst_in_child(source)
    return _nests_deeper(tree, MAX_NESTING)


def _nests_deeper(tree: ast.AST, limit: int) -> bool:
    """Whether LibCST's tree for ``tree`` would nest deeper than ``limit`` levels.

    Breadth first, a level at a time, so that no depth costs any recursion.
    """
    level = [tree]
    for _ in range(limit):
        below: list[object] = []
        for node in level:
            chain = _FLAT_CHAINS.get(type(node))
            if chain is not None and chain(node) > limit:
                return True
            for field in node._fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    below.extend(value)
                else:
                    below.append(value)
        level = [node for node in below if isinstance(node, ast.AST)]
        if not level:
            return False
    return True


def _crashes_libcst_in_child(source: Source) -> bool:
    """Whether LibCST's parser crashes on the text, tried in a child process."""
    child = subprocess.run(
        [sys.executable, "-I", "-c", _LIBCST_IN_CHILD.format(path=list(map(str, sys.path)))],
        input=source_text(source).encode(),
        capture_output=True,
        check=False,
    )
    if child.returncode > 0:
        error = child.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"could not run LibCST in a child process: {''.join(error)}")
    return child.returncode < 0  # killed by a signal


def _parse(source: Source, *, python_accepts: bool) -> cst.Module:
    """LibCST's tree for the text; a file that ends in a lone CR keeps it (LibCST drops it).

    ``python_accepts``: Python's own parser took the text, so the nodes LibCST builds
    need not be checked (see _unchecked_nodes).
    """
    with _unchecked_nodes() if python_accepts else contextlib.nullcontext():
        module = cst.parse_module(source)
    ends_in_cr = source.endswith(b"\r") if isinstance(source, bytes) else source.endswith("\r")
    if ends_in_cr and not module.has_trailing_newline:
        return module.with_changes(has_trailing_newline=True)
    return module


@contextlib.contextmanager
def _unchecked_nodes() -> Iterator[None]:
    """Build LibCST nodes without checking each one.

    Every LibCST node checks itself when it is made (``CSTNode.__post_init__`` calls
    ``_validate()``, which looks for what no parser makes: a bad operator spacing, a
    missing parenthesis), and on pool-heavy code that is 13-15% of a parse. For text
    that Python's own parser accepted the checks find nothing, so they are skipped while
    LibCST parses it (LibCST's own source notes the same waste). Nodes made later, by
    fixes, are checked as usual. If LibCST moves the hook, nothing is skipped.
    """
    node_class: Any = cst.CSTNode
    checked = node_class.__dict__.get("__post_init__")
    if checked is None:
        yield
        return
    node_class.__post_init__ = _no_check
    try:
        yield
    finally:
        node_class.__post_init__ = checked


def _no_check(node: cst.CSTNode) -> None:
    """A LibCST node's self-check, skipped (see _unchecked_nodes)."""


def _unfixable(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics found in a tree that is not the file's exact text: never fixed.

    LibCST 1.9 drops a form feed that begins a statement's line and the space in
    ``except E :``, and refuses some mixes of tabs and spaces (see _tabs_as_spaces).
    """
    return [dataclasses.replace(diagnostic, fix=None) for diagnostic in diagnostics]


#: Characters around which LibCST 1.9 may not give back the text it parsed: it drops a form
#: feed that begins a statement's line and a byte-order mark; CR and VT are left to the
#: exact comparison as well. (Of the standard library's 1,779 files, LibCST gives back
#: all but 2, both for ``except E :``.)
_RISKY_CHARACTERS = ("\f", "\v", "\r", "\ufeff")
#: Without a ``\b`` in front: 2 ms instead of 57 over the pool-heavy corpus, and a word
#: that merely ends in "except" only costs a scan.
_EXCEPT = re.compile(r"except\b")
#: What the scan of an except clause looks at: brackets, colons and line ends.
_CLAUSE_MARKS = re.compile(r"[][(){}:\n]")
#: What makes the scan of an except clause unsure of where its colon is.
_UNSURE = ("'", '"', "#", "\\", "lambda")


def _may_lose_text(text: str) -> bool:
    """Whether LibCST's code for the text may differ from it (else it is the text).

    Generating the whole code to compare costs a third of the parse, so a check compares
    only texts with a risky character or an except clause whose colon follows whitespace
    (any clause the scan is unsure of counts as one). The fix loop always compares.
    """
    if any(character in text for character in _RISKY_CHARACTERS):
        return True
    return any(_spaced_except_colon(text, match.end()) for match in _EXCEPT.finditer(text))


def _spaced_except_colon(text: str, start: int) -> bool:
    """Whether the except clause from ``start`` (after the keyword) ends in whitespace and
    its colon, as LibCST drops it; True where brackets, strings or comments make it unsure.
    (``except`` in a comment or a string ends at the line's end, or counts as unsure.)"""
    depth = 0
    for mark in _CLAUSE_MARKS.finditer(text, start):
        character = mark[0]
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        elif depth <= 0:  # a colon or a line's end
            clause = text[start : mark.start()]
            if any(unsure in clause for unsure in _UNSURE):
                return True
            return character == ":" and text[mark.start() - 1].isspace()
    return True


#: The spaces, tabs and form feeds that begin a line.
_INDENTATION = re.compile(r"(?:^|(?<=[\r\n]))[ \t\f]+")


def _tabs_as_spaces(source: Source) -> str | None:
    """The text with a space for each tab that begins a line, if that changes it; else
    None. Only for a text that Python accepts.

    LibCST refuses some mixes of tabs and spaces that Python accepts. Python accepts them
    only if its blocks come out the same whether a tab counts as 8 columns or as 1, so
    they also do with a space for each tab, and every position stays where it was.
    """
    text = source_text(source)
    respaced = _INDENTATION.sub(lambda indentation: indentation[0].replace("\t", " "), text)
    return None if respaced == text else respaced


def source_text(source: Source) -> str:
    """The text of a file's bytes, decoded as Python would (coding cookie, BOM)."""
    if isinstance(source, str):
        return source
    try:
        return decode_source(source)
    except FileError as error:
        raise SourceError(str(error)) from error


def _diagnostics(
    module: cst.Module, reports: list[tuple[Report, cst.CSTNode | None]], positions: Positions
) -> list[Diagnostic]:
    seen: set[tuple[str, int]] = set()
    diagnostics = []
    for report, statement in reports:
        key = (report.rule.code, id(report.node))
        if key in seen:
            continue
        seen.add(key)
        where = positions.span(report.node, statement)
        fix = _with_comment_safety(module, report.fix)
        diagnostics.append(
            Diagnostic(
                report.rule.code,
                report.rule.name,
                report.message,
                where.line,
                where.column + 1,
                where.end_line,
                where.end_column + 1,
                fix,
            )
        )
    diagnostics.sort(key=lambda d: (d.line, d.column, d.code))
    return diagnostics


def _with_text_edits(parsed: _Parsed, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic with its fix's change described as whole-line edits."""
    fix = diagnostic.fix
    if fix is None:
        return diagnostic
    before = parsed.text.splitlines(keepends=True)  # a fix is offered: it is the module's code
    after = _apply(parsed.module, [fix]).code.splitlines(keepends=True)
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while (
        end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]
    ):
        end_before, end_after = end_before - 1, end_after - 1
    edit = TextEdit(start + 1, end_before + 1, "".join(after[start:end_after]))
    return dataclasses.replace(diagnostic, fix=dataclasses.replace(fix, text_edits=(edit,)))


def _with_comment_safety(module: cst.Module, fix: Fix | None) -> Fix | None:
    """A fix that would drop a comment is at best unsafe."""
    if fix is None or fix.applicability is not Applicability.SAFE:
        return fix
    for original, replacement in fix.edits:
        kept = _comments(replacement)
        if any(kept[text] < count for text, count in _comments(original).items()):
            return dataclasses.replace(fix, applicability=Applicability.UNSAFE)
    return fix


def _comments(node: Replacement) -> Counter[str]:
    nodes = node.nodes if isinstance(node, cst.FlattenSentinel) else [node]
    found: Counter[str] = Counter()

    class Collector(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found[comment.value] += 1

    for item in nodes:
        item.visit(Collector())
    return found


def _overlaps(a: Span, b: Span) -> bool:
    return (a.line, a.column) < (b.end_line, b.end_column) and (b.line, b.column) < (
        a.end_line,
        a.end_column,
    )


def _apply(module: cst.Module, fixes: list[Fix]) -> cst.Module:
    replacements = {id(node): new for fix in fixes for node, new in fix.edits}

    class Replacer(cst.CSTTransformer):
        def on_leave(self, original: Any, updated: Any) -> Any:
            return replacements.get(id(original), updated)

    result = module.visit(Replacer())
    assert isinstance(result, cst.Module)
    return result


def _compiles(source: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
