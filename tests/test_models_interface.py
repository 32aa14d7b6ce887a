"""A new model is one file: the 1D Ising chain below is defined only here, through the bases of
:mod:`gpurg.models.base`, registered, and then sampled, written, read, checked and resumed by
the library's own functions (nothing in ``gpurg`` names it). Its energy is compared with the
exact periodic chain, so the plumbing is shown to carry the physics, not just the bytes."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import h5py
import numpy as np
import pytest

from gpurg.backend.philox import philox4x32
from gpurg.errors import InputError
from gpurg.io.hdf5 import read_run
from gpurg.io.validate import check_run, layouts
from gpurg.models.base import (
    MODELS,
    SAMPLERS,
    Model,
    Sampler,
    model_class,
    model_from_attrs,
    register,
    sampler_class,
)
from gpurg.models.dimer import DimerModel, DimerSampler
from gpurg.models.ising import IsingModel, IsingSampler
from gpurg.rg.maps import Decimation, MajorityRule
from gpurg.sampling import resume_run, sample
from gpurg.stats import Estimate, mean_with_error
from gpurg.validation import ISING_SPINS, Integer

STREAM = 99  # a Philox stream word of this test's own (the package's table stops at 11)


@dataclass(frozen=True)
class ChainModel(Model):
    """Ising chain of L spins on a ring, E = -J sum_i s_i s_{i+1}, k_B = 1."""

    name: ClassVar[str] = "test-chain"
    datasets: ClassVar[dict] = {"configs": (ISING_SPINS, 1)}

    L: int
    T: float
    J: float = 1.0

    @property
    def shape(self) -> tuple[int]:
        return (self.L,)

    def attrs(self) -> dict[str, Any]:
        return {"model": self.name, "L": self.L, "T": self.T, "J": self.J}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> ChainModel:
        return cls(int(attrs["L"]), float(attrs["T"]), float(attrs["J"]))

    @classmethod
    def is_symmetric(cls, attrs: Mapping[str, Any]) -> bool:
        return True

    def observables(self) -> dict[str, tuple[int, ...]]:
        return {"e": (), "m": ()}

    def measure(self, configs: np.ndarray) -> dict[str, np.ndarray]:
        s = configs.astype(np.int64)
        return {"e": -self.J * (s * np.roll(s, 1, 1)).mean(1), "m": s.mean(1)}

    def summarize(self, observables: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
        return {k: mean_with_error(v) for k, v in observables.items()}

    def exact_energy(self) -> float:
        """<E>/L of the periodic chain: -J (t + t^(L-1)) / (1 + t^L), t = tanh(J/T)."""
        t = math.tanh(self.J / self.T)
        return -self.J * (t + t ** (self.L - 1)) / (1 + t**self.L)


class ChainSampler(Sampler):
    """Heat-bath on the even, then the odd sites; each site's word is Philox at counter
    (site, replica, 2 * sweep + parity, STREAM), so a chain is a function of its seed."""

    model_type: ClassVar[type[Model]] = ChainModel
    starts: ClassVar[tuple[str, ...]] = ("cold",)
    state_name: ClassVar[str] = "spins"

    def __init__(self, model: ChainModel, *, replicas: int = 1, start: str = "cold",
                 seed: int = 0, device: str = "numpy") -> None:
        # a package model would use @checked (whose tables tests/test_constraints.py walks)
        replicas = Integer(1).check("replicas", replicas)
        super().__init__(model, replicas=replicas, start=start, seed=seed, device=device)
        self.spins = np.ones((replicas, model.L), dtype=np.int8)

    @property
    def configs(self) -> np.ndarray:
        return self.spins

    def set_state(self, configs: np.ndarray, sweeps_done: int | None = None) -> None:
        self.spins = np.array(configs, dtype=np.int8)
        if sweeps_done is not None:
            self.sweeps_done = int(sweeps_done)

    def sweep(self, n: int = 1) -> None:
        m, R, L = self.model, self.replicas, self.model.L
        site, replica = np.arange(L)[None, :], np.arange(R)[:, None]
        for _ in range(n):
            for parity in (0, 1):
                step = 2 * self.sweeps_done + parity
                u = philox4x32((site, replica, step, STREAM), self.key)[..., 0]
                field = m.J * (np.roll(self.spins, 1, 1) + np.roll(self.spins, -1, 1))
                up = u < np.round(2.0**32 / (1 + np.exp(-2 * field / m.T)))
                mine = (site % 2 == parity) & np.ones((R, 1), bool)
                self.spins[mine] = np.where(up, 1, -1).astype(np.int8)[mine]
            self.sweeps_done += 1

    def measure(self) -> dict[str, np.ndarray]:
        return self.model.measure(self.spins)


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """The chain in the registry for each test, as ``@register`` on its class would put it
    in a module of the package; taken out after, so other tests see the package's models."""
    register(ChainSampler)
    yield
    MODELS.remove("test-chain")
    SAMPLERS.remove("test-chain")


