"""The effective Hamiltonian of coarse spins, fitted by pseudo-likelihood (science.md §6).

The law of the coarse spins of any rule is written P(H) ∝ exp(K'[H]) with

    K'[H] = Σ_a K'_a O_a(H),   O_a = Σ_sites Σ_orientations Π_{o∈shape} h_{j+o}

over a set of operators of :data:`gpurg.rg.operators.SHAPES` (lattice sums in which every
bond, plaquette or cluster is counted once, so K'_a is the coupling of one bond: the
coefficient of one pair h_i h_j in the expansion of ln P(H) in products of coarse spins, when
the operator set holds the Hamiltonian). The couplings are the maximum pseudo-likelihood
estimate of :mod:`gpurg.rg.flow`, with jackknife errors over blocks of samples.

Two measures of the result (the PRX cumulant-expansion paper's):

* rangeness K'_2(2) / K'_2(1) = K'_nnn / K'_nn (the diagonal pair, distance √2, over the
  nearest-neighbour pair);
* m-bodyness K'_4 / K'_2(1) = K'_plaquette / K'_nn.

Their errors are jackknifed from the leave-one-block-out fits (the ratio is formed in each).
The exact counterpart on a small torus is :mod:`gpurg.rg.torus_exact`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.rg.flow import (
    FLOW_BLOCKS,
    _check_configs,
    _check_operators,
    _fit_counts,
    _pattern_index,
)
from gpurg.rg.maps import RGMap
from gpurg.stats import jackknife_labels, jackknife_spread
from gpurg.validation import SEED, Integer, checked, to_host

DEFAULT_OPERATORS: tuple[str, ...] = ("nn", "nnn", "third", "knight", "plaquette", "diamond",
                                      "rectangle")
"""Pairs at distances 1, √2, 2, √5 and three 4-spin terms (unit plaquette, the diamond of
side √2, the 1 x 2 rectangle); all span 2, so they fit an L x L torus with L >= 4."""

MAX_COUPLING = 5.0
"""Largest |K'_a| a fit may return. Ordered coarse spins (every spin agrees with its local
field, e.g. below T_c after a few RG steps) make the pseudo-likelihood grow without bound as
the couplings grow: no finite maximum exists and Newton's iterates run off (6-13 after 100
steps). Physical couplings of a coarse Ising lattice near criticality are below 1 (K_c =
0.44; K = 2 is T = 0.5), so a fit past 5 is the ordered fixed point, K' = ∞, not a value."""

MIN_SURPRISE = 1e-4
"""A fit whose mean log P(s_i | rest) per site is above -MIN_SURPRISE nats predicts every
site all but surely: the data are separable and the fit is the same runaway (perfectly
ordered spins reach it with moderate |K'| spread over many operators)."""


class OrderedSpins(InputError):
    """The coarse spins are ordered: their pseudo-likelihood has no finite maximum."""


RANGENESS = ("nnn", "nn")
MBODYNESS = ("plaquette", "nn")


@dataclass(frozen=True)
class EffectiveHamiltonian:
    """Fitted couplings of K'[H] = Σ_a K_a O_a.

    operators: names, length n_ops; K, K_err: float64 (n_ops,); K_jack: float64
    (n_blocks, n_ops) leave-one-block-out fits; L: side of the fitted lattice; n_samples:
    configurations fitted; n_blocks: jackknife blocks.
    """

    operators: tuple[str, ...]
    K: np.ndarray
    K_err: np.ndarray
    K_jack: np.ndarray
    L: int
    n_samples: int
    n_blocks: int

    def coupling(self, name: str) -> tuple[float, float]:
        """(K_a, error) of one operator."""
        a = self._index(name)
        return float(self.K[a]), float(self.K_err[a])

    def _index(self, name: str) -> int:
        if name not in self.operators:
            raise InputError(f"operator {name!r} was not fitted (operators: "
                             f"{', '.join(self.operators)})")
        return self.operators.index(name)

    def ratio(self, numerator: str, denominator: str) -> tuple[float, float]:
        """(K_num / K_den, jackknife error)."""
        i, j = self._index(numerator), self._index(denominator)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = self.K[i] / self.K[j]
            jack = self.K_jack[:, i] / self.K_jack[:, j]
        return float(value), float(jackknife_spread(jack))

    @property
    def has_rangeness(self) -> bool:
        return all(op in self.operators for op in RANGENESS)

    @property
    def has_mbodyness(self) -> bool:
        return all(op in self.operators for op in MBODYNESS)

    def rangeness(self) -> tuple[float, float]:
        """K'_2(2) / K'_2(1) = K_nnn / K_nn with its jackknife error."""
        return self.ratio(*RANGENESS)

    def mbodyness(self) -> tuple[float, float]:
        """K'_4 / K'_2(1) = K_plaquette / K_nn with its jackknife error."""
        return self.ratio(*MBODYNESS)


@checked(L=Integer(1, optional=True))
def check_operators(operators: Sequence[str], L: int | None = None) -> tuple[str, ...]:
    """Distinct names of :data:`gpurg.rg.operators.SHAPES` that fit an L x L torus (InputError
    naming the first that does not); with L None the names alone are checked."""
    return _check_operators(tuple(operators), 3, L)


