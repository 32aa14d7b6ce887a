"""Restricted Boltzmann machines: ±1 or 0/1 units, free energy, exact likelihood of small
models, batched conditional sampling on every backend, and CD-k / PCD training.

::

    from gpurg.rbm import RBM
    rbm = RBM.fit(data, n_hidden=2, epochs=20, k=1, persistent=True, seed=1)
    print(rbm.log_likelihood_exact(data).mean())
"""

from gpurg.rbm.conditionals import (
    UNITS,
    hidden_probabilities,
    sample_hidden,
    sample_visible,
    visible_probabilities,
)
from gpurg.rbm.model import MAX_EXACT_VISIBLE, RBM, unit_states
from gpurg.rbm.training import fit_rbm

__all__ = ["MAX_EXACT_VISIBLE", "RBM", "UNITS", "fit_rbm", "hidden_probabilities",
           "sample_hidden", "sample_visible", "unit_states", "visible_probabilities"]
