"""The one place where parameters and configurations are checked, for the library and the CLI.

A parameter's rule is a :class:`Constraint` object (:class:`Integer`, :class:`Real`,
:class:`Choice`, :class:`Flag`, and :data:`SEED`), and a function declares the rules of its
arguments in one table with :func:`checked`::

    @checked(epochs=Integer(1), held_out=Real(0, 1, low_open=True, high_open=True))
    def train(V, E, *, epochs=100, held_out=0.25): ...

    train(V, E, epochs=0)   # InputError: epochs must be an integer >= 1, got 0

The same objects make the CLI's options (:meth:`Constraint.callback`), so a command refuses
what its library function refuses, in the same words. Each constraint also lists values it
must refuse (:meth:`Constraint.bad_values`); the tests walk :data:`CHECKED` and the CLI's
options and try every one of them, so a new checked parameter is tested without a new test.

Configurations are checked against their model's :class:`Alphabet` (:func:`check_values`);
:func:`to_host` is the one copy of an array (NumPy, CuPy) to a NumPy array.
"""

from __future__ import annotations

import functools
import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from gpurg.errors import InputError

__all__ = [
    "CHECKED",
    "COARSE_SPINS",
    "DIMER_CODES",
    "DIMER_PIXELS",
    "ISING_SPINS",
    "SEED",
    "Alphabet",
    "Choice",
    "Constraint",
    "Flag",
    "Integer",
    "Real",
    "check_shape",
    "check_values",
    "checked",
    "first_index",
    "to_host",
]


class Constraint(ABC):
    """What one parameter may be: :meth:`check` returns the value normalised (an ``int``, a
    ``float``, ...) or raises :class:`~gpurg.errors.InputError` naming it and the rule.

    ``optional`` constraints also accept None (a parameter whose default is "choose for me").
    """

    optional: bool

    def check(self, name: str, value: Any) -> Any:
        """``value`` normalised, or InputError ``"<name> must be <rule>, got <value>"``."""
        if value is None and self.optional:
            return None
        return self._check(name, value)

    @abstractmethod
    def _check(self, name: str, value: Any) -> Any:
        """The check proper of a value that is not an allowed None."""

    @abstractmethod
    def describe(self) -> str:
        """The rule, as it ends "x must be ...": "an integer >= 1"."""

    @abstractmethod
    def bad_values(self) -> tuple[Any, ...]:
        """Values this constraint must refuse, for the generated bad-input tests: library
        calls pass them as they are, the CLI passes them as text."""

    def fail(self, name: str, value: Any) -> InputError:
        return InputError(f"{name} must be {self.describe()}, got {value!r}")

    def callback(self, option: str) -> Callable[[Any], Any]:
        """A Typer option callback that checks the parsed value under the option's name
        (``"--epochs"``); the CLI reports its InputError as one line and exit code 2."""

        def check_option(value: Any) -> Any:
            return self.check(option, value)

        check_option.constraint = self  # type: ignore[attr-defined]  # read by the tests
        return check_option


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Integer(Constraint):
    """An integer (not a bool, not a float such as 3.0) in [low, high], a multiple of
    ``multiple`` when given (a checkerboard torus has an even side); ``text`` replaces the
    rule's wording in messages."""

    low: int | None = None
    high: int | None = None
    optional: bool = False
    text: str | None = None
    multiple: int | None = None

    def _check(self, name: str, value: Any) -> int:
        if not _is_integer(value):
            raise self.fail(name, value)
        value = int(value)
        if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high) or (
                self.multiple is not None and value % self.multiple):
            raise self.fail(name, value)
        return value

    def describe(self) -> str:
        if self.text is not None:
            return self.text
        kind = {None: "an integer", 2: "an even integer"}.get(
            self.multiple, f"a multiple of {self.multiple}")
        if self.low is not None and self.high is not None:
            return f"{kind} in [{self.low}, {self.high}]"
        if self.low is not None:
            return f"{kind} >= {self.low}"
        if self.high is not None:
            return f"{kind} <= {self.high}"
        return kind

    def bad_values(self) -> tuple[Any, ...]:
        bad: list[Any] = [2.5, "three"]
        if self.low is not None:
            bad.append(self.low - (self.multiple or 1))
        if self.high is not None:
            bad.append(self.high + (self.multiple or 1))
        if self.multiple is not None:
            bad.append((self.low if self.low is not None else 0) + self.multiple + 1)
        return tuple(bad)


