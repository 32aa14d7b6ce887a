"""The Ising models by lattice dimension, and what is known about their critical points: the
one table that commands, jobs and benchmarks read when they take a ``dim`` (2: the square
lattice, :mod:`gpurg.models.ising`; 3: the simple cubic one, :mod:`gpurg.models.ising3d`).

A further lattice is one more :class:`IsingLattice` entry here beside its model's module::

    lattice = ising_lattice(3)
    model = lattice.model(32, lattice.T_c)           # Ising3DModel at T_c
    sampler = lattice.sampler(model, replicas=64)
    lattice.reference["nu"], lattice.reference_name  # 0.629971, "bootstrap"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gpurg.models import ising, ising3d, ising3d_exact, ising_exact
from gpurg.models.base import Model
from gpurg.models.ising import HypercubicIsing, HypercubicIsingSampler
from gpurg.validation import Integer

__all__ = ["DIMENSION", "ISING_LATTICES", "IsingLattice", "ising_lattice", "lattice_of"]


@dataclass(frozen=True)
class IsingLattice:
    """The Ising model of one lattice dimension.

    Attributes
    ----------
    dim : int
        The dimension d (L^d sites).
    title : str
        "2D Ising", "3D Ising": the model in titles and labels.
    model, sampler : type
        Its :class:`~gpurg.models.ising.HypercubicIsing` and
        :class:`~gpurg.models.ising.HypercubicIsingSampler` classes, which also give
        ``side`` (the rule of L), ``layouts`` (the spin layouts by name, ``spin_layout`` of
        its run files) and ``layouts_for`` (``(L, R, algorithm) -> names``: the layouts that
        can run an algorithm on R replicas of side L), properties here.
    T_c : float
        The critical temperature at J = 1 (k_B = 1).
    T_c_source : str
        What T_c is: "exact" (Onsager 1944) or "Monte Carlo" (Ferrenberg, Xu & Landau 2018).
    reference : dict of str to float
        The critical exponents {"nu": ν, "yh": y_h} beside which estimates are reported.
    reference_name : str
        What they are: "exact" (2D) or "bootstrap" (3D: Kos, Poland, Simmons-Duffin & Vichi
        2016; Simmons-Duffin 2017).
    exact_reference : callable
        ``(L, T, J, h) -> dict``: exact thermal averages of the L^d torus where they are known
        (empty elsewhere), for the tables of ``gpurg ising sample``.
    """

    dim: int
    title: str
    model: type[HypercubicIsing]
    sampler: type[HypercubicIsingSampler]
    T_c: float
    T_c_source: str
    reference: Mapping[str, float]
    reference_name: str
    exact_reference: Callable[[int, float, float, float], dict[str, Any]]

    @property
    def side(self) -> Integer:
        return self.model.side

    @property
    def layouts(self) -> Mapping[str, type]:
        return self.sampler.layouts

    def layouts_for(self, L: int, R: int, algorithm: str) -> tuple[str, ...]:
        return self.sampler.layouts_for(L, R, algorithm)


ISING_LATTICES: dict[int, IsingLattice] = {
    2: IsingLattice(2, "2D Ising", ising.IsingModel, ising.IsingSampler, ising_exact.T_C, "exact",
                    ising_exact.EXPONENTS, "exact", ising_exact.exact_reference),
    3: IsingLattice(3, "3D Ising", ising3d.Ising3DModel, ising3d.Ising3DSampler,
                    ising3d_exact.T_C, "Monte Carlo",
                    {"nu": ising3d_exact.BOOTSTRAP["nu"], "yh": ising3d_exact.BOOTSTRAP["yh"]},
                    "bootstrap", ising3d_exact.exact_reference),
}

DIMENSION = Integer(min(ISING_LATTICES), max(ISING_LATTICES))
"""The rule of a ``dim`` argument: a dimension with an Ising model (2 or 3)."""


def ising_lattice(dim: int) -> IsingLattice:
    """The :class:`IsingLattice` of dimension ``dim``; InputError for one without a model."""
    return ISING_LATTICES[DIMENSION.check("dim", dim)]


def lattice_of(model: Model) -> IsingLattice:
    """The :class:`IsingLattice` whose model ``model`` is (by its class)."""
    for lattice in ISING_LATTICES.values():
        if type(model) is lattice.model:
            return lattice
    raise TypeError(f"{type(model).__name__} is not an Ising model of ISING_LATTICES")
