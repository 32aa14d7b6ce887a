"""The exact mutual-information oracles (science.md §3): the 1D chain table, decimation's coarse
coupling, exact chain samples, and the 2D Ising no-buffer conditional on real samples."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import K_C, T_C, boltzmann_probabilities, enumerate_states
from gpurg.rsmi.exact import (
    chain_coarse_distribution,
    chain_mutual_information,
    chain_rule_information,
    ising_block_conditional,
    ising_block_information,
    ising_local_information,
    ising_rules_information,
    sample_chain,
    spin_states,
)
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.sampling import ising_configurations

SIGMAS = 4.0
DECIMATION = [[50.0, 0.0]]
MAJORITY = [[50.0, 50.0]]  # a tie gives P(h) = 1/2: the random tie-break
ZERO = [0.0]

# science.md §3: K, I(V:E) [nats], decimation share, majority share, as printed
CHAIN_TABLE = [
    (0.1, "9.868e-5", "0.5050", "0.302"),
    (0.4407, "2.951e-2", "0.584", "0.498"),
    (1.0, "0.3252", "0.760", "0.740"),
]


def half_unit(printed: str) -> float:
    """Half a unit in the last printed digit."""
    mantissa, _, exponent = printed.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals + int(exponent or 0))


# ---------------------------------------------------------------------------------------------
# 1D chain


@pytest.mark.parametrize("K, mi, dec, maj", CHAIN_TABLE)
def test_chain_reproduces_science_table(K, mi, dec, maj) -> None:
    total = chain_mutual_information(K)
    assert abs(total - float(mi)) <= half_unit(mi)
    assert abs(chain_rule_information(K, DECIMATION, ZERO) / total - float(dec)) <= half_unit(dec)
    assert abs(chain_rule_information(K, MAJORITY, ZERO) / total - float(maj)) <= half_unit(maj)


@pytest.mark.parametrize("K", [0.05, 0.7, -0.4])
def test_chain_information_from_the_collapsed_chain(K) -> None:
    # summing out a buffer spin leaves a bond of strength tanh^2 K (Markov chain)
    t = math.tanh(K)
    joint = {}
    for eL, v1, v2, eR in itertools.product((-1, 1), repeat=4):
        joint[eL, v1, v2, eR] = (0.5 * (1 + t * t * eL * v1) / 2 * (1 + t * v1 * v2) / 2
                                 * (1 + t * t * v2 * eR) / 2)
    pv, pe = {}, {}
    for (eL, v1, v2, eR), p in joint.items():
        pv[v1, v2] = pv.get((v1, v2), 0.0) + p
        pe[eL, eR] = pe.get((eL, eR), 0.0) + p
    want = sum(p * math.log(p / (pv[k[1:3]] * pe[k[0], k[3]])) for k, p in joint.items())
    assert chain_mutual_information(K) == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("K", [0.1, 0.4407, 1.0])
def test_chain_rule_bounds_and_decimation_is_optimal(K) -> None:
    total = chain_mutual_information(K)
    decimation = chain_rule_information(K, DECIMATION, ZERO)
    rng = np.random.default_rng(5)
    for _ in range(200):
        filters = rng.normal(size=(1, 2)) * rng.choice([0.3, 1.0, 3.0, 10.0])
        value = chain_rule_information(K, filters, ZERO)
        assert -1e-15 <= value <= decimation * (1 + 1e-12)  # PRX: MI is maximal at decimation
    # two units copying both spins keep everything; the bound I_Λ(H:E) <= I(V:E) is tight
    assert chain_rule_information(K, 50 * np.eye(2), [0.0, 0.0]) == pytest.approx(total, 1e-12)
    assert chain_rule_information(K, [[0.0, 0.0]], ZERO) == pytest.approx(0.0, abs=1e-15)


def walsh_coupling(log_p: np.ndarray, axes: tuple[int, ...]) -> float:
    """Coefficient of prod_{b in axes} h_b in log P(h_1 .. h_n) (n ±1 variables)."""
    h = np.array([-1.0, 1.0])
    weight = np.ones(log_p.shape)
    for b in axes:
        shape = [1] * log_p.ndim
        shape[b] = 2
        weight = weight * h.reshape(shape)
    return float((log_p * weight).sum() / log_p.size)


@pytest.mark.parametrize("K", [0.2, K_C, 1.0, 2.0])
def test_decimation_coupling_is_tanh_squared(K) -> None:
    pair = chain_coarse_distribution(K, DECIMATION, ZERO, 2)
    assert pair.shape == (2, 2) and pair.sum() == pytest.approx(1.0, 1e-14)
    k_coarse = 0.25 * math.log(pair[0, 0] * pair[1, 1] / (pair[0, 1] * pair[1, 0]))
    assert math.tanh(k_coarse) == pytest.approx(math.tanh(K) ** 2, rel=1e-12)
    # three blocks: the decimated chain is again nearest-neighbour (no h1 h3 coupling), while
    # majority rule generates one (rangeness, science.md §6)
    log_dec = np.log(chain_coarse_distribution(K, DECIMATION, ZERO, 3))
    assert walsh_coupling(log_dec, (0, 1)) == pytest.approx(k_coarse, rel=1e-10)
    assert walsh_coupling(log_dec, (1, 2)) == pytest.approx(k_coarse, rel=1e-10)
    assert abs(walsh_coupling(log_dec, (0, 2))) < 1e-12
    log_maj = np.log(chain_coarse_distribution(K, MAJORITY, ZERO, 3))
    assert abs(walsh_coupling(log_maj, (0, 2))) > 1e-4


def test_coarse_distribution_marginals() -> None:
    p4 = chain_coarse_distribution(0.6, MAJORITY, ZERO, 4)
    p2 = chain_coarse_distribution(0.6, MAJORITY, ZERO, 2)
    assert p4.shape == (2,) * 4
    # stationarity: any two adjacent blocks have the same law
    for axes in [(2, 3), (0, 3), (0, 1)]:
        assert np.allclose(p4.sum(axis=axes), p2, rtol=1e-13)
    two_units = chain_coarse_distribution(0.6, 50 * np.eye(2), [0.0, 0.0], 2)
    assert two_units.shape == (4, 4) and two_units.sum() == pytest.approx(1.0, 1e-14)


def test_sample_chain_correlations() -> None:
    K = 0.5
    s = sample_chain(K, 4000, 40, seed=11)
    assert s.dtype == np.int8 and s.shape == (4000, 40)
    assert set(np.unique(s).tolist()) == {-1, 1}
    assert np.array_equal(s, sample_chain(K, 4000, 40, seed=11))
    assert not np.array_equal(s, sample_chain(K, 4000, 40, seed=12))
    assert np.array_equal(sample_chain(K, 10, 17, seed=11), s[:10, :17])  # counter-based
    t = math.tanh(K)
    # first spin uniform; bonds independent: each distance r averaged over the chain
    assert abs(s[:, 0].mean()) < 5 / math.sqrt(4000)
    for r in (1, 2, 3, 5):
        prod = (s[:, r:] * s[:, :-r]).astype(np.float64)
        per_chain = prod.mean(axis=1)  # chains are independent
        err = per_chain.std(ddof=1) / math.sqrt(len(per_chain))
        assert abs(per_chain.mean() - t**r) < 5 * err, r


def test_chain_bad_input() -> None:
    with pytest.raises(InputError):
        chain_mutual_information(math.inf)
    with pytest.raises(InputError):
        chain_rule_information(0.5, [[1.0, 0.0, 0.0]], ZERO)
    with pytest.raises(InputError):
        chain_coarse_distribution(0.5, DECIMATION, ZERO, 9)
    with pytest.raises(InputError):
        sample_chain(0.5, 0, 5)


# ---------------------------------------------------------------------------------------------
# 2D Ising, no buffer

BLOCK = Geometry(2, 0, 1)
UNIFORM = np.ones((1, 4))
ONE_SPIN = np.array([[1.0, 0.0, 0.0, 0.0]])


def exact_torus_pairs(K: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every state of the 4x4 torus: (V, E) at origin (0, 0) and the Boltzmann weights."""
    V, E = extract_pairs(enumerate_states(4), BLOCK, stride=4)
    return V, E, boltzmann_probabilities(4, 1.0 / K)


