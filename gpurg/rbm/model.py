"""A restricted Boltzmann machine with ±1 or 0/1 units, its free energy, its conditionals and
its exact likelihood for small visible layers.

    E(v, h) = -v.W.h - a.v - b.h,    P(v, h) = exp(-E(v, h)) / Z

Energies are in units of k_B T (T = 1). Parameters and results live on one backend
(:mod:`gpurg.backend.device`): NumPy arrays for the ``cpu`` and ``numpy`` backends, CuPy arrays
for ``gpu``; arrays passed in are moved there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from gpurg.backend import Backend, array_module
from gpurg.errors import InputError
from gpurg.rbm import conditionals as cond

MAX_EXACT_VISIBLE = 20  # exact sums enumerate 2^n_v visible states
_CHUNK = 2**14  # visible states per block of an exact sum (bounds its memory)


def unit_states(n: int, units: str = "pm1") -> np.ndarray:
    """All configurations of n units: int8 (2^n, n); unit i of row s is on iff bit i of s is
    set (on = +1 for "pm1", 1 for "01"), else off (-1 or 0)."""
    off, on = cond.unit_values(units)
    s = np.arange(2**n)[:, None]
    return np.where((s >> np.arange(n)) & 1, on, off).astype(np.int8)


def log_hidden_sum(x: Any, units: str) -> Any:
    """log sum_{h in unit values} exp(h x), elementwise and without overflow: log(2 cosh x)
    = |x| + log(1 + exp(-2|x|)) for ±1 units, log(1 + exp(x)) for 0/1 units. Summed over j
    with x = v W + b it is the hidden part of -F(v)."""
    xp = array_module(x)
    if cond.check_units(units) == "01":
        return xp.logaddexp(0.0, x)
    ax = xp.abs(x)
    return ax + xp.log1p(xp.exp(-2.0 * ax))


class RBM:
    """A restricted Boltzmann machine.

    Parameters
    ----------
    W : array-like
        float64 (n_v, n_h) couplings.
    a, b : array-like
        float64 (n_v,) visible and (n_h,) hidden biases.
    visible_units, hidden_units : {"pm1", "01"}
        Unit values ±1 or 0/1 of each layer.
    device : {"auto", "cpu", "gpu", "numpy"}, Backend or None
        Where the parameters live and sampling runs; None: the GPU if ``W`` is a CuPy array,
        else the compiled CPU kernels (NumPy without a compiler).

    Attributes
    ----------
    W, a, b : array
        The parameters, float64, on :attr:`backend`.
    backend : Backend
    """

    def __init__(self, W: Any, a: Any, b: Any, *, visible_units: str = "pm1",
                 hidden_units: str = "pm1", device: str | Backend | None = None) -> None:
        self.visible_units = cond.check_units(visible_units)
        self.hidden_units = cond.check_units(hidden_units)
        self.backend = cond.resolve_backend(W, device)
        self.W = cond.to_backend(W, self.backend, np.float64)
        self.a = cond.to_backend(a, self.backend, np.float64)
        self.b = cond.to_backend(b, self.backend, np.float64)
        if self.W.ndim != 2 or self.a.shape != (self.W.shape[0],) or \
                self.b.shape != (self.W.shape[1],):
            raise InputError(f"RBM parameters must be W (n_v, n_h), a (n_v,) and b (n_h,), got "
                             f"{self.W.shape}, {self.a.shape} and {self.b.shape}")
        if min(self.W.shape) < 1 or max(self.W.shape) > cond.MAX_UNITS:
            raise InputError(f"an RBM needs 1 to {cond.MAX_UNITS} units per layer, got "
                             f"{self.W.shape}")
        if not all(bool(self.xp.isfinite(p).all()) for p in (self.W, self.a, self.b)):
            raise InputError("RBM parameters must be finite")

    @classmethod
    def random(cls, n_visible: int, n_hidden: int, *, scale: float = 0.01, seed: int = 0,
               visible_units: str = "pm1", hidden_units: str = "pm1",
               device: str | Backend | None = None) -> RBM:
        """Couplings drawn from N(0, scale^2) (NumPy generator of ``seed``), zero biases."""
        W = np.random.default_rng(seed).normal(0.0, scale, size=(n_visible, n_hidden))
        return cls(W, np.zeros(n_visible), np.zeros(n_hidden), visible_units=visible_units,
                   hidden_units=hidden_units, device=device)

    @classmethod
    def fit(cls, data: Any, n_hidden: int, **options: Any) -> RBM:
        """Train an RBM on ``data`` (n, n_v); options as in :func:`gpurg.rbm.training.fit_rbm`."""
        from gpurg.rbm.training import fit_rbm

        return fit_rbm(data, n_hidden, **options)

    @property
    def xp(self) -> Any:
        return self.backend.xp

    @property
    def n_visible(self) -> int:
        return int(self.W.shape[0])

    @property
    def n_hidden(self) -> int:
        return int(self.W.shape[1])

    def copy(self) -> RBM:
        """An independent copy on the same backend."""
        return RBM(self.W.copy(), self.a.copy(), self.b.copy(), visible_units=self.visible_units,
                   hidden_units=self.hidden_units, device=self.backend)

    # ------------------------------------------------------------------ input checks
    def visible(self, v: Any) -> Any:
        """``v`` checked: int8 (n, n_v) visible values on the backend (InputError otherwise)."""
        return self._layer(v, self.n_visible, self.visible_units, "visible")

    def hidden(self, h: Any) -> Any:
        """``h`` checked: int8 (n, n_h) hidden values on the backend (InputError otherwise)."""
        return self._layer(h, self.n_hidden, self.hidden_units, "hidden")

    def _layer(self, x: Any, n: int, units: str, what: str) -> Any:
        out = cond.as_units(x, self.backend, units, f"{what} states")
        if out.ndim != 2 or out.shape[1] != n:
            raise InputError(f"{what} states must have shape (n, {n}), got {out.shape}")
        return out

    # ------------------------------------------------------------------ energies
    def energy(self, v: Any, h: Any) -> Any:
        """E(v, h): float64 (n,) for v (n, n_v) and h (n, n_h)."""
        v = self.visible(v).astype(np.float64)
        h = self.hidden(h).astype(np.float64)
        if v.shape[0] != h.shape[0]:
            raise InputError(f"v and h need the same number of rows, got {v.shape} and {h.shape}")
        return -((v @ self.W) * h).sum(axis=1) - v @ self.a - h @ self.b

    def free_energy(self, v: Any) -> Any:
        """F(v) = -log sum_h exp(-E(v, h)): float64 (n,) for v (n, n_v).

        ±1 hidden units: F = -a.v - sum_j log(2 cosh x_j); 0/1 units:
        F = -a.v - sum_j log(1 + exp(x_j)); x = v W + b.
        """
        return self._free_energy(self.visible(v))

    def _free_energy(self, v: Any) -> Any:
        vf = v.astype(np.float64)
        return -(vf @ self.a) - log_hidden_sum(vf @ self.W + self.b, self.hidden_units).sum(axis=1)

    # ------------------------------------------------------------------ conditionals
    def hidden_probabilities(self, v: Any) -> Any:
        """P(h_j = on | v): float64 (n, n_h) for v (n, n_v); on = +1 ("pm1", sigmoid(2 x_j))
        or 1 ("01", sigmoid(x_j)), x = v W + b."""
        v = self.visible(v)
        return cond.probabilities(v[None], self.W[None], self.b[None], self.hidden_units)[0]

    def visible_probabilities(self, h: Any) -> Any:
        """P(v_i = on | h): float64 (n, n_v) for h (n, n_h), from y = W h + a."""
        h = self.hidden(h)
        return cond.probabilities(h[None], self.W.T[None], self.a[None], self.visible_units)[0]

    def hidden_means(self, v: Any) -> Any:
        """E[h_j | v]: float64 (n, n_h) (tanh x_j for ±1 units, sigmoid x_j for 0/1)."""
        return self._hidden_means(self.visible(v))

    def _hidden_means(self, v: Any) -> Any:
        x = v.astype(np.float64) @ self.W + self.b
        return self.xp.tanh(x) if self.hidden_units == "pm1" else cond.sigmoid(x)

    def sample_hidden(self, v: Any, key: tuple[int, int], counter: int) -> Any:
        """h ~ P(h | v): int8 (n, n_h) for v (n, n_v); ``key`` from
        :func:`gpurg.backend.philox.seed_to_key`, ``counter`` in [0, 2^32) distinct for every
        call of one seed (random-number layout: :mod:`gpurg.rbm.conditionals`, chain = row)."""
        return self._sample_hidden(self.visible(v), key, counter)

    def sample_visible(self, h: Any, key: tuple[int, int], counter: int) -> Any:
        """v ~ P(v | h): int8 (n, n_v) for h (n, n_h); ``key`` and ``counter`` as in
        :meth:`sample_hidden` (a different direction, so the same counter may be reused)."""
        return self._sample_visible(self.hidden(h), key, counter)

    def _sample_hidden(self, v: Any, key: tuple[int, int], counter: int) -> Any:
        return cond.sample(self.backend, v[None], self.W[None], self.b[None], key, counter,
                           cond.HIDDEN_GIVEN_VISIBLE, self.hidden_units)[0]

    def _sample_visible(self, h: Any, key: tuple[int, int], counter: int) -> Any:
        Wt = self.xp.ascontiguousarray(self.W.T)
        return cond.sample(self.backend, h[None], Wt[None], self.a[None], key, counter,
                           cond.VISIBLE_GIVEN_HIDDEN, self.visible_units)[0]

    # ------------------------------------------------------------------ exact sums
    def _check_exact(self) -> None:
        if self.n_visible > MAX_EXACT_VISIBLE:
            raise InputError(f"exact sums enumerate 2^n_v visible states: n_v must be <= "
                             f"{MAX_EXACT_VISIBLE}, got {self.n_visible}")

    def _neg_free_energy_blocks(self) -> Iterator[Any]:
        """-F(v) of all visible states, in blocks of :data:`_CHUNK` states."""
        states = unit_states(self.n_visible, self.visible_units)
        for start in range(0, states.shape[0], _CHUNK):
            yield -self._free_energy(self.xp.asarray(states[start:start + _CHUNK]))

    def log_partition_exact(self) -> float:
        """log Z by enumerating all 2^n_v visible states (n_v <= :data:`MAX_EXACT_VISIBLE`)
        with the free energy; the hidden units are summed analytically."""
        self._check_exact()
        parts = [_logsumexp(self.xp, x) for x in self._neg_free_energy_blocks()]
        return _logsumexp(np, np.asarray(parts))

    def log_likelihood_exact(self, v: Any) -> Any:
        """log P(v) = -F(v) - log Z: float64 (n,) for v (n, n_v), n_v <= 20 (exact log Z)."""
        self._check_exact()
        return -self.free_energy(v) - self.log_partition_exact()

    def visible_distribution_exact(self) -> Any:
        """P(v) of every visible state: float64 (2^n_v,), in the order of :func:`unit_states`
        (n_v <= 20)."""
        self._check_exact()
        neg_f = self.xp.concatenate(list(self._neg_free_energy_blocks()))
        return self.xp.exp(neg_f - _logsumexp(self.xp, neg_f))


def _logsumexp(xp: Any, x: Any) -> float:
    """log sum exp(x) of a 1-D array, as a Python float."""
    m = float(x.max())
    return m + math.log(float(xp.exp(x - m).sum()))
