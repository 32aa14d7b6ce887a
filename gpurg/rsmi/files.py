"""Files of RSMI runs: configurations read from sampler files, filters written and read back.

A filter file (HDF5, written atomically) holds ``filter`` float64 (n_hidden, block, block)
(or (n_hidden, block, block, block) for a filter of the simple cubic lattice, indexed
[unit, z, y, x]), ``bias`` float64 (n_hidden,), ``mi_history`` float64 (epochs run,) and
``restarts_mi`` float64 (restarts,), with root attributes ``mi``, ``mi_err`` (nats),
``block``, ``buffer``, ``env``, ``dim`` (the lattice dimension, 2 or 3; files written before
it existed are 2D), ``n_hidden``, ``estimator``, ``source`` and the training settings, and a
group
``analysis`` whose attributes are :meth:`FilterAnalysis.attributes` (what the filter is:
:func:`gpurg.rsmi.analysis.analyze_rule`; files written before it existed gain it from
:func:`add_analysis`). Its picture is :func:`gpurg.figures.filter_figure`'s, which the
commands write beside it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import atomic_output, open_results, read_run
from gpurg.io.validate import located, read_checked
from gpurg.models.base import file_model
from gpurg.rsmi.analysis import FilterAnalysis, analyze_rule
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult

FILTER_FORMAT = "gpurg-filter"


def load_configurations(path: str | Path, *, dims: tuple[int, ...] = (2,),
                        purpose: str = "this analysis") -> tuple[np.ndarray, dict[str, Any]]:
    """All configurations of a sampler run file as one array (n, L, L) (or (n, L, L, L) for
    a 3D run) and its attributes.

    Ising and coarse-grained runs give their spins (±1, int8); dimer runs their 2L x 2L
    images (uint8 pixels 0/1; the run must have been sampled with ``--encoding image`` or
    ``--noise``). Measurements and replicas are flattened into n. ``dims`` lists the lattice
    dimensions the caller works with (2D only by default): a run of another dimension is an
    InputError naming ``purpose``.

    Raises
    ------
    InputError
        A missing or unreadable file, an unknown model, attributes (L, replicas,
        n_measurements) that disagree with the data's shape, a lattice dimension not in
        ``dims``, a value outside the model's alphabet (the message names the first one and
        its index in the dataset), or dimer images that are not close-packed coverings. See
        :mod:`gpurg.io.validate`.
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
    with h5py.File(path, "r") as f:  # the shape alone, before a large dataset is read
        shape = f[name].shape
    dim = len(shape) - 2  # (n_measurements, R, L, ..., L)
    if dim not in dims:
        allowed = " or ".join(f"{d}D" for d in dims)
        raise InputError(f"{path}: {name} of a {dim}D lattice {tuple(shape)}; {purpose} works "
                         f"on {allowed} lattices only")
    data = read_checked(run, name)
    if kind is not None:
        with located(f"{path}: {name}"):
            kind.check_dataset(name, data)
    if data.shape[0] == 0:
        raise InputError(f"{path}: the run holds no measurements")
    return data.reshape(-1, *data.shape[2:]), run.attrs


def load_spin_configurations(path: str | Path, purpose: str, *, dims: tuple[int, ...] = (2,)
                             ) -> tuple[np.ndarray, dict[str, Any]]:
    """:func:`load_configurations` for work that needs ±1 spins (MCRG, effective
    Hamiltonians, exact Ising information): InputError naming ``purpose`` (e.g. "MCRG") for a
    run whose configurations are something else (dimer images), or of a lattice dimension not
    in ``dims``."""
    configs, attrs = load_configurations(path, dims=dims, purpose=purpose)
    kind = file_model(attrs)
    if kind is not None and kind.datasets[kind.rsmi_dataset[0]][0].values != (-1, 1):
        raise InputError(f"{path}: {purpose} needs ±1 spin configurations, not {kind.name} "
                         f"{kind.rsmi_dataset[0]}")
    return configs, attrs


def filter_roles(attrs: dict[str, Any]) -> str:
    """What the entries of a filter's block are, by the ``model`` attribute of its source
    (a run file's, or a filter file's): :attr:`Model.pixel_roles` of that model, "site" for
    files no sampler writes (coarse-grained spins) and files without the attribute."""
    kind = file_model(attrs)
    return "site" if kind is None else kind.pixel_roles


