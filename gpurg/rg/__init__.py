"""Real-space RG: coarse-graining maps, Ising operator sets and Monte Carlo RG (science.md §6)."""

from gpurg.rg.maps import Decimation, MajorityRule, RGMap, RsmiRule, make_map
from gpurg.rg.mcrg import MCRGResult, mcrg, rg_levels
from gpurg.rg.operators import EVEN, EVEN_3D, ODD, ODD_3D, even_operators, odd_operators

__all__ = [
    "EVEN", "EVEN_3D", "ODD", "ODD_3D", "Decimation", "MCRGResult", "MajorityRule", "RGMap",
    "RsmiRule", "even_operators", "make_map", "mcrg", "odd_operators", "rg_levels",
]
