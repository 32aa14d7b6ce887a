"""Reference results for the simple-cubic Ising model, used as test oracles and beside
Monte Carlo estimates.

``H = -J sum_i sum_{d=x,y,z} s_i s_{i + e_d} - h sum_i s_i`` with ``s_i = +-1`` on a periodic
box of sides (Lz, Ly, Lx), axes (z, y, x): 3 N bond terms for N sites, so on a side of 2 each
neighbour pair along that axis appears twice. Energies are in units of J unless a function
takes J explicitly, temperatures in the same units (k_B = 1), ``K = J / T``.

* the critical coupling and exponents (no exact solution exists): :data:`K_C`, :data:`T_C`,
  :data:`BOOTSTRAP` with :data:`K_C_ERROR` and :data:`BOOTSTRAP_ERRORS`;
* full enumeration of boxes of up to 16 sites (2x2x2 and 4x2x2) at any J, h, T:
  :func:`enumerate_states`, :func:`state_index`, :func:`boltzmann_probabilities`,
  :func:`exact_observables`, and :func:`exact_reference` for the CLI;
* the high-temperature series of the susceptibility: :data:`SUSCEPTIBILITY_SERIES`,
  :func:`susceptibility_series`.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from gpurg.errors import InputError
from gpurg.models.ising_exact import boltzmann_weights, thermal_averages
from gpurg.validation import Integer, Real, checked

__all__ = [
    "BOOTSTRAP",
    "BOOTSTRAP_ERRORS",
    "K_C",
    "K_C_ERROR",
    "MAX_ENUMERATED_SITES",
    "SUSCEPTIBILITY_SERIES",
    "T_C",
    "boltzmann_probabilities",
    "enumerate_states",
    "exact_observables",
    "exact_reference",
    "state_index",
    "susceptibility_series",
]

K_C: float = 0.221654626
"""Critical coupling J / T_c of the simple cubic lattice (Ferrenberg, Xu & Landau 2018,
Phys. Rev. E 97, 043301: K_c = 0.221654626(5))."""

K_C_ERROR: float = 5e-9
"""One standard error of :data:`K_C`."""

T_C: float = 1.0 / K_C
"""Critical temperature T_c / J = 1 / K_c = 4.5115232..."""

BOOTSTRAP: dict[str, float] = {"nu": 0.629971, "eta": 0.0362978, "yh": (5 - 0.0362978) / 2}
"""Critical exponents of the 3D Ising universality class from the conformal bootstrap:
ν = 0.629971(4) (y_t = 1/ν) and η = 0.0362978(20) (Kos, Poland, Simmons-Duffin & Vichi
2016, JHEP 08, 036; Simmons-Duffin 2017, JHEP 03, 086), y_h = (5 - η) / 2 = 2.481851(1)."""

BOOTSTRAP_ERRORS: dict[str, float] = {"nu": 4e-6, "eta": 2e-6, "yh": 1e-6}
"""One standard error of each value of :data:`BOOTSTRAP`."""

MAX_ENUMERATED_SITES = 16
"""The largest box :func:`enumerate_states` lists (2^16 states)."""

SUSCEPTIBILITY_SERIES: tuple[int, ...] = (1, 6, 30, 150, 726, 3510, 16710, 79494)
"""Coefficients a_n of the high-temperature series of the reduced susceptibility of the simple
cubic lattice at h = 0, ``chi / beta = sum_j <s_0 s_j> = sum_n a_n w^n``, w = tanh K
(Sykes, Gaunt, Roberts & Wyles 1972, J. Phys. A 5, 640; Butera & Comi 2000, Phys. Rev. B 62,
14837, who carry it to order 25). Through order 4 they are the numbers of self-avoiding walks
(no loop fits in fewer than 4 bonds plus one to reach it); tests/test_ising3d_exact.py checks
those by counting walks, a_5 = 3534 + 96 - 6 * 20 from its graphs (walks, tadpoles and the
squares that the division by Z removes), and the series against Monte Carlo on a torus;
a_6 and a_7 are the literature's alone."""

TEMPERATURE = Real(0.0, low_open=True)
"""A temperature T > 0 (k_B = 1)."""
SERIES_COUPLING = Real(0.0)
"""A reduced coupling K = J / T >= 0 of the high-temperature series."""