def bits(x: np.ndarray) -> np.ndarray:
    return ((x > 0) << np.arange(x.shape[1])).sum(axis=1)


@pytest.mark.parametrize("K", [0.2, K_C, 0.8])
def test_block_conditional_is_exact_on_the_4x4_torus(K) -> None:
    # span 4 = L: E is the whole complement of the block, so P(V|E) follows from Boltzmann
    V, E, prob = exact_torus_pairs(K)
    table = np.zeros((16, 4096))
    np.add.at(table, (bits(V), bits(E)), prob)
    exact = table / table.sum(axis=0)
    first = np.unique(bits(E), return_index=True)[1]  # one state per environment
    got = ising_block_conditional(K, BLOCK, E[first])
    assert got.shape == (4096, 16)
    assert np.allclose(got, exact[:, bits(E[first])].T, rtol=1e-12, atol=1e-15)
    assert spin_states(4)[5].tolist() == [1, -1, 1, -1]  # column order of the conditional


def test_estimator_on_exact_torus_samples() -> None:
    K = K_C
    V, E, prob = exact_torus_pairs(K)
    table = np.zeros((16, 4096))
    np.add.at(table, (bits(V), bits(E)), prob)
    pv, pe = table.sum(axis=1, keepdims=True), table.sum(axis=0, keepdims=True)
    nz = table > 0
    exact_mi = float((table[nz] * np.log((table / (pv * pe))[nz])).sum())
    rng = np.random.default_rng(2)
    drawn = rng.choice(len(prob), size=40000, p=prob)
    value, err = ising_block_information(K, BLOCK, E[drawn])
    assert 0 < err < 0.01
    assert abs(value - exact_mi) < 5 * err
    # and for the uniform rule, from P(H, E) = sum_V P_Λ(H|V) P(V, E)
    from gpurg.rsmi.rule import rule_probabilities

    joint = rule_probabilities(UNIFORM, np.zeros(1), spin_states(4)).T @ table
    ph, pe = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    exact_h = float((joint[nz] * np.log((joint / (ph * pe))[nz])).sum())
    value, err = ising_local_information(K, BLOCK, UNIFORM, [0.0], E[drawn])
    assert abs(value - exact_h) < 5 * err


