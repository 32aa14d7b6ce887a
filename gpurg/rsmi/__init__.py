"""RSMI: learn the coarse-graining rule P_Λ(H|V) that maximises I(H:E) (science.md §1–3).

The pieces, in the order data flows: :class:`Geometry` and :func:`extract_pairs` ((V, E)
pairs), :class:`MIEstimator` and the registry :func:`estimators`, :func:`train_rule` (the
driver: split, restarts, schedule, early stopping; restart 0 starts from
:func:`canonical_directions`), :class:`CoarseGrainingRule`, :func:`coarse_grain`,
:class:`RsmiCoarseGrainer` (all of it, scikit-learn style), and filter files
(:func:`write_filter`, :func:`read_filter`, :func:`load_configurations`). What a rule is and
does: :func:`analyze_rule` (:class:`FilterAnalysis`: its units read as patterns of the
block), :func:`scan_buffers` (:class:`BufferScan`: MI against the buffer width),
:func:`coarse_correlation` (the coarse units' correlation function). The contrast:
:func:`train_block_rbm` (:class:`BlockRBM`), an RBM trained by likelihood on the same blocks.
"""

from gpurg.rsmi.analysis import FilterAnalysis, analyze_rule
from gpurg.rsmi.coarse import coarse_grain
from gpurg.rsmi.correlation import coarse_correlation
from gpurg.rsmi.estimators import MIEstimator, estimators
from gpurg.rsmi.files import load_configurations, read_filter, write_filter
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.grainer import RsmiCoarseGrainer
from gpurg.rsmi.likelihood import BlockRBM, train_block_rbm
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.scan import BufferScan, scan_buffers
from gpurg.rsmi.start import canonical_directions
from gpurg.rsmi.training import TrainResult, train_rule

__all__ = ["BlockRBM", "BufferScan", "CoarseGrainingRule", "FilterAnalysis", "Geometry",
           "MIEstimator", "RsmiCoarseGrainer", "TrainResult", "analyze_rule",
           "canonical_directions", "coarse_correlation", "coarse_grain", "estimators",
           "extract_pairs", "load_configurations", "read_filter", "scan_buffers",
           "train_block_rbm", "train_rule", "write_filter"]
