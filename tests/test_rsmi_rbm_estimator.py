"""The RBM estimator of I_Λ(H:E): P(V|E) from the free energy against brute force, the
analytic gradient against finite differences, the 1D Ising chain oracle (science.md §3):
fixed rules' MI and a learned rule that finds decimation, and the 2D Ising local conditional
at buffer 0: a learned filter's reported MI against its exact one."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import K_C, T_C
from gpurg.rbm import RBM, unit_states
from gpurg.rsmi import exact
from gpurg.rsmi import rbm_estimator as est
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.rule import rule_probabilities
from gpurg.sampling import ising_configurations

K = 1.0
N_TRAIN, N_TEST = 30000, 10000


@pytest.fixture(scope="module")
def chain_pairs() -> tuple[np.ndarray, np.ndarray]:
    """Exact chain samples: E = (e_L, e_R) = sites 0 and 5, V = (v1, v2) = sites 2 and 3
    (one-site buffers 1 and 4)."""
    s = exact.sample_chain(K, N_TRAIN + N_TEST, 6, seed=1)
    return s[:, 2:4], s[:, [0, 5]]


@pytest.fixture(scope="module")
def chain_rbm(chain_pairs) -> RBM:
    V, E = chain_pairs
    return est.fit_joint_rbm(V[:N_TRAIN], E[:N_TRAIN], 8, seed=1, epochs=20, batch_size=64,
                             learning_rate=0.05, anneal=True, device="cpu")


def _chain_conditional(V: np.ndarray, E: np.ndarray) -> np.ndarray:
    """True P(V'|E_n) of the chain: (n, 4), from the exact law of six consecutive spins."""
    joint = np.zeros((4, 4))  # [V index, E index], bit j of an index = unit j is +1
    for s, p in zip(unit_states(6), exact.chain_segment_probabilities(K, 6), strict=True):
        joint[est.block_index(s[None, 2:4])[0], est.block_index(s[None, [0, 5]])[0]] += p
    e = est.block_index(E)
    return joint[:, e].T / joint.sum(axis=0)[e][:, None]


@pytest.mark.parametrize("units", [("pm1", "pm1"), ("01", "01"), ("pm1", "01")])
def test_conditional_is_the_normalised_joint(units) -> None:
    rng = np.random.default_rng(2)
    rbm = RBM(rng.normal(0, 0.7, (5, 4)), rng.normal(0, 0.5, 5), rng.normal(0, 0.5, 4),
              visible_units=units[0], hidden_units=units[1], device="numpy")
    joint = rbm.visible_distribution_exact().reshape(4, 8)  # [E index, V index]
    E = unit_states(2, units[0])
    log_q = est.conditional_log_probabilities(rbm, E, 3)
    assert log_q.shape == (4, 8)
    np.testing.assert_allclose(np.exp(log_q), joint / joint.sum(axis=1, keepdims=True),
                               rtol=1e-12)


@pytest.mark.parametrize("n_hidden", [1, 2, 3])
def test_gradient_matches_finite_differences(n_hidden) -> None:
    rng = np.random.default_rng(n_hidden)
    states = unit_states(3).astype(np.float64)
    logits = rng.normal(size=(40, 8))
    log_q = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    index = rng.integers(0, 8, 40)
    law = rng.random(8)
    law /= law.sum()
    filters, bias = rng.normal(size=(n_hidden, 3)), rng.normal(size=n_hidden)
    _, d_filters, d_bias = est.objective_and_gradient(filters, bias, states, log_q, index, law)

    def value(f, b):
        return est.objective_and_gradient(f, b, states, log_q, index, law)[0]

    h = 1e-6
    for grad, param in ((d_filters, filters), (d_bias, bias)):
        numeric = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            step = np.zeros_like(param)
            step[i] = h
            args = (filters + step, bias) if param is filters else (filters, bias + step)
            back = (filters - step, bias) if param is filters else (filters, bias - step)
            numeric[i] = (value(*args) - value(*back)) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_objective_is_the_mean_per_pair_information(chain_pairs, chain_rbm) -> None:
    """With P̄ from the same pairs, A_Λ = mean_n sum_H P(H|V_n) log(P(H|E_n) / P̄(H))."""
    V, E = chain_pairs[0][N_TRAIN:], chain_pairs[1][N_TRAIN:]
    filters, bias = np.array([[0.8, -0.3], [0.1, 1.2]]), np.array([0.2, -0.1])
    index = est.block_index(V)
    law = np.bincount(index, minlength=4) / len(index)
    log_q = est.conditional_log_probabilities(chain_rbm, E, 2)
    value = est.objective_and_gradient(filters, bias, unit_states(2).astype(float), log_q,
                                       index, law)[0]
    mi, err = est.rule_information(chain_rbm, filters, bias, V, E)
    assert value == pytest.approx(mi, rel=1e-12)
    assert 0 < err < 0.01


def _paired(d: np.ndarray, n_batches: int = 16) -> tuple[float, float]:
    """Mean of per-sample values d and its batch-means standard error (the estimator's own
    error, contiguous batches)."""
    means = np.array([x.mean() for x in np.array_split(d, n_batches)])
    return float(d.mean()), float(means.std(ddof=1) / np.sqrt(n_batches))


def _per_sample(filters, bias, V, log_q_v, p_v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pair terms of A_Λ with the RBM's P(V|E) (exp(log_q_v)) and with the true one (p_v),
    both with the estimator's P̄(H) from the pairs' V, and KL(P(H|E_n) || P_RBM(H|E_n))."""
    n_v = V.shape[1]
    R = rule_probabilities(np.asarray(filters, float), np.asarray(bias, float),
                           unit_states(n_v).astype(float))
    index = est.block_index(V)
    p_bar = np.bincount(index, minlength=2**n_v) / len(index) @ R
    q_h, p_h = np.exp(log_q_v) @ R, p_v @ R
    return ((R[index] * np.log(q_h / p_bar)).sum(axis=1),
            (R[index] * np.log(p_h / p_bar)).sum(axis=1),
            (p_h * np.log(p_h / q_h)).sum(axis=1))


RULES = {"decimation": [[20.0, 0.0]], "majority": [[20.0, 20.0]], "soft": [[0.7, 0.3]]}


@pytest.mark.parametrize("name", RULES)
def test_fixed_rules_match_the_chain_oracle(chain_pairs, chain_rbm, name) -> None:
    """Held-out A_Λ with the RBM's P(V|E) equals the same average with the true P(V|E)
    within 5σ, σ the batch error of the per-pair differences (paired: same pairs; 0.5-1.3e-4
    nats, measured z = -0.7, 0.2, -0.2), and the exact I_Λ(H:E) within 4 standard errors.
    Stage I's known bias, the mean KL(P(H|E) || P_RBM(H|E)) (2.6-7.9e-5 nats, below 1σ
    here), is not corrected. Checked against a broken copy whose P(V|E) has its log
    probabilities scaled by 0.9 and renormalised: fails; the former fixed 0.005 passed it."""
    V, E = chain_pairs[0][N_TRAIN:], chain_pairs[1][N_TRAIN:]
    filters, bias = np.array(RULES[name]), np.zeros(1)
    mi, err = est.rule_information(chain_rbm, filters, bias, V, E)
    rbm_terms, true_terms, _ = _per_sample(
        filters, bias, V, est.conditional_log_probabilities(chain_rbm, E, 2),
        _chain_conditional(V, E))
    assert rbm_terms.mean() == pytest.approx(mi, rel=1e-12)
    diff, diff_err = _paired(rbm_terms - true_terms)
    assert abs(diff) < 5 * diff_err, (diff, diff_err)
    assert abs(mi - exact.chain_rule_information(K, filters, bias)) < 4 * err


def test_learned_rule_is_decimation(chain_pairs) -> None:
    """In the chain the MI is maximal at decimation (PRX): the rule learns to read one spin
    of the block, and its held-out MI is its exact one within 4 standard errors.

    The learned rule's exact MI against decimation's is exact against exact, no statistical
    error: the shortfall is how far 30 epochs get towards the optimum (weights (4.0, 0.96):
    1.1e-4 nats, 0.05%, which is 20σ of the paired noise of the two rules' A_Λ on the
    training pairs, so not a noise band). It must be >= 0 (decimation is the maximum) and
    below 0.1% of decimation's MI, a convergence tolerance: (3, 0) misses by 1.2% and
    (4, 2) by 0.19%, both passed by the former 2% band. Checked against a broken copy that
    returns the trained filters times 0.75: fails (the former band passed it)."""
    V, E = chain_pairs
    result = est.train_rule_rbm(V, E, 1, rbm_hidden=8, symmetric=True, epochs=30, seed=1,
                                held_out=0.25, device="cpu")
    w = np.abs(result.rule.filters[0])
    assert max(w) > 2.5 * min(w)  # one spin of the block dominates
    assert (result.rule.bias == 0).all()
    exact_mi = exact.chain_rule_information(K, result.rule.filters, result.rule.bias)
    decimation = exact.chain_rule_information(K, np.array([[50.0, 0.0]]), np.zeros(1))
    assert 0 <= decimation - exact_mi < 1e-3 * decimation, (exact_mi, decimation)
    assert abs(result.mi - exact_mi) < 4 * result.mi_err
    assert result.history[-1] > result.history[0]
    assert result.rbm.n_visible == 4 and result.history.shape == (30,)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_learned_filter_mi_matches_the_exact_2d_ising_value(seed) -> None:
    """2D Ising at T_c, 2x2 block, no buffer, one unit, 40,000 pairs, a 16-unit RBM. Stage I's
    imperfect P(V|E) biases the reported MI (held-out A_Λ with the RBM's P(V|E)) down by
    E_E[KL(P(H|E) || P_RBM(H|E))] (README), here computed exactly on the held-out
    environments (train_rule_rbm's split) with the exact local conditional and stated, not
    absorbed in a band: 0.0089 and 0.0092 nats, 1.9% of the MI (seeds 1, 2), asserted below
    3%. With it:

    * paired, on the same held-out pairs: A_Λ with the RBM's P(V|E) minus A_Λ with the true
      one, plus the KL, is 0 within 5σ (σ: batch error of the per-pair sums, 0.0011-0.0013;
      measured z = -0.2, 1.0; without the KL the difference is -0.0091 ± 0.0012, 7.7σ);
    * the reported MI plus the KL is the exact I_Λ(H:E) of the filter on the held-out
      environments within 5σ (both errors in quadrature; measured z = -0.3, 0.6).

    The paired identity holds for any P_RBM (it checks that the reported MI is the true
    A_Λ less the KL, on the right held-out pairs); the RBM's quality is the KL bound. Checked
    against a broken copy whose P(V|E) has its log probabilities scaled by 1.15 and
    renormalised: KL 3.6% and 3.9%, the KL bound fails; the former max(1%, 4σ) band passed
    it. (Scaled by 0.9 the KL falls to 1.6%: this RBM's P(V|E) is slightly too sharp.)"""
    configs = ising_configurations(16, T_C, replicas=32, samples=8, seed=seed, device="cpu")
    geometry = Geometry(2, 0, 2)
    V, E = extract_pairs(configs, geometry, positions=40_000, seed=seed)
    result = est.train_rule_rbm(V, E, 1, rbm_hidden=16, symmetric=True, epochs=10,
                                weight_decay=0.01, seed=seed, device="cpu")
    from gpurg.rsmi.exact import ising_block_conditional

    test = np.sort(np.random.default_rng(seed).permutation(len(V))[:int(round(0.25 * len(V)))])
    V, E = V[test], E[test]
    filters, bias = result.rule.filters, result.rule.bias
    rbm_terms, true_terms, kl = _per_sample(
        filters, bias, V, est.conditional_log_probabilities(result.rbm, E, 4),
        ising_block_conditional(K_C, geometry, E))
    assert rbm_terms.mean() == pytest.approx(result.mi, rel=1e-12)
    exact_mi, exact_err = exact.ising_local_information(K_C, geometry, filters, bias, E)
    assert kl.mean() < 0.03 * exact_mi, (kl.mean(), exact_mi)
    diff, diff_err = _paired(rbm_terms - true_terms + kl)
    assert abs(diff) < 5 * diff_err, (diff, diff_err)
    error = np.hypot(result.mi_err, exact_err)
    assert abs(result.mi + kl.mean() - exact_mi) < 5 * error, (result.mi, kl.mean(), exact_mi)


def test_same_seed_same_rule(chain_pairs) -> None:
    V, E = chain_pairs[0][:4000], chain_pairs[1][:4000]
    options = dict(rbm_hidden=4, rbm_options={"epochs": 2}, epochs=2, seed=3, device="cpu")
    a = est.train_rule_rbm(V, E, 2, **options)
    b = est.train_rule_rbm(V, E, 2, **options)
    np.testing.assert_array_equal(a.rule.filters, b.rule.filters)
    assert (a.mi, a.mi_err) == (b.mi, b.mi_err)
    c = est.train_rule_rbm(V, E, 2, **{**options, "seed": 4})
    assert not np.array_equal(a.rule.filters, c.rule.filters)


def test_bad_input_raises_one_line_input_errors(chain_pairs, chain_rbm) -> None:
    V, E = chain_pairs[0][:1000], chain_pairs[1][:1000]
    ones = np.ones((100, 17), dtype=np.int8)
    cases = [
        (lambda: est.train_rule_rbm(ones, ones[:, :3]), "1 to 16 units"),
        (lambda: est.train_rule_rbm(V, E[:999]), "V and E must be"),
        (lambda: est.train_rule_rbm(V * 0, E), "only the values -1, 1"),
        (lambda: est.train_rule_rbm(V, E, 0), "hidden units must be between 1 and 8"),
        (lambda: est.train_rule_rbm(V, E, 9), "hidden units must be between 1 and 8"),
        (lambda: est.train_rule_rbm(V, E, held_out=1.0), "held_out must be"),
        (lambda: est.train_rule_rbm(V, E, batches=4), "batches must be"),
        (lambda: est.train_rule_rbm(V[:40], E[:40]), "too few held-out pairs"),
        (lambda: est.train_rule_rbm(V, E, epochs=0), "epochs must be"),
        (lambda: est.train_rule_rbm(V, E, learning_rate=0), "learning_rate must be"),
        (lambda: est.rule_information(chain_rbm, np.ones((1, 3)), np.zeros(1), V, E),
         "filters must be \\(n_h, 2\\)"),
        (lambda: est.rule_information(chain_rbm, np.ones((1, 2)), np.zeros(1), V, E[:, :1]),
         "the RBM has 4 visible units"),
        (lambda: est.conditional_log_probabilities(chain_rbm, E, 4), "leave an environment"),
        (lambda: est.conditional_log_probabilities(chain_rbm, E[:, :1], 2), "E must have"),
    ]
    for call, message in cases:
        with pytest.raises(InputError, match=message) as err:
            call()
        assert "\n" not in str(err.value)
