"""The RSMI landscape of the 1D Ising chain: over the filters (λ1, λ2) of one hidden unit on a
block of two spins, the information the rule keeps and the coarse Hamiltonian it makes
(PRX 10, 011037 (2020); science.md §3, §6).

    land = chain_landscape(0.1, buffer=1, grid=41, max_lambda=3.0)
    land.info_kept[i, j]   # I_Λ(H:E) / I(V:E) at λ1 = land.lam[i], λ2 = land.lam[j]

Everything is exact: I(V:E) and I_Λ(H:E) from :func:`gpurg.rsmi.exact.chain_rule_information`
(transfer matrices, any buffer L_B), the couplings K'_2(1), K'_2(2), K'_4 from
:func:`gpurg.rg.chain.chain_couplings` (rings grown until converged) or, with ``order``, the
cumulant expansion to that order (:func:`gpurg.rg.chain.chain_cumulant_couplings`).
Rangeness K'_2(2)/K'_2(1) and m-bodyness K'_4/K'_2(1) are NaN where K'_2(1) = 0 exactly
(λ = 0: P(H) is uniform and every coupling vanishes).

A training run's path (:func:`chain_training_path`): the variational estimator trained on
exact chain samples at (K, L_B), one symmetric unit, the raw filter (λ1, λ2) read after every
epoch; training is not changed by the reading. Its held-out MI and the exact I_Λ(H:E) of
each epoch's filter come with it.

Files (:func:`write_landscape`, :func:`read_landscape`): datasets ``lambda`` (g,), (g, g)
``mi``, ``info_kept``, ``K2_1``, ``K2_2``, ``K4``, ``rangeness``, ``mbodyness``,
``ring_blocks``, ``ring_change``, index [i, j] <-> (lambda[i], lambda[j]); a path as
``path_lambda`` (n, 2), ``path_mi`` (n,) (estimate), ``path_info_kept`` (n,) (exact);
attributes ``K``, ``buffer``, ``mi_ve`` = I(V:E), ``method`` ("exact" or "cumulant"),
``order`` (cumulant only), ``format``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output
from gpurg.rg.chain import (
    MAX_ORDER,
    ChainCouplings,
    chain_couplings,
    chain_cumulant_couplings,
)
from gpurg.rsmi.estimators import estimators
from gpurg.rsmi.exact import (
    COUPLING,
    chain_mutual_information,
    chain_rule_information,
    sample_chain,
)
from gpurg.rsmi.training import fit
from gpurg.validation import SEED, Integer, Real, checked

LANDSCAPE_FORMAT = "gpurg-chain-landscape"
MAX_GRID = 401
GRID = Integer(2, MAX_GRID)
MAX_LAMBDA = Real(0, low_open=True)
BUFFER = Integer(0)
ORDER = Integer(1, MAX_ORDER, optional=True)
CHAIN_LENGTH = 1000  # spins per sampled chain of the training path
PATH_PAIRS = 200_000
PATH_EPOCHS = 30
_FIELDS = ("mi", "info_kept", "K2_1", "K2_2", "K4", "rangeness", "mbodyness")


@dataclass
class TrainingPath:
    """Where one training run's filter went: ``lam`` float64 (n, 2), the raw (λ1, λ2) after
    each epoch; ``mi`` (n,) its held-out estimate of I_Λ(H:E) (nats); ``info_kept`` (n,) the
    exact I_Λ(H:E) / I(V:E) of that filter."""

    lam: np.ndarray
    mi: np.ndarray
    info_kept: np.ndarray


@dataclass
class ChainLandscape:
    """The chain's landscape over a (λ1, λ2) grid (module notes): ``lam`` (g,), the (g, g)
    arrays of :data:`_FIELDS` and ``ring``/``change`` (ring blocks and last change of the
    exact couplings), ``mi_ve`` = I(V:E) (nats), ``order`` None for the exact couplings,
    ``path`` an optional :class:`TrainingPath`."""

    K: float
    buffer: int
    lam: np.ndarray
    mi_ve: float
    mi: np.ndarray
    info_kept: np.ndarray
    K2_1: np.ndarray
    K2_2: np.ndarray
    K4: np.ndarray
    rangeness: np.ndarray
    mbodyness: np.ndarray
    ring: np.ndarray
    change: np.ndarray
    order: int | None = None
    path: TrainingPath | None = field(default=None)

    def at(self, lam1: float, lam2: float) -> dict[str, float]:
        """The landscape's values at the grid point nearest (λ1, λ2)."""
        i = int(np.argmin(np.abs(self.lam - lam1)))
        j = int(np.argmin(np.abs(self.lam - lam2)))
        return {name: float(getattr(self, name)[i, j]) for name in _FIELDS}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


