"""ν from finite-size scaling: the Binder cumulant U(T, L) of several lattice sizes collapses
onto one curve of x = (T - T_c) L^{1/ν} (the estimate RSMI papers set beside their RG ones).

The quality of a collapse is Houdayer & Hartmann's S (PRB 70, 014418 (2004)): each point is
compared with the other sizes' curves, linearly interpolated at its x, in units of the combined
error; S ≈ 1 for a collapse within errors. (ν, T_c) minimise S; their errors come from a
parametric bootstrap of the Binder values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from gpurg.backend import Backend
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.models.ising import IsingModel
from gpurg.models.ising_exact import T_C
from gpurg.sampling import sample_ising
from gpurg.validation import SEED, Integer, Real, checked

Curves = Mapping[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # L -> (T, U, U_err)


@dataclass(frozen=True)
class Collapse:
    """The best collapse: ν and T_c with bootstrap errors, and its quality S."""

    nu: float
    nu_err: float
    t_c: float
    t_c_err: float
    quality: float


@checked(seed=SEED)  # replicas, sweeps, thermalize: sample_ising's rules, checked there
def binder_curves(sizes: Sequence[int], temperatures: Sequence[float], *, replicas: int = 32,
                  sweeps: int = 200, thermalize: int = 100, seed: int = 0,
                  device: str | Backend = "auto") -> dict[int, tuple]:
    """Binder cumulants with errors from Swendsen–Wang runs: L -> (T, U, U_err), float64."""
    # every model first: a bad L or T is refused before the first run, not minutes into them
    models = [[IsingModel(L, T) for T in temperatures] for L in sizes]
    curves = {}
    for i, (L, row) in enumerate(zip(sizes, models, strict=True)):
        values, errors = [], []
        for j, model in enumerate(row):
            run = sample_ising(model, replicas=replicas, algorithm="swendsen-wang",
                               seed=independent_seed(seed, i, j), sweeps=sweeps,
                               thermalize=thermalize, device=device, store_configs=False)
            values.append(run.summary["binder"].value)
            errors.append(run.summary["binder"].error)
        curves[int(L)] = (np.asarray(temperatures, float), np.array(values), np.array(errors))
    return curves


@checked(nu=Real(0.0, low_open=True), t_c=Real())
def collapse_quality(curves: Curves, nu: float, t_c: float) -> float:
    """Houdayer–Hartmann S (dimensionless) of the collapse U against (T - t_c) L^{1/nu};
    ``nu`` > 0, ``t_c`` a temperature (J = 1)."""
    return _quality(curves, nu, t_c)


def _quality(curves: Curves, nu: float, t_c: float) -> float:
    """:func:`collapse_quality` unchecked, for the minimiser's many calls."""
    scaled = {L: ((T - t_c) * L ** (1.0 / nu), U, dU) for L, (T, U, dU) in curves.items()}
    terms = []
    for L, (x, y, dy) in scaled.items():
        for L2, (x2, y2, dy2) in scaled.items():
            if L2 == L:
                continue
            inside = (x >= x2.min()) & (x <= x2.max())
            if not inside.any():
                continue
            order = np.argsort(x2)
            Y = np.interp(x[inside], x2[order], y2[order])
            dY = np.interp(x[inside], x2[order], dy2[order])
            terms.append((y[inside] - Y) ** 2 / (dy[inside] ** 2 + dY**2))
    if not terms:
        return np.inf
    return float(np.concatenate(terms).mean())


def _best(curves: Curves, start: tuple[float, float]) -> np.ndarray:
    result = minimize(lambda p: _quality(curves, p[0], p[1]) if p[0] > 0.2 else np.inf,
                      np.array(start), method="Nelder-Mead",
                      options={"xatol": 1e-5, "fatol": 1e-6, "maxiter": 2000})
    return result.x


@checked(bootstrap=Integer(2), seed=SEED)
def collapse_nu(curves: Curves, *, bootstrap: int = 20, seed: int = 0) -> Collapse:
    """Fit ν and T_c by the best collapse of the Binder curves of at least two sizes; the
    errors are the spread of ``bootstrap`` (>= 2) refits of noisy copies drawn with ``seed``."""
    if len(curves) < 2:
        raise InputError(f"a collapse needs at least 2 lattice sizes, got {len(curves)}")
    nu, t_c = _best(curves, (1.0, T_C))
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(bootstrap):
        noisy = {L: (T, U + rng.normal(0.0, 1.0, U.shape) * dU, dU)
                 for L, (T, U, dU) in curves.items()}
        draws.append(_best(noisy, (nu, t_c)))
    spread = np.std(draws, axis=0, ddof=1)
    return Collapse(float(nu), float(spread[0]), float(t_c), float(spread[1]),
                    _quality(curves, nu, t_c))
