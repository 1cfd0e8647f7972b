"""PCK203 unordered-result-pairing."""

from __future__ import annotations

import libcst as cst

from flake8_poolcheck.model import Applicability, Fix, FixAvailability
from flake8_poolcheck.pools import ALL_KINDS
from flake8_poolcheck.rules import Rule
from flake8_poolcheck.semantic import Imported, ResultValue
from flake8_poolcheck.tree import descendants

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


class UnorderedResultPairing(Rule):
    """## What it does
    Flags results of `imap_unordered` paired with inputs by position:
    `zip(inputs, pool.imap_unordered(...))` (either way round, and so
    `dict(zip(...))`), `enumerate(pool.imap_unordered(...))` whose index is used
    to subscript something, and `list(pool.imap_unordered(...))[i]`. The iterator
    may also be bound to a name first. An `enumerate` index used only as a
    counter (progress output) is fine and is not flagged.

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
    which results become available changes.

    ## References
    - [Python docs: `Pool.imap_unordered`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.imap_unordered)
    """

    code = "PCK203"
    name = "unordered-result-pairing"
    message = (
        "results of `imap_unordered()` arrive in completion order, but {how}: inputs and "
        "results are mispaired, silently; use `imap()`, or return each input with its result"
    )
    kinds = ALL_KINDS
    fix_title = "Use `imap()`"
    fix_availability = FixAvailability.ALWAYS

    def visit_Call(self, node: cst.Call) -> None:
        func = self.model.value_of(node.func)
        if func == Imported("builtins.zip") and len(node.args) >= 2:
            for arg in node.args:
                source = self._unordered(arg.value)
                if source is not None:
                    self._report(source, "`zip()` pairs them with another iterable by position")
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

    def _unordered(self, node: cst.BaseExpression) -> cst.Call | None:
        """The ``imap_unordered`` call whose results ``node`` is (directly or by name)."""
        value = self.model.value_of(node)
        if isinstance(value, ResultValue) and not value.pool_call.method.ordered:
            return value.pool_call.call
        return None

    def _report(self, call: cst.Call, how: str) -> None:
        func = call.func
        assert isinstance(func, cst.Attribute)
        new_call = call.with_changes(func=func.with_changes(attr=cst.Name("imap")))
        fix = Fix(self.fix_title or "", Applicability.SAFE, ((call, new_call),))
        self.report(call, fix=fix, how=how)
