"""Batched conditionals of restricted Boltzmann machines: many RBMs x many chains at once.

For RBM m with weights W[m] (n_v, n_h), visible bias a[m] and hidden bias b[m], and energy
E(v, h) = -v.W.h - a.v - b.h, the units of one layer are independent given the other:

    P(h_j = on | v) = sigmoid(s x_j),  x = v W + b,
    P(v_i = on | h) = sigmoid(s y_i),  y = W h + a,

with on = +1 and s = 2 for ±1 units ("pm1"; off = -1), on = 1 and s = 1 for 0/1 units ("01";
off = 0).

Sampling runs the CUDA kernel of ``kernels/rbm.cu`` on the ``gpu`` and ``cpu`` backends and its
NumPy twin on the ``numpy`` backend. Random-number layout (shared by both): output units go in
groups of four; group g of chain c of RBM m in call ``counter`` in direction d (0: hidden given
visible, 1: visible given hidden) uses the Philox4x32-10 block

    counter words (counter, c, (m << 16) | (2 g + d), STREAM_RBM),  key = seed_to_key(seed),

and word j mod 4 of it decides unit j = 4 g + j mod 4: on iff the word is below
floor(p 2^32 + 1/2) (:func:`gpurg.models.ising_rules.probability_threshold`). So (unit, chain,
RBM, call, direction) never share a block as long as n_rbm <= 2^16, every layer has at most
2^17 units and every call of one seed gets its own ``counter`` in [0, 2^32). Both paths sum
x_j in the same order (inputs ascending, then the bias; the products are exact), so on the
CPU they agree bit for bit up to the last bit of ``exp``; a GPU's fused multiply-adds change
nothing either, the products being exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpurg.backend import Backend, KernelFamily, array_module, get_backend
from gpurg.backend.philox import STREAM_RBM, philox4x32
from gpurg.errors import InputError

UNITS = ("pm1", "01")
MAX_RBMS = 2**16  # RBM index: the high half of counter word 2
MAX_UNITS = 2**17  # units of a layer: groups of four in 15 bits of counter word 2
HIDDEN_GIVEN_VISIBLE = 0
VISIBLE_GIVEN_HIDDEN = 1
_TWO_32 = 4294967296.0

_KERNELS = KernelFamily("rbm.cu", {
    "rbm_sample_units": ("const signed char*", "const double*", "const double*", "signed char*",
                         "int", "int", "int", "int", "double", "int", "gpurg_u32", "gpurg_u32",
                         "gpurg_u32", "gpurg_u32"),
}, sizes={
    # inputs (n_rbm, n_chain, n_in), weights (n_rbm, n_in, n_out), biases (n_rbm, n_out),
    # outputs (n_rbm, n_chain, n_out)
    "rbm_sample_units": lambda x, w, b, out, n_rbm, n_chain, n_in, n_out, *_: (
        n_rbm * n_chain * n_in, n_rbm * n_in * n_out, n_rbm * n_out, n_rbm * n_chain * n_out,
        *[None] * 10),
})


def check_units(units: str) -> str:
    """Return ``units`` if it is a known unit type, else raise :class:`InputError`."""
    if units not in UNITS:
        raise InputError(f"unknown unit type {units!r}; allowed: {', '.join(UNITS)}")
    return units


def unit_values(units: str) -> tuple[int, int]:
    """(off, on) values of a unit type: (-1, +1) for "pm1", (0, 1) for "01"."""
    return (-1, 1) if check_units(units) == "pm1" else (0, 1)


def unit_scale(units: str) -> float:
    """s in P(on) = sigmoid(s x): 2 for ±1 units (the energy changes by 2x), 1 for 0/1."""
    return 2.0 if check_units(units) == "pm1" else 1.0


def sigmoid(z: Any) -> Any:
    """1 / (1 + exp(-z)), elementwise; exactly the kernel's formula (exp overflow gives 0)."""
    xp = array_module(z)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + xp.exp(-z))


def resolve_backend(array: Any, device: str | Backend | None) -> Backend:
    """The backend for ``array``: ``device`` if given, else ``gpu`` for a CuPy array and ``cpu``
    (compiled kernels, or NumPy without a compiler) for anything else."""
    if device is None:
        device = "gpu" if array_module(array) is not np else "cpu"
    return get_backend(device)


def to_backend(a: Any, backend: Backend, dtype: Any) -> Any:
    """``a`` as a C-contiguous array of ``dtype`` on ``backend`` (no copy when it already is)."""
    if backend.name == "gpu":
        return backend.xp.ascontiguousarray(backend.xp.asarray(a, dtype=dtype))
    if array_module(a) is not np:
        a = a.get()
    return np.ascontiguousarray(a, dtype=dtype)


