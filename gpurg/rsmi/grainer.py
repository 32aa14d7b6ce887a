"""An RSMI coarse-graining rule as a scikit-learn-style object: ``fit`` learns it, ``transform``
applies it::

    grainer = RsmiCoarseGrainer(block=2, env=2, seed=1).fit_configurations(configs)
    coarse = grainer.transform(configs)          # int8 (n, n_hidden, L / 2, L / 2)
    print(grainer.rule_.filters, grainer.mi_, grainer.mi_err_)
"""

from __future__ import annotations

from typing import Any

from gpurg.rsmi.coarse import MODES, coarse_grain
from gpurg.rsmi.estimators import (
    BATCH_SIZE,
    EPOCHS,
    LEARNING_RATE,
    PATIENCE,
    WEIGHT_DECAY,
    WIDTH,
)
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import ESTIMATORS, HELD_OUT, RESTARTS, TrainResult, train_rule
from gpurg.validation import SEED, Choice, Flag, Integer, checked


class RsmiCoarseGrainer:
    """Learn P_Λ(H|V) by :func:`gpurg.rsmi.training.train_rule` and coarse-grain with it.

    Parameters
    ----------
    block, buffer, env : int
        The geometry L_V >= 1, L_B >= 0, L_E >= 1 (:class:`gpurg.rsmi.geometry.Geometry`).
    n_hidden : int
        Hidden units of the rule.
    estimator : str
        A name of :data:`gpurg.rsmi.training.ESTIMATORS`.
    mode : {"sample", "max"}
        How :meth:`transform` picks H: drawn from P_Λ(H|V), or the most probable.
    symmetric : bool
        Keep the biases at zero.
    seed : int
        Seeds the pairs' positions, training, and the draws of :meth:`transform`.
    epochs, restarts, batch_size, learning_rate, weight_decay, width, patience, held_out
        As in :func:`~gpurg.rsmi.training.train_rule`.

    Attributes (after fitting)
    --------------------------
    rule_ : CoarseGrainingRule
        The learned rule, canonical labelling.
    mi_, mi_err_ : float
        Its held-out I_Λ(H:E) and standard error, nats.
    result_ : TrainResult
    """

    @checked(block=Integer(1), buffer=Integer(0), env=Integer(1), mode=Choice(MODES),
             estimator=Choice(ESTIMATORS), symmetric=Flag(), seed=SEED)
    def __init__(self, block: int = 2, buffer: int = 0, env: int = 2, n_hidden: int = 1, *,
                 estimator: str = "variational", mode: str = "max", symmetric: bool = False,
                 seed: int = 0, epochs: int = EPOCHS, restarts: int = RESTARTS,
                 batch_size: int = BATCH_SIZE, learning_rate: float = LEARNING_RATE,
                 weight_decay: float = WEIGHT_DECAY, width: int = WIDTH,
                 patience: int | None = PATIENCE, held_out: float = HELD_OUT) -> None:
        self.block, self.buffer, self.env, self.n_hidden = block, buffer, env, n_hidden
        self.estimator, self.mode, self.symmetric, self.seed = estimator, mode, symmetric, seed
        self.epochs, self.restarts, self.batch_size = epochs, restarts, batch_size
        self.learning_rate, self.weight_decay, self.width = learning_rate, weight_decay, width
        self.patience, self.held_out = patience, held_out

    @property
    def geometry(self) -> Geometry:
        return Geometry(self.block, self.buffer, self.env)

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, by name."""
        return {name: getattr(self, name) for name in (
            "block", "buffer", "env", "n_hidden", "estimator", "mode", "symmetric", "seed",
            "epochs", "restarts", "batch_size", "learning_rate", "weight_decay", "width",
            "patience", "held_out")}

    def fit(self, V: Any, E: Any) -> RsmiCoarseGrainer:
        """Learn the rule from (V, E) pairs: V (n, block^2) and E (n, n_env) in
        :class:`~gpurg.rsmi.geometry.Geometry`'s orders, NumPy or CuPy. Returns self."""
        self.result_: TrainResult = train_rule(
            V, E, self.n_hidden, estimator=self.estimator, symmetric=self.symmetric,
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            restarts=self.restarts, patience=self.patience, held_out=self.held_out,
            width=self.width, weight_decay=self.weight_decay, seed=self.seed)
        self.rule_: CoarseGrainingRule = self.result_.rule
        self.mi_, self.mi_err_ = self.result_.mi, self.result_.mi_err
        return self

    def fit_configurations(self, configs: Any, *, positions: str | int = "all",
                           stride: int = 1) -> RsmiCoarseGrainer:
        """Learn the rule from configurations (n, L, L) through
        :func:`~gpurg.rsmi.geometry.extract_pairs` (``positions``, ``stride``; the seed is
        this object's). Returns self."""
        return self.fit(*extract_pairs(configs, self.geometry, positions=positions,
                                       stride=stride, seed=self.seed))

    def transform(self, configs: Any, *, level: int = 0) -> Any:
        """One RG step with the learned rule (:func:`~gpurg.rsmi.coarse.coarse_grain`, stride
        ``block``): int8 (n, n_hidden, L / block, L / block) for configs (n, L, L) on their
        backend; ``level`` numbers the step's random draws."""
        return coarse_grain(configs, self.rule_, self.block, mode=self.mode, seed=self.seed,
                            level=level)
