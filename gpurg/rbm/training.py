"""Maximum-likelihood training of an RBM by contrastive divergence (CD-k) or persistent CD.

The log-likelihood gradient is <v h>_data - <v h>_model (and <v>, <h> for the biases). The
data term uses E[h | v] exactly; the model term comes from k Gibbs steps v -> h -> v started
at the mini-batch (CD-k, Hinton 2002) or at persistent chains that carry over from one update
to the next (PCD, Tieleman 2008), again with E[h | v_k] for the hidden side. Updates are plain
stochastic gradient ascent with classical momentum (Hinton's "practical guide", 2010):

    velocity <- momentum velocity + rate (gradient - weight_decay W),
    parameter <- parameter + velocity

(weight decay on W only), with rate = learning_rate, or with ``anneal`` a rate that falls
linearly from learning_rate to 0 over the run (Tieleman 2008): the gradient noise of a constant
rate keeps the log-likelihood of a PCD model fluctuating by several 0.01 nats.

A run is a pure function of its arguments: the seed fixes the initial weights, the order of the
mini-batches, the start of the persistent chains (NumPy generator) and every Gibbs step (Philox
key; a counter numbers the sampling calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpurg.backend import Backend
from gpurg.backend.philox import seed_to_key
from gpurg.errors import InputError
from gpurg.rbm import conditionals as cond
from gpurg.rbm.model import RBM
from gpurg.validation import SEED, Flag, Integer, Real, checked

Callback = Callable[[int, RBM], None]  # (epochs done, model) after every epoch
_MAX_MEAN = 1.0 - 1e-3  # keeps the initial visible biases finite for constant units


@checked(n_hidden=Integer(1), epochs=Integer(0), batch_size=Integer(1), k=Integer(1),
         persistent=Flag(), learning_rate=Real(0), momentum=Real(0, 1, high_open=True),
         weight_decay=Real(0), anneal=Flag(), init_scale=Real(0), seed=SEED)
def fit_rbm(data: Any, n_hidden: int, *, visible_units: str = "pm1", hidden_units: str = "pm1",
            epochs: int = 10, batch_size: int = 64, k: int = 1, persistent: bool = False,
            learning_rate: float = 0.05, momentum: float = 0.5, weight_decay: float = 0.0,
            anneal: bool = False, init_scale: float = 0.01, seed: int = 0,
            device: str | Backend | None = None, callback: Callback | None = None) -> RBM:
    """Train an RBM on ``data`` by CD-k or PCD-k.

    Parameters
    ----------
    data : array
        (n, n_v) training states, values of ``visible_units`` (NumPy or CuPy).
    n_hidden : int
        Number of hidden units.
    visible_units, hidden_units : {"pm1", "01"}
    epochs : int
        Passes over the data (>= 0; 0 returns the initial model).
    batch_size : int
        Mini-batch size (the last batch of an epoch may be smaller); also the number of
        persistent chains.
    k : int
        Gibbs steps per update (>= 1).
    persistent : bool
        PCD (chains kept between updates, started from random states) instead of CD.
    learning_rate, momentum, weight_decay : float
        Step size, momentum in [0, 1) and L2 penalty on W (all >= 0).
    anneal : bool
        Let the step size fall linearly from ``learning_rate`` to 0 over the run.
    init_scale : float
        Initial couplings ~ N(0, init_scale^2); visible biases start at the data's
        log-odds (Hinton 2010), hidden biases at 0.
    seed : int
        In [0, 2^64).
    device : {"auto", "cpu", "gpu", "numpy"}, Backend or None
        None: the GPU for CuPy data, else the compiled CPU kernels.
    callback : callable, optional
        Called as ``callback(epoch, rbm)`` after every epoch (epoch counts from 1).

    Returns
    -------
    RBM
        The trained model on the chosen backend.
    """
    key = seed_to_key(seed)
    backend = cond.resolve_backend(data, device)
    xp = backend.xp
    rng = np.random.default_rng(seed)
    v_data = cond.as_units(data, backend, visible_units, "training data")
    if v_data.ndim != 2 or min(v_data.shape) < 1:
        raise InputError(f"training data must have shape (n, n_v) with n, n_v >= 1, got "
                         f"{v_data.shape}")
    n, n_v = v_data.shape
    n_batches = -(-n // batch_size)
    if epochs * n_batches * 2 * k >= 2**32:
        raise InputError(f"epochs x batches x 2k = {epochs * n_batches * 2 * k} sampling calls "
                         f"exceed the 2^32 call counters of one seed")

    rbm = RBM(rng.normal(0.0, init_scale, size=(n_v, n_hidden)),
              _initial_visible_bias(xp, v_data, visible_units), np.zeros(n_hidden),
              visible_units=visible_units, hidden_units=hidden_units, device=backend)
    velocity = [xp.zeros_like(p) for p in (rbm.W, rbm.a, rbm.b)]
    chains = None
    if persistent:
        off, on = cond.unit_values(visible_units)
        chains = xp.asarray(np.where(rng.random((batch_size, n_v)) < 0.5, on, off)
                            .astype(np.int8))
    calls = updates = 0
    for epoch in range(1, epochs + 1):
        order = xp.asarray(rng.permutation(n))
        for start in range(0, n, batch_size):
            v0 = v_data[order[start:start + batch_size]]
            vk = chains if persistent else v0
            for _ in range(k):
                h = rbm.sample_hidden(vk, key, calls)
                vk = rbm.sample_visible(h, key, calls + 1)
                calls += 2
            if persistent:
                chains = vk
            rate = learning_rate * (1.0 - updates / (epochs * n_batches)) if anneal \
                else learning_rate
            updates += 1
            _update(rbm, velocity, _gradient(rbm, v0, vk), rate, momentum, weight_decay)
        if callback is not None:
            callback(epoch, rbm)
    return rbm


def _gradient(rbm: RBM, v0: Any, vk: Any) -> tuple[Any, Any, Any]:
    """Mini-batch estimates of d(mean log-likelihood)/d(W, a, b): data term minus the term of
    the Gibbs samples ``vk``, hidden units averaged out exactly."""
    f0, fk = v0.astype(np.float64), vk.astype(np.float64)
    e0, ek = rbm.hidden_means(v0), rbm.hidden_means(vk)
    gW = f0.T @ e0 / f0.shape[0] - fk.T @ ek / fk.shape[0]
    return gW, f0.mean(axis=0) - fk.mean(axis=0), e0.mean(axis=0) - ek.mean(axis=0)


def _update(rbm: RBM, velocity: list[Any], grad: tuple[Any, Any, Any], learning_rate: float,
            momentum: float, weight_decay: float) -> None:
    for i, (param, g) in enumerate(zip((rbm.W, rbm.a, rbm.b), grad, strict=True)):
        if i == 0 and weight_decay:
            g = g - weight_decay * param
        velocity[i] *= momentum
        velocity[i] += learning_rate * g
        param += velocity[i]


def _initial_visible_bias(xp: Any, v: Any, units: str) -> Any:
    """Biases that reproduce the data's means with zero couplings: atanh(<v_i>) for ±1 units,
    log-odds log(<v_i> / (1 - <v_i>)) for 0/1 units."""
    mean = v.astype(np.float64).mean(axis=0)
    if units == "pm1":
        return xp.arctanh(xp.clip(mean, -_MAX_MEAN, _MAX_MEAN))
    p = xp.clip(mean, (1.0 - _MAX_MEAN) / 2, (1.0 + _MAX_MEAN) / 2)
    return xp.log(p / (1.0 - p))
