"""The Ising results of RSMI, reproduced on small but real runs (science.md §2): how the learned
I(H:E) depends on the number of hidden units, the temperature and the buffer.

Larger versions of these runs: ``examples/ising_mi_hidden.py``, ``ising_mi_buffer.py`` and
``ising_mi_temperature.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpurg.models.ising_exact import T_C
from gpurg.rsmi.exact import ising_block_information, ising_local_information
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.sampling import ising_configurations

SIGMAS = 4.0


def _samples(T: float) -> np.ndarray:
    return ising_configurations(32, T, samples=8, seed=1, device="cpu")


def _learned(configs: np.ndarray, buffer: int, n_hidden: int = 1) -> TrainResult:
    V, E = extract_pairs(configs, Geometry(2, buffer, 2), positions=60_000, seed=1)
    return train_rule(V, E, n_hidden, symmetric=True, epochs=15, restarts=1, seed=1)


def _held_out_environments(configs: np.ndarray) -> np.ndarray:
    """The buffer-0 environments train_rule (seed 1) scores its reported MI on, in its order:
    the first round(0.25 n) rows of default_rng(1).permutation(n), sorted (sample-major, so
    that the exact error's batch means see the pairs' correlation), as in test_rsmi_training."""
    _, E = extract_pairs(configs, Geometry(2, 0, 2), positions=60_000, seed=1)
    return E[np.sort(np.random.default_rng(1).permutation(len(E))[:int(round(0.25 * len(E)))])]


def _matches_exact(configs: np.ndarray, T: float, result: TrainResult) -> float:
    """Assert the reported MI of a buffer-0 rule equals the exact I_Λ(H:E) of the learned
    filter on the same held-out environments (gpurg.rsmi.exact, P(V|E) enumerated) within
    SIGMAS σ, σ both errors in quadrature; return the exact value."""
    exact, exact_err = ising_local_information(1.0 / T, Geometry(2, 0, 2), result.rule.filters,
                                               result.rule.bias, _held_out_environments(configs))
    error = math.hypot(result.mi_err, exact_err)
    assert abs(result.mi - exact) <= SIGMAS * error, (T, result.mi, exact, error)
    return exact


@pytest.fixture(scope="module")
def critical() -> np.ndarray:
    return _samples(T_C)


@pytest.mark.slow
def test_information_saturates_with_the_hidden_units(critical) -> None:
    """At T_c with a buffer (L_B = 2), one unit holds most of I(H:E). Two-sided, with σ the
    two estimates' errors in quadrature (conservative: the estimates share their held-out
    pairs): a second unit adds between -4σ (the reference is the one-unit value: the
    two-unit family contains every one-unit rule, so it cannot lose information) and 15% of
    the one-unit value; a third unit adds nothing within ±4σ of the two-unit value. Measured
    0.361 ± 0.005, 0.396 ± 0.005, 0.401 ± 0.004 nats for 1, 2, 3 units on the defaults
    (60 epochs, 2 restarts; the second unit's 0.035 is 5.3σ by the conservative σ, not
    asserted to be positive). Trained for 15 epochs from the spectral start alone, the
    two-unit rule stopped at a dipole second unit (0.369) and the third unit then added
    0.031: the restarts and epochs are the defaults' here. Both units of the
    two-unit rule must have learned: each reads the block with all weights positive in the
    canonical orientation (a unit that never trains keeps its random initial weights, of
    mixed signs with probability 7/8, and the L2 penalty shrinks it towards 0), each weight
    above 0.1 (measured 0.36-0.79 for the two units). Checked against a broken copy whose
    second and third units get no MI gradient: the MI bands pass (a unit that learns
    nothing costs nothing) and the weight check fails, the second unit's
    weights decayed to 1e-11 and below, of mixed signs (the sign test alone would have
    passed it with probability 1/8)."""
    V, E = extract_pairs(critical, Geometry(2, 2, 2), positions=60_000, seed=1)
    results = [train_rule(V, E, n, symmetric=True, seed=1) for n in (1, 2, 3)]
    (one, e1), (two, e2), (three, e3) = ((r.mi, r.mi_err) for r in results)
    assert -SIGMAS * math.hypot(e1, e2) <= two - one <= 0.15 * one, (one, two, e1, e2)
    assert abs(three - two) <= SIGMAS * math.hypot(e2, e3), (two, three, e2, e3)
    assert (results[1].rule.filters > 0.1).all(), results[1].rule.filters


def test_information_tends_to_ln2_in_the_ordered_phase(critical) -> None:
    """Deep below T_c a block's sign is the whole story: I(H:E) -> ln 2 (one unit). Buffer 0,
    so the references are exact (gpurg.rsmi.exact on train_rule's held-out environments):

    * at T = 1 and T_c the reported MI is the exact I_Λ(H:E) of the learned filter within 4σ
      (measured 0.6753 ± 0.0003 against 0.6754 ± 0.0002, 0.4603 ± 0.0038 against
      0.4578 ± 0.0019: z = -0.4, 0.6);
    * at T = 1 all the information the block has about its environment is one bit: the exact
      I(V:E) is ln 2 within 4σ (0.69302 ± 0.00019, z = -0.7);
    * the learned rule reaches it up to its softness: exact I_Λ / I(V:E) = 0.975, exact
      against exact with no noise band; asserted above 0.95 (the weight decay keeps the
      weights near 0.8, P(H|V) is not a hard sign; training.py);
    * T_c keeps less: cold - warm > 4σ (measured 0.215, 50σ).

    Checked against a broken copy that samples at 0.9 T: the exact check at T_c fails (off
    by 0.032, 8.9σ); every former bound, cold > 0.95 ln 2 and warm < cold, passed it."""
    cold_configs = _samples(1.0)
    cold_result, warm_result = _learned(cold_configs, 0), _learned(critical, 0)
    cold_exact = _matches_exact(cold_configs, 1.0, cold_result)
    _matches_exact(critical, T_C, warm_result)
    available, available_err = ising_block_information(1.0, Geometry(2, 0, 2),
                                                       _held_out_environments(cold_configs))
    assert abs(available - math.log(2)) <= SIGMAS * available_err, (available, available_err)
    assert cold_exact > 0.95 * available, (cold_exact, available)
    cold, warm = cold_result.mi, warm_result.mi
    assert cold - warm > SIGMAS * math.hypot(cold_result.mi_err, warm_result.mi_err)


def test_buffer_dependence_fast_in_the_paramagnet_slow_at_tc(critical) -> None:
    """I(H:E) against L_B: at T_c it keeps most of its value (power-law correlations), at
    T = 4 it collapses within a few lattice spacings (correlation length ~0.7).

    * Buffer 0 (T_c and T = 4): the reported MI is the exact I_Λ(H:E) of the learned filter
      within 4σ (measured 0.0749 ± 0.0022 against 0.0739 ± 0.0006 at T = 4, z = 0.5).
    * Buffer 2 has no exact value; the estimates' own errors: at T = 4 the MI is 0 within
      4σ (measured 0.00017 ± 0.00006, 2.8σ: the true value, of order exp(-6/ξ) ~ 1e-4, is
      at the noise level). At T_c the claim is qualitative, "most": the ratio to buffer 0,
      0.768 ± 0.012 (σ from both errors), must exceed 1/2; no reference exists to put it in
      σ of, so 1/2 states the claim (22σ away), not a tolerance.

    Checked against a broken copy that samples at 0.9 T: the buffer-0 exact check at T_c
    fails (8.9σ); the former ratio bands passed it."""
    hot = _samples(4.0)
    tc0, tc2 = _learned(critical, 0), _learned(critical, 2)
    hot0, hot2 = _learned(hot, 0), _learned(hot, 2)
    _matches_exact(critical, T_C, tc0)
    _matches_exact(hot, 4.0, hot0)
    assert abs(hot2.mi) <= SIGMAS * hot2.mi_err, (hot2.mi, hot2.mi_err)
    assert tc2.mi / tc0.mi > 0.5, (tc0.mi, tc2.mi)