def ising_samples(L: int, T: float, seed: int) -> np.ndarray:
    """256 Swendsen–Wang configurations (32 chains x 8)."""
    return ising_configurations(L, T, replicas=32, samples=8, seed=seed, device="cpu")


def ising_environments(L: int, T: float, seed: int) -> np.ndarray:
    """E of every 2x2-block position of 256 Swendsen–Wang configurations (32 chains x 8)."""
    return extract_pairs(ising_samples(L, T, seed), BLOCK)[1]


@pytest.fixture(scope="module")
def critical_configs() -> np.ndarray:
    return ising_samples(32, T_C, seed=1)


@pytest.fixture(scope="module")
def critical_env(critical_configs) -> np.ndarray:
    return extract_pairs(critical_configs, BLOCK)[1]


def test_uniform_filter_at_tc(critical_env) -> None:
    E = critical_env
    value, err = ising_local_information(K_C, BLOCK, 0.75 * UNIFORM, [0.0], E)
    assert 0 < value < math.log(2) and 0 < err < 0.01
    for w in (0.75, 50.0):  # soft and hard: block spin beats decimation
        uniform, e1 = ising_local_information(K_C, BLOCK, w * UNIFORM, [0.0], E)
        one, e2 = ising_local_information(K_C, BLOCK, w * ONE_SPIN, [0.0], E)
        assert uniform - one > 5 * math.hypot(e1, e2)


def majority_information_by_hand(configs: np.ndarray, K: float) -> float:
    """I(H:E) of majority rule with random tie-break on every 2x2 block of every configuration,
    computed here without gpurg.rsmi: the block's outer neighbours read off the lattice by
    np.roll, P(V|E) by looping over the 16 block states by hand, P(H = +1|E) = P(sum V > 0)
    + P(sum V = 0) / 2, and I = H(P(H)) - mean H(P(H|E)) with P(H) the mean over samples."""
    s = configs.astype(np.float64)

    def at(dy: int, dx: int) -> np.ndarray:  # the spin at (y + dy, x + dx) of every origin
        return np.roll(s, (-dy, -dx), axis=(1, 2)).ravel()

    # block sites a = (0, 0), b = (0, 1), c = (1, 0), d = (1, 1); each has two outer neighbours
    field = {"a": at(-1, 0) + at(0, -1), "b": at(-1, 1) + at(0, 2),
             "c": at(2, 0) + at(1, -1), "d": at(2, 1) + at(1, 2)}
    weights, up = [], np.zeros(len(field["a"]))
    for a, b, c, d in itertools.product((-1, 1), repeat=4):
        energy = K * (a * b + a * c + b * d + c * d + a * field["a"] + b * field["b"]
                      + c * field["c"] + d * field["d"])
        weights.append((np.exp(energy), a + b + c + d))
    total = sum(w for w, _ in weights)
    for w, m in weights:
        up += w * (1.0 if m > 0 else 0.5 if m == 0 else 0.0)
    up /= total

    def entropy(p):
        q = 1.0 - p
        return -(p * np.log(np.where(p > 0, p, 1.0)) + q * np.log(np.where(q > 0, q, 1.0)))

    return float(entropy(up.mean()) - entropy(up).mean())


