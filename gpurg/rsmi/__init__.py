"""RSMI: learn the coarse-graining rule P_Λ(H|V) that maximises I(H:E) (science.md §1–3).

The pieces, in the order data flows: :class:`Geometry` and :func:`extract_pairs` ((V, E)
pairs), :class:`MIEstimator` and the registry :func:`estimators`, :func:`train_rule` (the
driver: split, restarts, schedule, early stopping), :class:`CoarseGrainingRule`,
:func:`coarse_grain`, :class:`RsmiCoarseGrainer` (all of it, scikit-learn style), and filter
files (:func:`write_filter`, :func:`read_filter`, :func:`load_configurations`).
"""

from gpurg.rsmi.coarse import coarse_grain
from gpurg.rsmi.estimators import MIEstimator, estimators
from gpurg.rsmi.files import load_configurations, read_filter, write_filter
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.grainer import RsmiCoarseGrainer
from gpurg.rsmi.rule import CoarseGrainingRule
from gpurg.rsmi.training import TrainResult, train_rule

__all__ = ["CoarseGrainingRule", "Geometry", "MIEstimator", "RsmiCoarseGrainer",
           "TrainResult", "coarse_grain", "estimators", "extract_pairs", "load_configurations",
           "read_filter", "train_rule", "write_filter"]
