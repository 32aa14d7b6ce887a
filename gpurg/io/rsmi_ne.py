"""RSMI-NE's dimer sample files (Gökmen et al. 2021): ``.npy`` arrays of images, named by L
and T, written atomically. The encoding itself is :func:`gpurg.models.dimer_encodings.to_rsmi_ne`
and :func:`~gpurg.models.dimer_encodings.from_rsmi_ne`.

What RSMI-NE reads (github.com/RSMI-NE/RSMI-NE, ``rsmine/coarsegrainer/build_dataset.py``:
``filename`` names the file, ``dataset.__init__`` loads it):

* interacting dimers: ``configs_intdimer2d_square_L{2L}_T{T:.3f}.npy``, loaded by ``np.load``
  and reshaped to (N, (2L)^2) (their L is the image side), float64 0.0/1.0 as written by the
  Julia sampler of github.com/RSMI-NE/mc_dimers (``src/DimerMCSimulation.jl``: ``Xs =
  SharedArray(zeros(N_sweeps*N_reals, 2n, 2n))`` saved through PyCall's ``np.save``, so the
  file is in Fortran order with the Julia indices kept: ``Xs[t, i, j]`` is ``x[t-1, i-1,
  j-1]``);
* Ising: ``configs_ising2d_square_L{L}_K{K:.2f}.txt``, loaded by ``np.loadtxt(..., dtype=int)``:
  text, one flattened L x L configuration per line (values as the user wrote them; RSMI-NE
  maps nothing). RSMI-NE ships no Ising sampler.

:func:`rsmi_ne_parameters` reads the parameters such a name carries.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output
from gpurg.models.dimer_encodings import from_rsmi_ne, to_rsmi_ne
from gpurg.validation import to_host

__all__ = ["load_rsmi_ne", "rsmi_ne_filename", "rsmi_ne_parameters", "save_npy",
           "save_rsmi_ne"]

_NUMBER = r"([0-9]+(?:\.[0-9]*)?|[Ii]nf)"
_DIMER_NAME = re.compile(rf"configs_intdimer2d_square_L([0-9]+)_T{_NUMBER}\.npy")
_ISING_NAME = re.compile(rf"configs_ising2d_square_L([0-9]+)_K{_NUMBER}\.txt")


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write one array as ``.npy`` atomically: a reader never sees a partial file."""
    with atomic_output(path, (".npy",)) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)
    return Path(path)


def rsmi_ne_filename(L: int, T: float, basedir: str | os.PathLike = ".") -> Path:
    """RSMI-NE's name for the samples of an L x L dimer torus at temperature T:
    ``basedir/configs_intdimer2d_square_L{2L}_T{T:.3f}.npy`` (their L is the image side)."""
    return Path(basedir) / f"configs_intdimer2d_square_L{2 * int(L)}_T{float(T):.3f}.npy"


def rsmi_ne_parameters(path: str | os.PathLike) -> dict[str, Any] | None:
    """The parameters an RSMI-NE file name carries, or None for another name.

    Returns
    -------
    dict or None
        ``configs_intdimer2d_square_L{2L}_T{T}.npy``: ``{"model": "dimer", "L": L (sites),
        "T": T}``; ``configs_ising2d_square_L{L}_K{K}.txt``: ``{"model": "ising", "L": L,
        "K": K}`` (RSMI-NE's coupling, rounded to 2 decimals in the name).
    """
    name = Path(path).name
    match = _DIMER_NAME.fullmatch(name)
    if match:
        return {"model": "dimer", "L": int(match[1]) // 2, "T": float(match[2])}
    match = _ISING_NAME.fullmatch(name)
    if match:
        return {"model": "ising", "L": int(match[1]), "K": float(match[2])}
    return None


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
