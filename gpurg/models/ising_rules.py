"""Acceptance rules of the Ising updates as integer thresholds, shared by every backend.

A random 32-bit word u triggers an event iff u < threshold, with thresholds in [0, 2^32]
computed once on the host in float64. Both backends compare the same integers, so their
chains agree bit for bit, and the probabilities are exact up to 2^-33.
"""

from __future__ import annotations

import math

import numpy as np

LOCAL_ALGORITHMS = ("metropolis", "heatbath")
ALGORITHMS = (*LOCAL_ALGORITHMS, "swendsen-wang")
_ONE = 2**32


def probability_threshold(p: float) -> int:
    """Integer threshold t in [0, 2^32] with P(u < t) = p rounded to a multiple of 2^-32."""
    return min(_ONE, max(0, math.floor(p * _ONE + 0.5)))


def flip_thresholds(
    algorithm: str, temperature: float, coupling: float, field: float, neighbours: int = 4
) -> np.ndarray:
    """Flip thresholds of a checkerboard update, indexed by (neighbours + 1) * (s > 0) + n_plus.

    Parameters
    ----------
    algorithm : {"metropolis", "heatbath"}
    temperature, coupling, field : float
        T, J and h in the same energy units (k_B = 1).
    neighbours : int
        Neighbours z of a site: 4 on the square lattice (10 entries, index
        5 * (s > 0) + (nn + 4) / 2), 6 on the simple cubic one (14 entries).

    Returns
    -------
    numpy.ndarray
        uint64, shape (2 (z + 1),): entry for spin s in {-1, +1} and n_plus in 0..z neighbours
        of value +1, i.e. neighbour sum nn = 2 n_plus - z. Metropolis flips with
        min(1, exp(-dE/T)); heat-bath sets the spin from its conditional distribution, i.e.
        flips with 1 / (1 + exp(dE/T)), dE = 2 s (J nn + h).
    """
    if algorithm not in LOCAL_ALGORITHMS:
        raise ValueError(f"unknown local algorithm {algorithm!r}; allowed: {LOCAL_ALGORITHMS}")
    table = np.empty(2 * (neighbours + 1), dtype=np.uint64)
    for si, s in enumerate((-1, 1)):
        for n_plus in range(neighbours + 1):
            nn = 2 * n_plus - neighbours
            x = 2.0 * s * (coupling * nn + field) / temperature  # dE / T
            if algorithm == "metropolis":
                p = 1.0 if x <= 0 else math.exp(-x)
            else:
                p = 0.5 * (1.0 - math.tanh(0.5 * x))  # 1 / (1 + e^x) without overflow
            table[(neighbours + 1) * si + n_plus] = probability_threshold(p)
    return table


def bond_threshold(temperature: float, coupling: float) -> int:
    """Swendsen–Wang bond threshold: a satisfied bond is laid with p = 1 - exp(-2|J|/T)."""
    return probability_threshold(-math.expm1(-2.0 * abs(coupling) / temperature))
