"""PCK203 unordered-result-pairing."""

from __future__ import annotations

from typing import Union

import libcst as cst

from flake8_poolcheck.analysis.pools import EXECUTOR_KINDS, POOL_KINDS, PoolCall
from flake8_poolcheck.analysis.scopes import names_bound_by
from flake8_poolcheck.analysis.tree import SCOPES, children, descendants
from flake8_poolcheck.analysis.values import Imported
from flake8_poolcheck.diagnostics import Applicability, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_Comprehension = Union[cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]
#: Statements whose header decides what their body does with the values it names.
_GOVERNING = (cst.If, cst.While, cst.For, cst.With)


class UnorderedResultPairing(Rule):
    """## What it does
    Flags results of `imap_unordered` paired with inputs by position:
    `zip(inputs, pool.imap_unordered(...))` (either way round, and so
    `dict(zip(...))`), `enumerate(pool.imap_unordered(...))` whose index is used
    to subscript something, and `list(pool.imap_unordered(...))[i]`. The iterator
    may also be bound to a name first. An `enumerate` index used only as a
    counter (progress output) is fine and is not flagged. The same holds for the
    futures `concurrent.futures.as_completed()` yields, from a list of an
    executor's `submit()` calls.

    When the `zip()` feeds a `for` loop or a comprehension that unpacks it into
    names, the pairing is flagged only when the input and the result (or names
    computed from them) meet in one statement as data: stored, written,
    returned, compared, printed or passed together to a call, or when one of them
    is tested by an `if`/`while` (or drives a `for`/`with`) whose body uses the
    other. A paired input that is never used, or used only through `len()` or in
    statements without the result (`bar.update(len(block))`,
    `total += len(block)`), is not flagged: mispairing it changes nothing.

    ## Why is this bad?
    `imap_unordered` yields each result when its task finishes, not in input
    order. Pairing by position then attaches results to the wrong inputs, silently:
    with tasks of varying length, 6 to 8 of 8 pairs were wrong in our
    measurements. `imap`, `map` and `map_async` keep input order.

    ## Example
    ```python
    from multiprocessing import Pool


    def main(urls, fetch):
        with Pool() as pool:
            return dict(zip(urls, pool.imap_unordered(fetch, urls)))
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def main(urls, fetch):
        with Pool() as pool:
            return dict(zip(urls, pool.imap(fetch, urls)))
    ```
    Or keep `imap_unordered` and have the task return `(url, result)`.

    ## Fix safety
    The fix replaces `imap_unordered` with `imap`. It is safe: `imap` yields the
    same results in input order, so each pairing becomes right; only the order in
    which results become available changes. `as_completed()` gets no fix: how to
    keep each future with its input is the author's decision.

    ## References
    - [Python docs: `Pool.imap_unordered`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.imap_unordered)
    """

    code = "PCK203"
    name = "unordered-result-pairing"
    summary = (
        "Results of `imap_unordered()` (or futures from `as_completed()`) are paired with"
        " inputs by position, but arrive in completion order: they are mispaired, silently."
    )
    kinds = POOL_KINDS | EXECUTOR_KINDS
    fixes = Fixes("Use `imap()`", FixAvailability.SOMETIMES)

    def visit_Call(self, node: cst.Call) -> None:
        func = self.model.value_of(node.func)
        if func == Imported("builtins.zip") and len(node.args) >= 2:
            for position, arg in enumerate(node.args):
                source = self._unordered(arg.value)
                if source is not None:
                    if self._pairing_used(node, position):
                        how = "`zip()` pairs them with another iterable by position"
                        self._report(source, how)
                    return

    def visit_Subscript(self, node: cst.Subscript) -> None:
        value = node.value
        if not (isinstance(value, cst.Call) and len(value.args) == 1):
            return
        if self.model.value_of(value.func) == Imported("builtins.list"):
            source = self._unordered(value.args[0].value)
            if source is not None:
                self._report(source, "`list(...)[...]` picks results by position")

    def visit_For(self, node: cst.For) -> None:
        self._check_enumerate(node.target, node.iter, [node.body])

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._check_enumerate(node.for_in.target, node.for_in.iter, [node.elt])

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._check_enumerate(node.for_in.target, node.for_in.iter, [node.elt])

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._check_enumerate(node.for_in.target, node.for_in.iter, [node.elt])

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._check_enumerate(node.for_in.target, node.for_in.iter, [node.key, node.value])

    def _check_enumerate(
        self, target: cst.BaseExpression, iterable: cst.BaseExpression, body: list[cst.CSTNode]
    ) -> None:
        """``for i, r in enumerate(<unordered>)`` whose ``i`` subscripts something."""
        if not (isinstance(iterable, cst.Call) and iterable.args):
            return
        if self.model.value_of(iterable.func) != Imported("builtins.enumerate"):
            return
        source = self._unordered(iterable.args[0].value)
        if source is None or not isinstance(target, cst.Tuple) or not target.elements:
            return
        index = target.elements[0].value
        if not isinstance(index, cst.Name):
            return
        for node in (n for part in body for n in (part, *descendants(part))):
            if isinstance(node, cst.Subscript) and any(
                isinstance(n, cst.Name) and n.value == index.value
                for element in node.slice
                for n in (element, *descendants(element))
            ):
                how = f"the `enumerate()` index `{index.value}` is used to look items up"
                self._report(source, how)
                return

    def _pairing_used(self, zip_call: cst.Call, position: int) -> bool:
        """Whether a ``zip()`` pairing matters: False only for a loop or comprehension
        that unpacks it into names and never uses an input together with the result."""
        ancestors = self.model.ancestors
        iterated: cst.CSTNode = zip_call
        parent: cst.CSTNode | None = ancestors[-2] if len(ancestors) > 1 else None
        if self._wrapped(ancestors):  # ``tqdm(zip(...), total=n)`` and the like
            iterated, parent = ancestors[-3], ancestors[-4]
        units: list[tuple[cst.CSTNode, ...]]
        if isinstance(parent, cst.For) and parent.iter is iterated:
            units = [(node,) for node in _units(parent.body)]
        elif isinstance(parent, cst.CompFor) and parent.iter is zip_call:
            comprehension = ancestors[-3] if len(ancestors) > 2 else None
            if not isinstance(comprehension, _COMPREHENSIONS):
                return True  # a nested ``for`` clause: judged as a pairing
            units = [_comprehension_parts(comprehension)]
        else:
            return True
        target = parent.target
        if any(arg.star for arg in zip_call.args) or not isinstance(target, (cst.Tuple, cst.List)):
            return True
        names = [element.value for element in target.elements]
        if len(names) != len(zip_call.args) or not all(
            isinstance(name, cst.Name) and not isinstance(element, cst.StarredElement)
            for name, element in zip(names, target.elements)
        ):
            return True
        values = [name.value for name in names if isinstance(name, cst.Name)]
        result = self._derived(units, {values[position]}, counting=True)
        inputs = self._derived(units, {v for i, v in enumerate(values) if i != position})
        return any(self._meet(unit, inputs, result) for unit in units)

    def _meet(self, unit: tuple[cst.CSTNode, ...], inputs: set[str], result: set[str]) -> bool:
        """Whether an input and the result are used together in ``unit``; a compound
        statement counts only when its header names one of them."""
        header = _header(unit[0])
        if header and not self._unit_names(header, counting=True) & (inputs | result):
            return False
        return bool(
            self._unit_names(unit) & inputs and self._unit_names(unit, counting=True) & result
        )

    def _wrapped(self, ancestors: list[cst.CSTNode]) -> bool:
        """Whether the current ``zip()`` is the first argument of a call (a progress bar,
        ``list()``) that a ``for`` loop iterates; ``enumerate()`` changes the items."""
        if len(ancestors) < 4:
            return False
        arg, call, loop = ancestors[-2], ancestors[-3], ancestors[-4]
        return (
            isinstance(arg, cst.Arg)
            and isinstance(call, cst.Call)
            and isinstance(loop, cst.For)
            and loop.iter is call
            and call.args[0] is arg
            and arg.keyword is None
            and self.model.value_of(call.func) != Imported("builtins.enumerate")
        )

    def _derived(
        self, units: list[tuple[cst.CSTNode, ...]], names: set[str], *, counting: bool = False
    ) -> set[str]:
        """``names`` and every name assigned from them in ``units`` (see ``_data_names``)."""
        found = set(names)
        for unit in units:
            for node in (n for part in unit for n in (part, *descendants(part))):
                targets = _assigned(node)
                if targets and self._data_names(_assigned_value(node), counting=counting) & found:
                    found |= {n.value for t in targets for n in names_bound_by(t)}
        return found

    def _unit_names(self, unit: tuple[cst.CSTNode, ...], *, counting: bool = False) -> set[str]:
        """The names the parts of ``unit`` read (see ``_data_names``)."""
        return {name for part in unit for name in self._data_names(part, counting=counting)}

    def _data_names(self, node: cst.CSTNode | None, *, counting: bool = False) -> set[str]:
        """The names ``node`` reads, skipping attribute names, keywords and, unless
        ``counting``, whatever is only measured by ``len()``."""
        if node is None or isinstance(node, SCOPES):
            return set()
        if isinstance(node, cst.Name):
            return {node.value}
        if isinstance(node, cst.Attribute):
            return self._data_names(node.value, counting=counting)
        if isinstance(node, cst.Arg):
            return self._data_names(node.value, counting=counting)
        if (
            not counting
            and isinstance(node, cst.Call)
            and self.model.value_of(node.func) == Imported("builtins.len")
        ):
            return set()
        return {n for child in children(node) for n in self._data_names(child, counting=counting)}

    def _unordered(self, node: cst.BaseExpression) -> PoolCall | None:
        """The ``imap_unordered`` (or ``as_completed``) call whose results ``node`` is
        (directly or by name)."""
        pool_call = self.result_of(node)
        return pool_call if pool_call is not None and not pool_call.method.ordered else None

    def _report(self, pool_call: PoolCall, how: str) -> None:
        call = pool_call.call
        if pool_call.pool.kind in EXECUTOR_KINDS:
            message = (
                f"futures from `as_completed()` arrive in completion order, but {how}: inputs"
                " and results are mispaired, silently; keep each future with its input"
                " (`{executor.submit(f, x): x for x in xs}`), or read the futures in the order"
                " they were submitted"
            )
            self.report(call, message)
            return
        func = call.func
        assert isinstance(func, cst.Attribute)
        new_call = call.with_changes(func=func.with_changes(attr=cst.Name("imap")))
        message = (
            f"results of `imap_unordered()` arrive in completion order, but {how}: inputs and"
            " results are mispaired, silently; use `imap()`, or return each input with its"
            " result"
        )
        self.report(call, message, fix=self.fix(Applicability.SAFE, ((call, new_call),)))


