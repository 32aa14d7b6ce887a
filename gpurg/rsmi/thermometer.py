"""The MI thermometer: I_Λ(H:E) of a fixed rule against β near β_c, fitted by a line, read
backwards to give the effective temperature of another (e.g. coarse-grained) sample.

    thermo = calibrate_thermometer(rule, Geometry(2, 0, 2), L=32, betas=[0.40, 0.42, 0.44])
    beta, beta_err = thermo.read(mi, mi_err)

A rule of the simple cubic lattice (its geometry's ``dim`` = 3) is calibrated on samples of
the 3D Ising model near its β_c = K_c = 0.2216546 (:mod:`gpurg.models.ising3d_exact`) and
reads 3D configurations, the same way one dimension up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gpurg.backend import Backend, get_backend
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.parallel import Engine, run_tasks
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import train_rule
from gpurg.sampling import ising_configurations


@dataclass(frozen=True)
class Thermometer:
    """MI of one rule at several inverse temperatures and the weighted line through them.

    Attributes
    ----------
    betas, mi, mi_err : numpy.ndarray
        float64 (n,): inverse temperatures (J = 1) and the rule's I_Λ(H:E) with errors (nats).
    intercept, slope : float
        MI ≈ intercept + slope β.
    covariance : numpy.ndarray
        float64 (2, 2): covariance of (intercept, slope).
    chi2 : float
        Of the fit, with n - 2 degrees of freedom.
    """

    betas: np.ndarray
    mi: np.ndarray
    mi_err: np.ndarray
    intercept: float
    slope: float
    covariance: np.ndarray
    chi2: float

    def read(self, mi: float, mi_err: float = 0.0) -> tuple[float, float]:
        """The β at which the line reaches ``mi``, with its error from both the reading and
        the fit (linear propagation)."""
        if self.slope == 0:
            raise InputError("the thermometer's MI does not change with β")
        beta = (mi - self.intercept) / self.slope
        # d beta / d(mi, intercept, slope) = (1, -1, -beta) / slope
        grad = np.array([-1.0, -beta]) / self.slope
        var = (mi_err / self.slope) ** 2 + float(grad @ self.covariance @ grad)
        return float(beta), math.sqrt(var)


def fit_line(x: np.ndarray, y: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                    float]:
    """Weighted least squares y = c0 + c1 x: coefficients, their covariance, and chi^2."""
    if len(x) < 2:
        raise InputError(f"a line needs at least 2 points, got {len(x)}")
    w = 1.0 / np.asarray(err, dtype=np.float64) ** 2
    A = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    coef = cov @ A.T @ (w * y)
    chi2 = float((w * (y - A @ coef) ** 2).sum())
    return coef, cov, chi2


def rule_information(configs, rule: CoarseGrainingRule, geometry: Geometry, *,
                     pairs: int = 100_000, epochs: int = 10, seed: int = 0
                     ) -> tuple[float, float]:
    """I_Λ(H:E) in nats, with its error, of a fixed rule on configurations (n, L, L), or
    (n, L, L, L) for a rule of the simple cubic lattice (the geometry's dimension); InputError
    for configurations of another dimension than the geometry's."""
    geometry.check_fits(*configs.shape[1:])
    V, E = extract_pairs(configs, geometry, positions=pairs, seed=seed)
    result = train_rule(V, E, rule=rule, epochs=epochs, restarts=1, seed=seed,
                        symmetric=not rule.bias.any())
    return result.mi, result.mi_err


def calibrate_thermometer(rule: CoarseGrainingRule, geometry: Geometry, L: int,
                          betas: Sequence[float], *, replicas: int = 64, sweeps: int = 200,
                          thermalize: int = 100, pairs: int = 100_000, epochs: int = 10,
                          seed: int = 0, device: str | Backend = "auto",
                          progress: Callable[[int, int], None] | None = None,
                          engine: Engine | None = None) -> Thermometer:
    """Sample the Ising model of the geometry's dimension (Swendsen–Wang, J = 1; square
    lattice, or simple cubic for ``geometry.dim`` = 3, L^d sites) at each β and measure the
    rule's MI.

    ``sweeps`` sampling sweeps per β keep a configuration every 10 sweeps; ``progress(done,
    total)`` after each β. Each β is a task (:func:`gpurg.parallel.run_tasks`) on ``engine``
    (None: in this process, one after another): its samples are drawn with
    ``independent_seed(seed, i)``, i the place of β among the sorted ``betas``, and its MI
    estimate with ``seed``, so the thermometer is the same wherever and in whatever order the
    tasks run; a worker resolves ``device`` itself.
    """
    betas = np.asarray(sorted(float(b) for b in betas))
    if len(betas) < 2 or not (betas > 0).all():
        raise InputError(f"the thermometer needs at least 2 positive β, got {list(betas)}")
    geometry.check_fits(*(L,) * geometry.dim)  # before any sampling
    backend = get_backend(device)  # an unusable device is refused here, before any task
    points = [(rule, geometry, L, float(beta), replicas, sweeps, thermalize, pairs, epochs,
               independent_seed(seed, i), seed, backend.name) for i, beta in enumerate(betas)]
    results = run_tasks(Engine(workers=0) if engine is None else engine, _thermometer_point,
                        points, progress=progress,
                        names=[f"thermometer-beta{b:g}" for b in betas])
    mi = np.array([v for v, _ in results])
    mi_err = np.array([e for _, e in results])
    coef, cov, chi2 = fit_line(betas, mi, mi_err)
    return Thermometer(betas, mi, mi_err, float(coef[0]), float(coef[1]), cov, chi2)


def _thermometer_point(point: tuple) -> tuple[float, float]:
    """One task of :func:`calibrate_thermometer`: the rule's MI and its error at one β."""
    (rule, geometry, L, beta, replicas, sweeps, thermalize, pairs, epochs, sample_seed, seed,
     device) = point
    configs = ising_configurations(L, 1.0 / beta, dim=geometry.dim, replicas=replicas,
                                   thermalize=thermalize, samples=max(1, sweeps // 10),
                                   every=10, seed=sample_seed, device=get_backend(device))
    return rule_information(configs, rule, geometry, pairs=pairs, epochs=epochs, seed=seed)
