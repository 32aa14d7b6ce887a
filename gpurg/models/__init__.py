"""The models and their samplers; importing the package registers the built-in ones
(:mod:`gpurg.models.base` has the registry)."""

from gpurg.models import dimer, ising  # noqa: F401  (their samplers register themselves)