def as_units(a: Any, backend: Backend, units: str | None = None, what: str = "inputs") -> Any:
    """``a`` as a C-contiguous int8 array on ``backend``, checked to hold unit values.

    Parameters
    ----------
    a : array-like
        Integer, boolean or integral float values.
    units : {"pm1", "01"} or None
        The values must be those of this unit type; None allows -1, 0 and +1 (what the
        sampling kernel takes: its products must be exact).
    what : str
        Name of the array in error messages.
    """
    xp = backend.xp
    raw = to_backend(a, backend, None)
    out = xp.ascontiguousarray(raw.astype(np.int8))
    if out.size == 0:
        return out
    if raw.dtype != np.int8 and not bool((out == raw).all()):
        raise InputError(f"{what} must hold integer unit values, got non-integral or "
                         f"out-of-range entries")
    if units is None:
        bad = bool((xp.abs(out) > 1).any())
        allowed = "-1, 0, +1"
    else:
        off, on = unit_values(units)
        bad = not bool(((out == off) | (out == on)).all())
        allowed = f"{off}, {on} ({units} units)"
    if bad:
        raise InputError(f"{what} must hold only the values {allowed}")
    return out


def probabilities(inputs: Any, weights: Any, bias: Any, units: str) -> Any:
    """P(out = on | in) for stacks of RBMs, with the sampling kernel's formula.

    Parameters
    ----------
    inputs : array
        (n_rbm, n_chain, n_in) unit values of the given layer (any numeric dtype).
    weights : array
        float64 (n_rbm, n_in, n_out): W for hidden given visible, W transposed for the
        other direction.
    bias : array
        float64 (n_rbm, n_out): the output layer's bias.
    units : {"pm1", "01"}
        Unit type of the output layer.

    Returns
    -------
    array
        float64 (n_rbm, n_chain, n_out), on the arrays' module.
    """
    xp = array_module(weights)
    x = xp.matmul(xp.asarray(inputs, dtype=xp.float64), weights) + bias[:, None, :]
    return sigmoid(unit_scale(units) * x)


def hidden_probabilities(v: Any, W: Any, b: Any, units: str = "pm1") -> Any:
    """P(h_j = on | v) of many RBMs: float64 (n_rbm, n_chain, n_h) for v (n_rbm, n_chain, n_v),
    W float64 (n_rbm, n_v, n_h), b float64 (n_rbm, n_h); ``units`` of the hidden layer."""
    xp = array_module(W)
    _shapes(xp.asarray(v), W, b, HIDDEN_GIVEN_VISIBLE)
    return probabilities(v, W, b, units)


def visible_probabilities(h: Any, W: Any, a: Any, units: str = "pm1") -> Any:
    """P(v_i = on | h) of many RBMs: float64 (n_rbm, n_chain, n_v) for h (n_rbm, n_chain, n_h),
    W float64 (n_rbm, n_v, n_h), a float64 (n_rbm, n_v); ``units`` of the visible layer."""
    xp = array_module(W)
    _shapes(xp.asarray(h), W, a, VISIBLE_GIVEN_HIDDEN)
    return probabilities(h, W.transpose(0, 2, 1), a, units)


def sample_hidden(v: Any, W: Any, b: Any, key: tuple[int, int], counter: int, *,
                  units: str = "pm1", device: str | Backend | None = None) -> Any:
    """Draw h ~ P(h | v) for every chain of every RBM.

    Parameters
    ----------
    v : array
        (n_rbm, n_chain, n_v) visible values in {-1, 0, +1} (int8 preferred).
    W : array
        float64 (n_rbm, n_v, n_h) weights.
    b : array
        float64 (n_rbm, n_h) hidden biases.
    key : (int, int)
        Philox key, :func:`gpurg.backend.philox.seed_to_key` of the seed.
    counter : int
        Call counter in [0, 2^32): give every call of one seed its own (see the module
        docstring for the layout).
    units : {"pm1", "01"}
        Hidden unit type.
    device : {"auto", "cpu", "gpu", "numpy"}, Backend or None
        None: the GPU for CuPy arrays, else the compiled CPU kernels (NumPy without a
        compiler). "numpy" runs the NumPy twin.

    Returns
    -------
    array
        int8 (n_rbm, n_chain, n_h) on the backend's device.
    """
    backend = resolve_backend(W, device)
    v = as_units(v, backend)
    W = to_backend(W, backend, np.float64)
    b = to_backend(b, backend, np.float64)
    _shapes(v, W, b, HIDDEN_GIVEN_VISIBLE)
    return sample(backend, v, W, b, key, counter, HIDDEN_GIVEN_VISIBLE, units)


