"""gpurg: real-space renormalization group learned by mutual information, on GPU or CPU.

The user-facing classes and functions, importable from here, in the order data flows
(configurations → (V, E) pairs → filter → coarse configurations → flows and exponents)::

    import gpurg
    configs = gpurg.ising_configurations(16, 2.269, replicas=16, samples=8)  # int8 (128, 16, 16)
    V, E = gpurg.extract_pairs(configs, gpurg.Geometry(2, 0, 2), positions=8192, seed=1)
    grainer = gpurg.RsmiCoarseGrainer(block=2, symmetric=True, epochs=10).fit(V, E)
    coarse = grainer.transform(configs)                             # int8 (128, 1, 8, 8)
    result = gpurg.mcrg(configs, gpurg.RsmiRule(grainer.rule_, 2), levels=1)
    print(grainer.mi_, result.y_t[0, 0], result.y_t_err[0, 0])  # nats; y_t = 1/nu at level 1

Models and sampling
    :class:`IsingModel`, :class:`IsingSampler`, the simple-cubic :class:`Ising3DModel` and
    :class:`Ising3DSampler`, :class:`DimerModel`, :class:`DimerSampler`,
    the bases :class:`Model` and :class:`Sampler` with :func:`register` (a new model is one
    module), :func:`sample`, :func:`sample_ising`, :func:`sample_dimer`, :func:`resume_run`,
    :class:`SampleRun`, :func:`ising_configurations`.
RSMI
    :class:`Geometry`, :func:`extract_pairs`, :class:`CoarseGrainingRule`,
    :func:`train_rule` and :class:`TrainResult`, the estimator interface
    :class:`MIEstimator` with its registry :func:`estimators`, :class:`RsmiCoarseGrainer`
    (scikit-learn style: ``fit(V, E)``, ``transform(configs)``), :func:`coarse_grain`, the MI
    thermometer (:func:`rule_information`, :func:`calibrate_thermometer`),
    :func:`write_filter`, :func:`read_filter`, :func:`load_configurations`; the data-aware
    start :func:`canonical_directions`; what a rule is and does: :func:`analyze_rule` and
    :class:`FilterAnalysis`, :func:`scan_buffers` and :class:`BufferScan` (MI against the
    buffer), :func:`coarse_correlation`; the contrast, an RBM trained by likelihood on the
    same blocks: :func:`train_block_rbm` and :class:`BlockRBM`.
RG
    :class:`RGMap` and :class:`MajorityRule`, :class:`Decimation`, :class:`RsmiRule`,
    :func:`make_map`; :func:`mcrg` and :class:`MCRGResult` (Monte Carlo RG, Swendsen 1979);
    :func:`coupling_flow`, :func:`critical_temperature` (pseudo-likelihood coupling flows);
    :func:`binder_curves`, :func:`collapse_nu` (finite-size collapse).
RBMs
    :class:`RBM`, :func:`fit_rbm`.
Statistics, files, backends
    :class:`Estimate`, :func:`mean_with_error`, :func:`jackknife`; :func:`read_run`,
    :class:`RunWriter`; :func:`get_backend`, :class:`Backend`; :class:`InputError`.
Figures
    :mod:`figures` (``gpurg.figures``): labelled matplotlib figures of every result, saved
    as png, svg or pdf.
Jobs
    :func:`run_ising`, the main job behind ``gpurg run ising``.

Each name is imported from its module when first used, so ``import gpurg`` stays cheap and a
module's own imports decide what it costs.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("gpurg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(("IsingModel", "IsingSampler"), "gpurg.models.ising"),
    **dict.fromkeys(("Ising3DModel", "Ising3DSampler"), "gpurg.models.ising3d"),
    **dict.fromkeys(("DimerModel", "DimerSampler"), "gpurg.models.dimer"),
    **dict.fromkeys(("Model", "Sampler", "register"), "gpurg.models.base"),
    **dict.fromkeys(("sample", "sample_ising", "sample_dimer", "resume_run", "SampleRun",
                     "ising_configurations"), "gpurg.sampling"),
    **dict.fromkeys(("Geometry", "extract_pairs"), "gpurg.rsmi.geometry"),
    "CoarseGrainingRule": "gpurg.rsmi.rule",
    **dict.fromkeys(("train_rule", "TrainResult"), "gpurg.rsmi.training"),
    **dict.fromkeys(("MIEstimator", "estimators"), "gpurg.rsmi.estimators"),
    "RsmiCoarseGrainer": "gpurg.rsmi.grainer",
    **dict.fromkeys(("calibrate_thermometer", "rule_information"), "gpurg.rsmi.thermometer"),
    "coarse_grain": "gpurg.rsmi.coarse",
    **dict.fromkeys(("write_filter", "read_filter", "load_configurations"),
                    "gpurg.rsmi.files"),
    "canonical_directions": "gpurg.rsmi.start",
    **dict.fromkeys(("analyze_rule", "FilterAnalysis"), "gpurg.rsmi.analysis"),
    **dict.fromkeys(("scan_buffers", "BufferScan"), "gpurg.rsmi.scan"),
    "coarse_correlation": "gpurg.rsmi.correlation",
    **dict.fromkeys(("train_block_rbm", "BlockRBM"), "gpurg.rsmi.likelihood"),
    **dict.fromkeys(("RGMap", "MajorityRule", "Decimation", "RsmiRule", "make_map"),
                    "gpurg.rg.maps"),
    **dict.fromkeys(("mcrg", "MCRGResult"), "gpurg.rg.mcrg"),
    **dict.fromkeys(("coupling_flow", "critical_temperature"), "gpurg.rg.flow"),
    **dict.fromkeys(("binder_curves", "collapse_nu"), "gpurg.rg.collapse"),
    **dict.fromkeys(("RBM", "fit_rbm"), "gpurg.rbm"),
    **dict.fromkeys(("Estimate", "mean_with_error", "jackknife"), "gpurg.stats"),
    **dict.fromkeys(("read_run", "RunWriter"), "gpurg.io.hdf5"),
    **dict.fromkeys(("get_backend", "Backend"), "gpurg.backend"),
    "InputError": "gpurg.errors",
    "run_ising": "gpurg.jobs.mainjob",
}

_SUBPACKAGES = ("figures",)  # offered whole: ``gpurg.figures.filter_figure(...)``

__all__ = ["__version__", *sorted((*_EXPORTS, *_SUBPACKAGES))]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"gpurg.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gpurg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBPACKAGES})