def _block_labels(n: int, blocks: int, groups: np.ndarray | None) -> np.ndarray:
    if blocks > n:
        raise InputError(f"jackknife needs blocks <= number of samples ({n}), got {blocks}")
    labels, _ = jackknife_labels(n, blocks, groups)
    _, labels = np.unique(labels, return_inverse=True)  # drop empty blocks
    if labels.max() + 1 < FLOW_BLOCKS.low:
        raise InputError(f"only {labels.max() + 1} distinct groups: the jackknife needs at "
                         f"least {FLOW_BLOCKS.low}")
    return labels


@checked(blocks=FLOW_BLOCKS)
def fit_hamiltonian(configs: Any, operators: Sequence[str] = DEFAULT_OPERATORS, *,
                    blocks: int = 16, groups: np.ndarray | None = None
                    ) -> EffectiveHamiltonian:
    """Maximum pseudo-likelihood couplings of ±1 configurations (n, L, L) on the periodic
    square lattice, for ``operators`` (names of :data:`gpurg.rg.operators.SHAPES` that fit L,
    i.e. L >= 2 span), with jackknife errors over ``blocks`` (>= 8) blocks of samples; with
    ``groups`` (one label per sample, e.g. the replica) correlated samples leave together.

    The same estimate as :func:`gpurg.rg.flow.pseudo_likelihood_couplings` (bit for bit, same
    blocks), with the site patterns counted per block rather than per sample so that many
    operators fit in memory.
    """
    configs = _check_configs(configs)
    if configs.ndim != 3:
        raise InputError(f"configurations must be (n, L, L) lattices, got shape "
                         f"{configs.shape}")
    L = configs.shape[1]
    operators = check_operators(operators, L)
    n = configs.shape[0]
    labels = _block_labels(n, blocks, groups)
    n_blocks = int(labels.max()) + 1
    patterns, index = _pattern_index(configs, operators)
    P = patterns.shape[0]
    flat = (labels[:, None].astype(np.int64) * P + index).ravel()
    per_block = np.bincount(flat, minlength=n_blocks * P).reshape(n_blocks, P)
    total = per_block.sum(axis=0)
    K = _fit_counts(patterns, total)
    K_jack = np.array([_fit_counts(patterns, total - per_block[b]) for b in range(n_blocks)])
    worst = max(float(np.abs(K).max()), float(np.abs(K_jack).max()))
    x = patterns.astype(np.float64) @ K
    # mean log P(s_i | rest) per site: about 0 when the fit explains every site, which on
    # ±1 data only a runaway to infinite couplings does (each pattern then has one sign)
    per_site = float(total @ (x - np.logaddexp(x, -x)) / total.sum())
    if not np.isfinite(worst) or worst > MAX_COUPLING or per_site > -MIN_SURPRISE:
        raise OrderedSpins(f"the {L} x {L} spins are ordered: the pseudo-likelihood has no "
                           f"finite maximum (|K'| reached {worst:.3g}, limit {MAX_COUPLING:g}; "
                           f"log-pseudo-likelihood per site {per_site:.2g}); their couplings "
                           f"are infinite (the ordered fixed point)")
    return EffectiveHamiltonian(operators, K, jackknife_spread(K_jack), K_jack, L, n, n_blocks)


@checked(levels=Integer(1), blocks=FLOW_BLOCKS, seed=SEED)
def coarse_hamiltonians(configs: Any, rg_map: RGMap, levels: int = 1,
                        operators: Sequence[str] = DEFAULT_OPERATORS, *, blocks: int = 16,
                        groups: np.ndarray | None = None, seed: int = 0
                        ) -> list[EffectiveHamiltonian]:
    """Coarse-grain ``configs`` (n, L, L) ``levels`` times with ``rg_map`` (seed ``seed``,
    level counter 0, 1, ...) and fit the effective Hamiltonian at levels 1..levels.

    Every operator must fit the coarsest lattice (InputError before any work otherwise).
    Returns one :class:`EffectiveHamiltonian` per level.
    """
    if configs.ndim != 3 or configs.shape[1] != configs.shape[2]:
        raise InputError(f"configurations must be (n, L, L), got shape {configs.shape}")
    L = configs.shape[1]
    sizes = []
    size = L
    for _ in range(levels):
        if size % rg_map.b or size < rg_map.b:
            raise InputError(f"{levels} levels of b = {rg_map.b} do not divide L = {L}")
        size //= rg_map.b
        sizes.append(size)
    check_operators(operators, sizes[-1])
    out = []
    for level in range(levels):
        configs = rg_map(configs, seed=seed, level=level)
        out.append(fit_hamiltonian(to_host(configs), operators, blocks=blocks, groups=groups))
    return out


__all__ = ["DEFAULT_OPERATORS", "MAX_COUPLING", "EffectiveHamiltonian", "OrderedSpins",
           "check_operators",
           "coarse_hamiltonians", "fit_hamiltonian"]