def sample_visible(h: Any, W: Any, a: Any, key: tuple[int, int], counter: int, *,
                   units: str = "pm1", device: str | Backend | None = None) -> Any:
    """Draw v ~ P(v | h) for every chain of every RBM: int8 (n_rbm, n_chain, n_v) for h
    (n_rbm, n_chain, n_h), W float64 (n_rbm, n_v, n_h), a float64 (n_rbm, n_v); ``units`` of
    the visible layer; the rest as in :func:`sample_hidden`."""
    backend = resolve_backend(W, device)
    h = as_units(h, backend)
    W = to_backend(W, backend, np.float64)
    a = to_backend(a, backend, np.float64)
    _shapes(h, W, a, VISIBLE_GIVEN_HIDDEN)
    Wt = backend.xp.ascontiguousarray(W.transpose(0, 2, 1))
    return sample(backend, h, Wt, a, key, counter, VISIBLE_GIVEN_HIDDEN, units)


def sample(backend: Backend, inputs: Any, weights: Any, bias: Any, key: tuple[int, int],
           counter: int, direction: int, units: str) -> Any:
    """The sampling step behind :func:`sample_hidden` and :func:`sample_visible`, on checked
    arrays: ``inputs`` int8 (n_rbm, n_chain, n_in) in {-1, 0, +1}, ``weights`` float64
    (n_rbm, n_in, n_out) and ``bias`` float64 (n_rbm, n_out), C-contiguous on ``backend``;
    ``direction`` 0 (hidden given visible) or 1. Returns int8 (n_rbm, n_chain, n_out)."""
    counter = int(counter)
    if not 0 <= counter < 2**32:
        raise InputError(f"call counter must be in [0, 2^32), got {counter}")
    off, _ = unit_values(units)
    if not backend.uses_kernels:
        return sample_numpy(inputs, weights, bias, key, counter, direction, units)
    n_rbm, n_chain, n_in = inputs.shape
    n_out = weights.shape[2]
    groups = -(-n_out // 4)
    if n_rbm * n_chain * groups >= 2**31:
        raise InputError(f"too many chains for one launch: {n_rbm} x {n_chain} x {n_out} units")
    out = backend.xp.empty((n_rbm, n_chain, n_out), dtype=np.int8)
    _KERNELS.launch(backend, "rbm_sample_units", n_rbm * n_chain * groups, inputs, weights,
                    bias, out, n_rbm, n_chain, n_in, n_out, unit_scale(units), off, counter,
                    direction, *key)
    return out


def sample_numpy(inputs: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                 key: tuple[int, int], counter: int, direction: int, units: str) -> np.ndarray:
    """NumPy twin of ``rbm_sample_units`` (same arguments as :func:`sample`, NumPy arrays):
    the same sums in the same order and the same Philox words."""
    n_rbm, n_chain, n_in = inputs.shape
    n_out = weights.shape[2]
    x = np.zeros((n_rbm, n_chain, n_out))
    for i in range(n_in):  # the kernel's order of summation, so that both round alike
        x += inputs[:, :, i, None] * weights[:, None, i, :]
    x += bias[:, None, :]
    p = sigmoid(unit_scale(units) * x)
    groups = -(-n_out // 4)
    block = (np.arange(n_rbm)[:, None, None] << 16) | (2 * np.arange(groups) + direction)
    words = philox4x32((counter, np.arange(n_chain)[None, :, None], block, STREAM_RBM), key)
    u = words.reshape(n_rbm, n_chain, 4 * groups)[..., :n_out]
    off, on = unit_values(units)
    return np.where(u < np.floor(p * _TWO_32 + 0.5), on, off).astype(np.int8)


def _shapes(inputs: Any, W: Any, bias: Any, direction: int) -> tuple[int, int, int, int]:
    """(n_rbm, n_chain, n_v, n_h) of a batched call, or InputError naming the shapes."""
    if inputs.ndim != 3 or W.ndim != 3 or bias.ndim != 2:
        raise InputError(f"expected inputs (n_rbm, n_chain, n_units), W (n_rbm, n_v, n_h) and "
                         f"a bias (n_rbm, n_units), got shapes {inputs.shape}, {W.shape}, "
                         f"{bias.shape}")
    n_rbm, n_v, n_h = W.shape
    n_in, n_out = (n_v, n_h) if direction == HIDDEN_GIVEN_VISIBLE else (n_h, n_v)
    if inputs.shape[0] != n_rbm or inputs.shape[2] != n_in or bias.shape != (n_rbm, n_out):
        given = "v" if direction == HIDDEN_GIVEN_VISIBLE else "h"
        raise InputError(f"shapes do not match: {given} {inputs.shape}, W {W.shape}, bias "
                         f"{bias.shape} (expected {given} ({n_rbm}, n_chain, {n_in}) and bias "
                         f"({n_rbm}, {n_out}))")
    if min(inputs.shape) < 1 or min(W.shape) < 1:
        raise InputError(f"empty batch or layer: {inputs.shape} and W {W.shape}")
    if n_rbm > MAX_RBMS or max(n_v, n_h) > MAX_UNITS:
        raise InputError(f"at most {MAX_RBMS} RBMs of at most {MAX_UNITS} units per layer, got "
                         f"{n_rbm} RBMs of {n_v} x {n_h} units")
    return n_rbm, inputs.shape[1], n_v, n_h