def test_published_scale_of_the_uniform_filter(critical_configs, critical_env) -> None:
    """science.md §3: about 0.48 nats at T_c, L = 32, for a near-uniform 2x2 filter with no
    buffer. The information grows with the scale w of the uniform filter and saturates
    (w >~ 3) at majority rule with random tie-break. References: for w = 50, the same
    information computed independently in the test from the raw configurations
    (majority_information_by_hand: np.roll, its own loop over block states; same samples, so
    equal to rounding, 1e-10); and science.md's printed 0.48 within half a unit of its last
    digit plus 4σ. Catches a wrong coupling inside the block or to the environment, a
    temperature off by 1% (both break the 1e-10 agreement; checked with K = 1.01 K_c), and a
    misplaced environment site."""
    scan = {w: ising_local_information(K_C, BLOCK, w * UNIFORM, [0.0], critical_env)
            for w in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 50.0)}
    values = [scan[w][0] for w in sorted(scan)][:-1]
    assert all(b > a for a, b in zip(values, values[1:], strict=False)), values  # grows with w
    value, err = scan[50.0]
    by_hand = majority_information_by_hand(critical_configs, K_C)
    assert value == pytest.approx(by_hand, rel=1e-10, abs=0)
    assert abs(value - 0.48) <= half_unit("0.48") + SIGMAS * err, (value, err)


def test_block_information_bounds_every_rule(critical_env) -> None:
    E = critical_env[::4]  # the bound holds sample by sample: fewer samples suffice
    total, _ = ising_block_information(K_C, BLOCK, E)
    assert math.log(2) < total < math.log(16)
    rng = np.random.default_rng(3)
    rules = [(UNIFORM, [0.0]), (ONE_SPIN, [0.0]), (rng.normal(size=(2, 4)), rng.normal(size=2)),
             (3 * rng.normal(size=(3, 4)), np.zeros(3))]
    for filters, bias in rules:
        value, _ = ising_local_information(K_C, BLOCK, filters, bias, E)
        assert 0 < value <= total + 1e-12
    # four units copying the four spins lose nothing
    copy, _ = ising_local_information(K_C, BLOCK, 50 * np.eye(4), np.zeros(4), E)
    assert copy == pytest.approx(total, rel=1e-9)


def test_high_temperature_information_is_small(critical_env) -> None:
    hot = ising_environments(32, 5.0, seed=2)
    w = 4 * UNIFORM
    at_tc, e1 = ising_local_information(K_C, BLOCK, w, [0.0], critical_env)
    at_5, e2 = ising_local_information(1 / 5.0, BLOCK, w, [0.0], hot)
    assert 0 < at_5 < 0.25 * at_tc
    assert at_tc - at_5 > 10 * math.hypot(e1, e2)


def test_errors_use_batches_and_bad_input_raises() -> None:
    E = np.where(np.random.default_rng(0).random((64, 12)) < 0.5, 1, -1).astype(np.int8)
    ising_local_information(0.3, BLOCK, UNIFORM, [0.0], E, n_batches=64)
    for kwargs in [{"n_batches": 8}, {"n_batches": 65}]:
        with pytest.raises(InputError):
            ising_local_information(0.3, BLOCK, UNIFORM, [0.0], E, **kwargs)
    with pytest.raises(InputError):
        ising_local_information(0.3, BLOCK, UNIFORM, [0.0], E[:10])  # fewer than 16 samples
    with pytest.raises(InputError):
        ising_local_information(0.3, BLOCK, np.ones((1, 9)), [0.0], E)  # filter size
    with pytest.raises(InputError):
        ising_block_information(0.3, BLOCK, E[:, :10])  # E width
    with pytest.raises(InputError):
        ising_block_information(0.3, Geometry(5, 0, 1), np.ones((20, 40)))  # 25 sites


