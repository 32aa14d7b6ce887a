"""The exact coarse law of a small torus (gpurg.rg.torus_exact) and the pseudo-likelihood fit
of the effective Hamiltonian against it."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import K_C, T_C
from gpurg.rg.hamiltonian import DEFAULT_OPERATORS, fit_hamiltonian
from gpurg.rg.maps import make_map
from gpurg.rg.torus_exact import (
    brute_force_law,
    coarse_law,
    ising_law,
    operator_subsets,
    rule_table,
)
from gpurg.sampling import ising_configurations


@pytest.fixture(scope="module")
def exact_laws():
    """The exact 4 x 4 coarse laws of the 8 x 8 torus at K_c (about 4 s each)."""
    return {rule: coarse_law(8, K_C, rule) for rule in ("majority", "decimation")}


@pytest.mark.parametrize("rule", ["majority", "decimation", "random"])
def test_transfer_matrices_match_the_brute_force_sum(rule):
    """L = 4 -> 2 x 2: the row-pair transfer matrices against the sum over all 2^16 fine
    states, for both rules and a random table (no symmetry to hide an index mix-up)."""
    table = np.random.default_rng(3).random(16) if rule == "random" else rule
    fast, slow = coarse_law(4, 0.37, table), brute_force_law(0.37, table)
    np.testing.assert_allclose(fast.probabilities, slow.probabilities, rtol=1e-12)


def test_law_is_normalised_and_a_block_blind_rule_is_uniform(exact_laws):
    """On 6 x 6 (3 x 3 coarse: the odd split of the trace) and 8 x 8: P sums to 1, and a
    table that ignores the block (P(+) = 1/2) gives every H the same probability."""
    for law in (coarse_law(6, K_C, "majority"), *exact_laws.values()):
        assert law.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(law.probabilities > 0)
    flat = coarse_law(6, 0.3, np.full(16, 0.5))
    np.testing.assert_allclose(flat.probabilities, 1 / 512, rtol=1e-12)


def test_plain_ising_law_is_its_own_hamiltonian():
    """The identity rule: ln P has K on every nn pair and nothing else; the population
    pseudo-likelihood optimum is K exactly (PL is consistent)."""
    law = ising_law(4, 0.41)
    ops = DEFAULT_OPERATORS
    np.testing.assert_allclose(law.walsh_couplings(ops), [0.41] + [0] * (len(ops) - 1),
                               atol=1e-12)
    np.testing.assert_allclose(law.pseudo_likelihood_optimum(ops),
                               [0.41] + [0] * (len(ops) - 1), atol=1e-8)


def test_fit_of_exact_samples_recovers_the_coupling():
    """Independent exact draws of the 4 x 4 Ising torus: nn = K, every other operator 0,
    within 4 jackknife sigma."""
    law = ising_law(4, 0.35)
    fit = fit_hamiltonian(law.sample(4000, seed=1), DEFAULT_OPERATORS)
    target = np.array([0.35] + [0] * (len(DEFAULT_OPERATORS) - 1))
    assert np.all(np.abs(fit.K - target) < 4 * fit.K_err), (fit.K, fit.K_err)
    assert fit.K_err[0] < 0.02


def test_operator_subsets_count_aliased_terms():
    """On m = 4 each distance-2 pair is the term of two orientations' shifts, on m = 8 once."""
    assert set(operator_subsets("third", 4).values()) == {2}
    assert set(operator_subsets("third", 8).values()) == {1}
    assert set(operator_subsets("nn", 4).values()) == {1} and len(operator_subsets("nn", 4)) == 32
    assert coarse_law(6, 0.3, "majority").aliased(("nn", "third")) == [("nn", "third")]


def test_rule_tables():
    maj, dec = rule_table("majority"), rule_table("decimation")
    assert sorted(set(maj)) == [0.0, 0.5, 1.0] and np.sum(maj == 0.5) == 6
    assert np.array_equal(dec, (np.arange(16) & 1).astype(float))
    with pytest.raises(InputError):
        rule_table("nonsense")
    with pytest.raises(InputError):
        coarse_law(8, 0.4, np.zeros(15))


# Monte Carlo against the exact optimum, measured on seeds 1, 2, 3 (64 chains x 64 snapshots):
# 42 pulls, the largest 2.9, sum of squares about their count.
def test_monte_carlo_fit_agrees_with_the_exact_optimum(exact_laws):
    """Swendsen-Wang samples of the 8 x 8 torus at T_c, coarse-grained by majority and
    decimation, fitted with the default operators: every coupling within 4 jackknife sigma of
    the exact population pseudo-likelihood optimum of the same operators."""
    c = np.asarray(ising_configurations(8, T_C, replicas=64, samples=48, every=2, seed=2,
                                        device="cpu"))
    groups = np.arange(len(c)) % 64
    for rule, law in exact_laws.items():
        fit = fit_hamiltonian(make_map(rule)(c, seed=2), DEFAULT_OPERATORS, groups=groups)
        exact = law.pseudo_likelihood_optimum(DEFAULT_OPERATORS)
        pull = (fit.K - exact) / fit.K_err
        assert np.all(np.abs(pull) < 4), (rule, fit.K, exact, pull)
        # the fit resolves the structure: rangeness clearly positive for both rules
        assert fit.rangeness()[0] > 4 * fit.rangeness()[1]


def test_exact_walsh_and_pseudo_likelihood_agree_on_the_leading_couplings(exact_laws):
    """The truncated fit and the full expansion of ln P differ (ln P has more terms than the
    operators), but only slightly for the nn and nnn couplings (measured: majority 0.362
    against 0.354, decimation 0.272 against 0.289)."""
    for law in exact_laws.values():
        walsh = law.walsh_couplings(DEFAULT_OPERATORS)
        optimum = law.pseudo_likelihood_optimum(DEFAULT_OPERATORS)
        assert np.all(np.abs(walsh[:2] - optimum[:2]) < 0.03), (walsh, optimum)
        assert law.aliased(DEFAULT_OPERATORS) == []
