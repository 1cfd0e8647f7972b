"""PCK202 unawaited-work-in-with."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from flake8_poolcheck.analysis.pools import POOL_KINDS, Pool, Returns
from flake8_poolcheck.analysis.tree import SCOPES, descendants, source
from flake8_poolcheck.diagnostics import Applicability, Fix, FixAvailability
from flake8_poolcheck.rules import Fixes, Rule, per_file

#: Attribute reads of a result that do not wait for it.
_NOT_WAITING = frozenset({"ready", "successful", "append"})
#: Statements that leave a block early: appending `close(); join()` would not run after them.
_EXITS = (cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Yield)


@dataclass
class _Work:
    """Asynchronous work submitted inside the block."""

    call: cst.Call
    method: str
    name: str | None = None  # the variable that holds the result
    list_name: str | None = None  # the list the result was put in
    joined: bool = False  # a `p.join()` in the block came after it


@dataclass
class _Block:
    """A ``with <pool> as p:`` being walked."""

    node: cst.With
    pool: Pool
    alias: str | None  # how the block names the pool
    work: list[_Work] = field(default_factory=list)
    waited: set[str] = field(default_factory=set)  # names whose use waits (or lets go)
    appended: dict[str, str] = field(default_factory=dict)  # result name -> list name

    def is_waited_for(self, work: _Work) -> bool:
        holder = work.list_name or (work.name and self.appended.get(work.name))
        return work.joined or work.name in self.waited or holder in self.waited


class UnawaitedWorkInWith(Rule):
    """## What it does
    Flags asynchronous work (`apply_async`, `map_async`, `starmap_async`, and the
    iterators of `imap`/`imap_unordered`) submitted inside `with <pool> as p:` and
    not waited for before the block ends: its result is discarded, or held in a
    variable (or a list it was appended to, or a list built by a comprehension)
    that the block never reads with `.get()`/`.wait()` or iteration, and no
    `p.join()` follows it in the block. A result that is read only after the
    block has ended is flagged where it is read.

    ## Why is this bad?
    `Pool.__exit__` calls `terminate()`, not `close()` and `join()`. Work that
    has not finished when the block ends is stopped or never sent, silently: in
    ten runs of a slow `apply_async` under fork, none finished. A thread pool
    cannot stop its threads, but the result is never delivered either. Reading
    the result after the block waits forever (`.get(timeout=...)` raises
    `TimeoutError`).

    ## Example
    ```python
    from multiprocessing import Pool


    def work(x):
        return x * x


    def main(items, results):
        with Pool() as pool:
            for x in items:
                pool.apply_async(work, (x,), callback=results.append)
    ```

    ## Use instead
    ```python
    from multiprocessing import Pool


    def work(x):
        return x * x


    def main(items, results):
        with Pool() as pool:
            for x in items:
                pool.apply_async(work, (x,), callback=results.append)
            pool.close()
            pool.join()
    ```

    ## Fix safety
    The fix appends `p.close()` and `p.join()` as the last statements of the
    block (only when the block has no `return`, `raise`, `break`, `continue` or
    `yield` that would skip them). It is unsafe: the end of the block now waits
    for every task to finish. The work that was cut off completes, which is the
    point, but a task that waits for something the program does only after the
    block (sets an `Event`, puts a sentinel on a queue) or that never ends by
    itself now hangs the program where it went on before. That holds even when
    nothing follows the block in its function: the caller may send the
    sentinel. A `callback=` or `error_callback=` that raises now runs, and a
    pool whose callback raised hangs in `join()`.

    ## References
    - [Python docs: `Pool` as a context manager](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool)
    - [Python docs: `Pool.terminate`](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.terminate)
    """

    code = "PCK202"
    name = "unawaited-work-in-with"
    summary = (
        "Asynchronous work is not waited for inside `with Pool()`, whose exit calls"
        " `terminate()`: unfinished tasks are stopped or never sent, silently."
    )
    kinds = POOL_KINDS
    fixes = Fixes("End the block with `close()` and `join()`", FixAvailability.SOMETIMES)
    _blocks: list[_Block] = per_file(list)
    _ended: dict[str, _Block] = per_file(dict)  # unread results of blocks that have ended

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            pool = self._pool_of(item.item)
            if pool is not None:
                alias = item.asname.name if item.asname else item.item
                name = alias.value if isinstance(alias, cst.Name) else None
                self._blocks.append(_Block(node, pool, name))
                return

    def leave_With(self, node: cst.With) -> None:
        if not self._blocks or self._blocks[-1].node is not node:
            return
        block = self._blocks.pop()
        for work in block.work:
            if block.is_waited_for(work):
                continue
            subject = f"`{work.method}()` in `with` is not waited for before the block ends"
            consequence = (
                "unfinished tasks are stopped or never sent, silently; call `.get()` on the"
                " result in the block, or end it with `close()` and `join()`"
            )
            self.report(work.call, _message(subject, consequence), fix=self._fix(block))
            if work.name is not None:
                self._ended[work.name] = block

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._ended.clear()

    def visit_Call(self, node: cst.Call) -> None:
        blocks = self._blocks_running(node)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "join":
            pool = self._pool_of(func.value)
            for block in blocks:
                if block.pool == pool:
                    for work in block.work:
                        work.joined = True
            return
        pool_call = self.pool_call(node)
        if pool_call is None or pool_call.method.returns is Returns.VALUE:
            return
        for block in blocks:
            if block.pool == pool_call.pool:
                submitted = self._work(node, pool_call.method.name)
                if submitted is not None:
                    block.work.append(submitted)
                return

    def visit_Name(self, node: cst.Name) -> None:
        ancestors = self.model.ancestors
        if not self.model.name_is_read:
            self._ended.pop(node.value, None)  # rebound: a new value
            return
        parent = ancestors[-2]
        attribute = parent.attr.value if type(parent) is cst.Attribute else None
        if not self._blocks:
            if node.value in self._ended and attribute not in _NOT_WAITING:
                self._report_late_read(node, self._ended.pop(node.value))
            return
        list_name = self._appended_to(ancestors)
        for block in self._blocks:  # a read in an inner block is in the outer ones too
            if list_name is not None:
                block.appended[node.value] = list_name
            elif attribute not in _NOT_WAITING:
                block.waited.add(node.value)

    def _work(self, call: cst.Call, method: str) -> _Work | None:
        """The work ``call`` submits, when the code keeps its result where we can see it."""
        ancestors = self.model.ancestors
        parent = ancestors[-2]
        if isinstance(parent, cst.Expr):
            return _Work(call, method)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            return _Work(call, method, name=target.value) if isinstance(target, cst.Name) else None
        list_name = self._appended_to(ancestors)
        if list_name is not None:
            return _Work(call, method, list_name=list_name)
        if isinstance(parent, cst.ListComp) and parent.elt is call:
            holder = ancestors[-3]
            if isinstance(holder, cst.Expr):
                return _Work(call, method)
            if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
                target = holder.targets[0].target
                if isinstance(target, cst.Name):
                    return _Work(call, method, list_name=target.value)
        return None

    @staticmethod
    def _appended_to(ancestors: list[cst.CSTNode]) -> str | None:
        """``L`` when the node is the argument of ``L.append(node)``."""
        if len(ancestors) < 3 or type(ancestors[-2]) is not cst.Arg:
            return None
        call = ancestors[-3]
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
            owner = call.func.value
            if call.func.attr.value == "append" and isinstance(owner, cst.Name):
                return owner.value
        return None

    def _blocks_running(self, node: cst.CSTNode) -> list[_Block]:
        """The blocks whose body runs ``node`` (not in a def or lambda), innermost first."""
        if not self._blocks:
            return []
        ancestors = self.model.ancestors
        boundary = max(
            (index for index, ancestor in enumerate(ancestors) if isinstance(ancestor, SCOPES)),
            default=-1,
        )
        inside = {id(ancestor) for ancestor in ancestors[boundary + 1 :]}
        return [block for block in reversed(self._blocks) if id(block.node) in inside]

    def _pool_of(self, expr: cst.BaseExpression) -> Pool | None:
        return self.pool_of(self.model.without_closing(expr))

    def _fix(self, block: _Block) -> Fix | None:
        body = block.node.body
        if block.alias is None or not isinstance(body, cst.IndentedBlock):
            return None
        if any(isinstance(item.item, cst.IfExp) for item in block.node.items):
            return None  # ``Pool(n) if jobs else nullcontext()``: maybe no pool to close
        if any(isinstance(node, _EXITS) for node in descendants(body)):
            return None
        lines = [
            cst.SimpleStatementLine(
                [cst.Expr(cst.Call(cst.Attribute(cst.Name(block.alias), cst.Name(method))))]
            )
            for method in ("close", "join")
        ]
        new_body = body.with_changes(body=[*body.body, *lines])
        return self.fix(Applicability.UNSAFE, ((body, new_body),))

    def _report_late_read(self, node: cst.Name, block: _Block) -> None:
        pool = source(block.node.items[0].item)
        subject = f"`{node.value}` is read after `with {pool}` ended"
        consequence = (
            "its tasks never finish and this waits forever (`.get(timeout=...)` raises"
            " TimeoutError)"
        )
        self.report(node, _message(subject, consequence))


def _message(subject: str, consequence: str) -> str:
    return f"{subject}: `__exit__` calls `terminate()`, so {consequence}"
