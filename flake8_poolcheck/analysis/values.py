"""What an expression evaluates to, as far as the checker can tell, and the literals
the rules read."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from flake8_poolcheck.analysis.pools import Lazy, Pool, PoolCall, PoolKind, Unshareable

#: Literals that are strings (of any kind), and literals that are numbers.
STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
NUMBERS = (cst.Integer, cst.Float, cst.Imaginary)
_SEQUENCES = (cst.List, cst.Tuple, cst.Set)


class Value:
    """What an expression evaluates to, as far as the checker can tell."""


@dataclass(frozen=True)
class Imported(Value):
    """A module or an object reached through imports, by qualified name."""

    qualname: str


@dataclass(frozen=True)
class Factory(Value):
    """A callable that returns a pool."""

    kind: PoolKind
    start_method: str | None = None


@dataclass(frozen=True)
class Context(Value):
    """A multiprocessing context (``get_context(...)``)."""

    kind: PoolKind
    start_method: str | None
    #: The code names the method (``get_context(method)``), maybe one only known at run time.
    explicit: bool = False

    @property
    def chosen_at_run_time(self) -> bool:
        """``get_context(method)`` with a method the code does not spell out: maybe fork."""
        return self.explicit and self.start_method is None


@dataclass(frozen=True)
class PoolValue(Value):
    pool: Pool


@dataclass(frozen=True)
class ResultValue(Value):
    """The AsyncResult, iterator or future a pool's task method returns (or the
    iterator ``as_completed()`` makes of an executor's futures)."""

    pool_call: PoolCall


@dataclass(frozen=True)
class Futures(Value):
    """A list of the futures of one ``submit()`` call (a list comprehension)."""

    pool_call: PoolCall


@dataclass(frozen=True)
class ObjectValue(Value):
    """An object the checker knows two things about.

    ``unshareable``: a lock, queue, open file or generator, which a process-pool task
    cannot receive; ``lazy``: an iterable that produces its items on demand.
    """

    unshareable: Unshareable | None
    lazy: Lazy | None


class FunctionPlace(enum.Enum):
    """Where a ``def`` stands, which decides whether a process pool can pickle it."""

    MODULE = "module"  # importable by name: picklable
    MAIN_GUARD = "main guard"  # module level, inside ``if __name__ == "__main__":``
    NESTED = "nested"  # inside another function: never picklable
    METHOD = "method"  # in a class body


@dataclass(frozen=True)
class Function(Value):
    node: cst.FunctionDef
    place: FunctionPlace


@dataclass(frozen=True)
class LambdaFunction(Value):
    node: cst.Lambda
    in_function: bool  # written inside a def or lambda: pickle calls it a local object


@dataclass(frozen=True)
class LocalClass(Value):
    """A class defined inside a function: pickle cannot find it by name."""

    node: cst.ClassDef


@dataclass(frozen=True)
class LocalInstance(Value):
    """An instance of a class defined inside a function (``LocalClass()``)."""

    cls: cst.ClassDef


@dataclass(frozen=True)
class Partial(Value):
    """``functools.partial(func, ...)``, and how many positional arguments it binds
    (None: it binds keywords or unpacks, so what it still accepts is unknown)."""

    func: Value
    bound: int | None = None


class _Unknown(Value):
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def string_literal(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def literal_int(node: cst.BaseExpression) -> int | None:
    """The value of ``10_000_000`` or ``10**7``."""
    if isinstance(node, cst.Integer):
        value = node.evaluated_value
        return value if isinstance(value, int) else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
        base, exponent = literal_int(node.left), literal_int(node.right)
        if base is not None and exponent is not None and 0 <= exponent <= 100:
            return int(base**exponent)
    return None


def sequence_items(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The elements of a literal list/tuple/set display (``[x] * n`` included)."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        node = node.left
    if isinstance(node, _SEQUENCES):
        for element in node.elements:
            if isinstance(element, cst.Element):
                yield element.value


def dict_values(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The values of a literal dict display."""
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                yield element.value


def never_iterable(node: cst.BaseExpression) -> bool:
    """A literal that is not iterable: a number, ``None``, ``True`` or ``False``."""
    constant = isinstance(node, cst.Name) and node.value in ("None", "True", "False")
    return constant or isinstance(node, NUMBERS)
