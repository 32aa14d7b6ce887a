"""Launch the CUDA kernels of ``kernels/`` on the ``gpu`` backend (CuPy RawModule, NVRTC) or
on the ``cpu`` backend (the same source compiled for the host, see :mod:`hostcc`).

A :class:`KernelFamily` names one ``.cu`` file and the C parameter types of its ``extern "C"``
kernels; callers launch a kernel by name with arrays and Python scalars, and the family turns
them into what each backend needs. All launches are 1-D: the kernels compute their own
coordinates from the flat thread index.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from gpurg.backend import hostcc
from gpurg.backend.device import Backend
from gpurg.backend.sources import expand_includes

_SCALAR_DTYPES = {
    "int": np.int32,
    "gpurg_u32": np.uint32,
    "gpurg_u64": np.uint64,
    "float": np.float32,
    "double": np.float64,
}
BLOCK = 256
_DIMS = ctypes.c_uint * 3


class KernelFamily:
    """The kernels of one source file.

    Parameters
    ----------
    source : str
        File name inside ``kernels/``.
    signatures : mapping of kernel name to its parameter C types
        Pointer types end in ``*``; scalars are ``int``, ``gpurg_u32``, ``gpurg_u64``,
        ``float`` or ``double``. They must match the kernel's declaration.
    """

    def __init__(self, source: str, signatures: Mapping[str, tuple[str, ...]]) -> None:
        self.source = source
        self.signatures = dict(signatures)
        self._host_functions: dict[str, Any] = {}

    def launch(self, backend: Backend, name: str, n_threads: int, *args: Any) -> None:
        """Run kernel ``name`` with at least ``n_threads`` threads (blocks of 256)."""
        params = self.signatures[name]
        if len(args) != len(params):
            raise TypeError(f"{name} takes {len(params)} arguments, got {len(args)}")
        grid = max(1, -(-int(n_threads) // BLOCK))
        if backend.name == "gpu":
            fn = _cupy_module(self.source).get_function(name)
            fn((grid,), (BLOCK,), tuple(_gpu_arg(p, a) for p, a in zip(params, args, strict=True)))
        elif backend.name == "cpu":
            self._launch_host(name, params, grid, args)
        else:
            raise ValueError(f"backend {backend.name!r} does not run kernels")

    def _launch_host(self, name: str, params: tuple[str, ...], grid: int, args: tuple) -> None:
        fn = self._host_functions.get(name)
        if fn is None:  # small lattices launch often: look the entry point up once
            lib = hostcc.load_library(self.source, tuple(sorted(
                (k, tuple(v)) for k, v in self.signatures.items())))
            fn = self._host_functions[name] = getattr(lib, f"gpurg_host_{name}")
        holders = [_host_arg(p, a) for p, a in zip(params, args, strict=True)]
        argv = (ctypes.c_void_p * len(holders))(*map(ctypes.addressof, holders))
        fn(_DIMS(grid, 1, 1), _DIMS(BLOCK, 1, 1), argv)


def _gpu_arg(param: str, value: Any) -> Any:
    return value if param.endswith("*") else _SCALAR_DTYPES[param](value)


def _host_arg(param: str, value: Any) -> ctypes._SimpleCData:
    if param.endswith("*"):
        if not isinstance(value, np.ndarray) or not value.flags.c_contiguous:
            raise TypeError(f"parameter {param} needs a C-contiguous NumPy array")
        return ctypes.c_void_p(value.ctypes.data)
    return hostcc.SCALAR_CTYPES[param](value)


@functools.cache
def _cupy_module(source: str) -> Any:
    import cupy

    return cupy.RawModule(code=expand_includes(source), options=("-std=c++17",))