@checked(K=COUPLING, buffer=BUFFER)
def chain_point(K: float, lam1: float, lam2: float, buffer: int = 1,
                order: int | None = None) -> dict[str, float]:
    """The landscape's quantities at one rule (λ1, λ2), e.g. λ = (1000, 0) (module notes)."""
    couplings = (chain_couplings(K, lam1, lam2) if order is None
                 else chain_cumulant_couplings(K, lam1, lam2, order))
    mi_ve = chain_mutual_information(K, buffer)
    mi = chain_rule_information(K, [[lam1, lam2]], [0.0], buffer)
    k21, k22, k4 = (float(couplings.K2_1), float(couplings.K2_2), float(couplings.K4))
    return {"mi": mi, "info_kept": mi / mi_ve if mi_ve > 0 else float("nan"), "K2_1": k21,
            "K2_2": k22, "K4": k4, "rangeness": k22 / k21 if k21 else float("nan"),
            "mbodyness": k4 / k21 if k21 else float("nan"), "ring": int(couplings.ring),
            "change": float(couplings.change)}


@checked(K=COUPLING, buffer=BUFFER, grid=GRID, max_lambda=MAX_LAMBDA, order=ORDER)
def chain_landscape(K: float, buffer: int = 1, grid: int = 41, max_lambda: float = 3.0,
                    order: int | None = None) -> ChainLandscape:
    """The landscape on the grid λ = linspace(-max_lambda, max_lambda, grid) in both
    filters (module notes). ``order``: the cumulant expansion to that order instead of the
    exact couplings. The couplings are computed at one point of each symmetry orbit (about
    a quarter of the grid) and copied to the others; the informations at every point."""
    lam = np.linspace(-max_lambda, max_lambda, grid)
    lam = 0.5 * (lam - lam[::-1])  # exactly odd: the grid maps onto itself under λ -> -λ
    # the couplings are the same under h -> -h, (λ1, λ2) -> (-λ1, -λ2), and under the chain's
    # reversal, (λ1, λ2) -> (λ2, λ1) (tests/test_chain_exact.py): one point of each orbit
    i, j = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    r = grid - 1
    orbit = np.stack([i * grid + j, j * grid + i, (r - i) * grid + (r - j),
                      (r - j) * grid + (r - i)])
    reps, inverse = np.unique(orbit.min(axis=0), return_inverse=True)
    l1, l2 = lam[reps // grid], lam[reps % grid]
    unique = (chain_couplings(K, l1, l2) if order is None
              else chain_cumulant_couplings(K, l1, l2, order))
    couplings = ChainCouplings(*(np.asarray(getattr(unique, name))[inverse].reshape(grid, grid)
                                 for name in ("K2_1", "K2_2", "K4", "ring", "change",
                                              "converged")))
    mi_ve = chain_mutual_information(K, buffer)
    mi = np.array([[chain_rule_information(K, [[a, b]], [0.0], buffer) for b in lam]
                   for a in lam])
    info = mi / mi_ve if mi_ve > 0 else np.full_like(mi, np.nan)
    return ChainLandscape(K, buffer, lam, mi_ve, mi, info, couplings.K2_1, couplings.K2_2,
                          couplings.K4, _ratio(couplings.K2_2, couplings.K2_1),
                          _ratio(couplings.K4, couplings.K2_1), couplings.ring,
                          couplings.change, order)


def chain_pairs(K: float, buffer: int, pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(V, E) pairs of the chain set-up from exact samples (:func:`sample_chain`): int8
    (pairs, 2) each. Windows e_L, L_B buffer sites, v1, v2, L_B sites, e_R follow each other
    along chains of :data:`CHAIN_LENGTH` spins, sharing their end spins (so the pairs of one
    chain are correlated, sample-major as the training driver wants them)."""
    stride = 2 * buffer + 3  # e_L to e_R: the next window starts at this one's e_R
    per_chain = (CHAIN_LENGTH - 1) // stride
    if per_chain < 1:
        raise InputError(f"buffer {buffer} does not fit a chain of {CHAIN_LENGTH} spins")
    n_chains = -(-pairs // per_chain)
    s = sample_chain(K, n_chains, CHAIN_LENGTH, seed)
    left = np.arange(per_chain) * stride  # e_L of each window
    V = np.stack([s[:, left + buffer + 1], s[:, left + buffer + 2]], axis=-1).reshape(-1, 2)
    E = np.stack([s[:, left], s[:, left + stride]], axis=-1).reshape(-1, 2)
    return V[:pairs], E[:pairs]


@checked(K=COUPLING, buffer=BUFFER, pairs=Integer(64), epochs=Integer(1),
         weight_decay=Real(0), seed=SEED)
def chain_training_path(K: float, buffer: int = 1, *, pairs: int = PATH_PAIRS,
                        epochs: int = PATH_EPOCHS, weight_decay: float = 0.0, seed: int = 0,
                        progress: Callable[[int, int, float], None] | None = None
                        ) -> TrainingPath:
    """Train one symmetric unit (variational estimator, one restart, every epoch run) on
    ``pairs`` exact chain pairs at (K, buffer) and record its raw filter after each epoch
    (module notes). ``weight_decay`` defaults to 0: the library's 0.04 outweighs the whole
    signal of a weak chain (I(V:E) = 1e-4 nats at K = 0.1, L_B = 1) and pulls the filter to
    zero. Deterministic for a seed."""
    V, E = chain_pairs(K, buffer, pairs, seed)
    model = estimators()["variational"](1, symmetric=True, epochs=epochs,
                                        weight_decay=weight_decay, patience=None)
    lam, mi = [], []

    def record(done: int, total: int, value: float) -> None:
        lam.append(model.rule_.filters[0].copy())  # the raw filter of the epoch just run
        mi.append(value)
        if progress is not None:
            progress(done, total, value)

    fit(model, V, E, seed=seed, restarts=1, progress=record)
    lam = np.array(lam)
    mi_ve = chain_mutual_information(K, buffer)
    kept = np.array([chain_rule_information(K, [row], [0.0], buffer) for row in lam]) / mi_ve
    return TrainingPath(lam, np.array(mi), kept)


def write_landscape(path: str | Path, land: ChainLandscape,
                    attrs: Mapping[str, Any] | None = None) -> Path:
    """Write a landscape file (module notes) atomically; ``attrs``: settings to record."""
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f["lambda"] = land.lam
        for name in _FIELDS:
            f[name] = getattr(land, name)
        f["ring_blocks"] = land.ring
        f["ring_change"] = land.change
        if land.path is not None:
            f["path_lambda"] = land.path.lam
            f["path_mi"] = land.path.mi
            f["path_info_kept"] = land.path.info_kept
        extra = {} if land.order is None else {"order": land.order}
        f.attrs.update({**(attrs or {}), "format": LANDSCAPE_FORMAT, "format_version": 1,
                        "K": land.K, "buffer": land.buffer, "mi_ve": land.mi_ve,
                        "method": "exact" if land.order is None else "cumulant", **extra})
    return Path(path)


def read_landscape(path: str | Path) -> ChainLandscape:
    """Read a file of :func:`write_landscape`; InputError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            a = dict(f.attrs)
            if a.get("format") != LANDSCAPE_FORMAT:
                raise InputError(f"{path}: not a gpurg chain-landscape file")
            d = {k: f[k][()] for k in f}
    except OSError as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({exc})") from None
    track = (TrainingPath(d["path_lambda"], d["path_mi"], d["path_info_kept"])
             if "path_lambda" in d else None)
    return ChainLandscape(float(a["K"]), int(a["buffer"]), d["lambda"], float(a["mi_ve"]),
                          *(d[name] for name in _FIELDS), d["ring_blocks"], d["ring_change"],
                          int(a["order"]) if "order" in a else None, track)
