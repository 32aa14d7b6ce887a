"""The models and their samplers; importing the package registers the built-in ones
(:mod:`gpurg.models.base` has the registry)."""

from gpurg.models.base import (
    MODELS,
    SAMPLERS,
    Model,
    Output,
    Sampler,
    model_from_attrs,
    register,
    sampler_class,
)
from gpurg.models.dimer import DimerImages, DimerModel, DimerSampler
from gpurg.models.ising import UPDATES, IsingModel, IsingSampler, IsingUpdate

__all__ = ["MODELS", "SAMPLERS", "UPDATES", "DimerImages", "DimerModel", "DimerSampler",
           "IsingModel", "IsingSampler", "IsingUpdate", "Model", "Output", "Sampler",
           "model_from_attrs", "register", "sampler_class"]
