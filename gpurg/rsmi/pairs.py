"""The (V, E) pairs of a run file's configurations, drawn as RSMI must read that file: the one
place that turns "configurations + the file's attributes" into pairs, a block stride and a
symmetry, for every RSMI study that learns from files (``gpurg rsmi scan``,
:func:`gpurg.rsmi.scan.scan_buffers`; ``gpurg rsmi train`` draws the same way) and for the
coarse field of a learned rule (:mod:`gpurg.rsmi.correlation`: tiles start where blocks do).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gpurg.models.base import file_model
from gpurg.rsmi.geometry import Geometry, extract_pairs

__all__ = ["file_layout", "file_pairs"]


def file_layout(attrs: Mapping[str, Any]) -> tuple[int, bool]:
    """(block stride, symmetric) of the configurations of a run file with root attributes
    ``attrs``, as RSMI must read them.

    The stride is the model's ``block_stride``: a dimer image alternates vertex, bond and
    face pixels, so its blocks start on a vertex (stride 2), or the block's position parity
    would be the information found; spins, and coarse-grained files (no registered model),
    take every position (1). ``symmetric`` is the model's :meth:`~gpurg.models.base.Model.
    is_symmetric` (Ising at h = 0: biases kept at 0); False for coarse-grained files."""
    kind = file_model(attrs)
    if kind is None:
        return 1, False
    return kind.block_stride, bool(kind.is_symmetric(attrs))


def file_pairs(configs: Any, attrs: Mapping[str, Any], geometry: Geometry, *,
               positions: str | int, seed: int = 0) -> tuple[Any, Any, bool]:
    """(V, E, symmetric): the (V, E) pairs of configurations (n, Ly, Lx), or (n, Lz, Ly, Lx)
    with a 3D geometry (NumPy or CuPy, as :func:`load_configurations` gives them with
    ``attrs``) drawn at ``positions`` block origins with the file's stride
    (:func:`file_layout`), and whether the rule trained on them keeps its biases at zero.
    InputError if the geometry does not fit the lattice."""
    stride, symmetric = file_layout(attrs)
    geometry.check_fits(*configs.shape[1:])
    V, E = extract_pairs(configs, geometry, positions=positions, stride=stride, seed=seed)
    return V, E, symmetric
