"""Files of RSMI runs: configurations read from sampler files, filters written and read back.

A filter file (HDF5, written atomically) holds ``filter`` float64 (n_hidden, block, block),
``bias`` float64 (n_hidden,), ``mi_history`` float64 (epochs run,) and ``restarts_mi``
float64 (restarts,), with root attributes ``mi``, ``mi_err`` (nats), ``block``, ``buffer``,
``env``, ``n_hidden``, ``estimator``, ``source`` and the training settings. Its picture is
:func:`gpurg.figures.filter_figure`'s, which the commands write beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, read_run
from gpurg.io.validate import located, read_checked
from gpurg.models.base import file_model
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult

FILTER_FORMAT = "gpurg-filter"


def load_configurations(path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """All configurations of a sampler run file as one array (n, L, L) and its attributes.

    Ising and coarse-grained runs give their spins (±1, int8); dimer runs their 2L x 2L
    images (uint8 pixels 0/1; the run must have been sampled with ``--encoding image`` or
    ``--noise``). Measurements and replicas are flattened into n.

    Raises
    ------
    InputError
        A missing or unreadable file, an unknown model, attributes (L, replicas,
        n_measurements) that disagree with the data's shape, a value outside the model's
        alphabet (the message names the first one and its index in the dataset), or dimer
        images that are not close-packed coverings. See :mod:`gpurg.io.validate`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        run = read_run(path)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a gpurg run file ({exc})") from None
    # the model says which dataset RSMI learns from (dimers: the images) and checks it
    kind = file_model(run.attrs)
    name, hint = ("configs", "") if kind is None else kind.rsmi_dataset
    if not (run.has_configs if name == "configs" else name in run.arrays):
        raise InputError(f"{path}: a {kind.name} run without {name}; {hint}" if hint
                         else f"{path}: the run holds no configurations")
    data = read_checked(run, name)
    if kind is not None:
        with located(f"{path}: {name}"):
            kind.check_dataset(name, data)
    if data.shape[0] == 0:
        raise InputError(f"{path}: the run holds no measurements")
    return data.reshape(-1, *data.shape[-2:]), run.attrs


def write_filter(path: str | Path, result: TrainResult, geometry: Geometry,
                 attrs: dict[str, Any]) -> Path:
    """Write the filter file (HDF5, atomically); returns its path. The rule is written in its
    canonical labelling (:meth:`CoarseGrainingRule.canonical`: units oriented to positive
    total weight, ordered by decreasing norm), whatever labelling training ended in."""
    rule = result.rule.canonical()
    block = geometry.block
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f["filter"] = rule.filters.reshape(rule.n_hidden, block, block)
        f["bias"] = rule.bias
        f["mi_history"] = result.history
        f["restarts_mi"] = result.restarts
        f.attrs.update({
            "format": FILTER_FORMAT, "format_version": 1, "mi": result.mi,
            "mi_err": result.mi_err, "block": block, "buffer": geometry.buffer,
            "env": geometry.env, "n_hidden": rule.n_hidden, "estimator": result.estimator,
            **attrs,
        })
    return Path(path)


@dataclass(frozen=True)
class FilterFile:
    """A filter file read back: the rule, its geometry and all root attributes."""

    rule: CoarseGrainingRule
    geometry: Geometry
    attrs: dict[str, Any]


def read_filter(path: str | Path) -> FilterFile:
    """Read a filter written by :func:`write_filter`; InputError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: (v.item() if isinstance(v, np.generic) else v)
                     for k, v in f.attrs.items()}
            if attrs.get("format") != FILTER_FORMAT:
                raise InputError(f"{path}: not a gpurg filter file")
            filters = f["filter"][()]
            bias = f["bias"][()]
    except OSError as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({exc})") from None
    n_hidden, block, _ = filters.shape
    rule = CoarseGrainingRule(filters.reshape(n_hidden, block * block), bias)
    return FilterFile(rule, Geometry(block, attrs["buffer"], attrs["env"]), attrs)