def _box(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The box (Lz, Ly, Lx) as ints; InputError unless every side is even and >= 2 and the
    box has at most :data:`MAX_ENUMERATED_SITES` sites."""
    if len(shape) != 3:
        raise InputError(f"shape must be a box (Lz, Ly, Lx), got {tuple(shape)}")
    box = tuple(Integer(2, multiple=2).check(f"shape[{i}]", side) for i, side in
                enumerate(shape))
    if math.prod(box) > MAX_ENUMERATED_SITES:
        raise InputError(f"shape must have at most {MAX_ENUMERATED_SITES} sites to enumerate, "
                         f"got {box} ({math.prod(box)} sites)")
    return box  # type: ignore[return-value]


@cache
def _states(box: tuple[int, int, int]) -> np.ndarray:
    n_sites = math.prod(box)
    bits = (np.arange(2**n_sites, dtype=np.int64)[:, None] >> np.arange(n_sites)) & 1
    states = (2 * bits - 1).astype(np.int8).reshape(-1, *box)
    states.flags.writeable = False
    return states


def enumerate_states(shape: tuple[int, int, int] = (2, 2, 2)) -> np.ndarray:
    """Every spin configuration of a periodic box.

    Parameters
    ----------
    shape : (int, int, int)
        (Lz, Ly, Lx), every side even and >= 2, at most 16 sites: (2, 2, 2) or (4, 2, 2) and
        its permutations.

    Returns
    -------
    np.ndarray
        int8, shape (2^N, Lz, Ly, Lx), read-only: entry [k, z, y, x] is +1 if bit
        (z Ly + y) Lx + x of k is set and -1 otherwise, so that
        ``state_index(enumerate_states(shape)) == arange(2^N)``.
    """
    return _states(_box(shape))


def state_index(configs: np.ndarray) -> np.ndarray:
    """Index of each configuration in the ordering of :func:`enumerate_states`.

    Parameters
    ----------
    configs : np.ndarray
        Spins ±1 (any integer dtype), shape (..., Lz, Ly, Lx) of an enumerable box.

    Returns
    -------
    np.ndarray
        int64, shape (...): the state index k of each configuration.
    """
    configs = np.asarray(configs)
    if configs.ndim < 3:
        raise InputError(f"expected configurations of shape (..., Lz, Ly, Lx), got "
                         f"{configs.shape}")
    box = _box(configs.shape[-3:])
    place_values = (np.int64(1) << np.arange(math.prod(box), dtype=np.int64)).reshape(box)
    return np.sum((configs > 0) * place_values, axis=(-3, -2, -1), dtype=np.int64)


@cache
def _bond_sums(box: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bond sum (3 N terms s_i s_{i + e_d}) and magnetisation of every state (int64)."""
    states = _states(box).astype(np.int64)
    bonds = sum(states * np.roll(states, -1, axis) for axis in (1, 2, 3))
    return bonds.sum(axis=(1, 2, 3)), states.sum(axis=(1, 2, 3))


@checked(T=TEMPERATURE, J=Real(), h=Real())
def boltzmann_probabilities(shape: tuple[int, int, int], T: float, J: float = 1.0,
                            h: float = 0.0) -> np.ndarray:
    """Exact Boltzmann probability of every state of a periodic box.

    Parameters
    ----------
    shape : (int, int, int)
        (Lz, Ly, Lx) as for :func:`enumerate_states`.
    T : float
        Temperature (k_B = 1), > 0.
    J, h : float
        Coupling (either sign) and uniform field.

    Returns
    -------
    np.ndarray
        float64, shape (2^N,), summing to 1, in the ordering of :func:`enumerate_states`.
    """
    return boltzmann_weights(*_bond_sums(_box(shape)), T, J, h)


@checked(T=TEMPERATURE, J=Real(), h=Real())
def exact_observables(shape: tuple[int, int, int], T: float, J: float = 1.0,
                      h: float = 0.0) -> dict[str, float]:
    """Exact thermal averages on a periodic box by summing over all its states: the keys of
    :func:`gpurg.models.ising_exact.exact_observables` (per-site averages, m = M / N and
    e = H / N with the field term; "binder", "c", "chi", "chi_m2"). Arguments as in
    :func:`boltzmann_probabilities`."""
    box = _box(shape)
    n_sites = math.prod(box)
    bonds, magnetisation = _bond_sums(box)
    return thermal_averages(boltzmann_weights(bonds, magnetisation, T, J, h),
                            (-J * bonds - h * magnetisation) / n_sites, magnetisation / n_sites,
                            n_sites, T)


@checked(L=Integer(2, multiple=2), T=TEMPERATURE, J=Real(), h=Real())
def exact_reference(L: int, T: float, J: float = 1.0, h: float = 0.0) -> dict[str, float]:
    """Every exact value known for the L x L x L torus, to set beside Monte Carlo estimates:
    :func:`exact_observables` of the 2x2x2 torus; empty for larger L."""
    return exact_observables((L, L, L), T, J, h) if L ** 3 <= MAX_ENUMERATED_SITES else {}


@checked(K=SERIES_COUPLING, order=Integer(0, len(SUSCEPTIBILITY_SERIES) - 1),
         L=Integer(2, optional=True))
def susceptibility_series(K: float, order: int = len(SUSCEPTIBILITY_SERIES) - 1,
                          L: int | None = None) -> float:
    """The high-temperature series of ``chi / beta = sum_j <s_0 s_j>`` at h = 0, J > 0,
    truncated after w^order (w = tanh K): :data:`SUSCEPTIBILITY_SERIES`.

    Parameters
    ----------
    K : float
        Reduced coupling J / T >= 0 (the series converges for K < K_c).
    order : int
        The last power of w kept, 0 .. 7.
    L : int, optional
        The side of a torus: its series agrees with the infinite lattice's only below
        order L (a walk or loop of L bonds can wind around it), so order must be < L.

    Returns
    -------
    float
        ``sum_{n <= order} a_n w^n`` = N <m^2> at small K (dimensionless).
    """
    if L is not None and order >= L:
        raise InputError(f"order must be < L = {L} (a torus of side L has windings at order "
                         f"L), got {order}")
    w = math.tanh(K)
    return float(sum(a * w**n for n, a in enumerate(SUSCEPTIBILITY_SERIES[:order + 1])))
