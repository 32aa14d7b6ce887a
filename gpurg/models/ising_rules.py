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
    algorithm: str, temperature: float, coupling: float, field: float
) -> np.ndarray:
    """Flip thresholds of a checkerboard update, indexed by 5 * (s > 0) + (nn + 4) / 2.

    Parameters
    ----------
    algorithm : {"metropolis", "heatbath"}
    temperature, coupling, field : float
        T, J and h in the same energy units (k_B = 1).

    Returns
    -------
    numpy.ndarray
        uint64, shape (10,): entry for spin s in {-1, +1} and neighbour sum nn in
        {-4, -2, 0, 2, 4}. Metropolis flips with min(1, exp(-dE/T)); heat-bath sets the spin
        from its conditional distribution, i.e. flips with 1 / (1 + exp(dE/T)),
        dE = 2 s (J nn + h).
    """
    if algorithm not in LOCAL_ALGORITHMS:
        raise ValueError(f"unknown local algorithm {algorithm!r}; allowed: {LOCAL_ALGORITHMS}")
    table = np.empty(10, dtype=np.uint64)
    for si, s in enumerate((-1, 1)):
        for ni, nn in enumerate((-4, -2, 0, 2, 4)):
            x = 2.0 * s * (coupling * nn + field) / temperature  # dE / T
            if algorithm == "metropolis":
                p = 1.0 if x <= 0 else math.exp(-x)
            else:
                p = 0.5 * (1.0 - math.tanh(0.5 * x))  # 1 / (1 + e^x) without overflow
            table[5 * si + ni] = probability_threshold(p)
    return table


def bond_threshold(temperature: float, coupling: float) -> int:
    """Swendsen–Wang bond threshold: a satisfied bond is laid with p = 1 - exp(-2|J|/T)."""
    return probability_threshold(-math.expm1(-2.0 * abs(coupling) / temperature))
