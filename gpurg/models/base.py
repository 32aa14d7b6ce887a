"""What every model and sampler provides, and the registry that finds them by name.

A model is a frozen description of a lattice and its couplings (:class:`Model`); a sampler
runs R replicas of its Markov chains on a backend (:class:`Sampler`). Everything outside
``gpurg.models`` (:func:`gpurg.sampling.sample`, ``--resume``, the file checks, the CLI) asks
these objects rather than naming a model, so a new model is one module that defines the two
classes and decorates its sampler with :func:`register`::

    @dataclass(frozen=True)
    class ChainModel(Model):
        name: ClassVar[str] = "chain"
        ...

    @register
    class ChainSampler(Sampler):
        model_type: ClassVar[type[Model]] = ChainModel
        ...

The built-in models (``gpurg.models.ising``, ``gpurg.models.dimer``) are imported by the
package, so they are registered whenever any part of ``gpurg.models`` is.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np

from gpurg.backend import Backend, get_backend
from gpurg.backend.philox import seed_to_key
from gpurg.errors import InputError
from gpurg.registry import Registry
from gpurg.stats import Estimate
from gpurg.validation import Alphabet, Integer

# the half-sweep counter 2 * sweep + colour of the Ising kernels is a 32-bit word, and every
# chain shares the limit so that a run's schedule is checked the same way for all models
MAX_SWEEPS = 2**31 - 1
REPLICAS = Integer(1)  # independent chains of a sampler


class Model(ABC):
    """Physical parameters of a model on a periodic lattice of ``shape`` (all sides L).

    Subclasses are frozen dataclasses; they set the class attributes below and implement the
    abstract methods.

    Class attributes
    ----------------
    name : str
        The run file's ``model`` attribute, e.g. "ising".
    datasets : dict of str to (Alphabet, int)
        The run file's datasets of configurations: each one's alphabet and the side of one
        lattice in units of L ("configs" always; a dimer image is 2L on a side).
    rsmi_dataset : (str, str)
        The dataset of a run file that RSMI learns from, and the hint of the error when a
        file lacks it (dimers: "images", "sample it with --encoding image ...").
    block_stride : int
        Step between the positions of RSMI blocks in that dataset (a dimer image alternates
        vertex, bond and face pixels: 2; spins: 1).
    pixel_roles : str
        What an entry of that dataset is, for figures of filters: "site" (one spin each) or
        "dimer" (the vertex, bond and face pixels of a dimer image).
    """

    name: ClassVar[str]
    datasets: ClassVar[dict[str, tuple[Alphabet, int]]]
    rsmi_dataset: ClassVar[tuple[str, str]] = ("configs", "")
    block_stride: ClassVar[int] = 1
    pixel_roles: ClassVar[str] = "site"

    @property
    @abstractmethod
    def shape(self) -> tuple[int, ...]:
        """The lattice, (L,) * dimension."""

    @property
    def dimension(self) -> int:
        return len(self.shape)

    @property
    def n_sites(self) -> int:
        return math.prod(self.shape)

    @property
    def symmetric(self) -> bool:
        """Whether the model is symmetric under flipping every configuration value's sign
        (Z2; an Ising model at h = 0), which RSMI training may impose on its filters."""
        return self.is_symmetric(self.attrs())

    @classmethod
    def is_symmetric(cls, attrs: Mapping[str, Any]) -> bool:
        """:attr:`symmetric` of the model of a run file's root attributes (which need not
        hold every parameter: a converted file may lack them). Default: False."""
        return False

    @classmethod
    def check_dataset(cls, name: str, data: np.ndarray) -> None:
        """Checks of a run file's dataset ``name`` beyond its alphabet (dimer images must be
        close-packed coverings); InputError naming the first bad entry. Default: none."""
        return

    @abstractmethod
    def attrs(self) -> dict[str, Any]:
        """The run file's root attributes that fix the model, ``model`` = :attr:`name`
        first, e.g. ``{"model": "ising", "L": 32, "T": 2.269, "J": 1.0, "h": 0.0}``."""

    @classmethod
    @abstractmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> Model:
        """The model a run file's root attributes describe (inverse of :meth:`attrs`)."""

    @abstractmethod
    def observables(self) -> dict[str, tuple[int, ...]]:
        """Name -> shape of one replica's value (``()`` for a number) of each observable
        :meth:`Sampler.measure` returns, in the order they are stored."""

    @abstractmethod
    def measure(self, configs: Any) -> dict[str, np.ndarray]:
        """The observables that configurations (R, *shape), NumPy or CuPy, determine by
        themselves: host float64 arrays keyed and shaped as :meth:`observables` says (a
        sampler may add its own, such as the dimer worms' counters). Used by samplers and
        to measure configurations imported from elsewhere."""

    @abstractmethod
    def summarize(self, observables: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
        """Means with errors of a run's observables, float64 (n_measurements, R, ...) each
        (the functions of :mod:`gpurg.stats`)."""


class Output(ABC):
    """A further dataset written beside each measurement (e.g. a dimer image), and the root
    attributes that say how it was made."""

    name: ClassVar[str]

    @abstractmethod
    def attrs(self) -> dict[str, Any]:
        """Root attributes recording this output's settings (written even when
        :meth:`spec` is None, so a file says it was not asked for)."""

    @abstractmethod
    def spec(self, sampler: Sampler) -> tuple[np.dtype, tuple[int, ...]] | None:
        """dtype and shape (R, ...) of one measurement's row, or None when nothing is
        written."""

    @abstractmethod
    def __call__(self, sampler: Sampler, index: int) -> np.ndarray:
        """Host array of measurement ``index`` (0-based over the whole run, so a resumed
        run draws the same random numbers) from the sampler's configurations now."""


S = TypeVar("S", bound="type[Sampler]")

MODELS: Registry[type[Model]] = Registry("model", "gpurg.models")
"""Model classes by :attr:`Model.name`, filled by :func:`register` (the modules of
``gpurg.models`` are imported at the first look-up, so a model's module registers itself)."""
SAMPLERS: Registry[type[Sampler]] = Registry("sampler", "gpurg.models")
"""Sampler classes by the name of their model, filled by :func:`register`."""


def register(sampler: S) -> S:
    """Class decorator: register a sampler and its model (``sampler.model_type``) by the
    model's name. Registering another class under a known name is an error (a typo that
    would silently replace a model)."""
    model = sampler.model_type
    MODELS.add(model.name, model)
    SAMPLERS.add(model.name, sampler)
    return sampler


def file_model(attrs: Mapping[str, Any]) -> type[Model] | None:
    """The registered model class of a file's ``model`` attribute, or None for files no
    sampler writes (coarse-grained spins) and files without the attribute."""
    return MODELS.get(attrs.get("model"))


def model_class(name: Any) -> type[Model]:
    """The registered model class called ``name``; InputError naming the known ones."""
    return MODELS.lookup(name)


def model_from_attrs(attrs: Mapping[str, Any]) -> Model:
    """The model of a run file's root attributes (its ``model`` attribute names the class)."""
    return model_class(attrs.get("model")).from_attrs(attrs)


def sampler_class(model: Model) -> type[Sampler]:
    """The registered sampler of ``model``'s class."""
    return SAMPLERS[model_class(model.name).name]


class Sampler(ABC):
    """Markov chains of a model, R replicas at once, on one backend.

    The base keeps what every sampler has (the model, R, the seed and its Philox key, the
    backend, the start, the sweep counter) and runs schedules (:meth:`run`); a subclass
    updates and measures. After :meth:`__init__` of the base, a subclass sets up its
    configurations.

    Attributes
    ----------
    model : Model
    replicas : int
    start : str
    seed : int
    key : tuple of int
        The Philox key of ``seed``.
    backend : Backend
    sweeps_done : int
        Sweeps performed so far (since the calibration, for samplers that calibrate).

    Class attributes
    ----------------
    model_type : type of Model
    starts : tuple of str
        The allowed ``start`` values, the first the default.
    state_name : str
        Name of the configurations in a run file's ``state`` group ("spins", "codes").
    """

    model_type: ClassVar[type[Model]]
    starts: ClassVar[tuple[str, ...]]
    state_name: ClassVar[str]

    def __init__(self, model: Model, *, replicas: int, start: str, seed: int,
                 device: str | Backend) -> None:
        # replicas, start and seed arrive checked by the subclass's @checked table
        if not isinstance(model, self.model_type):
            raise InputError(f"model must be a {self.model_type.__name__}, got "
                             f"{type(model).__name__}")
        if replicas * model.n_sites >= 2**31:  # site indices of the kernels are 32-bit
            raise InputError(f"replicas * n_sites must be < 2^31, got {replicas} * "
                             f"{model.n_sites}")
        self.model = model
        self.replicas = replicas
        self.start = start
        self.seed = seed
        self.key = seed_to_key(seed)
        self.backend = get_backend(device)
        self.sweeps_done = 0

    # ----------------------------------------------------------------- what a sampler does
    @property
    @abstractmethod
    def configs(self) -> Any:
        """The configurations now, (R, *model.shape) on the backend's device."""

    @abstractmethod
    def sweep(self, n: int = 1) -> None:
        """Advance every replica by ``n`` sweeps."""

    @abstractmethod
    def measure(self) -> dict[str, np.ndarray]:
        """Observables of every replica now: host float64 arrays (R, *shape) keyed and shaped
        as ``model.observables()`` says."""

    def get_state(self) -> np.ndarray:
        """Host copy of the configurations, (R, *model.shape)."""
        return self.backend.asnumpy(self.configs).copy()

    @abstractmethod
    def set_state(self, configs: np.ndarray, sweeps_done: int | None = None) -> None:
        """Replace the configurations (host array (R, *model.shape)) and optionally the
        sweep counter."""

    def end_thermalization(self) -> None:
        """Called once the thermalization sweeps of a run are done (when there were any):
        a sampler that tunes itself (the dimer worms' length) does it here. Default: nothing."""
        return

    def thermalize(self, n: int) -> None:
        """Run ``n`` sweeps, then :meth:`end_thermalization` (if ``n`` > 0)."""
        if n > 0:
            self.sweep(n)
            self.end_thermalization()

    def run(self, sweeps: int, *, thermalize: int = 0, every: int = 1
            ) -> Iterator[dict[str, np.ndarray]]:
        """Thermalize, then measure every ``every`` sweeps during ``sweeps`` sweeps.

        Yields one :meth:`measure` dict per measurement (``sweeps // every`` in all); the
        configurations of that moment are :attr:`configs`.
        """
        check_schedule(sweeps, thermalize, every)
        self.thermalize(thermalize)
        for _ in range(sweeps // every):
            self.sweep(every)
            yield self.measure()

    # --------------------------------------------------------------------- run files
    def attrs(self) -> dict[str, Any]:
        """The sampler's own root attributes of a run file (its algorithm, ...), written
        after the model's. Default: none."""
        return {}

    def saved_state(self, configs: Any) -> Callable[[], dict[str, Any]]:
        """The state after the measurement just made, for the run file's ``state`` group.

        ``configs`` are this measurement's configurations (host, or a device copy that is
        taken to the host only if the file is closed here); everything else is captured
        now. The callable returns ``{state_name: configs, **counters, "sweeps_done": n,
        **state attributes}`` (arrays become datasets, the rest attributes).
        """
        done, counters, extra = self.sweeps_done, self.counters(), self.state_attrs()
        name, asnumpy = self.state_name, self.backend.asnumpy
        return lambda: {name: asnumpy(configs), **counters, "sweeps_done": done, **extra}

    def counters(self) -> dict[str, np.ndarray]:
        """Host copies of the per-replica arrays besides the configurations that a resumed
        chain needs. Default: none."""
        return {}

    def state_attrs(self) -> dict[str, Any]:
        """Scalars besides ``sweeps_done`` that a resumed chain needs. Default: none."""
        return {}

    def restore(self, arrays: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> None:
        """Continue from a run file's saved state (the inverse of :meth:`saved_state`)."""
        self.set_state(arrays[self.state_name], attrs["sweeps_done"])

    @classmethod
    def options_from_attrs(cls, attrs: Mapping[str, Any], state: Mapping[str, Any]
                           ) -> dict[str, Any]:
        """Keyword arguments of ``__init__`` beyond the base's that rebuild a run file's
        sampler, from its root attributes and its saved state's attributes. Default: none."""
        return {}

    @classmethod
    def outputs_from_attrs(cls, attrs: Mapping[str, Any], datasets: Mapping[str, Any]
                           ) -> list[Output]:
        """The further outputs a run file asked for (its root attributes and the names of
        its datasets). Default: none."""
        return []


def check_schedule(sweeps: int, thermalize: int, every: int) -> None:
    """Validate a run's schedule; raises InputError naming the bad value."""
    for name, value in (("sweeps", sweeps), ("thermalize", thermalize)):
        if value < 0:
            raise InputError(f"{name} must be >= 0, got {value}")
    if every < 1:
        raise InputError(f"every must be >= 1, got {every}")
    if every > sweeps:
        raise InputError(f"every ({every}) must not exceed sweeps ({sweeps})")
    if thermalize + sweeps > MAX_SWEEPS:
        raise InputError(f"thermalize + sweeps must be <= {MAX_SWEEPS} (a chain's sweep counter "
                         f"is 31 bits), got {thermalize + sweeps}")