def _units(body: cst.CSTNode) -> list[cst.CSTNode]:
    """Where values meet in a loop body: each simple statement, and each compound
    statement whose header may decide what its body does."""
    return [
        node
        for node in descendants(body)
        if isinstance(node, (cst.BaseSmallStatement, *_GOVERNING))
    ]


def _header(node: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
    """What decides a compound statement's body: its test, iterable or context managers."""
    if isinstance(node, (cst.If, cst.While)):
        return (node.test,)
    if isinstance(node, cst.For):
        return (node.iter,)
    if isinstance(node, cst.With):
        return tuple(item.item for item in node.items)
    return ()


def _comprehension_parts(node: _Comprehension) -> tuple[cst.CSTNode, ...]:
    """What a comprehension computes for each item: its element and its conditions."""
    parts: list[cst.CSTNode] = (
        [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
    )
    for_in: cst.CompFor | None = node.for_in
    while for_in is not None:
        parts += [condition.test for condition in for_in.ifs]
        for_in = for_in.inner_for_in
    return tuple(parts)


def _assigned(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The targets ``node`` binds from a value, if it is an assignment or a loop."""
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For)):
        return [node.target]
    return []


def _assigned_value(node: cst.CSTNode) -> cst.CSTNode | None:
    if isinstance(node, cst.For):
        return node.iter
    value = getattr(node, "value", None)
    return value if isinstance(value, cst.CSTNode) else None
