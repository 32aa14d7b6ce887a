"""Figures: every picture gpurg writes, drawn with matplotlib (a :class:`Figure` made
directly, Agg-rendered: no display, no pyplot state, safe in threads) and written atomically
as PNG, SVG or PDF (:data:`FORMATS`; by the path's suffix or ``format=``).

Each function takes plain results and a path and returns the path written; the commands put
a figure beside their HDF5 file with the same stem (:func:`figure_path`)::

    from gpurg.figures import exponents_figure, figure_path
    exponents_figure({"majority": result}, figure_path("run.h5", "pdf"))

Filters: :func:`filter_figure` (heat maps, colour bar, dimer pixel roles marked).
Exponents: :func:`exponents_figure` (ν, y_h per rule and MCRG level, exact values).
Information: :func:`mi_buffer_figure` (log-log, power-law fit), :func:`buffer_scan_figure`
(a buffer scan with its power-law and exponential fits), :func:`mi_hidden_figure`,
:func:`mi_temperature_figure`, :func:`thermometer_figure`.
Flows: :func:`flow_figure` (coupling flow, fixed point, T_c); :func:`hamiltonian_figure`
(effective couplings by operator and level, rangeness, m-bodyness).
Landscape: :func:`landscape_figure` (the 1D chain's RSMI landscape over (λ1, λ2)).
Scaling: :func:`collapse_figure` (Binder curves and their collapse).
Dimers: :func:`correlation_figure` (C(r) along and across, r^-2).
Saving: :func:`save_figure`, :func:`new_figure`, :func:`heat_map`; formats and names:
:data:`FORMATS`, :data:`FIGURE_FORMAT`, :func:`figure_path` (these load no matplotlib).
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> its module; imported on first use, so that the formats (and the commands that
# offer them) do not load matplotlib
_EXPORTS = {
    **dict.fromkeys(("FIGURE_FORMAT", "FORMATS", "figure_path"), "gpurg.figures.formats"),
    **dict.fromkeys(("heat_map", "new_figure", "save_figure"), "gpurg.figures.core"),
    **dict.fromkeys(("correlation_figure", "dimer_job_figure"), "gpurg.figures.dimers"),
    "exponents_figure": "gpurg.figures.exponents",
    **dict.fromkeys(("filter_figure", "pixel_roles"), "gpurg.figures.filters"),
    "flow_figure": "gpurg.figures.flows",
    "landscape_figure": "gpurg.figures.landscape",
    "hamiltonian_figure": "gpurg.figures.hamiltonian",
    **dict.fromkeys(("buffer_scan_figure", "mi_buffer_figure", "mi_hidden_figure",
                     "mi_temperature_figure", "thermometer_figure"), "gpurg.figures.information"),
    "power_law_fit": "gpurg.stats",  # a fit, not a figure: kept here for compatibility
    "collapse_figure": "gpurg.figures.scaling",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gpurg.figures' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
