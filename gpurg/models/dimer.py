"""The classical dimer model sampler: R replicas of close-packed dimers on an L x L torus.

E = V N_par, N_par the number of plaquettes holding two parallel dimers (Alet et al. 2005;
V < 0 aligns), k_B = 1; T = inf makes every covering equally likely. Directed-loop worms
(:mod:`gpurg.models.dimer_rules`) change the winding numbers, so every topological sector is
sampled. Each worm's random words are Philox blocks keyed by the seed and counted by (replica,
worm, step), so a chain is the same on every backend and for any grouping of its sweeps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gpurg.backend import Backend, KernelFamily
from gpurg.backend.philox import STREAM_DIMER_START, STREAM_DIMER_WORM
from gpurg.errors import InputError
from gpurg.models import dimer_numpy
from gpurg.models.base import MAX_SWEEPS, REPLICAS, Model, Output, Sampler, register
from gpurg.models.dimer_encodings import (
    NOISES,
    bonds,
    codes_from_image,
    columnar_order,
    columnar_state,
    dimer_correlations,
    parallel_plaquettes,
    staggered_state,
    to_image,
    validate_codes,
    winding_numbers,
)
from gpurg.models.dimer_rules import MAX_V_OVER_T, RULES, exit_thresholds
from gpurg.stats import Estimate, summarize_dimer
from gpurg.validation import (
    DIMER_CODES,
    DIMER_PIXELS,
    SEED,
    Alphabet,
    Choice,
    Integer,
    Real,
    checked,
    to_host,
)

STARTS = ("columnar", "staggered", "random")
# Per replica and measurement, shape (R,); the correlation functions below add a last axis.
OBSERVABLES = ("e", "n_par", "wx", "wy", "w2", "cx", "cy", "col2", "worms", "worm_steps")
CORRELATIONS = ("corr_long", "corr_trans")
# how a run file stores the coverings: site codes only, or also the RSMI image of each
ENCODINGS = ("codes", "image")
# Worm sweeps at T = inf from a columnar covering that make the "random" start; worms
# decorrelate the free model within a few sweeps (their length grows like L^1.5).
RANDOM_START_SWEEPS = 16
# Sweeps' worth of worm steps run after the start to measure the mean worm length, from which
# the number of worms per sweep is set (as in Sandvik & Moessner 2006).
CALIBRATION_SWEEPS = 4
_NO_LIMIT = 2**64 - 1
# the kernel skips the neighbour look-ups when the table is this one (T = inf, no bounces)
_FREE_THRESHOLDS = exit_thresholds(0.0, math.inf)
_MAX_WORMS = 2**32 - 1  # per-replica worm counter (a Philox counter word)

_WORMS = KernelFamily("dimer.cu", {
    name: ("signed char*", "gpurg_u32*", "gpurg_u64*", "const gpurg_u64*", "int", "int",
           "gpurg_u32", "gpurg_u64", "int", "gpurg_u32", "gpurg_u32", "gpurg_u32")
    for name in ("dimer_worms", "dimer_worms_x4")
}, long_threads=True, sizes=dict.fromkeys(
    ("dimer_worms", "dimer_worms_x4"),
    # site codes of R lattices, worm and step counters per replica, the exit table
    lambda codes, worms, steps, table, L, R, *_: (R * L * L, R, R, _FREE_THRESHOLDS.size,
                                                  *[None] * 8)))
# replicas per thread of each worm kernel: on the host four interleaved worms overlap their
# chains of dependent loads, a GPU hides latency with other warps instead
WORM_KERNELS = {"gpu": ("dimer_worms", 1), "cpu": ("dimer_worms_x4", 4)}


def _device_table(xp: Any, thresholds: np.ndarray) -> tuple[Any, bool]:
    """Exit thresholds on the device, and whether the kernel may take its T = inf path."""
    return xp.asarray(thresholds), bool(np.array_equal(thresholds, _FREE_THRESHOLDS))


# The parameters' rules, for the model and for every command that takes them
SIDE = Integer(4, 32768, multiple=2)  # close-packed dimers need an even side
TEMPERATURE = Real(0, low_open=True, inf=True)  # inf: the non-interacting model
INTERACTION = Real()


@dataclass(frozen=True)
class DimerModel(Model):
    """Physical parameters of the interacting dimer model on an L x L torus.

    Attributes
    ----------
    L : int
        Linear size (even, >= 4).
    T : float
        Temperature (> 0, ``math.inf`` for the non-interacting model), in units of |V|'s
        energy scale.
    V : float
        Energy per plaquette with two parallel dimers (V < 0 favours columnar order).
    """

    name: ClassVar[str] = "dimer"
    # an image has a pixel for every vertex, bond and face: 2L x 2L
    datasets: ClassVar[dict[str, tuple[Alphabet, int]]] = {
        "configs": (DIMER_CODES, 1), "images": (DIMER_PIXELS, 2)}
    rsmi_dataset: ClassVar[tuple[str, str]] = (
        "images", "sample it with --encoding image (or --noise ...)")
    # RSMI reads the images, whose pixels alternate vertex, bond and face: a block must start
    # on a vertex, or the block's position parity would be the information found
    block_stride: ClassVar[int] = 2
    pixel_roles: ClassVar[str] = "dimer"

    L: int
    T: float = math.inf
    V: float = -1.0

    def __post_init__(self) -> None:
        for name, rule in (("L", SIDE), ("T", TEMPERATURE), ("V", INTERACTION)):
            object.__setattr__(self, name, rule.check(name, getattr(self, name)))
        if math.isfinite(self.T) and abs(self.V) > MAX_V_OVER_T * self.T:
            raise InputError(f"temperature T = {self.T:g} is too low for V = {self.V:g}: |V|/T "
                             f"must be <= {MAX_V_OVER_T:.3f} (T >= "
                             f"{abs(self.V) / MAX_V_OVER_T:.4g}), or the worm's rarest moves "
                             f"fall below the 2^-32 resolution of its exit tables")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L, self.L)

    def attrs(self) -> dict[str, Any]:
        return {"model": self.name, "L": self.L, "T": self.T, "V": self.V}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> DimerModel:
        return cls(attrs["L"], attrs["T"], attrs["V"])

    def observables(self) -> dict[str, tuple[int, ...]]:
        """float64 per replica, the correlations (L/2 + 1,): see :meth:`DimerSampler.measure`."""
        return {**dict.fromkeys(OBSERVABLES, ()),
                **dict.fromkeys(CORRELATIONS, (self.L // 2 + 1,))}

    def measure(self, configs: Any) -> dict[str, np.ndarray]:
        """What site codes int8 (R, L, L) (NumPy or CuPy) determine of
        :meth:`DimerSampler.measure`'s observables, host float64: "e", "n_par", "wx", "wy",
        "w2", "cx", "cy", "col2" (R,) and "corr_long", "corr_trans" (R, L/2 + 1); the worm
        counters belong to the sampler."""
        n_par = to_host(parallel_plaquettes(configs)).astype(np.float64) / self.n_sites
        winding = to_host(winding_numbers(configs)).astype(np.float64)
        order = to_host(columnar_order(configs))
        corr = to_host(dimer_correlations(configs))
        wx, wy, cx, cy = winding[:, 0], winding[:, 1], order[:, 0], order[:, 1]
        return {"e": self.V * n_par, "n_par": n_par, "wx": wx, "wy": wy, "w2": wx**2 + wy**2,
                "cx": cx, "cy": cy, "col2": cx**2 + cy**2, "corr_long": corr[:, 0],
                "corr_trans": corr[:, 1]}

    def summarize(self, observables: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
        """:func:`gpurg.stats.summarize_dimer`, "worm_length" included."""
        return summarize_dimer(dict(observables))

    @classmethod
    def check_dataset(cls, name: str, data: np.ndarray) -> None:
        """Images must be close-packed coverings: all-zero (or otherwise broken) bond pixels
        would train RSMI on non-coverings."""
        if name == "images":
            codes_from_image(data)

    @property
    def steps_per_sweep(self) -> int:
        """Worm steps a sweep aims at: one step moves one dimer (two sites), so L^2 / 2 steps
        move about L^2 sites."""
        return self.n_sites // 2


@register
class DimerSampler(Sampler):
    """Markov chains of the dimer model, R replicas at once, updated by directed-loop worms.

    Parameters
    ----------
    model : DimerModel
    replicas : int
        Number of independent chains R (>= 1).
    start : {"columnar", "staggered", "random"}
        Horizontal columnar covering, the staggered covering (maximal winding), or a covering
        made by :data:`RANDOM_START_SWEEPS` sweeps of free worms from the columnar one.
    seed : int
        In [0, 2^64); with the parameters it fixes the chain on every backend.
    device : {"auto", "cpu", "gpu", "numpy"} or Backend
    rule : {"minimal-bounce", "heat-bath"}
        Solution of the directed-loop equations used at each worm step.
    worms_per_sweep : int, optional
        Worms per replica in one sweep. By default it is calibrated after the start: the
        chains run :data:`CALIBRATION_SWEEPS` sweeps' worth of steps (L^2 / 2 each) and the
        number is set so that a sweep averages about L^2 / 2 worm steps; :meth:`run`
        calibrates it again on the thermalization sweeps (worms are far longer in the
        disordered start than in an ordered phase).

    Attributes
    ----------
    codes : array
        int8, shape (R, L, L), site codes 0..3 (direction of each site's partner: +x, +y,
        -x, -y), on the backend's device.
    worms, steps : array
        uint32 (R,) worms and uint64 (R,) worm steps done per replica since the start
        (the calibration worms included).
    worms_per_sweep : int
    auto_calibrate : bool
        Whether :attr:`worms_per_sweep` is calibrated (not given).
    sweeps_done : int
        Sweeps performed since the calibration.
    """

    model_type: ClassVar[type[Model]] = DimerModel
    starts: ClassVar[tuple[str, ...]] = STARTS
    state_name: ClassVar[str] = "codes"
    model: DimerModel

    @checked(replicas=REPLICAS, start=Choice(STARTS), seed=SEED, rule=Choice(RULES),
             worms_per_sweep=Integer(1, optional=True))
    def __init__(self, model: DimerModel, *, replicas: int = 1, start: str = "columnar",
                 seed: int = 0, device: str | Backend = "auto",
                 rule: str = "minimal-bounce", worms_per_sweep: int | None = None) -> None:
        super().__init__(model, replicas=replicas, start=start, seed=seed, device=device)
        self.rule = rule
        xp = self.backend.xp
        self._table = _device_table(xp, exit_thresholds(model.V, model.T, rule))
        # A C-ordered copy: ascontiguousarray would keep a one-replica broadcast as the
        # read-only view it is (a size-1 axis counts as contiguous), and the worms write here;
        # without order="C" the copy keeps the broadcast's layout, which the kernels reject
        self.codes = xp.asarray(np.array(np.broadcast_to(
            staggered_state(model.L) if start == "staggered" else columnar_state(model.L),
            (self.replicas, model.L, model.L)), dtype=np.int8, order="C"))
        self.worms = xp.zeros(self.replicas, dtype=np.uint32)
        self.steps = xp.zeros(self.replicas, dtype=np.uint64)
        if start == "random":
            self._worms(_device_table(xp, _FREE_THRESHOLDS), _MAX_WORMS,
                        RANDOM_START_SWEEPS * model.steps_per_sweep, STREAM_DIMER_START)
            self.worms[:] = 0
            self.steps[:] = 0
        self.auto_calibrate = worms_per_sweep is None
        self.worms_per_sweep = 0 if worms_per_sweep is None else worms_per_sweep
        self._sync_counters()
        if self.auto_calibrate:
            self._worms(self._table, _MAX_WORMS,
                        CALIBRATION_SWEEPS * model.steps_per_sweep, STREAM_DIMER_WORM)
            self.calibrate()

    # ----------------------------------------------------------------------------- state
    @property
    def configs(self) -> Any:
        """The site codes, int8 (R, L, L) on the device."""
        return self.codes

    def set_state(self, codes: np.ndarray, sweeps_done: int | None = None, *,
                  worms: np.ndarray | None = None, steps: np.ndarray | None = None) -> None:
        """Replace the coverings (int8 site codes, shape (R, L, L)).

        To continue a chain exactly, also pass its ``sweeps_done`` and its per-replica
        ``worms`` counters (uint32 (R,): they number the worms' random streams), with the
        same :attr:`worms_per_sweep`; ``steps`` (uint64 (R,)) only carries the worm-length
        statistics on.
        """
        codes = np.asarray(codes)
        expected = (self.replicas, self.model.L, self.model.L)
        if codes.shape != expected:
            raise InputError(f"state must have shape {expected}, got {codes.shape}")
        xp = self.backend.xp
        self.codes = xp.asarray(validate_codes(codes))
        if sweeps_done is not None:
            self.sweeps_done = int(sweeps_done)
        for name, value, dtype in (("worms", worms, np.uint32), ("steps", steps, np.uint64)):
            if value is not None:
                value = np.asarray(value)
                if value.shape != (self.replicas,):
                    raise InputError(f"{name} must have shape ({self.replicas},), "
                                     f"got {value.shape}")
                setattr(self, name, xp.asarray(value.astype(dtype)))
        self._sync_counters()

    def calibrate(self) -> None:
        """Set :attr:`worms_per_sweep` so that a sweep averages L^2 / 2 steps, from the worms
        run since the previous calibration (or the start), pooled over the replicas."""
        worms = self.backend.asnumpy(self.worms).astype(np.int64) - self._mark[0]
        steps = self.backend.asnumpy(self.steps).astype(np.int64) - self._mark[1]
        total_worms, total_steps = int(worms.sum()), int(steps.sum())
        if total_steps > 0:  # integer arithmetic: the same number on every backend
            self.worms_per_sweep = max(1, (self.model.steps_per_sweep * total_worms
                                           + total_steps // 2) // total_steps)
        self._sync_counters()

    def attrs(self) -> dict[str, Any]:
        return {"rule": self.rule, "worms_per_sweep": self.worms_per_sweep}

    def counters(self) -> dict[str, np.ndarray]:
        """The worm counters number the worms' random streams; the steps carry the worm
        length statistics on."""
        return {"worms": self.backend.asnumpy(self.worms).copy(),
                "steps": self.backend.asnumpy(self.steps).copy()}

    def state_attrs(self) -> dict[str, Any]:
        """worms_per_sweep as calibrated after thermalization."""
        return {"worms_per_sweep": self.worms_per_sweep}

    def restore(self, arrays: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> None:
        self.set_state(arrays["codes"], attrs["sweeps_done"], worms=arrays["worms"],
                       steps=arrays["steps"])

    @classmethod
    def options_from_attrs(cls, attrs: Mapping[str, Any], state: Mapping[str, Any]
                           ) -> dict[str, Any]:
        # the calibrated worms per sweep comes from the state, so the sampler skips calibrating
        return {"rule": attrs["rule"], "worms_per_sweep": state["worms_per_sweep"]}

    @classmethod
    def outputs_from_attrs(cls, attrs: Mapping[str, Any], datasets: Mapping[str, Any]
                           ) -> list[Output]:
        return [DimerImages(attrs["encoding"], attrs["noise"])]

    def _sync_counters(self) -> None:
        # host copies: the baseline of the next measurement's worm counts, and the largest
        # worm counter, which must not wrap
        self._last = (self.backend.asnumpy(self.worms).copy(),
                      self.backend.asnumpy(self.steps).copy())
        self._mark = (self._last[0].astype(np.int64), self._last[1].astype(np.int64))
        self._most_worms = int(self._last[0].max())

    # ---------------------------------------------------------------------------- updates
    def sweep(self, n: int = 1) -> None:
        """Advance every replica by ``n`` sweeps of :attr:`worms_per_sweep` worms each."""
        if n <= 0:
            return
        if self.sweeps_done + n > MAX_SWEEPS:
            raise InputError(f"a chain is limited to {MAX_SWEEPS} sweeps")
        if self._most_worms + n * self.worms_per_sweep > _MAX_WORMS:
            raise InputError(f"a chain is limited to {_MAX_WORMS} worms per replica")
        self._most_worms += n * self.worms_per_sweep
        self._worms(self._table, n * self.worms_per_sweep, _NO_LIMIT, STREAM_DIMER_WORM)
        self.sweeps_done += n

    def end_thermalization(self) -> None:
        """Recalibrate the worms per sweep on the thermalization sweeps (unless they were
        given), and count worms for the next measurement from here."""
        if self.auto_calibrate:
            self.calibrate()
        else:
            self._sync_counters()

    def _worms(self, table: tuple[Any, bool], n_worms: int, step_target: int,
               stream: int) -> None:
        thresholds, free = table
        if not self.backend.uses_kernels:
            dimer_numpy.worm_updates(self.codes, self.worms, self.steps, thresholds, n_worms,
                                     step_target, stream, self.key)
            return
        name, per_thread = WORM_KERNELS[self.backend.name]
        _WORMS.launch(self.backend, name, -(-self.replicas // per_thread), self.codes,
                      self.worms, self.steps, thresholds, self.model.L, self.replicas, n_worms,
                      step_target, int(free), stream, *self.key)

    # ------------------------------------------------------------------------ observables
    def measure(self) -> dict[str, np.ndarray]:
        """Observables of every replica now.

        Returns
        -------
        dict of str to numpy.ndarray
            float64 arrays of shape (R,): "e" energy per site (V N_par / L^2), "n_par"
            parallel plaquettes per site, "wx", "wy" winding numbers, "w2" = wx^2 + wy^2,
            "cx", "cy" columnar order parameter (|C| = 1 in a columnar covering), "col2" =
            cx^2 + cy^2, "worms" and "worm_steps" the worms completed and their steps since
            the previous measurement (a long worm can span several sweeps, so an interval
            may hold none: the mean worm length is a ratio of sums); and of shape
            (R, L/2 + 1): "corr_long", "corr_trans", the dimer-dimer correlations
            <n(0) n(r)> along and across the dimers' direction (x and y averaged; not
            connected: the uncorrelated value is 1/16).
        """
        to_host = self.backend.asnumpy
        measured = self.model.measure(self.codes)
        worms, steps = to_host(self.worms).copy(), to_host(self.steps).copy()
        d_worms = (worms - self._last[0]).astype(np.float64)
        d_steps = (steps - self._last[1]).astype(np.float64)
        self._last = (worms, steps)
        # in the order of DimerModel.observables()
        return {**{k: measured[k] for k in OBSERVABLES if k in measured}, "worms": d_worms,
                "worm_steps": d_steps, **{k: measured[k] for k in CORRELATIONS}}

    def bonds(self) -> Any:
        """Bond occupancy of the current coverings, uint8 (R, 2, L, L) on the device."""
        return bonds(self.codes)


class DimerImages(Output):
    """The RSMI image of each measurement's coverings, uint8 (R, 2L, 2L), dataset "images"
    (:func:`~gpurg.models.dimer_encodings.to_image`): written with ``encoding="image"`` or a
    ``noise`` other than "none", the noise drawn from the seed and the measurement's index.
    """

    name: ClassVar[str] = "images"

    @checked(encoding=Choice(ENCODINGS), noise=Choice(NOISES))
    def __init__(self, encoding: str = "codes", noise: str = "none") -> None:
        self.encoding = encoding
        self.noise = noise

    def attrs(self) -> dict[str, Any]:
        return {"noise": self.noise, "encoding": self.encoding}

    def spec(self, sampler: Sampler) -> tuple[np.dtype, tuple[int, ...]] | None:
        if self.encoding != "image" and self.noise == "none":
            return None
        L = sampler.model.shape[0]
        return np.dtype(np.uint8), (sampler.replicas, 2 * L, 2 * L)

    def __call__(self, sampler: Sampler, index: int) -> np.ndarray:
        # drawn by the measurement's index: the same after a resume
        image = to_image(sampler.configs, noise=self.noise, key=sampler.key, counter=index)
        return sampler.backend.asnumpy(image)
