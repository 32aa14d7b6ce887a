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
each epoch's filter come with it. At weak coupling it collapses: at K = 0.1, L_B = 1
(I(V:E) = 1e-4 nats) the filter shrinks to λ = 0 on every seed. The bound's entropy term is
H of a mini-batch's mean P(H|V), biased low by about Var(tanh λ·v) / (2 batch), 2e-4 nats
for a unit-variance filter and batches of 1024: ten times the information the filter keeps,
and its gradient points to λ = 0. Batches of 16384 stop the collapse (3 seeds) but the
filter then stays where it started: the spectral start is noise there (canonical
correlation 0.014 on 20 000 pairs, 0.028 by chance) and the signal's gradient is below the
mini-batch noise. 200 000 pairs barely resolve 1e-4 nats.

The exact path (:func:`chain_exact_path`): Adam's ascent of the exact I_Λ(H:E) itself (its
analytic gradient), from the start a training run takes computed from the exact P(V, E),
the step size decaying geometrically to 1% as in training. It shows where the landscape
leads a rule, at any coupling, in milliseconds.

Files (:func:`write_landscape`, :func:`read_landscape`): datasets ``lambda`` (g,), (g, g)
``mi``, ``info_kept``, ``K2_1``, ``K2_2``, ``K4``, ``rangeness``, ``mbodyness``,
``ring_blocks``, ``ring_change``, index [i, j] <-> (lambda[i], lambda[j]); a path as
``path_lambda`` (n, 2), ``path_mi`` (n,) (estimate), ``path_info_kept`` (n,) (exact); the
exact path as ``exact_path_lambda`` (m, 2), ``exact_path_mi`` (m,) (exact I_Λ(H:E), nats),
``exact_path_info_kept`` (m,); attributes ``K``, ``buffer``, ``mi_ve`` = I(V:E), ``method``
("exact" or "cumulant"), ``order`` (cumulant only), ``format``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, open_results
from gpurg.optim import Adam
from gpurg.rg.chain import (
    MAX_ORDER,
    ChainCouplings,
    chain_couplings,
    chain_cumulant_couplings,
)
from gpurg.rsmi.estimators import estimators
from gpurg.rsmi.exact import (
    COUPLING,
    _mutual_information,
    chain_block_environment,
    chain_mutual_information,
    chain_rule_information,
    sample_chain,
    spin_states,
)
from gpurg.rsmi.start import JITTER
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
# the exact path: Adam steps on the information kept, the rate decaying from EXACT_RATE to
# 1% of it; the ascent slows by itself as I_Λ(H:E) saturates (|λ| ~ 4 after 1000 steps)
EXACT_STEPS = 1000
EXACT_RATE = 0.1
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
class ExactPath:
    """Gradient ascent on the exact I_Λ(H:E): ``lam`` float64 (n, 2), (λ1, λ2) at the start
    and after each step; ``mi`` (n,) the exact I_Λ(H:E) there (nats); ``info_kept`` (n,)
    that over I(V:E)."""

    lam: np.ndarray
    mi: np.ndarray
    info_kept: np.ndarray


@dataclass
class ChainLandscape:
    """The chain's landscape over a (λ1, λ2) grid (module notes): ``lam`` (g,), the (g, g)
    arrays of :data:`_FIELDS` and ``ring``/``change`` (ring blocks and last change of the
    exact couplings), ``mi_ve`` = I(V:E) (nats), ``order`` None for the exact couplings,
    ``path`` an optional :class:`TrainingPath`, ``exact_path`` an optional
    :class:`ExactPath`."""

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
    exact_path: ExactPath | None = field(default=None)

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


def _information_gradient(table: np.ndarray, lam: np.ndarray) -> tuple[float, np.ndarray]:
    """I_Λ(H:E) (nats) of the symmetric rule λ on P(V, E) ``table`` (4, 4) and its gradient in
    λ (2,). With Q(h, e) = Σ_v P(h|v) P(v, e), P(h|v) = σ(2h λ·v), and P(e) fixed,
    dI = Σ_{h,e} dQ(h, e) log(Q(h, e) / Q(h)) (the other terms sum to zero), and
    dQ(±, e)/dλ = ±Σ_v 2σ(2λ·v)σ(-2λ·v) v P(v, e)."""
    v = spin_states(2).astype(np.float64)
    a = v @ lam
    plus = 0.5 * (1.0 + np.tanh(a))  # σ(2a)
    q = np.stack([(1.0 - plus) @ table, plus @ table])  # Q(h, e): rows h = -1, +1
    info = float(_mutual_information(q))  # chain_rule_information's sum, on the same Q
    log_ratio = np.log(q) - np.log(q.sum(axis=1, keepdims=True))
    slope = 2.0 * plus * (1.0 - plus)  # dσ(2a)/da
    d_plus = (slope[:, None] * v).T @ table  # (2, 4): dQ(+, e)/dλ_i
    return info, d_plus @ (log_ratio[1] - log_ratio[0])


