"""The training driver of every MI estimator: held-out split, restarts and their seeds, the
learning-rate schedule, early stopping, the best restart and its canonical rule.

The library function behind ``gpurg rsmi train``::

    result = train_rule(V, E, n_hidden=1, symmetric=True, seed=1)
    print(result.mi, result.mi_err, result.rule.filters)

An estimator (:mod:`gpurg.rsmi.estimators`) supplies one restart's steps; :func:`fit` runs them:

* split: ``default_rng(seed).permutation(n)``, its first round(held_out n) pairs held out
  (never trained on; the reported MI is theirs), the rest trained on. The held-out pairs keep
  their given order (the indices are sorted): pairs come sample-major from
  :func:`gpurg.rsmi.geometry.extract_pairs`, the pairs of one configuration are correlated,
  and the error's contiguous batch means must be over blocks of consecutive configurations to
  see that correlation (over shuffled pairs, each batch is a near-independent draw of the
  whole set, and the error came out 1.8-2.5x too small on Ising at T_c, all positions of
  16^2 lattices: tests/test_rsmi_training.py). The training pairs stay shuffled
  (mini-batches are drawn anew every epoch anyway);
* restart r: the start of its rule from :func:`gpurg.rsmi.start.initial_rule` (restart 0
  spectral, the others random; every unit at unit activation variance), the rest of the
  parameters and the mini-batch orders from ``default_rng([seed, r])``, Philox streams
  (the RBM's Gibbs steps) keyed by ``independent_seed(seed, r)``: distinct (seed, r) share no
  stream (``seed + r`` would give seed s + 1 all but one restart of seed s);
* epoch e of E: Adam's step learning_rate 0.01^(e / (E - 1)), then the held-out MI; a
  restart stops after ``patience`` epochs without a new best and keeps its best epoch
  (``patience=None``: every epoch runs, the last is kept);
* the restart with the highest held-out objective wins: its MI less the weight decay's
  penalty (:meth:`MIEstimator.penalty`), the quantity training maximises. (By the MI alone,
  a restart stopped on a larger, symmetry-breaking filter won by noise-sized margins: on
  2x2 Ising blocks at T_c a random restart's filter with max/min weight 3.5 beat the uniform
  one by 0.0003 nats, a tenth of the error. Stopping each restart by the objective too was
  tried and stopped dimer rules before their units had spread over the field plane.) A
  learned rule is returned in the canonical labelling of
  :meth:`CoarseGrainingRule.canonical`, a fixed one as it was given. The reported MI is the
  winner's held-out MI, without the penalty.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import independent_seed
from gpurg.backend.system import available_memory
from gpurg.errors import InputError
from gpurg.rsmi.estimators import (
    BATCH_SIZE,
    EPOCHS,
    LEARNING_RATE,
    PATIENCE,
    WEIGHT_DECAY,
    WIDTH,
    MIEstimator,
    estimator_names,
    estimators,
)
from gpurg.rsmi.rule import MAX_HIDDEN, CoarseGrainingRule
from gpurg.rsmi.start import MAX_PAIRS, canonical_directions, initial_rule, standardization
from gpurg.validation import SEED, Choice, Flag, Integer, Real, checked

MIN_SPLIT = 32  # pairs on each side of the held-out split: fewer make the MI estimate noise
HELD_OUT = 0.25  # default fraction of the pairs held out to estimate the MI
# Peak memory of training per value of the pairs (V and E entries): float64 pairs, their
# training and held-out copies and the spectral start's standardised copy; measured 24.8 with
# tracemalloc on 20,000 3D pairs of 1752 values (buffer 4, environment 2)
BYTES_PER_PAIR_VALUE = 25
# default restarts of train_rule and `gpurg rsmi train`: the spectral start and a random one
# (a third added nothing on noisy dimer blocks, 0.1833 against 0.1832, for 55% more time)
RESTARTS = 2
Progress = Callable[[int, int, float], None]  # (epochs done, epochs, MI of the epoch)
ESTIMATORS = estimator_names()  # ("rbm", "variational"): the registry's names


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
        float64 (epochs run,): held-out MI after each epoch of the best restart (with
        ``patience=None``: the mean training objective of each epoch).
    restarts : numpy.ndarray
        float64 (n_restarts,): the held-out MI each restart ended with.
    estimator : str
        The registry name of the estimator.
    notes : list of str
        What the caller must know about the result, one sentence each: a learned rule whose
        MI is consistent with zero (:func:`collapse_note`). Empty when all is well.
    """

    rule: CoarseGrainingRule
    mi: float
    mi_err: float
    history: np.ndarray
    restarts: np.ndarray
    estimator: str = "variational"
    notes: list[str] = field(default_factory=list)


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


