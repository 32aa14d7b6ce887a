"""Configurations checked at the door: values against the model's alphabet, a run file's
attributes against the shapes of its datasets.

Every reader of configurations (:func:`gpurg.rsmi.files.load_configurations`, ``gpurg dimer
convert``) goes through these checks, so that bad input ends in one line naming the first bad
value and where it is, e.g.::

    run.h5: configs[3, 0, 5, 2] = 3; Ising spins must be -1 or +1
    run.h5: attribute L = 16 but configs are 8 x 8

Whether dimer data form a close-packed covering is checked by
:func:`gpurg.models.dimer_encodings.validate_codes` and
:func:`~gpurg.models.dimer_encodings.codes_from_image`; :func:`located` puts the file's name in
front of their messages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import Run
from gpurg.models.base import MODELS
from gpurg.validation import (
    COARSE_SPINS,
    DIMER_CODES,
    DIMER_PIXELS,
    ISING_SPINS,
    Alphabet,
    check_values,
    first_index,
)

__all__ = [
    "COARSE_SPINS",
    "DIMER_CODES",
    "DIMER_PIXELS",
    "ISING_SPINS",
    "LAYOUTS",
    "layouts",
    "Alphabet",
    "check_run",
    "check_values",
    "first_index",
    "located",
    "read_checked",
]


# Run files that no sampler writes: their ``model`` attribute and datasets of configurations
# (coarse-grained spins, written by ``gpurg rsmi coarse-grain``).
LAYOUTS: dict[str, dict[str, tuple[Alphabet, int]]] = {
    "coarse-grained": {"configs": (COARSE_SPINS, 1)},
}


def layouts() -> dict[str, dict[str, tuple[Alphabet, int]]]:
    """Per ``model`` attribute of a run file: its datasets of configurations, each with its
    alphabet and the side of one lattice in units of the attribute L (a dimer image has a
    pixel for every vertex, bond and face: 2L x 2L). The registered models'
    (:attr:`gpurg.models.base.Model.datasets`), then :data:`LAYOUTS`."""
    return {**{name: model.datasets for name, model in MODELS.items()}, **LAYOUTS}


def check_run(run: Run) -> None:
    """Check what a run file claims about its configurations, without reading them.

    The ``model`` attribute must be one of :func:`layouts`; each of that model's datasets the
    file holds must have an integer dtype and the shape ``(n_measurements, R, s, ..., s)``
    (as many sides as the data's lattice has dimensions), with s = L times the dataset's
    scale (2L for dimer images) where the file has an ``L`` attribute, R the ``replicas``
    and n_measurements the ``n_measurements`` attribute where it has those.

    Raises
    ------
    InputError
        Naming the file, the attribute or dataset and both sides of the disagreement, e.g.
        ``run.h5: attribute L = 16 but configs are 8 x 8``.
    """
    model = run.attrs.get("model")
    known = layouts()
    if model not in known:
        raise InputError(f"{run.path}: model {model!r} unknown; known: {', '.join(known)}")
    with h5py.File(run.path, "r") as file:
        for name, (_, scale) in known[model].items():
            if name in file:
                _check_layout(run, name, file[name].dtype, file[name].shape, scale)


def _check_layout(run: Run, name: str, dtype: np.dtype, shape: tuple[int, ...],
                  scale: int) -> None:
    where = f"{run.path}: {name}"
    if dtype.kind not in "iu":
        raise InputError(f"{where} has dtype {dtype}; configurations must be integers")
    # any lattice dimension d >= 1, all sides equal
    if len(shape) < 3 or len(set(shape[2:])) != 1:
        raise InputError(f"{where} has shape {shape}; expected (n_measurements, R, side, side) "
                         f"(or as many sides as the lattice has dimensions)")
    L = run.attrs.get("L")
    if L is not None and shape[2] != scale * L:
        image = f" ({name} are {scale}L x {scale}L)" if scale != 1 else ""
        raise InputError(f"{run.path}: attribute L = {L} but {name} are "
                         f"{' x '.join(map(str, shape[2:]))}{image}")
    for attr, axis, what in (("n_measurements", 0, "measurements"), ("replicas", 1, "replicas")):
        claimed = run.attrs.get(attr)
        if claimed is not None and shape[axis] != claimed:
            raise InputError(f"{run.path}: attribute {attr} = {claimed} but {name} hold "
                             f"{shape[axis]} {what} (axis {axis})")


def read_checked(run: Run, name: str) -> np.ndarray:
    """Read the configuration dataset ``name`` of ``run`` once :func:`check_run` passes, and
    check its values against the model's alphabet (:func:`check_values`).

    Returns
    -------
    np.ndarray
        The whole dataset, in its integer dtype and shape ``(n_measurements, R, s, s)``.
    """
    check_run(run)
    alphabet, _ = layouts()[run.attrs["model"]][name]
    data = run.array(name)
    check_values(data, alphabet, f"{run.path}: {name}")
    return data


@contextlib.contextmanager
def located(where: str) -> Iterator[None]:
    """Put ``where: `` in front of the message of an InputError raised inside, for checks of
    arrays that do not know which file they came from."""
    try:
        yield
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
