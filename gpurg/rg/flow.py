"""Flow of effective couplings under a real-space RG map (science.md §6, "Flow of couplings").

The coarse configurations at each RG level are fitted with a short-range Ising Hamiltonian

    -H = sum_a K_a S_a,   S_nn = sum_<ij> s_i s_j,  S_nnn = sum_<<ij>> s_i s_j (diagonals),
                          S_plaquette = sum_squares s_1 s_2 s_3 s_4

by maximum pseudo-likelihood (Besag): maximise sum over samples and sites of
log P(s_i | rest), P(s_i | rest) = 1 / (1 + exp(-2 s_i h_i)), h_i = sum_a K_a f_a,i with
f_a,i = dS_a / ds_i the local field of operator a. The pseudo-likelihood is consistent, needs no
partition function and is concave in K, so Newton's method converges in a few steps.

On the simple cubic lattice (configurations (n, L, L, L)) the same fit runs with the 3D
operators of the same names (:data:`gpurg.rg.operators.SHAPES_3D`: S_nn over the 3 bond
directions, S_nnn over the 6 face diagonals, the plaquettes of the 3 planes); the sampled flow
(:func:`sampled_coupling_flow`, ``gpurg rg flow --dim 3``) samples the simple cubic model.

Following the couplings from several starting temperatures level by level draws the flow; the
starting temperature whose nearest-neighbour coupling neither grows nor shrinks is the unstable
fixed point, i.e. the estimate of T_c (:func:`critical_temperature`).

Public API: :func:`pseudo_likelihood_couplings`, :func:`local_fields`, :class:`CouplingFlow`,
:func:`coupling_flow`, :func:`sampled_coupling_flow` (Ising samples at each starting T, one
task each on a :class:`gpurg.parallel.Engine`), :func:`critical_temperature` (drawn by
:func:`gpurg.figures.flow_figure`),
:func:`decimate_chain_coupling`, :func:`majority_rule`, :func:`decimate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gpurg.backend import Backend, get_backend
from gpurg.backend.philox import independent_seed
from gpurg.errors import InputError
from gpurg.models import ising3d_exact
from gpurg.parallel import Engine, run_tasks
from gpurg.rg.operators import DIM, shapes, span
from gpurg.stats import jackknife_labels, jackknife_spread
from gpurg.validation import SEED, Integer, checked, to_host

OPERATORS_2D = ("nn", "nnn", "plaquette")
OPERATORS_1D = ("nn", "nnn")
# The fcc lattice's critical coupling (Lundow, Markström & Rosengren 2009): the nnn bonds of
# the simple cubic lattice alone join two decoupled fcc lattices
K_C_FCC = 0.1020707
NNN_WEIGHTS = {1: 1.0, 2: 1.0, 3: ising3d_exact.K_C / K_C_FCC}
"""By dimension, w of the coupling K_nn + w K_nnn that :func:`critical_temperature` tracks
(the chains of dimension 1 have no T_c; their weight is the square lattice's)."""
_CHAIN_FIELD_MAX = 2  # on a chain s_{i±1} (or s_{i±2}): at most 2 terms of ±1

FLOW_BLOCKS = Integer(8)
"""Jackknife blocks of a coupling fit: at least 8 (and at most the number of samples)."""


# ----------------------------------------------------------------------------- local fields
def _check_configs(configs) -> np.ndarray:
    configs = to_host(configs)
    if configs.ndim not in (2, 3, 4) or configs.shape[0] < 1:
        raise InputError(f"configs must be (n, L) chains, (n, L, L) or (n, L, L, L) lattices, "
                         f"got shape {configs.shape}")
    d = configs.ndim - 1
    if d > 1 and len(set(configs.shape[1:])) != 1:
        raise InputError(f"{d}D configs must have equal sides, got {configs.shape[1:]}")
    if d > 1 and configs.shape[1] < 3:
        raise InputError(f"{d}D lattices need L >= 3 so that neighbours are distinct sites")
    if not np.all(np.abs(configs) == 1):
        raise InputError("configs must hold ±1 spins")
    return configs.astype(np.int8, copy=False)


def _check_operators(operators: Sequence[str], ndim: int, L: int | None = None
                     ) -> tuple[str, ...]:
    """Distinct operator names: on chains (``ndim`` 2) from OPERATORS_1D, on the torus any of
    the table of its dimension (:func:`gpurg.rg.operators.shapes`: 2D for ``ndim`` 3, 3D for
    4) that fits an L^d torus (L >= 2 span) when L is given."""
    dim = ndim - 1
    allowed = tuple(shapes(dim)) if dim > 1 else OPERATORS_1D
    operators = tuple(operators)
    if not operators or len(set(operators)) != len(operators) or any(
            op not in allowed for op in operators):
        raise InputError(f"operators must be distinct names from {allowed}, got {operators}")
    if dim > 1 and L is not None:
        for op in operators:
            if L < 2 * span(op, dim):
                raise InputError(f"operator {op!r} (span {span(op, dim)}) does not fit the "
                                 f"{' x '.join([str(L)] * dim)} torus: it needs "
                                 f"L >= {2 * span(op, dim)}")
    return operators


def _field_range(operator: str, ndim: int = 3) -> int:
    """The largest |f_a,i| of an operator's local field: the number of its terms that contain
    a site (on the torus: the total number of spins over its orientations)."""
    if ndim == 2:
        return _CHAIN_FIELD_MAX
    return sum(len(shape) for shape in shapes(ndim - 1)[operator])


def local_fields(configs: np.ndarray, operators: Sequence[str] = OPERATORS_2D) -> np.ndarray:
    """Local fields f_a,i = dS_a/ds_i of each operator at every site.

    ``configs``: ±1 integers, (n, L, L) on a periodic square torus (array index [y, x];
    operators: any of :data:`gpurg.rg.operators.SHAPES` that fits L, see
    :func:`gpurg.rg.operators.n_fitting`), (n, L, L, L) on the simple cubic torus ([z, y, x];
    any of :data:`gpurg.rg.operators.SHAPES_3D` that fits L) or (n, L) open chains (only
    ``"nn"``: s_{i±1}, ``"nnn"``: s_{i±2}; missing neighbours count 0, which keeps
    P(s_i | rest) exact at the chain ends).

    On the torus the field comes from the operator's shapes: S_a = Σ_j Σ_shape Π_{o∈shape}
    s[j + o], so f_a(i) = Σ_shape Σ_{o∈shape} Π_{o'∈shape, o'≠o} s[i + o' - o] (the term
    attached at j = i - o contains site i at offset o).

    Returns int8 (n, L, L, n_ops) (or (n, L, L, L, n_ops), (n, L, n_ops)) with values in
    [-_field_range(a), _field_range(a)] (4 for nn, nnn, plaquette).
    """
    configs = _check_configs(configs)
    operators = _check_operators(operators, configs.ndim,
                                 configs.shape[1] if configs.ndim > 2 else None)
    s = configs.astype(np.int8)
    out = np.empty(s.shape + (len(operators),), np.int8)
    if s.ndim == 2:
        for a, op in enumerate(operators):
            d = 1 if op == "nn" else 2
            f = np.zeros_like(s)
            f[:, d:] += s[:, :-d]
            f[:, :-d] += s[:, d:]
            out[..., a] = f
        return out

    axes = tuple(range(1, s.ndim))
    table = shapes(len(axes))
    shifted: dict[tuple[int, ...], np.ndarray] = {}

    def sh(offset: tuple[int, ...]) -> np.ndarray:  # sh(o)[site] = s[site + o]
        L = s.shape[1]
        key = tuple(c % L for c in offset)
        if key not in shifted:
            shifted[key] = np.roll(s, tuple(-c for c in offset), axis=axes)
        return shifted[key]

    for a, op in enumerate(operators):
        f = np.zeros(s.shape, np.int8)
        for shape in table[op]:
            for o in shape:  # the term containing site i at offset o: product of the others
                rest = [tuple(pc - oc for pc, oc in zip(p, o, strict=True))
                        for p in shape if p != o]
                term = sh(rest[0]) if rest else np.ones_like(s)
                for off in rest[1:]:
                    term = term * sh(off)  # int8 products of ±1 stay ±1
                f += term
        out[..., a] = f
    return out


def _pattern_counts(configs: np.ndarray, operators: tuple[str, ...]) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Sufficient statistics of the pseudo-likelihood.

    log P(s_i | rest) = s_i h_i - log(2 cosh h_i) depends on the site only through the integer
    vector g_i = s_i f_i (cosh is even), whose component a lies in [-m_a, m_a] with
    m_a = :func:`_field_range` (4 for nn, nnn, plaquette). Counting the vectors per sample
    reduces every later fit (Newton steps, jackknife) to sums over a small table.

    Returns (patterns int (P, n_ops) of the g values that occur, in increasing order of their
    mixed-radix code (digit a: g_a + m_a, radix 2 m_a + 1, operator 0 the most significant),
    counts int64 (n, P)).
    """
    patterns, index = _pattern_index(configs, operators)
    n, P = index.shape[0], patterns.shape[0]
    flat = index + np.arange(n, dtype=np.int64)[:, None] * P
    return patterns, np.bincount(flat.ravel(), minlength=n * P).reshape(n, P)


def _pattern_index(configs: np.ndarray, operators: tuple[str, ...]) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """The distinct g vectors (see :func:`_pattern_counts`) and each site's row among them:
    (patterns int64 (P, n_ops), index int64 (n, sites))."""
    fields = local_fields(configs, operators)
    g = fields.astype(np.int16) * configs.astype(np.int16)[..., None]
    n, n_ops = configs.shape[0], len(operators)
    g = g.reshape(n, -1, n_ops)
    ranges = [_field_range(op, configs.ndim) for op in operators]
    if math.prod(2 * m + 1 for m in ranges) >= 2**62:
        raise InputError(f"too many operators for one pattern code: {operators}")
    code = np.zeros(g.shape[:2], np.int64)
    for a, m in enumerate(ranges):
        code = code * (2 * m + 1) + (g[..., a] + m)
    used, index = np.unique(code, return_inverse=True)
    digits = np.empty((used.size, n_ops), np.int64)
    rest = used.copy()
    for a in range(n_ops - 1, -1, -1):
        m = ranges[a]
        digits[:, a] = rest % (2 * m + 1) - m
        rest //= 2 * m + 1
    return digits, index.reshape(n, -1).astype(np.int64)


def _fit_counts(patterns: np.ndarray, weights: np.ndarray, max_iter: int = 100,
                tol: float = 1e-10) -> np.ndarray:
    """Maximise sum_u w_u [K.g_u - log(2 cosh K.g_u)] by damped Newton; returns K (n_ops,)."""
    g = patterns.astype(np.float64)
    w = weights.astype(np.float64) / weights.sum()  # per-site objective: scale-free tolerances

    def objective(K):
        x = g @ K
        return float(w @ (x - np.logaddexp(x, -x)))

    K = np.zeros(g.shape[1])
    value = objective(K)
    for _ in range(max_iter):
        t = np.tanh(g @ K)
        grad = g.T @ (w * (1.0 - t))  # d/dK [x - log 2cosh x] = (1 - tanh x) g
        hess = (g * (w * (1.0 - t * t))[:, None]).T @ g  # minus the Hessian: PSD
        # A tiny ridge keeps the step finite for an operator that never fluctuates in the data.
        step = np.linalg.solve(hess + 1e-12 * np.eye(g.shape[1]), grad)
        scale = 1.0
        while True:  # concave objective: halving the step until it ascends always terminates
            trial = K + scale * step
            new = objective(trial)
            if new >= value - 1e-15 or scale < 1e-8:
                break
            scale *= 0.5
        K, converged = trial, abs(new - value) < tol and np.max(np.abs(scale * step)) < 1e-8
        value = new
        if converged:
            break
    return K


def _fit_with_jackknife(patterns, counts, blocks, groups):
    n = counts.shape[0]
    if blocks > n:  # blocks >= 8: FLOW_BLOCKS, checked by the public functions
        raise InputError(f"jackknife needs blocks <= number of samples ({n}), got {blocks}")
    labels, _ = jackknife_labels(n, blocks, groups)
    n_blocks = int(labels.max()) + 1
    if n_blocks < 8:
        raise InputError(f"only {n_blocks} distinct groups: the jackknife needs at least 8")
    per_block = np.zeros((n_blocks, counts.shape[1]), np.int64)
    np.add.at(per_block, labels, counts)
    total = per_block.sum(axis=0)
    K = _fit_counts(patterns, total)
    K_jack = np.array([_fit_counts(patterns, total - per_block[b]) for b in range(n_blocks)])
    return K, K_jack


@checked(blocks=FLOW_BLOCKS)
def pseudo_likelihood_couplings(configs: np.ndarray,
                                operators: Sequence[str] = OPERATORS_2D, *, blocks: int = 16,
                                groups: np.ndarray | None = None
                                ) -> tuple[np.ndarray, np.ndarray]:
    """Maximum pseudo-likelihood couplings K_a of -H = sum_a K_a S_a, with jackknife errors.

    ``configs``: ±1 integers, (n, L, L) periodic square lattices (operators: any names of
    :data:`gpurg.rg.operators.SHAPES` that fit L, i.e. L >= 2 span; default nn, nnn,
    plaquette), (n, L, L, L) simple cubic ones (names of
    :data:`gpurg.rg.operators.SHAPES_3D`; the default names the 3D nn, nnn and plaquette) or
    (n, L) open chains (``"nn"``, ``"nnn"``).
    ``blocks`` (>= 8): jackknife blocks over samples; samples are split into contiguous blocks,
    or, with ``groups`` (one label per sample, e.g. the replica index of snapshot-major sampler
    output), whole groups go into the same block so that correlated samples leave together.
    The errors come from the jackknife, not from the pseudo-likelihood Hessian, because sites of
    one configuration are strongly correlated and the naive Fisher error would be too small.

    Returns (K, K_err), float64 (n_ops,) each, in the order of ``operators``.
    """
    configs = _check_configs(configs)
    operators = _check_operators(operators, configs.ndim)
    patterns, counts = _pattern_counts(configs, operators)
    K, K_jack = _fit_with_jackknife(patterns, counts, blocks, groups)
    return K, jackknife_spread(K_jack)


# ----------------------------------------------------------------------------- RG maps
@checked(b=Integer(1))
def decimate_chain(chains: np.ndarray, b: int = 2) -> np.ndarray:
    """Keep every b-th spin of open chains (n, L) -> (n, ceil(L / b)), int8 (the 2D maps are
    in :mod:`gpurg.rg.maps`)."""
    chains = _check_configs(chains)
    if chains.ndim != 2:
        raise InputError(f"chains must be (n, L), got shape {chains.shape}")
    return chains[:, ::b].copy()


def decimate_chain_coupling(K: float | np.ndarray) -> float | np.ndarray:
    """Exact b = 2 decimation of the zero-field Ising chain: tanh K' = tanh^2 K."""
    return np.arctanh(np.tanh(K) ** 2)


# ----------------------------------------------------------------------------- the flow
@dataclass(frozen=True)
class CouplingFlow:
    """Fitted couplings along the RG flow.

    temperatures: float64 (n_T,) starting temperatures, ascending.
    operators: operator names, length n_ops.
    K, K_err: float64 (n_T, levels + 1, n_ops); level 0 is the sampled lattice.
    K_jack: float64 (n_T, levels + 1, blocks, n_ops) leave-one-block-out fits (for jackknifing
    functions of the flow such as T_c; block b of every temperature is left out together).
    sizes: int (levels + 1,) linear lattice size at each level.
    dim: the lattice dimension (1: chains, 2: square, 3: simple cubic).
    """

    temperatures: np.ndarray
    operators: tuple[str, ...]
    K: np.ndarray
    K_err: np.ndarray
    K_jack: np.ndarray
    sizes: np.ndarray
    dim: int = 2


@checked(levels=Integer(0), blocks=FLOW_BLOCKS, seed=SEED)
def coupling_flow(configs_by_T: Mapping[float, np.ndarray],
                  rg_map: Callable[..., np.ndarray], levels: int,
                  operators: Sequence[str] = OPERATORS_2D, *, blocks: int = 16,
                  seed: int = 0) -> CouplingFlow:
    """Coarse-grain the configurations of each starting temperature ``levels`` times with
    ``rg_map(configs, seed=..., level=...) -> coarse configs`` and fit the couplings at every
    level (level 0 included) by :func:`pseudo_likelihood_couplings`.

    ``configs_by_T``: {T: ±1 (n, L, L) or (n, L, L, L)}; all temperatures need the same
    number of samples n (>= blocks) for the joint jackknife. ``levels`` >= 0, ``blocks`` >= 8
    (:data:`FLOW_BLOCKS`), ``seed`` in [0, 2^64). The map gets seed
    ``independent_seed(seed, i_T)`` so that different temperatures (and base seeds) use
    independent tie-breaking streams.
    """
    if not configs_by_T:
        raise InputError("configs_by_T is empty")
    temperatures = np.array(sorted(float(t) for t in configs_by_T), np.float64)
    first = np.asarray(configs_by_T[next(iter(configs_by_T))])
    operators = _check_operators(operators, first.ndim)
    fits = []
    for i, T in enumerate(temperatures):
        configs = _check_configs(_lookup(configs_by_T, T))
        if configs.shape[0] != first.shape[0]:
            raise InputError("every temperature needs the same number of samples")
        fits.append(_flow_levels(configs, rg_map, levels, operators, blocks,
                                 independent_seed(seed, i)))
    return _assemble(temperatures, operators, fits, first.ndim - 1)


def _flow_levels(configs: np.ndarray, rg_map: Callable[..., np.ndarray], levels: int,
                 operators: tuple[str, ...], blocks: int, map_seed: int) -> tuple:
    """One starting temperature of the flow: (K per level, jackknife K per level, L per
    level), the map drawing its ties with ``map_seed``."""
    per_level_K, per_level_jack, level_sizes = [], [], []
    for level in range(levels + 1):
        if level:
            configs = _check_configs(rg_map(configs, seed=map_seed, level=level - 1))
        level_sizes.append(configs.shape[1])
        patterns, counts = _pattern_counts(configs, operators)
        K, K_jack = _fit_with_jackknife(patterns, counts, blocks, None)
        per_level_K.append(K)
        per_level_jack.append(K_jack)
    return per_level_K, per_level_jack, level_sizes


def _assemble(temperatures: np.ndarray, operators: tuple[str, ...], fits: list,
              dim: int) -> CouplingFlow:
    K_jack = np.array([jack for _, jack, _ in fits])
    return CouplingFlow(temperatures, operators, np.array([K for K, _, _ in fits]),
                        jackknife_spread(np.moveaxis(K_jack, 2, 0)), K_jack,
                        np.array(fits[-1][2]), dim)


@checked(size=Integer(1), levels=Integer(0), replicas=Integer(1), samples=Integer(1),
         blocks=FLOW_BLOCKS, seed=SEED, dim=DIM)
def sampled_coupling_flow(size: int, temperatures: Sequence[float],
                          rg_map: Callable[..., np.ndarray], levels: int,
                          operators: Sequence[str] = OPERATORS_2D, *, replicas: int = 64,
                          samples: int = 16, blocks: int = 16, seed: int = 0,
                          device: str | Backend = "auto", engine: Engine | None = None,
                          dim: int = 2) -> CouplingFlow:
    """The coupling flow of ``gpurg rg flow``: at each starting temperature, ``samples``
    snapshots of ``replicas`` Swendsen–Wang chains of the Ising model on the torus of side
    ``size`` in ``dim`` dimensions (2: square, 3: simple cubic;
    :func:`gpurg.sampling.ising_configurations`), then :func:`coupling_flow`'s levels with
    the operators of that dimension.

    Each temperature is a task (:func:`gpurg.parallel.run_tasks`) on ``engine`` (None: in
    this process, one after another), a worker resolving ``device`` itself and sending back
    the couplings only. With the temperatures sorted, the i-th distinct one is sampled with
    ``independent_seed(seed, k)`` (k its last place in the sorted list, repeats included) and
    coarse-grained with ``independent_seed(seed, i)``: the flow is the one
    :func:`coupling_flow` gives on those samples, on every engine.
    """
    ordered = sorted(float(t) for t in temperatures)
    if not ordered:
        raise InputError("temperatures is empty")
    last = {T: k for k, T in enumerate(ordered)}  # a repeated T: sampled once
    distinct = np.array(sorted(last), np.float64)
    operators = _check_operators(operators, dim + 1)
    if replicas * samples < blocks:
        raise InputError(f"replicas x samples must be >= blocks, got {replicas} x {samples} "
                         f"< {blocks}")
    name = device.name if isinstance(device, Backend) else device
    points = [(size, dim, float(T), replicas, samples, independent_seed(seed, last[T]), name,
               rg_map, levels, operators, blocks, independent_seed(seed, i))
              for i, T in enumerate(distinct)]
    fits = run_tasks(Engine(workers=0) if engine is None else engine, _flow_point, points,
                     names=[f"flow-T{T:g}" for T in distinct])
    return _assemble(distinct, operators, fits, dim)


def _flow_point(point: tuple) -> tuple:
    """One task of :func:`sampled_coupling_flow`: sample at one T, coarse-grain, fit."""
    size, dim, T, replicas, samples, sample_seed, device, rg_map, levels, operators, blocks, \
        map_seed = point
    from gpurg.sampling import ising_configurations  # the sampler loads in the task

    backend = get_backend(device)
    configs = backend.asnumpy(ising_configurations(size, T, dim=dim, replicas=replicas,
                                                   samples=samples, seed=sample_seed,
                                                   device=backend))
    return _flow_levels(_check_configs(configs), rg_map, levels, operators, blocks, map_seed)


def _lookup(mapping: Mapping[float, np.ndarray], T: float) -> np.ndarray:
    for key, value in mapping.items():
        if float(key) == T:
            return value
    raise KeyError(T)


def _crossing(temperatures: np.ndarray, d: np.ndarray, d_err: np.ndarray, degree: int) -> float:
    """Root of a weighted (1/d_err^2) least-squares polynomial fit of d(T) inside the sampled
    range (nan if none)."""
    coefficients = np.polyfit(temperatures, d, degree, w=1.0 / d_err)
    roots = np.roots(coefficients)
    lo, hi = temperatures[0], temperatures[-1]
    real = [r.real for r in roots if abs(r.imag) < 1e-12 and lo <= r.real <= hi]
    if not real:
        return math.nan
    centre = temperatures[np.argmin(np.abs(d))]  # several roots: the one nearest the data's
    return float(min(real, key=lambda r: abs(r - centre)))


@checked(level=Integer(0), step=Integer(1), degree=Integer(1))
def critical_temperature(flow: CouplingFlow, *, level: int = 1, step: int = 1,
                         degree: int = 1, combination: Mapping[str, float] | None = None
                         ) -> tuple[float, float]:
    """Unstable fixed point of the flow: the starting temperature at which the nearest-neighbour
    coupling (default: the nearest-neighbour-equivalent K_nn + w K_nnn) neither grows nor
    shrinks.

    ``combination``: {operator: weight} defining the tracked coupling K = sum_a w_a K_a. The
    default is {"nn": 1, "nnn": w} when the flow has both (:data:`NNN_WEIGHTS` of its
    dimension), else {"nn": 1}. Why not K_nn alone: at T_c the flow still moves along the
    critical surface (irrelevant directions), trading K_nn for K_nnn, so K_nn alone shrinks at
    T_c and puts the crossing ~2% low (measured: -2.2% ± 0.5% on L = 64, levels 1 -> 2,
    majority rule). The nn + nnn model is critical at (K_c, 0) and, its nnn bonds alone
    joining two decoupled sublattices, at (0, K_c'): in 2D two square lattices, K_c' = K_c, so
    w = 1; in 3D two fcc lattices, w = K_c(sc) / K_c(fcc). K_nn + w K_nnn = const interpolates
    that critical line, so it is constant to first order along the critical surface and
    follows only the relevant direction (2D, measured: -0.05% ± 0.2%).

    Method: d(T) = K_nn(level + step) - K_nn(level) is > 0 below T_c (order grows under RG) and
    < 0 above; a polynomial of ``degree`` (default a straight line, adequate over T_c ± 10%) is
    fitted to d over all starting temperatures, weighted by 1/σ_d² (jackknife σ_d per
    temperature), and its root in the sampled range is T_c.
    Comparing two coarse levels (default 1 and 2) rather than level 0 matters: the microscopic
    nearest-neighbour Hamiltonian is not the fixed-point Hamiltonian, so even at T_c the first
    step changes K_nn; after one step the configurations sit near the critical surface's fixed
    point and only the relevant direction moves K_nn.
    The error is the jackknife over the flow's blocks (block b left out at every temperature).
    ``level`` >= 0 and ``step`` >= 1 with level + step at most the flow's last level;
    ``degree`` >= 1.

    Returns (T_c, T_c_err); nan when d has no root inside the sampled temperatures.
    """
    if combination is None:
        combination = ({"nn": 1.0, "nnn": NNN_WEIGHTS[flow.dim]} if "nnn" in flow.operators
                       else {"nn": 1.0})
    if not combination or any(op not in flow.operators for op in combination):
        raise InputError(f"combination {dict(combination)} must name operators of the flow "
                         f"{flow.operators}")
    w = np.zeros(len(flow.operators))
    for op, weight in combination.items():
        w[flow.operators.index(op)] = weight
    n_levels = flow.K.shape[1]
    if level + step >= n_levels:
        raise InputError(f"levels {level} and {level + step} must lie in 0..{n_levels - 1}")
    if flow.temperatures.size < degree + 1:
        raise InputError(f"a degree-{degree} fit needs at least {degree + 1} temperatures")
    K, K_jack = flow.K @ w, flow.K_jack @ w  # (n_T, levels+1), (n_T, levels+1, blocks)
    d = K[:, level + step] - K[:, level]
    d_jack = K_jack[:, level + step] - K_jack[:, level]  # (n_T, blocks)
    d_err = jackknife_spread(d_jack.T)
    # Weighting matters: on the smallest coarse lattices of the ordered side nearly every spin is
    # aligned, the fit has little information and K_nn scatters wildly; those points must not
    # steer the line. The weights are held fixed across jackknife replicas.
    d_err = np.maximum(d_err, 1e-12)
    T_c = _crossing(flow.temperatures, d, d_err, degree)
    T_jack = np.array([_crossing(flow.temperatures, d_jack[:, b], d_err, degree)
                       for b in range(d_jack.shape[1])])
    m = T_jack.size
    err = math.sqrt((m - 1) / m * np.sum((T_jack - T_jack.mean()) ** 2))
    return T_c, float(err)