@checked(n_hidden=Integer(1, MAX_HIDDEN), estimator=Choice(ESTIMATORS), symmetric=Flag(),
         epochs=Integer(1),
         batch_size=Integer(1), learning_rate=Real(0, low_open=True), restarts=Integer(1),
         patience=Integer(1, optional=True),
         held_out=Real(0, 1, low_open=True, high_open=True), width=Integer(1),
         weight_decay=Real(0), seed=SEED)
def train_rule(V: Any, E: Any, n_hidden: int = 1, *, estimator: str = "variational",
               symmetric: bool = False, epochs: int = EPOCHS, batch_size: int = BATCH_SIZE,
               learning_rate: float = LEARNING_RATE, restarts: int = RESTARTS,
               patience: int | None = PATIENCE, held_out: float = HELD_OUT,
               width: int = WIDTH, weight_decay: float = WEIGHT_DECAY,
               rule: CoarseGrainingRule | None = None, seed: int = 0,
               progress: Progress | None = None) -> TrainResult:
    """Learn P_Λ(H|V) maximising I(H:E) on (V, E) pairs: :func:`fit` of the named estimator.

    ``estimator="variational"`` trains the rule with a predictor q(H|E)
    (:mod:`gpurg.rsmi.estimators.variational`); ``"rbm"`` is the RBM estimator of
    Koch-Janusz & Ringel (2018) (:mod:`gpurg.rsmi.estimators.rbm`: an RBM for P(V, E), then
    gradient ascent of A_Λ; blocks of at most 16 units, ±1 or 0/1 values), with ``width`` the
    RBM's hidden units and ``rule`` not supported.

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
    patience : int or None
        Stop a restart after this many epochs without a new best held-out MI (None: never).
    held_out : float
        Fraction of the pairs kept out of training to estimate the MI.
    width : int
        Hidden width of the predictor q(H|E) (of the RBM for ``estimator="rbm"``).
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
        Fixes the split, the initialisations and the mini-batch order (module notes).
    progress : callable, optional
        ``progress(epoch, epochs, mi)`` after every epoch (epochs count over all restarts).
    """
    if rule is not None:
        n_hidden = rule.n_hidden
    model = estimators()[estimator](
        n_hidden, symmetric=symmetric, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, weight_decay=weight_decay, width=width,
        patience=patience)
    return fit(model, V, E, rule=rule, seed=seed, restarts=restarts, held_out=held_out,
               progress=progress)


@checked(seed=SEED, restarts=Integer(1), held_out=Real(0, 1, low_open=True, high_open=True))
def fit(estimator: MIEstimator, V: Any, E: Any, *, rule: CoarseGrainingRule | None = None,
        seed: int = 0, restarts: int = 1, held_out: float = HELD_OUT,
        progress: Progress | None = None) -> TrainResult:
    """Train ``estimator`` on (V, E) pairs by the module's scheme; the estimator is left at
    the best restart (its :meth:`~MIEstimator.evaluate` on the held-out pairs is the result's
    MI). Arguments as in :func:`train_rule`; ``restarts`` and ``seed`` are the driver's, the
    rest of the training settings the estimator's."""
    check_pair_memory(V, E)
    V, E = estimator.prepare(V, E, rule)
    n = V.shape[0]
    check_pairs(n, held_out)
    xp = array_module(V)
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(held_out * n))
    # held-out pairs in their given (sample-major) order, for the batch-means error
    test, train = xp.asarray(np.sort(order[:n_test])), xp.asarray(order[n_test:])
    V_test, E_test, V_train, E_train = V[test], E[test], V[train], E[train]

    best, best_objective, best_history, finals = None, -math.inf, np.zeros(0), []
    for restart in range(restarts):
        history = train_restart(estimator, V_train, E_train, V_test, E_test,
                                np.random.default_rng([seed, restart]),
                                independent_seed(seed, restart), rule=rule, progress=progress,
                                restart=restart, epoch0=restart * estimator.epochs,
                                total=restarts * estimator.epochs)
        finals.append(estimator.score(V_test, E_test))
        objective = finals[-1] - estimator.penalty()
        if best is None or objective > best_objective:
            best, best_objective, best_history = estimator.state(), objective, history
    estimator.restore(best)
    mi, mi_err = estimator.evaluate(V_test, E_test)
    learned = estimator.rule_
    notes = [] if rule is not None else [note for note in [
        collapse_note(learned, mi, mi_err, V_train, E_train)] if note]
    return TrainResult(learned if rule is not None else learned.canonical(), mi, mi_err,
                       best_history, np.array(finals), estimator.name, notes)


