"""The options that ``gpurg rsmi train`` and ``gpurg rsmi scan`` share: one declaration each
(the same flag, default, rule and help in both commands)."""

from __future__ import annotations

from gpurg.cli.common import checked_option
from gpurg.rsmi.estimators import BATCH_SIZE, EPOCHS, HYPER_PARAMETERS
from gpurg.rsmi.geometry import BLOCK, ENV
from gpurg.rsmi.rule import MAX_HIDDEN
from gpurg.rsmi.training import ESTIMATORS
from gpurg.validation import Choice

BlockOption = checked_option(2, "--block", constraint=BLOCK,
                             help="Block side L_V (sites, or pixels for dimer images).")
EnvOption = checked_option(2, "--env", constraint=ENV, help="Environment shell width L_E.")
HiddenOption = checked_option(1, "--hidden", constraint=HYPER_PARAMETERS["n_hidden"],
                              help=f"Hidden units n_h (1..{MAX_HIDDEN}).")
EstimatorOption = checked_option("variational", "--estimator", constraint=Choice(ESTIMATORS),
                                 help=f"MI estimator: {', '.join(ESTIMATORS)}.")
EpochsOption = checked_option(EPOCHS, "--epochs", constraint=HYPER_PARAMETERS["epochs"],
                              help="Passes over the training pairs per restart.")
BatchSizeOption = checked_option(BATCH_SIZE, "--batch-size",
                                 constraint=HYPER_PARAMETERS["batch_size"],
                                 help="Mini-batch size.")