@dataclass(frozen=True)
class Real(Constraint):
    """A real number (not a bool; NaN never) in an interval whose ends may be open; +inf only
    when ``inf`` is True (and ``high`` is None)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    inf: bool = False
    optional: bool = False

    def _check(self, name: str, value: Any) -> float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise self.fail(name, value)
        number = float(value)
        if (math.isnan(number) or (math.isinf(number) and not (self.inf and number > 0))
                or (self.low is not None and (number < self.low
                                              or (self.low_open and number == self.low)))
                or (self.high is not None and (number > self.high
                                               or (self.high_open and number == self.high)))):
            raise self.fail(name, value)
        return number

    def describe(self) -> str:
        inf = " (or inf)" if self.inf else ""
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"a number in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            number = "a number" if self.inf else "a finite number"
            return f"{number} {'>' if self.low_open else '>='} {self.low:g}{inf}"
        if self.high is not None:
            return f"a finite number {'<' if self.high_open else '<='} {self.high:g}"
        return f"a finite number{inf}"

    def bad_values(self) -> tuple[Any, ...]:
        bad: list[Any] = [math.nan, "x"]
        if not self.inf:
            bad.append(math.inf)
        if self.low is not None:
            bad.append(self.low if self.low_open else self.low - 1)
            bad.append(-math.inf)
        if self.high is not None:
            bad.append(self.high if self.high_open else self.high + 1)
        return tuple(bad)


@dataclass(frozen=True)
class Choice(Constraint):
    """One of a tuple of strings."""

    values: tuple[str, ...]
    optional: bool = False

    def _check(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise InputError(f"unknown {name} {value!r}; allowed: {', '.join(self.values)}")
        return value

    def describe(self) -> str:
        return f"one of {', '.join(self.values)}"

    def bad_values(self) -> tuple[Any, ...]:
        return ("no-such-" + self.values[0], 3)


@dataclass(frozen=True)
class Flag(Constraint):
    """A bool (NumPy's included); 0, 1 and strings are refused."""

    optional: bool = False

    def _check(self, name: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise self.fail(name, value)
        return bool(value)

    def describe(self) -> str:
        return "True or False"

    def bad_values(self) -> tuple[Any, ...]:
        return (1, "yes")


# a seed is a Philox key: two 32-bit words
SEED = Integer(0, 2**64 - 1, text="an integer in [0, 2^64)")

F = TypeVar("F", bound=Callable[..., Any])

# every function decorated by @checked, with its table, for the generated tests
CHECKED: list[Callable[..., Any]] = []


def checked(**constraints: Constraint) -> Callable[[F], F]:
    """Decorate a function (or a class's ``__init__``) so that the named arguments are checked
    and normalised by their constraints before the body runs, defaults included.

    The table is kept as the wrapper's ``constraints`` attribute, and the function is added to
    :data:`CHECKED`.
    """

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:  # a table naming no parameter is a bug of ours, found at import
            raise TypeError(f"{function.__qualname__} has no parameters {sorted(unknown)}")

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, constraint in constraints.items():
                bound.arguments[name] = constraint.check(name, bound.arguments[name])
            return function(*bound.args, **bound.kwargs)

        wrapper.constraints = dict(constraints)  # type: ignore[attr-defined]
        CHECKED.append(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


# ------------------------------------------------------------------------- configurations
@dataclass(frozen=True)
class Alphabet:
    """The values a configuration may hold, and the sentence that says so in errors."""

    values: tuple[int, ...]
    rule: str


ISING_SPINS = Alphabet((-1, 1), "Ising spins must be -1 or +1")
COARSE_SPINS = Alphabet((-1, 1), "coarse-grained spins must be -1 or +1")
DIMER_CODES = Alphabet((0, 1, 2, 3), "dimer site codes must be 0..3 (0=+x, 1=+y, 2=-x, 3=-y)")
DIMER_PIXELS = Alphabet((0, 1), "dimer image pixels must be 0 or 1")

# Values compared per step of check_values: its boolean masks stay at 16 MiB whatever the
# size of the data, instead of doubling the memory of a large file's configurations.
_BLOCK_VALUES = 1 << 24


def first_index(bad: Any) -> tuple[int, ...]:
    """Index of the first True entry (C order) of the boolean array ``bad``, NumPy or CuPy.

    Call it only once ``bad.any()`` holds (it returns index 0 otherwise).
    """
    flat = int(bad.reshape(-1).argmax())
    return tuple(int(i) for i in np.unravel_index(flat, bad.shape))


def check_values(values: Any, alphabet: Alphabet, where: str) -> None:
    """Raise InputError naming the first entry of ``values`` outside ``alphabet``.

    Parameters
    ----------
    values
        Array of any dtype and shape ``(n, ...)``: NumPy, CuPy or an h5py dataset (read then
        one block of rows at a time). Compared in blocks of rows along axis 0.
    alphabet
        The allowed values.
    where
        What ``values`` is, the start of the message: ``"run.h5: configs"`` gives
        ``run.h5: configs[3, 0, 5, 2] = 3; Ising spins must be -1 or +1``.

    Raises
    ------
    InputError
        At the first value (C order) outside the alphabet, NaN included.
    """
    shape = tuple(values.shape)
    if not shape or 0 in shape:
        return
    rows = max(1, _BLOCK_VALUES // math.prod(shape[1:]))
    for start in range(0, shape[0], rows):
        block = values[start : start + rows]
        bad = block != alphabet.values[0]
        for value in alphabet.values[1:]:
            bad &= block != value
        if bool(bad.any()):
            index = first_index(bad)
            text = ", ".join(map(str, (start + index[0], *index[1:])))
            raise InputError(f"{where}[{text}] = {_show(block[index].item())}; {alphabet.rule}")


def _show(value: Any) -> str:
    """An integral float as an integer (RSMI-NE's pixels are float64), anything else as is."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_host(array: Any) -> np.ndarray:
    """A NumPy array of ``array`` (NumPy, CuPy, or anything ``np.asarray`` takes); a CuPy
    array is copied from the device, a NumPy one is returned as is (not copied)."""
    if type(array).__module__.startswith("cupy"):
        return array.get()
    return np.asarray(array)


def check_shape(name: str, array: Any, shape: Sequence[int | None]) -> None:
    """InputError unless ``array.shape`` matches ``shape`` (None matches any length)."""
    have = tuple(array.shape)
    if len(have) != len(shape) or any(
            s is not None and s != h for s, h in zip(shape, have, strict=True)):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"{name} must have shape {want}, got {have}")