def chain_exact_start(K: float, buffer: int, seed: int) -> np.ndarray:
    """The start of a training run's restart 0 (:func:`gpurg.rsmi.start.initial_rule`)
    computed from the exact P(V, E) instead of pairs: the leading canonical direction of V
    against E (the majority direction λ1 = λ2: the block-environment correlations are
    symmetric under the chain's reversal), plus :data:`~gpurg.rsmi.start.JITTER` of the
    Gaussian direction ``default_rng([seed, 0]).normal(size=(1, 2))`` (restart 0's draw),
    each and the sum scaled to unit activation variance. float64 (2,)."""
    table = chain_block_environment(K, buffer)
    s = spin_states(2).astype(np.float64)
    c_vv = s.T @ (table.sum(axis=1)[:, None] * s)  # means vanish at h = 0
    c_ee = s.T @ (table.sum(axis=0)[:, None] * s)
    c_ve = s.T @ table @ s

    def inverse_sqrt(c: np.ndarray) -> np.ndarray:
        w, u = np.linalg.eigh(c)
        return (u / np.sqrt(w)) @ u.T

    def unit(f: np.ndarray) -> np.ndarray:
        return f / np.sqrt(f @ c_vv @ f)

    a = inverse_sqrt(c_vv)
    u, _, _ = np.linalg.svd(a @ c_ve @ inverse_sqrt(c_ee))
    noise = np.random.default_rng([seed, 0]).normal(size=(1, 2))[0]
    return unit(unit(a @ u[:, 0]) + JITTER * unit(noise))


@checked(K=COUPLING, buffer=BUFFER, steps=Integer(1), learning_rate=Real(0, low_open=True),
         seed=SEED)
def chain_exact_path(K: float, buffer: int = 1, *, steps: int = EXACT_STEPS,
                     learning_rate: float = EXACT_RATE, seed: int = 0) -> ExactPath:
    """Gradient ascent (Adam) on the exact information kept I_Λ(H:E) / I(V:E) of one
    symmetric unit (λ1, λ2) at (K, buffer), from :func:`chain_exact_start`, step t of
    ``steps`` at rate learning_rate 0.01^(t / (steps - 1)) (the training schedule, one step
    an epoch); the analytic gradient (:func:`_information_gradient`). The objective is
    scale-free, so Adam's steps are alike at any K. Returns the start and every step
    (steps + 1 points). Deterministic for a seed."""
    table = chain_block_environment(K, buffer)
    mi_ve = chain_mutual_information(K, buffer)
    params = {"lambda": chain_exact_start(K, buffer, seed)}
    adam = Adam(params, learning_rate)
    lam, mi = [params["lambda"]], []
    for step in range(steps):
        value, grad = _information_gradient(table, params["lambda"])
        mi.append(value)
        adam.learning_rate = learning_rate * 0.01 ** (step / max(1, steps - 1))
        adam.step(params, {"lambda": grad / mi_ve})
        lam.append(params["lambda"])
    mi.append(_information_gradient(table, params["lambda"])[0])
    mi = np.array(mi)
    return ExactPath(np.array(lam), mi, mi / mi_ve)


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
        if land.exact_path is not None:
            f["exact_path_lambda"] = land.exact_path.lam
            f["exact_path_mi"] = land.exact_path.mi
            f["exact_path_info_kept"] = land.exact_path.info_kept
        extra = {} if land.order is None else {"order": land.order}
        f.attrs.update({**(attrs or {}), "format": LANDSCAPE_FORMAT, "format_version": 1,
                        "K": land.K, "buffer": land.buffer, "mi_ve": land.mi_ve,
                        "method": "exact" if land.order is None else "cumulant", **extra})
    return Path(path)


def read_landscape(path: str | Path) -> ChainLandscape:
    """Read a file of :func:`write_landscape`; InputError if it is not one."""
    with open_results(path, LANDSCAPE_FORMAT, "chain-landscape") as (f, a):
        d = {k: f[k][()] for k in f}
    track = (TrainingPath(d["path_lambda"], d["path_mi"], d["path_info_kept"])
             if "path_lambda" in d else None)
    ascent = (ExactPath(d["exact_path_lambda"], d["exact_path_mi"], d["exact_path_info_kept"])
              if "exact_path_lambda" in d else None)
    return ChainLandscape(float(a["K"]), int(a["buffer"]), d["lambda"], float(a["mi_ve"]),
                          *(d[name] for name in _FIELDS), d["ring_blocks"], d["ring_change"],
                          int(a["order"]) if "order" in a else None, track, ascent)
