"""The landscape of one-unit rules on 2x2 Ising blocks (gpurg.rg.block_landscape): its
information against the exact oracle, its symmetries, and its file."""

from __future__ import annotations

import numpy as np
import pytest

from gpurg.errors import InputError
from gpurg.models.ising_exact import T_C
from gpurg.rg.block_landscape import (
    block_filters,
    block_landscape,
    read_block_landscape,
    write_block_landscape,
)
from gpurg.rsmi.exact import ising_local_information
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.sampling import ising_configurations

K_C = 1.0 / T_C


@pytest.fixture(scope="module")
def configs() -> np.ndarray:
    return ising_configurations(32, T_C, replicas=32, samples=4, seed=5, device="cpu")


@pytest.fixture(scope="module")
def landscape(configs):
    return block_landscape(configs, K_C, grid=5, max_lambda=2.0, fit_grid=3, positions=4000,
                           seed=2)


def test_information_is_the_exact_oracle_and_bounded(configs, landscape) -> None:
    """Each grid point is ising_local_information of its filter on the same E samples, and
    no rule keeps more than I(V:E)."""
    from gpurg.backend.philox import independent_seed

    for k, buffer in enumerate(landscape.buffers):
        _, E = extract_pairs(configs, Geometry(2, int(buffer), 1), positions=4000,
                             seed=independent_seed(2, k))
        for i, j in ((4, 4), (4, 2), (1, 3)):
            f = block_filters(landscape.lambdas[i], landscape.lambdas[j])[None]
            want, err = ising_local_information(K_C, Geometry(2, int(buffer), 1), f, [0.0], E)
            assert landscape.mi[k, i, j] == pytest.approx(want, rel=1e-10, abs=1e-14)
            assert landscape.mi_err[k, i, j] == pytest.approx(err, rel=1e-8)
        assert np.all(landscape.mi[k] <= landscape.mi_ve[k] + 1e-12)
    assert landscape.mi[:, 2, 2] == pytest.approx(0.0, abs=1e-15)  # λ = 0: a coin
    # with a buffer the block knows less of its environment
    assert landscape.mi_ve[1] < landscape.mi_ve[0]


def test_a_filter_and_its_negative_keep_the_same_information(landscape) -> None:
    np.testing.assert_allclose(landscape.mi, landscape.mi[:, ::-1, ::-1], rtol=1e-9,
                               atol=1e-15)


def test_hamiltonians_of_the_plane(landscape) -> None:
    """Decimation's coarse nearest-neighbour coupling is weaker than the block spin's at T_c
    (decimation keeps less), and λ -> -λ gives the same couplings within errors."""
    f = landscape.fit_lambdas
    assert f.tolist() == [-2.0, 0.0, 2.0]
    assert landscape.K2_1[1, 1] == 0.0 and np.isnan(landscape.rangeness[1, 1])
    uniform, decimation = landscape.K2_1[2, 2], landscape.K2_1[2, 1]
    assert uniform - decimation > 4 * np.hypot(landscape.K2_1_err[2, 2],
                                               landscape.K2_1_err[2, 1])
    diff = landscape.K2_1 - landscape.K2_1[::-1, ::-1]
    err = np.hypot(landscape.K2_1_err, landscape.K2_1_err[::-1, ::-1])
    assert np.all(np.abs(diff) <= 4 * err + 1e-12)


def test_file_round_trip_and_bad_input(tmp_path, configs, landscape) -> None:
    path = tmp_path / "land.h5"
    write_block_landscape(path, landscape, {"seed": 2})
    back = read_block_landscape(path)
    for name in ("lambdas", "mi", "mi_err", "mi_ve", "K2_1", "rangeness", "mbodyness"):
        np.testing.assert_array_equal(getattr(back, name), getattr(landscape, name))
    assert (back.K, back.L, back.samples) == (landscape.K, 32, 128)
    with pytest.raises(InputError, match="buffers"):
        block_landscape(configs, K_C, buffers=(2,))
    with pytest.raises(InputError, match="L even"):
        block_landscape(configs[:, :31, :31], K_C)
    with pytest.raises(InputError, match="not a gpurg block landscape file"):
        (tmp_path / "x.h5").write_bytes(path.read_bytes())
        import h5py

        with h5py.File(tmp_path / "x.h5", "a") as f:
            f.attrs["format"] = "other"
        read_block_landscape(tmp_path / "x.h5")


def test_ordered_spins_have_infinite_couplings() -> None:
    """Below T_c the coarse spins of every rule are ordered: the pseudo-likelihood has no
    finite maximum, which the fit says (OrderedSpins) instead of returning its runaway
    iterate, and the landscape records as K'_nn = ∞."""
    from gpurg.rg.hamiltonian import OrderedSpins, fit_hamiltonian

    with pytest.raises(OrderedSpins, match="ordered"):
        fit_hamiltonian(np.ones((16, 8, 8), np.int8))
    cold = ising_configurations(16, 1.2, replicas=8, samples=2, seed=1, device="cpu")
    land = block_landscape(cold, 1 / 1.2, grid=3, fit_grid=3, positions=256, seed=1)
    assert land.K2_1[2, 2] == np.inf and np.isnan(land.rangeness[2, 2])
