"""ν from finite-size scaling: the Binder cumulant U(T, L) of several lattice sizes collapses
onto one curve of x = (T - T_c) L^{1/ν} (the estimate RSMI papers set beside their RG ones).

The quality of a collapse is Houdayer & Hartmann's S (PRB 70, 014418 (2004)): each point is
compared with the other sizes' curves, linearly interpolated at its x, in units of the combined
error; S ≈ 1 for a collapse within errors. (ν, T_c) minimise S; their errors come from a
parametric bootstrap of the Binder values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from gpurg.backend import Backend
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.models.ising import IsingModel
from gpurg.models.ising_exact import T_C
from gpurg.parallel import Engine, run_tasks
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
                  device: str | Backend = "auto", engine: Engine | None = None,
                  progress: Callable[[int, int], None] | None = None) -> dict[int, tuple]:
    """Binder cumulants with errors from Swendsen–Wang runs: L -> (T, U, U_err), float64.

    Each (L, T) is one task of the grid (:func:`gpurg.parallel.run_tasks`), run on ``engine``
    (None: in this process, one after another); its seed is ``independent_seed(seed, i, j)``
    of the indices of L in ``sizes`` and T in ``temperatures``, so the curves are the same
    wherever and in whatever order the tasks run. A worker resolves ``device`` itself.
    ``progress(done, total)`` after each finished (L, T).
    """
    # every model first: a bad L or T is refused before the first run, not minutes into them
    for L in sizes:
        for T in temperatures:
            IsingModel(L, T)
    name = device.name if isinstance(device, Backend) else device
    points = [(int(L), float(T), replicas, sweeps, thermalize, independent_seed(seed, i, j),
               name) for i, L in enumerate(sizes) for j, T in enumerate(temperatures)]
    binder = run_tasks(Engine(workers=0) if engine is None else engine, _binder_point, points,
                       progress=progress, names=[f"binder-L{p[0]}-T{p[1]}" for p in points])
    curves = {}
    n_t = len(temperatures)
    for i, L in enumerate(sizes):
        row = binder[i * n_t:(i + 1) * n_t]
        curves[int(L)] = (np.asarray(temperatures, float), np.array([v for v, _ in row]),
                          np.array([e for _, e in row]))
    return curves


def _binder_point(point: tuple) -> tuple[float, float]:
    """One task of :func:`binder_curves`: the Binder cumulant and its error at one (L, T)."""
    L, T, replicas, sweeps, thermalize, seed, device = point
    run = sample_ising(IsingModel(L, T), replicas=replicas, algorithm="swendsen-wang",
                       seed=seed, sweeps=sweeps, thermalize=thermalize, device=device,
                       store_configs=False)
    return run.summary["binder"].value, run.summary["binder"].error


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