@pytest.mark.parametrize("K", [0.2, K_C])
def test_buffered_conditional_sums_the_buffer_out(K) -> None:
    """L_B = 1: P(V|E) against a direct sum over the 12 buffer spins of the energy of the
    6 x 6 square (block at its centre, E its outer ring), written out site by site."""
    g = Geometry(2, 1, 1)
    rng = np.random.default_rng(3)
    E = np.where(rng.random((5, g.n_env)) < 0.5, 1, -1).astype(np.int8)
    inner = np.array([(y, x) for y in range(1, 5) for x in range(1, 5)])  # W in the square
    states = spin_states(16)
    want = np.zeros((len(E), 16))
    for n, e in enumerate(E):
        square = np.zeros((len(states), 6, 6))
        square[:, g.env_offsets[:, 0] + 2, g.env_offsets[:, 1] + 2] = e
        square[:, inner[:, 0], inner[:, 1]] = states
        # open bonds of the 6 x 6 square that touch W (ring-ring bonds are constant in E)
        bonds = (square[:, 1:, :] * square[:, :-1, :]).sum(axis=(1, 2)) + (
            square[:, :, 1:] * square[:, :, :-1]).sum(axis=(1, 2))
        weight = np.exp(K * (bonds - bonds.max()))
        block = states[:, [5, 6, 9, 10]]  # the 2 x 2 block at (1, 1) of the 4 x 4 W
        np.add.at(want[n], bits(block), weight)
        want[n] /= want[n].sum()
    got = ising_block_conditional(K, g, E)
    assert got.shape == (5, 16)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-15)
    value, _ = ising_local_information(K, g, UNIFORM, [0.0], np.repeat(E, 4, axis=0))
    total, _ = ising_block_information(K, g, np.repeat(E, 4, axis=0))
    assert 0 < value <= total
    with pytest.raises(InputError, match="at most 16 sites"):
        ising_block_conditional(K, Geometry(2, 2, 1), np.ones((3, Geometry(2, 2, 1).n_env)))


def test_largest_block_is_enumerated() -> None:
    g = Geometry(4, 0, 1)  # 16 sites: 65536 block states, in chunks
    E = np.where(np.random.default_rng(1).random((80, g.n_env)) < 0.5, 1, -1).astype(np.int8)
    p = ising_block_conditional(K_C, g, E)
    assert p.shape == (80, 2**16) and np.allclose(p.sum(axis=1), 1.0)
    total, _ = ising_block_information(K_C, g, E)
    value, _ = ising_local_information(K_C, g, 0.3 * np.ones((1, 16)), [0.0], E)
    assert 0 < value <= total
    # many rules at once: 600 samples x 2^16 states are too many to hold, so P(V|E) is
    # recomputed chunk by chunk; the same numbers as one rule at a time
    E = np.where(np.random.default_rng(2).random((600, g.n_env)) < 0.5, 1, -1).astype(np.int8)
    filters = np.random.default_rng(3).normal(size=(2, 16))
    values, errors = ising_rules_information(K_C, g, filters, E)
    for f, v, e in zip(filters, values, errors, strict=True):
        assert (v, e) == pytest.approx(ising_local_information(K_C, g, f[None], [0.0], E),
                                       rel=1e-12)


@pytest.mark.gpu
def test_cupy_environment_gives_the_same_information() -> None:
    import cupy

    E = np.where(np.random.default_rng(4).random((500, 12)) < 0.5, 1, -1).astype(np.int8)
    want = ising_local_information(K_C, BLOCK, UNIFORM, [0.0], E)
    got = ising_local_information(K_C, BLOCK, UNIFORM, [0.0], cupy.asarray(E))
    assert got == pytest.approx(want, rel=1e-10)
    want = ising_block_information(K_C, BLOCK, E)
    got = ising_block_information(K_C, BLOCK, cupy.asarray(E))
    assert got == pytest.approx(want, rel=1e-10)
