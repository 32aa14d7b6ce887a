"""Files of RSMI runs: configurations read from sampler files, filters written and read back.

A filter file (HDF5, written atomically) holds ``filter`` float64 (n_hidden, block, block),
``bias`` float64 (n_hidden,), ``mi_history`` float64 (epochs run,) and ``restarts_mi``
float64 (restarts,), with root attributes ``mi``, ``mi_err`` (nats), ``block``, ``buffer``,
``env``, ``n_hidden``, ``estimator``, ``source`` and the training settings. A PNG of the
filters is written beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, read_run
from gpurg.io.png import heat_map, write_png
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult

FILTER_FORMAT = "gpurg-filter"


def load_configurations(path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """All configurations of a sampler run file as one array (n, L, L) and its attributes.

    Ising runs give their spins (±1); dimer runs their 2L x 2L images (pixels 0/1; the run
    must have been sampled with ``--encoding image`` or ``--noise``). Measurements and
    replicas are flattened into n.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        run = read_run(path)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a gpurg run file ({exc})") from None
    model = run.attrs.get("model")
    if model == "dimer":
        if "images" not in run.arrays:
            raise InputError(f"{path}: a dimer run without images; sample it with "
                             "--encoding image (or --noise ...)")
        data = run.array("images")
    elif run.has_configs:
        data = run.configs()
    else:
        raise InputError(f"{path}: the run holds no configurations")
    if data.shape[0] == 0:
        raise InputError(f"{path}: the run holds no measurements")
    return data.reshape(-1, *data.shape[-2:]), run.attrs


def write_filter(path: str | Path, result: TrainResult, geometry: Geometry,
                 attrs: dict[str, Any]) -> tuple[Path, Path]:
    """Write the filter file and its PNG; returns both paths."""
    rule = result.rule
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
    png = Path(path).with_suffix(".png")
    write_png(png, heat_map(rule.filters.reshape(rule.n_hidden, block, block)))
    return Path(path), png


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
