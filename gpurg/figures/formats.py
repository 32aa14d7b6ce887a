"""Figure formats and file names, without loading matplotlib (the commands' options use them
at start-up).

Public API: :data:`FORMATS`, :data:`FIGURE_FORMAT`, :func:`figure_path`.
"""

from __future__ import annotations

from pathlib import Path

from gpurg.validation import Choice

FORMATS = ("png", "svg", "pdf")
"""File formats a figure is written in (the file name's suffix is the format)."""
FIGURE_FORMAT = Choice(FORMATS)
"""The rule of every ``--figure-format`` option and ``format`` argument."""


def figure_path(path: str | Path, format: str = "png") -> Path:
    """The figure beside a data file: the same folder and stem, the format's suffix
    (``run.h5`` → ``run.png``); ``format`` one of :data:`FORMATS`."""
    format = FIGURE_FORMAT.check("format", format)
    return Path(path).with_suffix(f".{format}")
