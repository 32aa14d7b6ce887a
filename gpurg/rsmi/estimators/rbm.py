"""The RBM estimator of Koch-Janusz & Ringel (2018): an RBM of P(V, E) (stage I, at the start
of every restart), then ascent of A_Λ with the RBM's P(V|E) (stage II, the epochs); the maths
is in :mod:`gpurg.rsmi.rbm_estimator`."""

from __future__ import annotations

from typing import Any

import numpy as np

from gpurg.backend import Backend
from gpurg.errors import InputError
from gpurg.optim import Adam
from gpurg.rbm import conditionals as cond
from gpurg.rbm import unit_states
from gpurg.rsmi import rbm_estimator as rbm_maths
from gpurg.rsmi.estimators import MIEstimator
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.validation import Choice, Integer, checked, to_host

# stage I unless rbm_options says otherwise: CD-1, learning rate 0.05 annealed to 0
RBM_OPTIONS = {"epochs": 20, "batch_size": 64, "learning_rate": 0.05, "anneal": True}


class RBMEstimator(MIEstimator):
    """A_Λ = E[Σ_H P_Λ(H|V) log(P_Λ(H|E) / P_Λ(H))] with P(V|E) from an RBM of (V, E).

    Hyper-parameters: those of :class:`~gpurg.rsmi.estimators.MIEstimator` (``width``: the
    RBM's hidden units), and

    units : {"pm1", "01"} or None
        The values of V and E (±1 spins or 0/1 pixels); None: 0/1 if no value of V is
        negative, else ±1.
    rbm_options : dict, optional
        Options of :func:`gpurg.rbm.fit_rbm` for stage I over :data:`RBM_OPTIONS`.
    batches : int
        Contiguous batches of held-out pairs for the standard error (>= 16).
    device : {"auto", "cpu", "gpu", "numpy"}, Backend or None
        None: the GPU for CuPy arrays, else the compiled CPU kernels.

    Blocks have at most :data:`gpurg.rsmi.rbm_estimator.MAX_BLOCK` units (P(V|E) sums over
    their 2^n_v states); a fixed rule is not supported (the estimator learns the rule).
    """

    name = "rbm"

    @checked(units=Choice(("pm1", "01"), optional=True),
             batches=Integer(rbm_maths.MIN_BATCHES))
    def __init__(self, n_hidden: int = 1, *, units: str | None = None,
                 rbm_options: dict[str, Any] | None = None,
                 batches: int = rbm_maths.MIN_BATCHES,
                 device: str | Backend | None = None, **common: Any) -> None:
        super().__init__(n_hidden, **common)
        self.units = units
        self.rbm_options = rbm_options
        self.batches = batches
        self.device = device

    def prepare(self, V: Any, E: Any, rule: CoarseGrainingRule | None) -> tuple[Any, Any]:
        if rule is not None:
            raise InputError("the rbm estimator learns the rule; use the variational one to "
                             "estimate the MI of a fixed rule")
        self._backend = cond.resolve_backend(V, self.device)
        if self.units is None:
            self._units = "01" if bool((self._backend.xp.asarray(V) >= 0).all()) else "pm1"
        else:
            self._units = self.units
        return rbm_maths.check_pairs(V, E, self._units, self._backend)

    def start(self, V: Any, E: Any, rng: np.random.Generator, seed: int,
              rule: CoarseGrainingRule | None,
              initial: CoarseGrainingRule | None = None) -> None:
        xp = self._backend.xp
        n_v = V.shape[1]
        options = {**RBM_OPTIONS, **(self.rbm_options or {})}
        self.rbm_ = rbm_maths.fit_joint_rbm(V, E, self.width, units=self._units, seed=seed,
                                            device=self._backend, **options)
        self._states = xp.asarray(unit_states(n_v, self._units), dtype=xp.float64)
        self._index = rbm_maths.block_index(V, self._units)
        self._block_law = xp.bincount(self._index, minlength=self._states.shape[0]) \
            / self._index.shape[0]
        # P(V'|E) of every training pair, computed once when it fits in memory
        self._cached = None
        if E.shape[0] * self._states.shape[0] <= rbm_maths.CHUNK_ELEMENTS:
            self._cached = rbm_maths.conditional_log_probabilities(self.rbm_, E, n_v)
        filters, bias = self.standardization_.from_raw(initial.filters, initial.bias)
        self.params_ = {"filters": filters, "bias": bias}
        self._adam = Adam(self.params_, self.learning_rate)

    def train_epoch(self, V: Any, E: Any, rng: np.random.Generator,
                    learning_rate: float) -> float:
        xp = self._backend.xp
        params = self.params_
        self._adam.learning_rate = learning_rate
        values = []
        perm = xp.asarray(rng.permutation(E.shape[0]))
        for start in range(0, perm.shape[0], self.batch_size):
            rows = perm[start:start + self.batch_size]
            log_q = self._cached[rows] if self._cached is not None else \
                rbm_maths.conditional_log_probabilities(self.rbm_, E[rows], V.shape[1])
            value, d_filters, d_bias = rbm_maths.objective_and_gradient(
                *self._raw(), self._states, log_q, self._index[rows], self._block_law)
            values.append(value)
            if self.symmetric:
                d_bias = xp.zeros_like(d_bias)
            d_filters, d_bias = self.standardization_.gradients(d_filters, d_bias)
            self._adam.step(params, {
                "filters": d_filters - self.penalty_gradient(params["filters"]),
                "bias": d_bias})
        return float(np.mean(values))

    def score(self, V: Any, E: Any) -> float:
        return self.evaluate(V, E)[0]

    def evaluate(self, V: Any, E: Any) -> tuple[float, float]:
        return rbm_maths.rule_information(self.rbm_, *self._raw(), V, E, batches=self.batches)

    def _raw(self) -> tuple[Any, Any]:
        """(filters, bias) in the data's coordinates."""
        return self.standardization_.to_raw(self.params_["filters"], self.params_["bias"])

    def state(self) -> tuple[Any, dict[str, Any]]:
        return self.rbm_.copy(), {k: v.copy() for k, v in self.params_.items()}

    def restore(self, state: tuple[Any, dict[str, Any]]) -> None:
        self.rbm_, self.params_ = state

    @property
    def rule_(self) -> CoarseGrainingRule:
        filters, bias = self._raw()
        return CoarseGrainingRule(to_host(filters), to_host(bias))
