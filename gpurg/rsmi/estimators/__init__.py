"""Mutual-information estimators of RSMI: one interface, one registry.

An estimator trains a rule P_Λ(H|V) (and whatever model of the environment it needs) by
gradient ascent of an estimate of I_Λ(H:E), and reports that estimate on held-out pairs.
Hyper-parameters are given to the constructor and checked there; the training driver
(:mod:`gpurg.rsmi.training`) owns everything around them: the held-out split, restarts and
their seeds, the learning-rate schedule, early stopping, the choice of the best restart and
the canonical labelling of its rule. An estimator implements one restart's steps::

    prepare(V, E, rule)            -> (V, E) as it computes with them (checked)
    start(V, E, rng, seed, rule, initial)   a fresh restart on the training pairs, the rule
                                   starting at ``initial`` (the driver's data-aware start)
    train_epoch(V, E, rng, rate)   one pass of mini-batch ascent; the mean training objective
    score(V, E)                    the MI estimate on held-out pairs (early stopping's monitor;
                                   less :meth:`MIEstimator.penalty`, the restarts' judge)
    evaluate(V, E)                 (MI, standard error) in nats on held-out pairs
    state() / restore(state)       a copy of the trained parameters, and back
    rule_                          the current rule (host arrays)

and :meth:`MIEstimator.fit` runs the driver on it. Every module of this package is imported
by :func:`estimators`, and every subclass that sets ``name`` is registered under it: a new
estimator is one new file here.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from gpurg.registry import Registry
from gpurg.rsmi.rule import MAX_HIDDEN, CoarseGrainingRule
from gpurg.validation import Flag, Integer, Real, checked

if TYPE_CHECKING:
    from gpurg.rsmi.training import Progress, TrainResult

# The defaults of every estimator, of train_rule and of `gpurg rsmi train` (the CLI reads them
# here). 60 epochs, with early stopping (patience 10): a strong signal stops far sooner (noisy
# 8x8 dimer blocks at buffer 4: after 20-35 epochs per restart), a weak one needs them (the
# same at buffer 8: 0.0423 ± 0.0016 nats after 20 epochs, 0.0666 ± 0.0014 after 60).
EPOCHS = 60
BATCH_SIZE = 1024
LEARNING_RATE = 0.01
WEIGHT_DECAY = 0.04  # = 0.01 |λ|² / 2 on 2x2 blocks of ±1 spins (gpurg.rsmi.start)
WIDTH = 32
PATIENCE = 10

REGISTRY: Registry[type[MIEstimator]] = Registry("MI estimator", __name__)
"""Estimator classes by name, filled by the subclasses themselves."""

HYPER_PARAMETERS = dict(
    n_hidden=Integer(1, MAX_HIDDEN), symmetric=Flag(), epochs=Integer(1),
    batch_size=Integer(1), learning_rate=Real(0, low_open=True), weight_decay=Real(0),
    width=Integer(1), patience=Integer(1, optional=True))


class MIEstimator(ABC):
    """The common hyper-parameters of an MI estimator; see the module for the interface.

    Parameters
    ----------
    n_hidden : int
        Hidden units n_h of the rule (1 .. 8; sums over the 2^n_h configurations are exact).
    symmetric : bool
        Keep the rule's biases at zero (a Z2-symmetric system such as Ising at h = 0).
    epochs, batch_size : int
        Passes over the training pairs per restart, and the mini-batch size.
    learning_rate : float
        Adam's initial step; the driver decays it geometrically to 1% over ``epochs``: on the
        flat ridges of the MI a constant step lets mini-batch noise carry the filters around.
    weight_decay : float
        Penalty (weight_decay / 2) Σ_j mean_i σ_i² λ_ji² on the standardised filters while
        training, σ_i² the variance of visible unit i (not in the reported MI; why:
        :mod:`gpurg.rsmi.start`).
    width : int
        Hidden width of the estimator's own model (the predictor's, the RBM's).
    patience : int or None
        Stop a restart after this many epochs without a new best held-out MI and keep its best
        epoch; None: no early stopping, every epoch runs, the last is kept, and the history is
        the training objective (no held-out pass per epoch).

    Attributes (after :meth:`fit`)
    -------------------------------
    result_ : TrainResult
    rule_ : CoarseGrainingRule
    mi_, mi_err_ : float
        The held-out MI of the best restart and its standard error, in nats.
    """

    name: ClassVar[str]

    @checked(**HYPER_PARAMETERS)
    def __init__(self, n_hidden: int = 1, *, symmetric: bool = False, epochs: int = EPOCHS,
                 batch_size: int = BATCH_SIZE, learning_rate: float = LEARNING_RATE,
                 weight_decay: float = WEIGHT_DECAY, width: int = WIDTH,
                 patience: int | None = PATIENCE) -> None:
        self.n_hidden = n_hidden
        self.symmetric = symmetric
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.width = width
        self.patience = patience

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # a subclass without its own name (a test's spy) is not one
            REGISTRY.add(cls.name, cls)

    # ------------------------------------------------------------------ one restart
    @abstractmethod
    def prepare(self, V: Any, E: Any, rule: CoarseGrainingRule | None) -> tuple[Any, Any]:
        """(V, E) checked and converted as the estimator computes with them; ``rule`` (a fixed
        rule to estimate) checked against them, or refused by estimators that cannot."""

    @abstractmethod
    def start(self, V: Any, E: Any, rng: np.random.Generator, seed: int,
              rule: CoarseGrainingRule | None,
              initial: CoarseGrainingRule | None = None) -> None:
        """Begin a restart on training pairs: the rule at ``initial`` (the driver's start,
        :func:`gpurg.rsmi.start.initial_rule`; None when ``rule`` is fixed), every other
        parameter from ``rng``; ``seed`` keys any Philox stream (both are distinct for every
        (seed, restart) of the driver). The rule is kept in the coordinates of the driver's
        :attr:`standardization_` (a :class:`gpurg.rsmi.start.Standardization` of V, set
        before this call): its ``from_raw``/``to_raw`` convert, ``gradients`` carries the
        raw rule's gradient over."""

    def penalty(self) -> float:
        """(weight_decay / 2) Σ_j mean_i λ'_ji² of the trained standardised filters (nats):
        what the training objective subtracts from the MI, so that the choice among restarts
        judges by the objective trained. Estimators keep λ' in
        ``params_["filters"]``."""
        filters = self.params_["filters"]
        return 0.5 * self.weight_decay * float((filters ** 2).sum()) / filters.shape[1]

    def penalty_gradient(self, filters: Any) -> Any:
        """The weight decay's pull on standardised filters λ' (n_h, n_v): weight_decay λ' /
        n_v, the gradient of (weight_decay / 2) Σ_j mean_i λ'_ji² (subtracted from the
        ascent direction; :mod:`gpurg.rsmi.start`)."""
        return self.weight_decay * filters / filters.shape[1]

    @abstractmethod
    def train_epoch(self, V: Any, E: Any, rng: np.random.Generator,
                    learning_rate: float) -> float:
        """One pass over the training pairs in mini-batches ordered by ``rng``, Adam's step
        ``learning_rate``; returns the mean training objective of the epoch (nats)."""

    @abstractmethod
    def score(self, V: Any, E: Any) -> float:
        """The MI estimate of the current parameters on held-out pairs, in nats."""

    @abstractmethod
    def evaluate(self, V: Any, E: Any) -> tuple[float, float]:
        """(MI, standard error) in nats of the current parameters on held-out pairs; the MI
        equals :meth:`score`'s."""

    @abstractmethod
    def state(self) -> Any:
        """An independent copy of everything :meth:`restore` needs."""

    @abstractmethod
    def restore(self, state: Any) -> None:
        """Return to a :meth:`state`."""

    @property
    @abstractmethod
    def rule_(self) -> CoarseGrainingRule:
        """The current rule, host arrays, in training's labelling."""

    # ------------------------------------------------------------------ the driver
    def fit(self, V: Any, E: Any, rule: CoarseGrainingRule | None = None, *, seed: int = 0,
            restarts: int = 1, held_out: float | None = None,
            progress: Progress | None = None) -> MIEstimator:
        """Train by :func:`gpurg.rsmi.training.fit` (held-out split, restarts, schedule, early
        stopping); the estimator is left at the best restart, its result in :attr:`result_`.
        ``held_out`` None: :data:`gpurg.rsmi.training.HELD_OUT`."""
        from gpurg.rsmi import training

        self.result_: TrainResult = training.fit(
            self, V, E, rule=rule, seed=seed, restarts=restarts, progress=progress,
            held_out=training.HELD_OUT if held_out is None else held_out)
        self.mi_, self.mi_err_ = self.result_.mi, self.result_.mi_err
        return self

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, by name."""
        return {name: getattr(self, name) for name in self._parameter_names()}

    @classmethod
    def _parameter_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]


def estimators() -> dict[str, type[MIEstimator]]:
    """Every estimator by name (``"variational"``, ``"rbm"``, ...): the modules of this
    package are imported on the first call, registering their classes."""
    return dict(REGISTRY)


def estimator_names() -> tuple[str, ...]:
    """The registered names, sorted."""
    return tuple(estimators())
