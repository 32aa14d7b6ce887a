"""The dimer main job (``gpurg run dimer``): what RSMI finds in noisy dimer images, against a
likelihood-trained RBM on the same blocks, and how the information decays with the buffer.

The setting of Koch-Janusz & Ringel (2018) and of RSMI-NE's tutorial (Gökmen et al. 2021):
free dimers (T = ∞) on the L x L torus as 2L x 2L images whose vertex and face pixels carry a
strong but irrelevant decoration (every face copies a random vertex bit), 8 x 8-pixel blocks
starting on a vertex, buffer 4 and environment 4 pixels. The job

1. samples the images (:func:`gpurg.sampling.dimer_images`);
2. learns RSMI rules with 1, 2 and 4 hidden units (:func:`gpurg.rsmi.training.train_rule`
   on its defaults) and reads their filters (:func:`gpurg.rsmi.analysis.analyze_rule`):
   two units span the staggered electric fields E_x, E_y and ignore the noise;
3. trains an RBM with 4 hidden units by CD-1 on the same blocks
   (:func:`gpurg.rsmi.likelihood.train_block_rbm`), read the same way: maximum likelihood
   spends units on the vertex–face noise pairs;
4. learns two-unit rules at buffers 2, 4, 6, 8 pixels and fits the decay of I(H:E)
   (:func:`gpurg.rsmi.scan.scan_buffers`): a power law at T = ∞. L_B = 0 and 1 are left
   out: there a vertex has bonds in both V and E, and the close-packing constraint links
   them locally (MI 1.37 nats against 0.43 at L_B = 2).

::

    result = run_dimer(L=32, seed=0)
    print(result.rules[2].mi, result.analyses[2].field_angle, result.scan.exponent)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import h5py

from gpurg.backend import Backend, get_backend
from gpurg.io.hdf5 import atomic_output, check_output_path
from gpurg.jobs.mainjob import Stage, stage_timer
from gpurg.rsmi.analysis import FilterAnalysis, analyze_rule
from gpurg.rsmi.geometry import Geometry
from gpurg.rsmi.likelihood import BlockRBM, train_block_rbm
from gpurg.rsmi.pairs import file_pairs
from gpurg.rsmi.scan import BufferScan, scan_buffers
from gpurg.rsmi.training import TrainResult, train_rule
from gpurg.sampling import dimer_images
from gpurg.validation import SEED, Integer, checked

GEOMETRY = Geometry(8, 4, 4)  # pixels: block, buffer, environment of the papers' dimer study
UNITS = (1, 2, 4)  # hidden units of the RSMI rules
KL_UNITS = 4  # hidden units of the likelihood-trained RBM
BUFFERS = (2, 4, 6, 8)  # pixels: the scaling regime (module notes)
SCAN_UNITS = 2
NOISE = "correlated"
ATTRS = {"model": "dimer", "T": math.inf}  # what the pairs' stride and symmetry are read from

# the widest window of the scan, V + 2 L_B + 2 L_E pixels, must fit the 2L-pixel image
MIN_SIDE = (GEOMETRY.block + 2 * max(BUFFERS) + 2 * GEOMETRY.env) // 2
SIZE = Integer(MIN_SIDE, multiple=2, text=f"an even integer >= {MIN_SIDE} (the scan's widest "
               f"window is {2 * MIN_SIDE} pixels)")
"""The lattice side L in sites."""
SAMPLES = Integer(2)
"""Snapshots per chain."""
REPLICAS = Integer(2)
"""Independent worm chains."""
PAIRS = Integer(128)
"""(V, E) pairs per rule (and blocks of the RBM): enough to hold a quarter out."""


@dataclass
class DimerJobResult:
    """What :func:`run_dimer` found, and where the time went (seconds per stage).

    Attributes
    ----------
    L : int
        Lattice side (sites); the images are 2L x 2L pixels.
    n_samples : int
        Images learned from.
    rules : dict of int to TrainResult
        The RSMI rule with n hidden units, for n in :data:`UNITS`.
    analyses : dict of int to FilterAnalysis
        What each rule's filters read.
    kl : BlockRBM
        The RBM trained by CD-1 on the same blocks (weights (KL_UNITS, 8, 8)).
    kl_analysis : FilterAnalysis
        Its units read as filters.
    scan : BufferScan
        I(H:E) of two-unit rules at :data:`BUFFERS`, with its fits.
    seconds : dict of str to float
    backend : Backend
    """

    L: int
    n_samples: int
    rules: dict[int, TrainResult]
    analyses: dict[int, FilterAnalysis]
    kl: BlockRBM
    kl_analysis: FilterAnalysis
    scan: BufferScan
    seconds: dict[str, float]
    backend: Backend


@checked(L=SIZE, samples=SAMPLES, replicas=REPLICAS, pairs=PAIRS, blocks=PAIRS, seed=SEED)
def run_dimer(*, L: int = 32, samples: int = 50, replicas: int = 64, pairs: int = 100_000,
              blocks: int = 100_000, seed: int = 0, device: str | Backend = "auto",
              stage: Stage | None = None) -> DimerJobResult:
    """Run the dimer job: ``samples`` snapshots of ``replicas`` worm chains on the L x L
    torus at T = ∞ (10 sweeps apart after 50), ``pairs`` (V, E) pairs per rule (training on
    the defaults of :func:`~gpurg.rsmi.training.train_rule`, one restart: the spectral one),
    the RBM on ``blocks`` blocks, the scan on ``pairs`` pairs per buffer."""
    backend = get_backend(device)
    seconds: dict[str, float] = {}
    timed = stage_timer(backend, seconds, stage)
    images = timed("sampling", lambda: dimer_images(
        L, replicas=replicas, thermalize=50, samples=samples, every=10, noise=NOISE,
        seed=seed, device=backend))

    def learn() -> dict[int, TrainResult]:
        V, E, symmetric = file_pairs(images, ATTRS, GEOMETRY, positions=pairs, seed=seed)
        return {n: train_rule(V, E, n, symmetric=symmetric, restarts=1, seed=seed)
                for n in UNITS}

    rules = timed("rsmi", learn)
    kl = timed("likelihood", lambda: train_block_rbm(
        images, GEOMETRY.block, KL_UNITS, stride=2, blocks=blocks, seed=seed,
        device=backend))
    scan = timed("scan", lambda: scan_buffers(
        images, ATTRS, block=GEOMETRY.block, env=GEOMETRY.env, buffers=BUFFERS,
        n_hidden=SCAN_UNITS, pairs=pairs, seed=seed, restarts=1))
    analyses = {n: analyze_rule(r.rule, GEOMETRY.block, "dimer") for n, r in rules.items()}
    return DimerJobResult(L, int(images.shape[0]), rules, analyses, kl, kl.analysis("dimer"),
                          scan, seconds, backend)


def write_dimer_job(path: str | Path, result: DimerJobResult, *,
                    figure_format: str = "png") -> tuple[Path, Path]:
    """``run.h5`` and its figure beside it (same stem). The file holds ``rsmi/h<n>/filter``
    float64 (n, 8, 8) and ``bias`` (n,) with attributes ``mi``, ``mi_err`` and the filter
    analysis (:meth:`FilterAnalysis.attributes`); ``kl/filter`` (4, 8, 8), the CD RBM's
    weights, with ``visible_bias``, ``hidden_bias``, its test log-likelihood and analysis;
    ``scan/buffer``, ``scan/mi``, ``scan/mi_err`` with attributes ``exponent``,
    ``exponent_err``, the exponential fit's ``decay_length``, ``decay_length_err`` and both
    χ²; root attributes of the run. Written atomically. Returns both paths."""
    from gpurg.figures import dimer_job_figure, figure_path  # matplotlib loads to draw

    check_output_path(path)
    figure = figure_path(path, figure_format)
    b = GEOMETRY.block
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update({"job": "dimer", "L": result.L, "T": math.inf, "noise": NOISE,
                        "samples": result.n_samples, "block": b, "buffer": GEOMETRY.buffer,
                        "env": GEOMETRY.env, "backend": result.backend.name,
                        "device": result.backend.device_name,
                        **{f"seconds_{k}": v for k, v in result.seconds.items()}})
        for n, r in result.rules.items():
            group = f.create_group(f"rsmi/h{n}")
            group["filter"] = r.rule.filters.reshape(n, b, b)
            group["bias"] = r.rule.bias
            group.attrs.update({"mi": r.mi, "mi_err": r.mi_err,
                                **result.analyses[n].attributes()})
        kl = f.create_group("kl")
        kl["filter"] = result.kl.weights
        kl["visible_bias"] = result.kl.visible_bias
        kl["hidden_bias"] = result.kl.hidden_bias
        kl.attrs.update({"log_likelihood": result.kl.log_likelihood,
                         "independent_log_likelihood": result.kl.independent_log_likelihood,
                         **result.kl_analysis.attributes()})
        s = result.scan
        scan = f.create_group("scan")
        scan["buffer"], scan["mi"], scan["mi_err"] = s.buffer, s.mi, s.mi_err
        scan.attrs.update({"exponent": s.exponent, "exponent_err": s.exponent_err,
                           "exponent_chi2": s.power.chi2, "exponent_dof": s.power.dof,
                           "decay_length": s.decay_length,
                           "decay_length_err": s.decay_length_err,
                           "decay_length_chi2": s.exponential.chi2,
                           "decay_length_dof": s.exponential.dof, "n_hidden": s.n_hidden})
    n_hidden = sorted(result.rules)
    dimer_job_figure(
        {**{f"RSMI h{n}": result.rules[n].rule.filters.reshape(n, b, b)
            for n in n_hidden if n > 1},
         "CD-1 RBM": result.kl.weights},
        (n_hidden, [result.rules[n].mi for n in n_hidden],
         [result.rules[n].mi_err for n in n_hidden]), result.scan, figure,
        format=figure_format,
        title=f"Noisy dimers at T = ∞, L = {result.L}, {result.n_samples} images: RSMI "
              f"(block {b}, buffer {GEOMETRY.buffer}, env {GEOMETRY.env} pixels) against "
              f"likelihood training")
    return Path(path), figure
