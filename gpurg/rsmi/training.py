"""Training a coarse-graining rule: mini-batches, Adam, early stopping on held-out MI, restarts.

The library function behind ``gpurg rsmi train``::

    result = train_rule(V, E, n_hidden=1, symmetric=True, seed=1)
    print(result.mi, result.mi_err, result.rule.filters)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.rsmi import variational
from gpurg.rsmi.rule import CoarseGrainingRule, hidden_states

ESTIMATORS = ("variational", "rbm")
MIN_SPLIT = 32  # pairs on each side of the held-out split: fewer make the MI estimate noise
HELD_OUT = 0.25  # default fraction of the pairs held out to estimate the MI
Progress = Callable[[int, int, float], None]  # (epochs done, epochs, held-out MI)


@dataclass
class TrainResult:
    """A trained rule and its mutual information with the environment.

    Attributes
    ----------
    rule : CoarseGrainingRule
        The best restart's filters and biases (host arrays), learned ones in the canonical
        labelling of :meth:`CoarseGrainingRule.canonical` (a fixed rule as it was given).
    mi, mi_err : float
        Its held-out estimate of I_Λ(H:E) in nats, with the standard error from batch means.
    history : numpy.ndarray
        float64 (epochs run,): held-out MI after each epoch of the best restart.
    restarts : numpy.ndarray
        float64 (n_restarts,): the held-out MI each restart ended with.
    estimator : str
    """

    rule: CoarseGrainingRule
    mi: float
    mi_err: float
    history: np.ndarray
    restarts: np.ndarray
    estimator: str = "variational"
    epochs: list[int] = field(default_factory=list)


def _split_ok(n: int, held_out: float) -> bool:
    n_test = int(round(held_out * n))
    return n_test >= MIN_SPLIT and n - n_test >= MIN_SPLIT


def check_pairs(n: int, held_out: float = HELD_OUT) -> None:
    """Refuse a number of (V, E) pairs that leaves fewer than :data:`MIN_SPLIT` pairs to
    train on or to hold out; the one limit of ``train_rule`` and ``gpurg rsmi train``."""
    if not _split_ok(n, held_out):
        least = next(k for k in itertools.count(2 * MIN_SPLIT) if _split_ok(k, held_out))
        raise InputError(f"too few pairs ({n}): pairs must be >= {least} ({MIN_SPLIT} or more "
                         f"to train on and to hold out, {held_out:g} of them held out)")


def train_rule(V, E, n_hidden: int = 1, *, estimator: str = "variational",
               symmetric: bool = False, epochs: int = 100, batch_size: int = 1024,
               learning_rate: float = 0.01, restarts: int = 3, patience: int = 10,
               held_out: float = HELD_OUT, width: int = 32, weight_decay: float = 0.01,
               rule: CoarseGrainingRule | None = None, seed: int = 0,
               progress: Progress | None = None) -> TrainResult:
    """Learn P_Λ(H|V) maximising I(H:E) on (V, E) pairs.

    ``estimator="variational"`` trains the rule with a predictor q(H|E)
    (:mod:`gpurg.rsmi.variational`); ``"rbm"`` is the RBM estimator of Koch-Janusz & Ringel
    (2018) (:func:`gpurg.rsmi.rbm_estimator.train_rule_rbm`: an RBM for P(V, E), then gradient
    ascent of A_Λ; blocks of at most 16 units, ±1 or 0/1 values), with ``width`` the RBM's
    hidden units and ``rule`` not supported.

    Parameters
    ----------
    V, E : array
        Visible blocks (n, n_v) and environments (n, n_e), numeric (±1 spins or 0/1 pixels),
        NumPy or CuPy; the work runs where they live.
    n_hidden : int
        Hidden units n_h (1 .. 8; sums over the 2^n_h configurations are exact).
    symmetric : bool
        Keep the biases at zero (a Z2-symmetric system such as Ising at h = 0).
    epochs, batch_size, learning_rate
        Passes over the training pairs, mini-batch size, and Adam's initial step size, which
        decays geometrically to 1% of it over ``epochs``: on the flat ridges of the MI a
        constant step lets mini-batch noise carry the filters around.
    restarts : int
        Independent random initialisations; the best by held-out MI is returned.
    patience : int
        Stop a restart after this many epochs without a new best held-out MI.
    held_out : float
        Fraction of the pairs kept out of training to estimate the MI.
    width : int
        Hidden width of the predictor q(H|E).
    weight_decay : float
        Penalty (weight_decay / 2) |λ|^2 on the filters during training; the reported MI is
        without it. Unpenalised, I(H:E) keeps rising as the filters grow and the units turn
        deterministic, and then a filter that breaks the block's ties by one spin carries a
        little more than the symmetric block spin: on 2x2 Ising blocks at T_c (no buffer),
        computed exactly, 0.483 nats for weights (20, 22, 18, 21) against 0.477 for uniform
        ones. The penalty keeps the rule soft, where the symmetric rule is the optimum: with
        0.01 the exact penalised optimum is uniform to 3% (I = 0.468), with 0.003 it is not.
    rule : CoarseGrainingRule, optional
        Keep this rule fixed and train the predictor only: the MI estimate of a given rule
        (``n_hidden`` is then the rule's).
    seed : int
        Fixes the split, the initialisations and the mini-batch order.
    progress : callable, optional
        ``progress(epoch, epochs, mi)`` after every epoch (epochs count over all restarts).
    """
    if estimator not in ESTIMATORS:
        raise InputError(f"unknown estimator {estimator!r}; allowed: {', '.join(ESTIMATORS)}")
    if rule is not None:
        n_hidden = rule.n_hidden
    hidden_states(n_hidden)  # validates n_hidden
    for name, value, low in (("epochs", epochs, 1), ("batch size", batch_size, 1),
                             ("restarts", restarts, 1), ("patience", patience, 1),
                             ("width", width, 1)):
        if int(value) != value or value < low:
            raise InputError(f"{name} must be an integer >= {low}, got {value}")
    if not 0 < held_out < 1:
        raise InputError(f"held-out fraction must lie in (0, 1), got {held_out}")
    if not weight_decay >= 0:
        raise InputError(f"weight decay must be >= 0, got {weight_decay}")
    if not learning_rate > 0:
        raise InputError(f"learning rate must be > 0, got {learning_rate}")
    if estimator == "rbm":
        result = _train_rbm(V, E, n_hidden, symmetric, epochs, batch_size, learning_rate,
                            restarts, held_out, width, weight_decay, rule, seed, progress)
        result.rule = result.rule.canonical()
        return result
    xp = array_module(V)
    V = xp.asarray(V, dtype=xp.float64)
    E = xp.asarray(E, dtype=xp.float64)
    if V.ndim != 2 or E.ndim != 2 or V.shape[0] != E.shape[0]:
        raise InputError(f"V and E must be (n, n_v) and (n, n_e), got {V.shape} and {E.shape}")
    if rule is not None and rule.n_visible != V.shape[1]:
        raise InputError(f"the rule reads {rule.n_visible} visible units, the blocks have "
                         f"{V.shape[1]}")
    n = V.shape[0]
    check_pairs(n, held_out)
    n_test = int(round(held_out * n))
    rng = np.random.default_rng(seed)
    order = xp.asarray(rng.permutation(n))
    test, train = order[:n_test], order[n_test:]
    V_test, E_test, V_train, E_train = V[test], E[test], V[train], E[train]

    best, best_mi, best_history, finals = None, -math.inf, np.zeros(0), []
    for restart in range(restarts):
        params, history = _train_once(V_train, E_train, V_test, E_test, n_hidden, symmetric,
                                      epochs, batch_size, learning_rate, patience, width,
                                      weight_decay, rule,
                                      np.random.default_rng([seed, restart]),
                                      progress, restart * epochs, restarts * epochs)
        finals.append(history.max())
        if history.max() > best_mi:
            best, best_mi, best_history = params, history.max(), history
    mi, mi_err = variational.bound_with_error(best, V_test, E_test)
    to_host = _to_host(best.filters)
    # a fixed rule is returned as given; a learned one in the canonical labelling
    learned = CoarseGrainingRule(to_host(best.filters), to_host(best.bias))
    return TrainResult(learned if rule is not None else learned.canonical(), mi, mi_err,
                       best_history, np.array(finals))


def _train_rbm(V, E, n_hidden, symmetric, epochs, batch_size, learning_rate, restarts,
               held_out, width, weight_decay, rule, seed, progress) -> TrainResult:
    from gpurg.rsmi.rbm_estimator import train_rule_rbm  # imports the RBM package on demand

    if rule is not None:
        raise InputError("the rbm estimator learns the rule; use the variational one to "
                         "estimate the MI of a fixed rule")
    xp = array_module(V)
    units = "01" if bool((xp.asarray(V) >= 0).all()) else "pm1"
    fits = []
    for restart in range(restarts):
        def report(epoch: int, total: int, value: float, restart: int = restart) -> None:
            if progress is not None:
                progress(restart * epochs + epoch, restarts * epochs, value)

        fits.append(train_rule_rbm(V, E, n_hidden, units=units, rbm_hidden=width,
                                   symmetric=symmetric, epochs=epochs, batch_size=batch_size,
                                   learning_rate=learning_rate, weight_decay=weight_decay,
                                   held_out=held_out, seed=independent_seed(seed, restart),
                                   progress=report))
    best = max(fits, key=lambda f: f.mi)
    return TrainResult(best.rule, best.mi, best.mi_err, best.history,
                       np.array([f.mi for f in fits]), "rbm")


def _train_once(V, E, V_test, E_test, n_hidden, symmetric, epochs, batch_size, learning_rate,
                patience, width, weight_decay, rule, rng, progress, epoch0, total):
    xp = array_module(V)
    params = variational.initial_parameters(V.shape[1], E.shape[1], n_hidden, width, rng, xp)
    if rule is not None:
        params.filters, params.bias = xp.asarray(rule.filters), xp.asarray(rule.bias)
    adam = variational.Adam(params, learning_rate)
    best, best_mi, since_best, history = params.copy(), -math.inf, 0, []
    n = V.shape[0]
    for epoch in range(epochs):
        adam.learning_rate = learning_rate * 0.01 ** (epoch / max(1, epochs - 1))
        order = xp.asarray(rng.permutation(n))
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            _, grads = variational.bound_gradients(params, V[batch], E[batch], symmetric)
            if rule is None:
                grads["filters"] = grads["filters"] - weight_decay * params.filters
            else:
                del grads["filters"], grads["bias"]
            adam.step(params, grads)
        mi = variational.mutual_information_bound(params, V_test, E_test)
        history.append(mi)
        if progress is not None:
            progress(epoch0 + epoch + 1, total, mi)
        if mi > best_mi:
            best, best_mi, since_best = params.copy(), mi, 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    return best, np.array(history)


def _to_host(like):
    xp = array_module(like)
    return (lambda a: a.get()) if xp is not np else (lambda a: np.asarray(a))
