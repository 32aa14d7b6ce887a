"""The landscape of one-unit rules on 2x2 Ising blocks: information kept against the
effective Hamiltonian's range and many-body terms (issue 14; Lenggenhager et al. 2020).

The rules form the plane λ = (λ_1, λ_2, λ_2, λ_2): weight λ_1 on the block's top-left spin,
λ_2 on the other three, P(h|V) = σ(2 h λ·V) (no bias: Z2-symmetric data). The plane holds

* decimation, λ_2 = 0 (the corner spin, :class:`gpurg.rg.maps.Decimation`'s);
* the block spin (majority rule with a random tie-break as |λ| grows), λ_1 = λ_2;
* majority with the tie broken by the corner spin, λ_1 slightly above λ_2 (λ_2 < λ_1 < 3 λ_2,
  λ large): the "flat ridge" along which unpenalised training drifts (README);
* the same rules with the corner spin reversed (λ_1 < 0), and every rule's negative, which is
  the same map up to relabelling h -> -h (the landscape is symmetric under λ -> -λ).

Information: I_Λ(H:E) at each λ, exact up to the noise of the environment samples
(:func:`gpurg.rsmi.exact.ising_rules_information`: the block and its buffer enumerated, so
L_B = 0 and L_B = 1), with I(V:E), its ceiling. Effective Hamiltonian: the coarse spins of each
rule on a coarser grid of λ (drawn from P(H|V): the stochastic rule itself), fitted by
pseudo-likelihood (:func:`gpurg.rg.hamiltonian.fit_hamiltonian`), with rangeness
K'_nnn / K'_nn and m-bodyness K'_plaquette / K'_nn and their jackknife errors.

A landscape file (HDF5, atomic) holds ``lambda`` (g,), ``buffer`` (k,), ``mi``, ``mi_err``
(k, g, g) with index [b, i, j] <-> buffer[b], λ_1 = lambda[i], λ_2 = lambda[j]; ``mi_ve``,
``mi_ve_err`` (k,); ``fit_lambda`` (f,) and (f, f) arrays ``K2_1``, ``K2_1_err``,
``rangeness``, ``rangeness_err``, ``mbodyness``, ``mbodyness_err``; root attributes ``K``,
``L``, ``samples``, ``positions``, ``format`` = "gpurg-block-landscape". Its picture:
:func:`gpurg.figures.block_landscape_figure`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, open_results
from gpurg.rg.hamiltonian import (
    DEFAULT_OPERATORS,
    OrderedSpins,
    check_operators,
    fit_hamiltonian,
)
from gpurg.rg.maps import RsmiRule
from gpurg.rsmi.exact import ising_block_information, ising_rules_information
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.validation import SEED, Integer, Real, checked, to_host

__all__ = ["BLOCK_LANDSCAPE_FORMAT", "BlockLandscape", "block_filters", "block_landscape",
           "read_block_landscape", "write_block_landscape"]

BLOCK_LANDSCAPE_FORMAT = "gpurg-block-landscape"
GRID = Integer(3, 201)
FIT_GRID = Integer(3, 41)
MAX_LAMBDA = Real(0.0, 1e4, low_open=True)
POSITIONS = Integer(16, 2**32 - 1)  # environment samples: at least the 16 error batches
BUFFERS = (0, 1)  # what the exact conditional reaches on a 2x2 block (block + buffer <= 16)
FIT_BLOCKS = 16  # jackknife blocks of each Hamiltonian fit
_ENV = 1  # the ring next to block and buffer carries all of E's information (Markov)


def block_filters(lambda_1: Any, lambda_2: Any) -> np.ndarray:
    """float64 (..., 4): the 2x2 filters (λ_1, λ_2, λ_2, λ_2) (row-major block, λ_1 on the
    top-left spin) for broadcastable λ_1, λ_2."""
    l1, l2 = np.broadcast_arrays(np.asarray(lambda_1, np.float64),
                                 np.asarray(lambda_2, np.float64))
    return np.stack([l1, l2, l2, l2], axis=-1)


@dataclass(frozen=True)
class BlockLandscape:
    """I_Λ(H:E) and the effective Hamiltonian over the (λ_1, λ_2) plane (module docstring).

    lambdas: float64 (g,); buffers: int (k,); mi, mi_err: float64 (k, g, g) in nats;
    mi_ve, mi_ve_err: float64 (k,) in nats; fit_lambdas: float64 (f,); K2_1, K2_1_err,
    rangeness, rangeness_err, mbodyness, mbodyness_err: float64 (f, f), NaN where K'_nn is
    zero within its error's reach (λ = 0: coarse spins of pure noise), K2_1 = inf (the rest
    NaN) where the coarse spins are ordered (:class:`gpurg.rg.hamiltonian.OrderedSpins`, the
    ordered phase); K: J/T of the data;
    L: its side; samples: configurations; positions: environment samples per buffer.
    """

    lambdas: np.ndarray
    buffers: np.ndarray
    mi: np.ndarray
    mi_err: np.ndarray
    mi_ve: np.ndarray
    mi_ve_err: np.ndarray
    fit_lambdas: np.ndarray
    K2_1: np.ndarray
    K2_1_err: np.ndarray
    rangeness: np.ndarray
    rangeness_err: np.ndarray
    mbodyness: np.ndarray
    mbodyness_err: np.ndarray
    K: float
    L: int
    samples: int
    positions: int

    def info_kept(self) -> np.ndarray:
        """float64 (k, g, g): I_Λ(H:E) / I(V:E) at each buffer."""
        return self.mi / self.mi_ve[:, None, None]

    def information_at(self, lambda_1: float, lambda_2: float, buffer: int = 0) -> tuple[
            float, float]:
        """(I_Λ(H:E), error) in nats at the grid point nearest (λ_1, λ_2)."""
        b = int(np.flatnonzero(self.buffers == buffer)[0])
        i, j = (int(np.abs(self.lambdas - x).argmin()) for x in (lambda_1, lambda_2))
        return float(self.mi[b, i, j]), float(self.mi_err[b, i, j])


@checked(K=Real(0.0, low_open=True), grid=GRID, max_lambda=MAX_LAMBDA, fit_grid=FIT_GRID,
         positions=POSITIONS, seed=SEED)
def block_landscape(configs: Any, K: float, *, grid: int = 41, max_lambda: float = 3.0,
                    fit_grid: int = 9, buffers: Sequence[int] = BUFFERS,
                    positions: int = 60_000, operators: Sequence[str] = DEFAULT_OPERATORS,
                    seed: int = 0, progress: Callable[[int, int], None] | None = None
                    ) -> BlockLandscape:
    """The landscape of the module docstring on Ising configurations int8 (n, L, L) at
    coupling K = J/T (the exact conditional needs the K the data were sampled at).

    ``grid`` x ``grid`` values of λ_1, λ_2 in [-max_lambda, max_lambda] for the information
    (each buffer: ``positions`` environment samples drawn with an independent seed);
    ``fit_grid`` x ``fit_grid`` for the Hamiltonians (one coarse-graining of all
    configurations per point, fitted with ``operators``; the coarse lattice must be at least
    4 x 4). ``progress(done, total)`` after each fitted point.
    """
    configs = to_host(configs)
    if configs.ndim != 3 or configs.shape[1] != configs.shape[2] or configs.shape[1] % 2:
        raise InputError(f"configurations must be (n, L, L) with L even, got shape "
                         f"{configs.shape}")
    buffers = tuple(int(b) for b in buffers)
    if not buffers or any(b not in BUFFERS for b in buffers) or len(set(buffers)) != len(
            buffers):
        raise InputError(f"buffers must be distinct values from {BUFFERS} (the exact "
                         f"conditional enumerates block and buffer), got {buffers}")
    # everything that can be refused is refused before any work
    n, L = int(configs.shape[0]), int(configs.shape[1])
    if n < FIT_BLOCKS:
        raise InputError(f"{n} configurations: the jackknife of the Hamiltonian fits needs at "
                         f"least {FIT_BLOCKS}")
    try:
        check_operators(operators, L // 2)
    except InputError as err:
        raise InputError(f"L = {L}: the coarse {L // 2} x {L // 2} lattice is too small for "
                         f"the Hamiltonian fits ({err})") from None
    for buffer in buffers:
        Geometry(2, buffer, _ENV).check_fits(L, L)
    lambdas = np.linspace(-max_lambda, max_lambda, grid)
    l1, l2 = np.meshgrid(lambdas, lambdas, indexing="ij")
    filters = block_filters(l1, l2).reshape(-1, 4)
    mi = np.empty((len(buffers), grid, grid))
    mi_err = np.empty_like(mi)
    mi_ve = np.empty(len(buffers))
    mi_ve_err = np.empty(len(buffers))
    for k, buffer in enumerate(buffers):
        geometry = Geometry(2, buffer, _ENV)
        _, E = extract_pairs(configs, geometry, positions=positions,
                             seed=independent_seed(seed, k))
        values, errors = ising_rules_information(K, geometry, filters, E)
        mi[k], mi_err[k] = values.reshape(grid, grid), errors.reshape(grid, grid)
        mi_ve[k], mi_ve_err[k] = ising_block_information(K, geometry, E)
    fit_lambdas = np.linspace(-max_lambda, max_lambda, fit_grid)
    fits = np.full((6, fit_grid, fit_grid), np.nan)
    total = fit_grid * fit_grid
    for index in range(total):
        i, j = divmod(index, fit_grid)
        if fit_lambdas[i] == 0 and fit_lambdas[j] == 0:  # pure noise: no Hamiltonian at all
            fits[:2, i, j] = 0.0
        else:
            rule = RsmiRule(CoarseGrainingRule(block_filters(fit_lambdas[i], fit_lambdas[j])
                                               [None], np.zeros(1)), 2, "sample")
            coarse = to_host(rule(configs, seed=independent_seed(seed, len(buffers) + index)))
            try:
                ham = fit_hamiltonian(coarse, operators, blocks=FIT_BLOCKS)
            except OrderedSpins:  # K' = ∞: left NaN, as the λ = 0 ratios are
                fits[0, i, j] = np.inf
            else:
                fits[0, i, j], fits[1, i, j] = ham.coupling("nn")
                if 4 * fits[1, i, j] < abs(fits[0, i, j]):  # the ratios mean something
                    fits[2:4, i, j] = ham.rangeness()
                    fits[4:6, i, j] = ham.mbodyness()
        if progress is not None:
            progress(index + 1, total)
    return BlockLandscape(lambdas, np.asarray(buffers), mi, mi_err, mi_ve, mi_ve_err,
                          fit_lambdas, *fits, K=float(K), L=int(configs.shape[1]),
                          samples=int(configs.shape[0]), positions=int(positions))


_ARRAYS = ("lambdas", "buffers", "mi", "mi_err", "mi_ve", "mi_ve_err", "fit_lambdas", "K2_1",
           "K2_1_err", "rangeness", "rangeness_err", "mbodyness", "mbodyness_err")
_NAMES = {"lambdas": "lambda", "buffers": "buffer", "fit_lambdas": "fit_lambda"}
_ATTRS = ("K", "L", "samples", "positions")


def write_block_landscape(path: str | Path, landscape: BlockLandscape,
                          attrs: dict[str, Any] | None = None) -> None:
    """Write the landscape file of the module docstring atomically (``attrs``: the caller's
    settings, added as root attributes)."""
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        for name in _ARRAYS:
            f.create_dataset(_NAMES.get(name, name), data=getattr(landscape, name))
        for name in _ATTRS:
            f.attrs[name] = getattr(landscape, name)
        f.attrs["format"] = BLOCK_LANDSCAPE_FORMAT
        for key, value in (attrs or {}).items():
            f.attrs[key] = value


def read_block_landscape(path: str | Path) -> BlockLandscape:
    """A landscape written by :func:`write_block_landscape` (InputError if the file is not
    one)."""
    with open_results(path, BLOCK_LANDSCAPE_FORMAT, "block landscape") as (f, attrs):
        arrays = {name: f[_NAMES.get(name, name)][()] for name in _ARRAYS}
    return BlockLandscape(**arrays, K=float(attrs["K"]), L=int(attrs["L"]),
                          samples=int(attrs["samples"]), positions=int(attrs["positions"]))
