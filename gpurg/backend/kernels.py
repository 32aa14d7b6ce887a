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
LONG_THREAD_BLOCK = 64
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
    long_threads : bool
        Each thread runs a long task (a whole Markov chain of worms, say). Such kernels
        launch small blocks, so that a few hundred threads still fill every GPU
        multiprocessor, and on the host every thread gets its own block, spread over the
        cores whenever there are two.
    host_defines : tuple of str
        Macros set for the host build. ``GPURG_EMULATE_DEVICE`` makes a source take its
        GPU-only code paths on the host, so that tests can run them.
    """

    def __init__(self, source: str, signatures: Mapping[str, tuple[str, ...]], *,
                 long_threads: bool = False, host_defines: tuple[str, ...] = ()) -> None:
        self.source = source
        self.signatures = dict(signatures)
        self.long_threads = long_threads
        self.host_defines = tuple(host_defines)
        self._host_functions: dict[str, Any] = {}

    def launch(self, backend: Backend, name: str, n_threads: int, *args: Any) -> None:
        """Run kernel ``name`` with at least ``n_threads`` threads."""
        params = self.signatures[name]
        if len(args) != len(params):
            raise TypeError(f"{name} takes {len(params)} arguments, got {len(args)}")
        if backend.name == "gpu":
            block = LONG_THREAD_BLOCK if self.long_threads else BLOCK
            grid = max(1, -(-int(n_threads) // block))
            fn = _cupy_module(self.source).get_function(name)
            fn((grid,), (block,), tuple(_gpu_arg(p, a) for p, a in zip(params, args, strict=True)))
        elif backend.name == "cpu":
            block = 1 if self.long_threads else BLOCK
            self._launch_host(name, params, max(1, -(-int(n_threads) // block)), block, args)
        else:
            raise ValueError(f"backend {backend.name!r} does not run kernels")

    def _launch_host(self, name: str, params: tuple[str, ...], grid: int, block: int,
                     args: tuple) -> None:
        fn = self._host_functions.get(name)
        if fn is None:  # small lattices launch often: look the entry point up once
            lib = hostcc.load_library(self.source, tuple(sorted(
                (k, tuple(v)) for k, v in self.signatures.items())),
                2 if self.long_threads else 4096, self.host_defines)
            fn = self._host_functions[name] = getattr(lib, f"gpurg_host_{name}")
        holders = [_host_arg(p, a) for p, a in zip(params, args, strict=True)]
        argv = (ctypes.c_void_p * len(holders))(*map(ctypes.addressof, holders))
        fn(_DIMS(grid, 1, 1), _DIMS(block, 1, 1), argv)


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