def check_pair_memory(V: Any, E: Any) -> None:
    """InputError, before any float copy is made, when training on pairs V (n, n_v) and
    E (n, n_e) would need more memory than is free where they live
    (:data:`BYTES_PER_PAIR_VALUE` per value): 3D environments hold thousands of sites, so a
    pair count that is modest in 2D can exhaust a machine."""
    n, values = V.shape[0], V.shape[1] + E.shape[1]
    free = available_memory(array_module(V))
    if free is None or n * values * BYTES_PER_PAIR_VALUE <= free:
        return
    fits = free // (values * BYTES_PER_PAIR_VALUE)
    raise InputError(f"{n} pairs of {values} values (block and environment) need about "
                     f"{n * values * BYTES_PER_PAIR_VALUE / 1e9:.1f} GB to train, "
                     f"{free / 1e9:.1f} GB are free: use at most {fits} pairs, or a "
                     f"narrower buffer or environment")


def collapse_note(rule: CoarseGrainingRule, mi: float, mi_err: float, V: Any, E: Any) -> str:
    """A sentence when a learned rule carries no information (I <= 2σ), saying whether the
    training pairs (V, E) do: their largest canonical correlation ρ₁ against ρ₀, the level
    that independent blocks and environments reach by chance, (sqrt(n_v) + sqrt(n_e)) /
    sqrt(n) (Wachter 1980; a lower estimate where pairs of one configuration are
    correlated). '' when the MI is resolved from zero."""
    if mi > 2.0 * mi_err:
        return ""
    n = min(V.shape[0], MAX_PAIRS)
    rho = float(canonical_directions(V, E, 1).correlations[0])
    chance = (math.sqrt(V.shape[1]) + math.sqrt(E.shape[1])) / math.sqrt(n)
    norm = float(np.abs(rule.filters).max())
    text = (f"the learned rule carries no information: I(H:E) = {mi:.4f} ± {mi_err:.4f} "
            f"nats (largest |λ| {norm:.3g}); ")
    if rho > 2.0 * chance:
        return text + (f"the block and its environment are correlated (canonical "
                       f"correlation ρ₁ = {rho:.3f}, {chance:.3f} by chance), so training "
                       f"failed: try more epochs or restarts, or a smaller --weight-decay")
    return text + (f"nor do block and environment show a correlation (ρ₁ = {rho:.3f}, "
                   f"{chance:.3f} by chance): at this buffer there is nothing left to find, "
                   f"or too few pairs to see it")


def train_restart(estimator: MIEstimator, V: Any, E: Any, V_test: Any, E_test: Any,
                  rng: np.random.Generator, seed: int, *,
                  rule: CoarseGrainingRule | None = None, progress: Progress | None = None,
                  restart: int = 0, epoch0: int = 0, total: int | None = None) -> np.ndarray:
    """One restart on training pairs (V, E) with held-out pairs (V_test, E_test): the
    schedule and early stopping of the module's notes. The estimator is left at the kept
    epoch. ``restart`` picks the rule's start (:func:`gpurg.rsmi.start.initial_rule`: 0
    spectral, others random); the filters train in the coordinates of V standardised
    (:func:`gpurg.rsmi.start.standardization`). Returns float64 (epochs run,): the held-out
    score of every epoch (with ``estimator.patience`` None, the mean training objective).
    ``progress(epoch0 + epoch, total, value)`` after every epoch."""
    epochs, patience = estimator.epochs, estimator.patience
    total = epochs if total is None else total
    initial = None if rule is not None else initial_rule(
        V, E, estimator.n_hidden, restart, rng, symmetric=estimator.symmetric)
    estimator.standardization_ = standardization(V, symmetric=estimator.symmetric)
    estimator.start(V, E, rng, seed, rule, initial)
    best, best_mi, since_best, history = estimator.state(), -math.inf, 0, []
    for epoch in range(epochs):
        rate = estimator.learning_rate * 0.01 ** (epoch / max(1, epochs - 1))
        value = estimator.train_epoch(V, E, rng, rate)
        if patience is not None:
            value = estimator.score(V_test, E_test)
        history.append(value)
        if progress is not None:
            progress(epoch0 + epoch + 1, total, value)
        if patience is None:
            continue
        if value > best_mi:
            best, best_mi, since_best = estimator.state(), value, 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    if patience is not None:
        estimator.restore(best)
    return np.array(history)
