"""Choice of compute backend: a CUDA GPU through CuPy, compiled CPU kernels, or plain NumPy.

Three backends run the same algorithms with the same random numbers:

``gpu``
    CuPy arrays; the CUDA sources in ``kernels/`` compiled by NVRTC.
``cpu``
    NumPy arrays; the same CUDA sources compiled for the host by a C++ compiler
    (see :mod:`gpurg.backend.hostcc`), run in parallel with OpenMP.
``numpy``
    NumPy arrays and vectorised NumPy code only: the reference implementation, and the
    fallback when no C++ compiler is available.

``auto`` picks ``gpu`` when CuPy imports and a CUDA device answers, else ``cpu`` when a host
compiler is available, else ``numpy``.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from gpurg.backend.system import cpu_name
from gpurg.errors import InputError

DEVICES = ("auto", "cpu", "gpu", "numpy")


class BackendError(InputError):
    """The requested backend cannot be used on this machine (message is one line)."""


@dataclass(frozen=True)
class Backend:
    """A resolved backend.

    Attributes
    ----------
    name : {"gpu", "cpu", "numpy"}
    xp : module
        The array module, ``cupy`` or ``numpy``.
    device_name : str
        Human-readable name of the processor that runs the work.
    reason : str
        Why this backend was chosen (shown by ``gpurg info``).
    """

    name: str
    xp: ModuleType
    device_name: str
    reason: str

    @property
    def uses_kernels(self) -> bool:
        """True when the CUDA kernel sources run (on the GPU, or compiled for the host)."""
        return self.name in ("gpu", "cpu")

    def asnumpy(self, a: Any) -> np.ndarray:
        """Copy an array of this backend to host memory (no copy for NumPy arrays)."""
        return a.get() if self.name == "gpu" else np.asarray(a)

    def synchronize(self) -> None:
        """Wait for queued device work (for timing); a no-op on the CPU."""
        if self.name == "gpu":
            self.xp.cuda.get_current_stream().synchronize()


def array_module(a: Any) -> ModuleType:
    """The array module of ``a``: ``cupy`` for a CuPy array, else ``numpy``.

    CuPy is imported only when ``a`` already is a CuPy object, so this never starts CUDA on a
    machine (or in a call) that does not use it.
    """
    if type(a).__module__.startswith("cupy"):
        return importlib.import_module("cupy")
    return np


@functools.lru_cache(maxsize=1)
def probe_gpu() -> tuple[ModuleType | None, str]:
    """Import CuPy and ask for a CUDA device.

    Returns
    -------
    (cupy module or None, explanation)
    """
    try:
        cupy = importlib.import_module("cupy")
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        return None, f"CuPy is not importable ({type(exc).__name__}: {exc})".splitlines()[0]
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"CuPy found no usable CUDA device ({exc})".splitlines()[0]
    if count < 1:
        return None, "CuPy found no CUDA device"
    return cupy, f"CuPy sees {count} CUDA device(s)"


def gpu_name(cupy: ModuleType) -> str:
    """Name of the current CUDA device."""
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_backend(device: str | Backend = "auto") -> Backend:
    """Resolve a device request to a :class:`Backend`.

    Parameters
    ----------
    device : {"auto", "cpu", "gpu", "numpy"} or Backend

    Raises
    ------
    BackendError
        ``gpu`` without a usable GPU, or an unknown device name.
    """
    if isinstance(device, Backend):
        return device
    if device not in DEVICES:
        raise BackendError(f"unknown device {device!r}; allowed: {', '.join(DEVICES)}")
    from gpurg.backend import hostcc

    if device in ("auto", "gpu"):
        cupy, why = probe_gpu()
        if cupy is not None:
            return Backend("gpu", cupy, gpu_name(cupy), why)
        if device == "gpu":
            raise BackendError(f"--device gpu requested but no GPU is usable: {why}")
    if device == "numpy":
        return Backend("numpy", np, cpu_name(), "NumPy reference path requested")
    prefix = f"{why}; " if device == "auto" else ""
    compiler, why_cc = hostcc.find_compiler()
    if compiler is not None:
        return Backend("cpu", np, cpu_name(), f"{prefix}CPU kernels compiled by {why_cc}")
    return Backend("numpy", np, cpu_name(), f"{prefix}{why_cc}: NumPy path")