def test_the_chain_is_registered_beside_the_built_in_models() -> None:
    assert MODELS["test-chain"] is ChainModel and SAMPLERS["test-chain"] is ChainSampler
    assert MODELS["ising"] is IsingModel and SAMPLERS["ising"] is IsingSampler
    assert MODELS["dimer"] is DimerModel and SAMPLERS["dimer"] is DimerSampler
    model = ChainModel(16, 1.5)
    assert model.dimension == 1 and model.n_sites == 16 and model.symmetric
    assert model_from_attrs(model.attrs()) == model and sampler_class(model) is ChainSampler
    assert "test-chain" in layouts()
    with pytest.raises(InputError, match="unknown model 'nope'; known: .*test-chain"):
        model_class("nope")
    with pytest.raises(ValueError, match="already registered"):
        register(type("Other", (ChainSampler,), {}))


def test_the_chain_runs_through_sample_to_a_file_and_back(tmp_path) -> None:
    model = ChainModel(16, 1.5)
    run = sample(ChainSampler(model, replicas=32, seed=3), sweeps=400, thermalize=50,
                 output=tmp_path / "chain.h5")
    stored = read_run(tmp_path / "chain.h5")
    check_run(stored)
    assert stored.attrs["model"] == "test-chain" and stored.attrs["complete"]
    configs = stored.array("configs")
    assert configs.shape == (400, 32, 16) and configs.dtype == np.int8
    np.testing.assert_array_equal(stored.observables["e"], run.observables["e"])
    # physics: the energy per site against the exact ring, errors from the 32 replicas
    # (seeds 0-5 deviate by -1.1 to +2.2 sigma)
    per_replica = run.observables["e"].mean(axis=0)
    mean, error = per_replica.mean(), per_replica.std(ddof=1) / math.sqrt(32)
    assert abs(mean - model.exact_energy()) < 5 * error, (mean, error, model.exact_energy())


@pytest.mark.filterwarnings("ignore:a series of")  # ten measurements: errors are not the point
def test_an_interrupted_chain_resumes_to_the_same_bits(tmp_path) -> None:
    model = ChainModel(12, 2.0)
    full = sample(ChainSampler(model, replicas=4, seed=7), sweeps=30, thermalize=5, every=3,
                  output=tmp_path / "full.h5")

    def stop_after(n: int):
        def progress(done: int, total: int) -> None:
            if done >= n:
                raise KeyboardInterrupt
        return progress

    with pytest.raises(KeyboardInterrupt):
        sample(ChainSampler(model, replicas=4, seed=7), sweeps=30, thermalize=5, every=3,
               output=tmp_path / "cut.h5", progress=stop_after(20))
    assert not read_run(tmp_path / "cut.h5").attrs["complete"]
    resumed = resume_run(tmp_path / "cut.h5", device="numpy")
    np.testing.assert_array_equal(resumed.final_state, full.final_state)
    with h5py.File(tmp_path / "full.h5") as a, h5py.File(tmp_path / "cut.h5") as b:
        np.testing.assert_array_equal(a["configs"][()], b["configs"][()])
        assert b.attrs["complete"]


def test_rg_maps_coarse_grain_the_chain() -> None:
    sampler = ChainSampler(ChainModel(16, 1.0), replicas=8, seed=1)
    sampler.sweep(10)
    coarse = MajorityRule(4)(sampler.configs, seed=2)
    assert coarse.shape == (8, 4) and set(np.unique(coarse)) <= {-1, 1}
    np.testing.assert_array_equal(Decimation(2)(sampler.configs), sampler.configs[:, ::2])


@pytest.mark.parametrize("bad", [{"replicas": 0}, {"replicas": True}])
def test_the_chains_table_checks_its_arguments(bad: dict) -> None:
    with pytest.raises(InputError, match="replicas"):
        ChainSampler(ChainModel(8, 1.0), **bad)


def test_a_model_of_the_wrong_class_is_refused() -> None:
    with pytest.raises(InputError, match="model must be a ChainModel, got IsingModel"):
        ChainSampler(IsingModel(8, 2.0))

