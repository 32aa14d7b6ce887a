"""The likelihood-trained RBM of RSMI's blocks, the contrast to RSMI (issue 13).

An RBM trained by CD-k or PCD on the same L_V x L_V blocks V that RSMI coarse-grains learns
whatever raises the likelihood of V most, not what V shares with its environment. On dimer
images with correlated noise (science.md §5: each face pixel copies the vertex pixel at its
(-x, -y) diagonal) an 8 x 8 block holds 16 perfectly correlated vertex–face pairs beside the
bond pixels that carry the dimers; Koch-Janusz & Ringel (2018) report that such an RBM spends
its first hidden units on those noise pairs. :func:`train_block_rbm` trains one on blocks drawn
from configurations as RSMI draws them (:func:`~gpurg.rsmi.geometry.extract_pairs`),
:meth:`BlockRBM.analysis` reads its units as RSMI's filters are read
(:func:`~gpurg.rsmi.analysis.analyze_rule`: noise, bond and vertex–face pair shares...), and
:func:`write_block_rbm` / :func:`read_block_rbm` keep the result in a file::

    from gpurg.rsmi.likelihood import train_block_rbm
    result = train_block_rbm(images, block=8, n_hidden=4, stride=2, seed=1)
    print(result.analysis("dimer").noise_share)   # share of |W|^2 on vertex + face pixels

The hidden units are ±1 ("pm1"): flipping a unit (h_j -> -h_j, W_j -> -W_j, b_j -> -b_j) then
leaves the model unchanged, which the canonical orientation of :class:`BlockRBM` uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.backend import Backend
from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, open_results
from gpurg.rbm.conditionals import MAX_UNITS
from gpurg.rbm.model import RBM, log_hidden_sum, unit_states
from gpurg.rbm.training import fit_rbm
from gpurg.rsmi.analysis import FilterAnalysis, analyze_rule
from gpurg.rsmi.geometry import BLOCK, POSITIONS, Geometry, extract_pairs
from gpurg.validation import SEED, Flag, Integer, Real, checked, to_host

RBM_FORMAT = "gpurg-rbm"
"""The ``format`` attribute of an RBM file (:func:`write_block_rbm`)."""
MAX_EXACT_HIDDEN = 16
"""Up to this many hidden units the log-likelihood is exact (log Z sums 2^n_hidden states)."""
HIDDEN_UNITS = "pm1"
# the rules of train_block_rbm's arguments (and of the CLI's options)
N_HIDDEN = Integer(1, MAX_UNITS)
BLOCKS = POSITIONS
EPOCHS, BATCH_SIZE, CD_K = Integer(1), Integer(1), Integer(1)
LEARNING_RATE = Real(0, low_open=True)
MOMENTUM = Real(0, 1, high_open=True)
WEIGHT_DECAY = Real(0)
# defaults: the same for Ising spins (±1) and dimer images (0/1)
DEFAULTS: dict[str, Any] = {"blocks": 100_000, "epochs": 10, "batch_size": 100, "k": 1,
                            "learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.0}
_TEST_FRACTION = 10  # one configuration in ten, and blocks // 10 test blocks (at most 10^4)
_MAX_TEST_BLOCKS = 10_000
_MEAN_CLIP = 1e-3

Progress = Callable[[int, int, float], None]  # (epochs done, epochs, test log-likelihood)


@dataclass(frozen=True)
class BlockRBM:
    """An RBM trained on L_V x L_V blocks, in canonical form.

    Attributes
    ----------
    weights : float64 (n_hidden, block, block)
        W_j reshaped to the block (pixel (y, x) of the block, row-major as RSMI's filters).
        Units are ordered by decreasing norm |W_j| and oriented so that the sum of W_j's
        entries is positive (if it is zero, its largest-magnitude entry, first in row-major
        order, is positive); with ±1 hidden units both are exact symmetries of the model.
    visible_bias : float64 (block, block)
    hidden_bias : float64 (n_hidden,)
    visible_units : {"pm1", "01"}
        Ising spins ±1, dimer-image pixels 0/1 (chosen from the data's values).
    hidden_units : "pm1"
    log_likelihood : float
        Mean exact log P(v) in nats per block on the test blocks (from configurations left
        out of training), NaN above :data:`MAX_EXACT_HIDDEN` hidden units.
    independent_log_likelihood : float
        The same for the model of independent pixels with the training data's means: the
        gain log_likelihood - independent_log_likelihood is what the couplings learned.
    history : float64 (epochs,)
        log_likelihood after every epoch (NaN where not exact).
    settings : dict
        The training settings (block, stride, blocks, test_blocks, epochs, k, persistent,
        batch_size, learning_rate, momentum, weight_decay, seed) and whatever the caller
        added (a source file...).
    """

    weights: np.ndarray
    visible_bias: np.ndarray
    hidden_bias: np.ndarray
    visible_units: str
    hidden_units: str = HIDDEN_UNITS
    log_likelihood: float = math.nan
    independent_log_likelihood: float = math.nan
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_hidden(self) -> int:
        return int(self.weights.shape[0])

    @property
    def block(self) -> int:
        return int(self.weights.shape[1])

    def rbm(self, device: str | Backend | None = None) -> RBM:
        """The model as an :class:`~gpurg.rbm.model.RBM` on flattened blocks (n_v = block^2,
        row-major), e.g. to sample from it."""
        return RBM(self.weights.reshape(self.n_hidden, -1).T, self.visible_bias.ravel(),
                   self.hidden_bias, visible_units=self.visible_units,
                   hidden_units=self.hidden_units, device=device)

    def analysis(self, roles: str) -> FilterAnalysis:
        """The units' weights read as RSMI's filters are (:func:`~gpurg.rsmi.analysis.
        analyze_rule` on the (n_hidden, block²) weights; the biases are not used): for
        dimer images (``roles="dimer"``, even block) the shares of |W_j|² on the noise
        (vertex, face) pixels, the bonds, the strongest vertex–face pair and the staggered
        fields; for spins (``"site"``) the block-spin content. InputError where the analysis
        is undefined (a dimer block of odd side, unknown roles)."""
        return analyze_rule(self.weights.reshape(self.n_hidden, -1), self.block, roles)


def visible_units_of(values: Any) -> str:
    """"pm1" for data of ±1 values, "01" for 0/1 values (all +1 counts as 0/1); InputError
    for anything else."""
    present = {int(v) for v in np.unique(to_host(values))}
    if present <= {0, 1}:
        return "01"
    if present <= {-1, 1}:
        return "pm1"
    raise InputError(f"block RBMs take ±1 spins or 0/1 pixels, the data holds the values "
                     f"{sorted(present)}")


@checked(block=BLOCK, n_hidden=N_HIDDEN, stride=Integer(1), blocks=BLOCKS, k=CD_K,
         persistent=Flag(), epochs=EPOCHS, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
         momentum=MOMENTUM, weight_decay=WEIGHT_DECAY, seed=SEED)
def train_block_rbm(configs: Any, block: int, n_hidden: int, *, stride: int = 1,
                    blocks: int = DEFAULTS["blocks"], k: int = DEFAULTS["k"],
                    persistent: bool = False, epochs: int = DEFAULTS["epochs"],
                    batch_size: int = DEFAULTS["batch_size"],
                    learning_rate: float = DEFAULTS["learning_rate"],
                    momentum: float = DEFAULTS["momentum"],
                    weight_decay: float = DEFAULTS["weight_decay"], seed: int = 0,
                    device: str | Backend | None = None,
                    progress: Progress | None = None) -> BlockRBM:
    """Train an RBM by CD-k (or PCD-k) on ``blocks`` random block x block blocks.

    Parameters
    ----------
    configs : integer array (n, Ly, Lx)
        Ising spins (±1) or dimer images (0/1), NumPy or CuPy; the visible units follow the
        values (:func:`visible_units_of`). The blocks are RSMI's V (:func:`extract_pairs`
        with buffer 0, environment 1, so block + 2 <= Ly, Lx).
    block : int
        L_V, the block side in lattice entries (pixels of a dimer image).
    n_hidden : int
        Hidden units (±1).
    stride : int
        Spacing of block origins: 1 for spins, 2 for dimer images (blocks start on a vertex;
        the model's ``block_stride``).
    blocks : int
        Training blocks, (sample, origin) drawn with replacement by Philox from ``seed``.
        When n >= 2 the last max(1, n // 10) configurations are left out of training and
        give the test blocks (min(blocks // 10, 10^4), at least 1, drawn with seed + 1);
        a single configuration gives both.
    k, persistent, epochs, batch_size, learning_rate, momentum, weight_decay
        As in :func:`gpurg.rbm.training.fit_rbm` (no annealing; initial couplings
        N(0, 0.01^2), visible biases at the data's log-odds).
    seed : int
        Fixes the blocks, the initialisation and every Gibbs step: same seed, same arrays.
    device : {"auto", "cpu", "gpu", "numpy"}, Backend or None
    progress : callable, optional
        ``progress(epochs done, epochs, test log-likelihood)`` after every epoch.

    Returns
    -------
    BlockRBM
        In canonical form (units ordered and oriented).
    """
    if getattr(configs, "ndim", None) != 3:
        raise InputError(f"configs must have shape (n, Ly, Lx), got "
                         f"{getattr(configs, 'shape', type(configs).__name__)}")
    units = visible_units_of(configs)
    geometry = Geometry(block, 0, 1)
    n = int(configs.shape[0])
    n_test = max(1, n // _TEST_FRACTION) if n >= 2 else 0
    train_configs = configs[:n - n_test]
    test_configs = configs[n - n_test:] if n_test else configs
    test_blocks = max(1, min(blocks // _TEST_FRACTION, _MAX_TEST_BLOCKS))
    V, _ = extract_pairs(train_configs, geometry, positions=blocks, stride=stride, seed=seed)
    # the test draw's seed differs from the training draw's (seed + 1 mod 2^64)
    T, _ = extract_pairs(test_configs, geometry, positions=test_blocks, stride=stride,
                         seed=(seed + 1) % 2**64)
    V, T = to_host(V).astype(np.int8), to_host(T).astype(np.int8)
    independent = _independent_log_likelihood(V, T, units)
    history: list[float] = []

    def callback(epoch: int, rbm: RBM) -> None:
        history.append(_log_likelihood(rbm, T))
        if progress is not None:
            progress(epoch, epochs, history[-1])

    rbm = fit_rbm(V, n_hidden, visible_units=units, hidden_units=HIDDEN_UNITS, epochs=epochs,
                  batch_size=batch_size, k=k, persistent=persistent,
                  learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay,
                  seed=seed, device=device, callback=callback)
    weights, hidden_bias = canonical_units(to_host(rbm.W).T.copy(), to_host(rbm.b).copy())
    settings = {"block": block, "stride": stride, "blocks": blocks, "test_blocks": test_blocks,
                "test_configurations": n_test, "epochs": epochs, "k": k,
                "persistent": persistent, "batch_size": batch_size,
                "learning_rate": learning_rate, "momentum": momentum,
                "weight_decay": weight_decay, "seed": seed}
    return BlockRBM(weights.reshape(n_hidden, block, block),
                    to_host(rbm.a).reshape(block, block).copy(), hidden_bias, units,
                    HIDDEN_UNITS, history[-1] if history else math.nan, independent,
                    np.asarray(history, dtype=np.float64), settings)


def canonical_units(weights: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """±1 hidden units in canonical form: float64 weights (n_hidden, n_v) and biases
    (n_hidden,) ordered by decreasing |W_j| (stable) and flipped (W_j, b_j -> -W_j, -b_j) so
    that sum_i W_ij > 0, or, for a zero sum, the first largest-magnitude entry is > 0."""
    weights = np.asarray(weights, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    order = np.argsort(-np.linalg.norm(weights, axis=1), kind="stable")
    weights, bias = weights[order].copy(), bias[order].copy()
    for j, row in enumerate(weights):
        total = row.sum()
        lead = row[np.argmax(np.abs(row))] if row.size else 0.0
        if total < 0 or (total == 0 and lead < 0):
            weights[j], bias[j] = -row, -bias[j]
    return weights, bias


def write_block_rbm(path: str | Path, result: BlockRBM,
                    attrs: dict[str, Any] | None = None) -> Path:
    """Write an RBM file (HDF5, atomically): datasets ``weights`` float64 (n_hidden, block,
    block), ``visible_bias`` (block, block), ``hidden_bias`` (n_hidden,), ``history``
    (epochs,); root attributes ``format`` = "gpurg-rbm", ``format_version`` 1,
    ``visible_units``, ``hidden_units``, ``log_likelihood``, ``independent_log_likelihood``,
    ``n_hidden``, the settings and ``attrs``. Returns the path."""
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f["weights"] = result.weights
        f["visible_bias"] = result.visible_bias
        f["hidden_bias"] = result.hidden_bias
        f["history"] = result.history
        f.attrs.update({k: (np.uint64(v) if k == "seed" else v)
                        for k, v in {**result.settings, **(attrs or {})}.items()})
        f.attrs.update({"format": RBM_FORMAT, "format_version": 1,
                        "visible_units": result.visible_units,
                        "hidden_units": result.hidden_units,
                        "log_likelihood": result.log_likelihood,
                        "independent_log_likelihood": result.independent_log_likelihood,
                        "n_hidden": result.n_hidden})
    return Path(path)


_OWN_ATTRS = ("format", "format_version", "visible_units", "hidden_units", "log_likelihood",
              "independent_log_likelihood", "n_hidden")


def read_block_rbm(path: str | Path) -> BlockRBM:
    """Read an RBM file written by :func:`write_block_rbm`; InputError if it is not one."""
    with open_results(path, RBM_FORMAT, "RBM") as (f, attrs):
        arrays = {name: f[name][()] for name in
                  ("weights", "visible_bias", "hidden_bias", "history")}
    settings = {k: v for k, v in attrs.items() if k not in _OWN_ATTRS}
    return BlockRBM(arrays["weights"], arrays["visible_bias"], arrays["hidden_bias"],
                    str(attrs["visible_units"]), str(attrs["hidden_units"]),
                    float(attrs["log_likelihood"]),
                    float(attrs["independent_log_likelihood"]), arrays["history"], settings)


def _log_likelihood(rbm: RBM, v: np.ndarray) -> float:
    """Mean exact log P(v) over the rows of v (nats), log Z summed over the 2^n_hidden
    hidden states; NaN above MAX_EXACT_HIDDEN hidden units."""
    if rbm.n_hidden > MAX_EXACT_HIDDEN:
        return math.nan
    W, a, b = (to_host(p) for p in (rbm.W, rbm.a, rbm.b))
    h = unit_states(rbm.n_hidden, rbm.hidden_units).astype(np.float64)
    neg_f_hidden = h @ b + log_hidden_sum(h @ W.T + a, rbm.visible_units).sum(axis=1)
    top = neg_f_hidden.max()
    log_z = top + math.log(float(np.exp(neg_f_hidden - top).sum()))
    vf = v.astype(np.float64)
    neg_f = vf @ a + log_hidden_sum(vf @ W + b, rbm.hidden_units).sum(axis=1)
    return float(neg_f.mean() - log_z)


def _independent_log_likelihood(train: np.ndarray, test: np.ndarray, units: str) -> float:
    """Mean log-likelihood of ``test`` under independent units with ``train``'s means."""
    off, on = (-1, 1) if units == "pm1" else (0, 1)
    p = np.clip((train.astype(np.float64).mean(axis=0) - off) / (on - off), _MEAN_CLIP,
                1 - _MEAN_CLIP)
    is_on = test == on
    return float(np.where(is_on, np.log(p), np.log1p(-p)).sum(axis=1).mean())