def _analysis_or_none(rule: CoarseGrainingRule, geometry: Geometry, attrs: dict[str, Any]
                      ) -> FilterAnalysis | None:
    """The analysis of a rule about to be written, or None where it is undefined (a dimer
    filter with an odd block): the trained filter is written either way."""
    try:
        return analyze_rule(rule, geometry.block, filter_roles(attrs), geometry.dim)
    except InputError:
        return None


def _write_analysis(f: h5py.File, analysis: FilterAnalysis | None) -> None:
    if analysis is not None:
        f.create_group("analysis").attrs.update(analysis.attributes())


def write_filter(path: str | Path, result: TrainResult, geometry: Geometry,
                 attrs: dict[str, Any], analysis: FilterAnalysis | None = None) -> Path:
    """Write the filter file (HDF5, atomically); returns its path. The rule is written in its
    canonical labelling (:meth:`CoarseGrainingRule.canonical`: units oriented to positive
    total weight, ordered by decreasing norm), whatever labelling training ended in.

    ``analysis`` (of the canonical rule) goes into the group ``analysis``; by default it is
    computed by :func:`gpurg.rsmi.analysis.analyze_rule` with the roles of ``attrs['model']``
    (:func:`filter_roles`), and left out where it is undefined (a dimer filter with an odd
    block). The filter is written as
    (n_hidden, block, ..., block), ``geometry.dim`` sides; InputError if the rule does not
    read ``geometry.n_visible`` sites."""
    rule = result.rule.canonical()
    block = geometry.block
    if rule.n_visible != geometry.n_visible:
        raise InputError(f"the rule reads {rule.n_visible} sites, the {geometry.dim}D block "
                         f"of side {block} has {geometry.n_visible}")
    if analysis is None:
        analysis = _analysis_or_none(rule, geometry, attrs)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f["filter"] = rule.filters.reshape(rule.n_hidden, *(block,) * geometry.dim)
        f["bias"] = rule.bias
        f["mi_history"] = result.history
        f["restarts_mi"] = result.restarts
        f.attrs.update({
            "format": FILTER_FORMAT, "format_version": 1, "mi": result.mi,
            "mi_err": result.mi_err, "block": block, "buffer": geometry.buffer,
            "env": geometry.env, "dim": geometry.dim, "n_hidden": rule.n_hidden,
            "estimator": result.estimator,
            **attrs,
        })
        _write_analysis(f, analysis)
    return Path(path)


@dataclass(frozen=True)
class FilterFile:
    """A filter file read back: the rule, its geometry, all root attributes, and the
    analysis stored in the file (None in files written before filters were analysed)."""

    rule: CoarseGrainingRule
    geometry: Geometry
    attrs: dict[str, Any]
    analysis: FilterAnalysis | None = None


def read_filter(path: str | Path) -> FilterFile:
    """Read a filter written by :func:`write_filter`; InputError if it is not one."""
    with open_results(path, FILTER_FORMAT, "filter") as (f, attrs):
        filters = f["filter"][()]
        bias = f["bias"][()]
        analysis = (FilterAnalysis.from_attributes(f["analysis"].attrs)
                    if "analysis" in f else None)
    dim = int(attrs.get("dim", 2))  # files written before 3D filters are 2D
    n_hidden, *sides = filters.shape
    if len(sides) != dim or len(set(sides)) != 1:
        raise InputError(f"{path}: a {dim}D filter file whose filter has shape "
                         f"{filters.shape}")
    block = sides[0]
    rule = CoarseGrainingRule(filters.reshape(n_hidden, block**dim), bias)
    return FilterFile(rule, Geometry(block, attrs["buffer"], attrs["env"], dim), attrs,
                      analysis)


def add_analysis(path: str | Path) -> FilterAnalysis:
    """Analyse the filter of a filter file (:func:`gpurg.rsmi.analysis.analyze_rule`, with
    the roles of its ``model`` attribute) and rewrite the file atomically with the group
    ``analysis`` added, or replaced; every other dataset, group and attribute is copied
    unchanged. Returns the analysis.

    Raises
    ------
    InputError
        A missing file, one that is not a filter file, or a filter whose analysis is
        undefined (a dimer filter with an odd block).
    """
    flt = read_filter(path)
    try:
        analysis = analyze_rule(flt.rule, flt.geometry.block, filter_roles(flt.attrs),
                                flt.geometry.dim)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    with atomic_output(path) as tmp:
        shutil.copyfile(path, tmp)  # every byte as it was: datasets, attributes and types
        with h5py.File(tmp, "a") as f:
            if "analysis" in f:
                del f["analysis"]
            _write_analysis(f, analysis)
    return analysis
