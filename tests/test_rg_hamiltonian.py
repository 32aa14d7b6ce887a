"""The effective Hamiltonian fit (gpurg.rg.hamiltonian): generalised local fields, agreement
with the three-operator fit, symmetries, and ``gpurg rg hamiltonian``."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import T_C
from gpurg.rg.flow import local_fields, pseudo_likelihood_couplings
from gpurg.rg.hamiltonian import DEFAULT_OPERATORS, coarse_hamiltonians, fit_hamiltonian
from gpurg.rg.maps import RsmiRule, make_map
from gpurg.rg.operators import SHAPES, operator_sums, span
from gpurg.rsmi.files import load_configurations
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.sampling import ising_configurations

from .test_cli import assert_ok, run_gpurg


@pytest.mark.parametrize("L", [4, 5, 7])
def test_local_fields_are_energy_differences_for_every_operator(L):
    """f_a(i) = (S_a(s) - S_a(s with s_i flipped)) / (2 s_i) for every operator of SHAPES that
    fits L (wrapped shapes on the small tori included), every site."""
    s = np.random.default_rng(L).choice(np.array([-1, 1], np.int8), size=(3, L, L))
    ops = [op for op in SHAPES if L >= 2 * span(op)]
    fields = local_fields(s, ops)
    before = operator_sums(s, ops)
    for y in range(L):
        for x in range(L):
            flipped = s.copy()
            flipped[:, y, x] *= -1
            diff = (before - operator_sums(flipped, ops)) / (2 * s[:, y, x, None])
            np.testing.assert_array_equal(fields[:, y, x], diff, err_msg=f"{L} {y} {x}")


@pytest.fixture(scope="module")
def critical():
    c = np.asarray(ising_configurations(16, T_C, replicas=16, samples=8, every=3, seed=5,
                                        device="cpu"))
    return c, np.arange(len(c)) % 16


def test_three_operator_fit_is_the_flow_fit_bit_for_bit(critical):
    c, groups = critical
    ops = ("nn", "nnn", "plaquette")
    K, err = pseudo_likelihood_couplings(c, ops, groups=groups)
    h = fit_hamiltonian(c, ops, groups=groups)
    np.testing.assert_array_equal(h.K, K)
    np.testing.assert_array_equal(h.K_err, err)
    assert h.n_blocks == 16 and h.n_samples == len(c) and h.L == 16


def test_couplings_are_invariant_under_lattice_symmetries(critical):
    """Every default operator is a sum over all orientations of its shape, so rotated,
    reflected, transposed and flipped configuration sets give the same fit bit for bit."""
    c, groups = critical
    h = fit_hamiltonian(c, groups=groups)
    images = {"rotate": np.rot90(c, 1, axes=(1, 2)), "mirror": c[:, :, ::-1],
              "transpose": np.swapaxes(c, 1, 2), "flip": -c,
              "translate": np.roll(c, (3, 5), axis=(1, 2))}
    for name, image in images.items():
        g = fit_hamiltonian(np.ascontiguousarray(image), groups=groups)
        np.testing.assert_array_equal(g.K, h.K, err_msg=name)
        np.testing.assert_array_equal(g.K_err, h.K_err, err_msg=name)


def test_a_filter_and_its_negative_give_the_same_hamiltonian(critical):
    c, groups = critical
    w = np.array([[0.9, 0.5, 0.7, 0.6]])
    plus = RsmiRule(CoarseGrainingRule(w, np.zeros(1)), 2)
    minus = RsmiRule(CoarseGrainingRule(-w, np.zeros(1)), 2)
    a = coarse_hamiltonians(c, plus, 1, groups=groups)[0]
    b = coarse_hamiltonians(c, minus, 1, groups=groups)[0]
    np.testing.assert_array_equal(a.K, b.K)
    # the coarse spins of -H: the even Hamiltonian is the same too
    coarse = plus(c)
    np.testing.assert_array_equal(fit_hamiltonian(-coarse, groups=groups).K, a.K)


def test_ratios_and_refusals(critical):
    c, groups = critical
    h = fit_hamiltonian(c, groups=groups)
    r, r_err = h.rangeness()
    assert r == h.K[1] / h.K[0] and r_err > 0
    m, m_err = h.mbodyness()
    assert m == h.K[4] / h.K[0] and m_err > 0
    with pytest.raises(InputError, match="fourth"):
        fit_hamiltonian(c[:, :4, :4], ("nn", "fourth"))
    with pytest.raises(InputError, match="bogus"):
        fit_hamiltonian(c, ("nn", "bogus"))
    with pytest.raises(InputError, match="not fitted"):
        fit_hamiltonian(c, ("nn",)).rangeness()
    with pytest.raises(InputError, match="does not fit"):  # before any coarse-graining
        coarse_hamiltonians(c, make_map("majority"), 2, ("nn", "fourth"))


# ----------------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ham")
    assert_ok(run_gpurg(["ising", "sample", "-L", 16, "-R", 16, "--sweeps", 40, "--every", 5,
                         "--thermalize", 50, "--device", "cpu", "-o", "tc.h5"], directory))
    assert_ok(run_gpurg(["dimer", "sample", "-L", 8, "-R", 8, "--sweeps", 4, "--encoding",
                         "image", "--device", "cpu", "-o", "dimer.h5"], directory))
    return directory


def test_command_prints_and_writes_the_library_result(runs: Path) -> None:
    result = run_gpurg(["rg", "hamiltonian", "tc.h5", "--rule", "decimation", "--levels", 2,
                        "-o", "ham.h5"], runs)
    assert_ok(result)
    configs, attrs = load_configurations(runs / "tc.h5")
    replicas = configs.shape[0] // int(attrs["n_measurements"])
    groups = np.tile(np.arange(replicas), int(attrs["n_measurements"]))
    fits = coarse_hamiltonians(configs, make_map("decimation"), 2, groups=groups)
    text = re.sub(r"\s+", " ", result.stdout)
    for h in fits:
        for op, k, e in zip(h.operators, h.K, h.K_err, strict=True):
            assert f"{op} │ {k:.5f} ± {e:.5f}" in text, (op, text)
        assert "rangeness K'_nnn/K'_nn = {:.4f} ± {:.4f}".format(*h.rangeness()) in text
        assert "m-bodyness K'_plaquette/K'_nn = {:.4f} ± {:.4f}".format(*h.mbodyness()) in text
    with h5py.File(runs / "ham.h5", "r") as f:
        np.testing.assert_array_equal(f["K"][()], [h.K for h in fits])
        np.testing.assert_array_equal(f["sizes"][()], [8, 4])
        np.testing.assert_array_equal(f["rangeness"][()], [h.rangeness()[0] for h in fits])
        assert list(f.attrs["operators"]) == list(DEFAULT_OPERATORS)
        assert f.attrs["rule"] == "decimation" and f.attrs["n_samples"] == len(configs)
    assert (runs / "ham.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(("args", "words"), [
    (["tc.h5", "--operators", "nn,bogus"], ("bogus",)),
    (["tc.h5", "--levels", "2", "--operators", "nn,fourth"], ("fourth", "4 x 4")),
    (["dimer.h5"], ("±1", "dimer")),
], ids=["unknown operator", "operator too long", "not spins"])
def test_bad_input_is_one_error_line(runs: Path, args: list[str], words: tuple[str, ...]):
    result = run_gpurg(["rg", "hamiltonian", *args, "-o", "bad.h5"], runs)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    assert not (runs / "bad.h5").exists() and not (runs / "bad.png").exists()
