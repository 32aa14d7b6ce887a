"""Backend layer: device choice, the array module, kernel loading, counter-based RNG."""

from gpurg.backend.device import DEVICES, Backend, BackendError, array_module, get_backend
from gpurg.backend.kernels import KernelFamily

__all__ = ["DEVICES", "Backend", "BackendError", "KernelFamily", "array_module", "get_backend"]
