"""RSMI-NE's dimer sample files (Gökmen et al. 2021): ``.npy`` arrays of images, named by L
and T, written atomically. The encoding itself is :func:`gpurg.models.dimer_encodings.to_rsmi_ne`
and :func:`~gpurg.models.dimer_encodings.from_rsmi_ne`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output
from gpurg.models.dimer_encodings import from_rsmi_ne, to_rsmi_ne
from gpurg.validation import to_host

__all__ = ["load_rsmi_ne", "rsmi_ne_filename", "save_npy", "save_rsmi_ne"]


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write one array as ``.npy`` atomically: a reader never sees a partial file."""
    with atomic_output(path, (".npy",)) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)
    return Path(path)


def rsmi_ne_filename(L: int, T: float, basedir: str | os.PathLike = ".") -> Path:
    """RSMI-NE's name for the samples of an L x L dimer torus at temperature T:
    ``basedir/configs_intdimer2d_square_L{2L}_T{T:.3f}.npy`` (their L is the image side)."""
    return Path(basedir) / f"configs_intdimer2d_square_L{2 * int(L)}_T{float(T):.3f}.npy"


def save_rsmi_ne(path: str | os.PathLike, codes: Any, noise: str = "none", key: Any = (0, 0),
                 counter: int = 0) -> Path:
    """Write coverings as an RSMI-NE ``.npy`` file (see :func:`to_rsmi_ne`), atomically.

    The array goes to a temporary file in the same folder, which then replaces ``path``, so a
    reader never sees a partial file. ``path`` is used as given (no suffix is added).

    Returns
    -------
    pathlib.Path : the path written.
    """
    return save_npy(path, to_host(to_rsmi_ne(codes, noise=noise, key=key, counter=counter)))


def load_rsmi_ne(path: str | os.PathLike) -> np.ndarray:
    """Read an RSMI-NE dimer ``.npy`` file.

    Returns
    -------
    numpy int8 array, shape (N, L, L): site codes.

    Raises
    ------
    InputError
        Missing or unreadable file, or contents that are not dimer samples.
    """
    try:
        array = np.load(Path(path), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read RSMI-NE samples from {path}: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                         ) from exc
    if not isinstance(array, np.ndarray):
        raise InputError(f"{path} holds several arrays, expected one (N, 2L, 2L) array")
    return from_rsmi_ne(array)
