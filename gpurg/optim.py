"""The one optimiser of gpurg's gradient-ascent training: Adam (Kingma & Ba 2015).

Parameters are a dict of arrays (NumPy or CuPy, float64, any shapes) updated in place::

    adam = Adam(params, learning_rate=0.01)
    adam.step(params, grads)      # params[k] += rate m̂_k / (sqrt(v̂_k) + eps) for k in grads

Ascent, not descent: every caller maximises an objective (a mutual information bound).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from gpurg.backend.device import array_module
from gpurg.validation import Real, checked


class Adam:
    """Adam for gradient ascent on a dict of arrays.

    Parameters
    ----------
    params : mapping of str to array
        The arrays to be trained; the moments are zero arrays of the same shapes, on the same
        backend.
    learning_rate : float
        The step size (> 0); callers with a schedule set :attr:`learning_rate` between steps.
    betas : (float, float)
        Decay rates of the first and second moments, in [0, 1).
    eps : float
        Added to sqrt(v̂) in the denominator (> 0).
    """

    @checked(learning_rate=Real(0, low_open=True), eps=Real(0, low_open=True))
    def __init__(self, params: MutableMapping[str, Any], learning_rate: float = 0.01,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        for i, beta in enumerate(betas):
            Real(0, 1, high_open=True).check(f"betas[{i}]", beta)
        self.learning_rate = learning_rate
        self.betas = betas
        self.eps = eps
        self.t = 0
        self.m = {k: v * 0.0 for k, v in params.items()}
        self.v = {k: v * 0.0 for k, v in params.items()}

    def step(self, params: MutableMapping[str, Any], grads: dict[str, Any]) -> None:
        """Move ``params[k]`` uphill along ``grads[k]`` for every key of ``grads`` (others are
        left alone: a frozen part of the model has no gradient), replacing the arrays."""
        self.t += 1
        b1, b2 = self.betas
        for name, grad in grads.items():
            self.m[name] = b1 * self.m[name] + (1 - b1) * grad
            self.v[name] = b2 * self.v[name] + (1 - b2) * grad**2
            m_hat = self.m[name] / (1 - b1**self.t)
            v_hat = self.v[name] / (1 - b2**self.t)
            xp = array_module(grad)
            params[name] = params[name] + self.learning_rate * m_hat / (xp.sqrt(v_hat) + self.eps)
