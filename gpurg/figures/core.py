"""The one way gpurg saves a figure: a :class:`matplotlib.figure.Figure` made directly (never
pyplot, whose global state is neither thread-safe nor free of a display), written atomically in
PNG, SVG or PDF.

A figure function of this package takes plain results (arrays, result objects) and a path, draws
one labelled figure and returns the path written::

    from gpurg.figures import filter_figure, figure_path
    filter_figure(rule.filters.reshape(1, 2, 2), figure_path("filter.h5", "svg"))

Public API: :func:`new_figure`, :func:`save_figure`, :func:`heat_map` (formats and file names:
:mod:`gpurg.figures.formats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from gpurg.errors import InputError
from gpurg.figures.formats import FIGURE_FORMAT, FORMATS
from gpurg.io.hdf5 import atomic_output

DIVERGING = "RdBu_r"
"""Colour map of signed weights: blue < 0 < red, white at 0 (the colour scale is symmetric)."""
DPI = 150
# no creation date in the file, so the same figure gives the same bytes
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 4.8,
               height: float = 3.8) -> tuple[Figure, np.ndarray]:
    """A figure of ``nrows`` x ``ncols`` panels, each ``width`` x ``height`` inches, with a
    constrained layout; returns (figure, axes as an object array of shape (nrows, ncols))."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def save_figure(fig: Figure, path: str | Path, format: str | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically (a hidden temporary file renamed on success: no
    partial file is ever seen, none is left on an error) and return the path.

    ``format``: one of :data:`FORMATS`; by default the suffix of ``path``, which must then be
    ``.png``, ``.svg`` or ``.pdf``. Raises :class:`InputError` for another format and
    ``OutputPathError`` (an InputError) for a path that cannot be written."""
    path = Path(path)
    if format is None:
        format = path.suffix.lower().lstrip(".")
        if format not in FORMATS:
            raise InputError(f"{path}: a figure file must end in "
                             f"{' or '.join('.' + f for f in FORMATS)}")
    format = FIGURE_FORMAT.check("format", format)
    with atomic_output(path, (f".{format}",)) as tmp:
        fig.savefig(tmp, format=format, dpi=DPI, metadata=_METADATA[format])
    return path


def heat_map(ax: Axes, values: np.ndarray, *, vmax: float | None = None,
             title: str = "", unit: str = "site") -> AxesImage:
    """Draw a 2D array of signed values (float (rows, cols)) on ``ax`` with the diverging
    colour map, symmetric about 0 (±``vmax``, by default the largest |value|), one square
    per entry with its index on the axes (column x to the right, row y downwards); ``unit``
    names what an entry is ("site" of a spin lattice, "pixel" of a dimer image)."""
    values = np.asarray(values, dtype=np.float64)
    top = vmax if vmax is not None else float(np.nanmax(np.abs(values))) if values.size else 1.0
    top = top if np.isfinite(top) and top > 0 else 1.0
    image = ax.imshow(values, cmap=DIVERGING, vmin=-top, vmax=top, interpolation="nearest")
    rows, cols = values.shape
    ax.set_xticks(range(cols))
    ax.set_yticks(range(rows))
    ax.set_xlabel(f"x ({unit} column in the block)")
    ax.set_ylabel(f"y ({unit} row in the block)")
    if title:
        ax.set_title(title)
    return image


def check_lengths(name: str, *arrays: Sequence) -> None:
    """InputError unless the arrays have one common length (what a figure function plots
    against each other)."""
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise InputError(f"{name}: arrays of unequal lengths {sorted(lengths)}")
