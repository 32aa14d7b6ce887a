"""Real-space RG: coarse-graining maps, Ising operator sets and Monte Carlo RG (science.md §6)."""

from gpurg.rg.maps import Decimation, MajorityRule, RGMap, RsmiRule, make_map
from gpurg.rg.mcrg import LevelSums, MCRGResult, level_sums, mcrg, mcrg_exponents, rg_levels
from gpurg.rg.operators import EVEN, EVEN_3D, ODD, ODD_3D, even_operators, odd_operators

__all__ = [
    "EVEN", "EVEN_3D", "ODD", "ODD_3D", "Decimation", "LevelSums", "MCRGResult", "MajorityRule",
    "RGMap", "RsmiRule", "even_operators", "level_sums", "make_map", "mcrg", "mcrg_exponents",
    "odd_operators", "rg_levels",
]
