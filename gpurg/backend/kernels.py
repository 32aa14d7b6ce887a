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
from collections.abc import Callable, Mapping, Sequence
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
# element type of a pointer parameter (``const`` and ``*`` stripped) -> the array dtype
_POINTER_DTYPES = {
    "signed char": np.dtype(np.int8),
    "unsigned char": np.dtype(np.uint8),
    "int": np.dtype(np.int32),
    "gpurg_u32": np.dtype(np.uint32),
    "gpurg_u64": np.dtype(np.uint64),
    "float": np.dtype(np.float32),
    "double": np.dtype(np.float64),
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
        Pointer types end in ``*`` and point to ``signed char``, ``unsigned char``, ``int``,
        ``gpurg_u32``, ``gpurg_u64``, ``float`` or ``double`` (``const`` allowed); scalars are
        ``int``, ``gpurg_u32``, ``gpurg_u64``, ``float`` or ``double``. They must match the
        kernel's declaration; every launch checks its arguments against them on both
        backends (an array's dtype and C-contiguity, a scalar's range).
    long_threads : bool
        Each thread runs a long task (a whole Markov chain of worms, say). Such kernels
        launch small blocks, so that a few hundred threads still fill every GPU
        multiprocessor, and on the host every thread gets its own block, spread over the
        cores whenever there are two.
    host_defines : tuple of str
        Macros set for the host build. ``GPURG_EMULATE_DEVICE`` makes a source take its
        GPU-only code paths on the host, so that tests can run them.
    instantiations : tuple of str
        Source lines appended after the file in both builds (NVRTC and host), e.g.
        ``"ISING_CHECKERBOARD(2, 2)"``: the one list of a source's macro or template
        instantiations lives beside the Python code that picks among them.
    host_parallel_threads : int
        Grids of at least this many threads are spread over the host's cores (smaller ones
        run on one core, where waking the thread team would cost more than their work).
        Families whose threads each do much work (a row, several bit-packed words) set it
        low. Ignored with ``long_threads``, whose grids always spread.
    blockwise : tuple of str
        Kernels whose threads wait for each other within a block (``__syncthreads``):
        launched by :meth:`launch_blocks`, with :data:`BLOCK` threads per block on a GPU and
        one thread per block on the host (which does the whole block's work in order, see
        kernels/host/cuda_host.h), the blocks spread over the cores.
    sizes : mapping of kernel name to a function of the launch arguments
        ``sizes[name](*args)`` gives, for each argument, the number of elements the kernel
        reads or writes through it (None for scalars): every launch checks that each array
        holds that many, on both backends, so that an L or R that does not match the arrays
        is caught before the kernel runs past them (on a GPU, silently).
    """

    def __init__(self, source: str, signatures: Mapping[str, tuple[str, ...]], *,
                 long_threads: bool = False, host_defines: tuple[str, ...] = (),
                 instantiations: tuple[str, ...] = (), blockwise: tuple[str, ...] = (),
                 host_parallel_threads: int = 4096,
                 sizes: Mapping[str, Callable[..., Sequence[int | None]]] | None = None
                 ) -> None:
        self.source = source
        self.signatures = {name: tuple(params) for name, params in signatures.items()}
        for name, params in self.signatures.items():
            for param in params:
                if param.endswith("*") and _element_type(param) not in _POINTER_DTYPES:
                    raise ValueError(f"kernel {name}: unknown pointer type {param!r}")
                if not param.endswith("*") and param not in _SCALAR_DTYPES:
                    raise ValueError(f"kernel {name}: unknown scalar type {param!r}")
        self.long_threads = long_threads
        self.host_defines = tuple(host_defines)
        self.instantiations = tuple(instantiations)
        self.blockwise = tuple(blockwise)
        self.host_parallel_threads = int(host_parallel_threads)
        self.sizes = dict(sizes or {})
        undeclared = sorted((set(self.sizes) | set(self.blockwise)) - set(self.signatures))
        if undeclared:
            raise ValueError(f"{source}: sizes or blockwise given for undeclared kernels "
                             f"{undeclared}")
        self._host_functions: dict[str, Any] = {}
        self._gpu_functions: dict[tuple[int, str], Any] = {}

    def code(self) -> str:
        """The source text NVRTC compiles: the file, its local includes pasted in, then the
        :attr:`instantiations`."""
        return with_instantiations(expand_includes(self.source), self.instantiations)

    def launch(self, backend: Backend, name: str, n_threads: int, *args: Any) -> None:
        """Run kernel ``name`` with at least ``n_threads`` threads.

        Raises TypeError or ValueError, naming the kernel and the argument, when an argument
        does not fit the declared C type (a bug in the caller, not bad user input).
        """
        if name in self.blockwise:
            raise ValueError(f"kernel {name} is blockwise: launch it with launch_blocks")
        params = self._checked(backend, name, args)
        if backend.name == "gpu":
            block = LONG_THREAD_BLOCK if self.long_threads else BLOCK
            self._launch_gpu(name, params, max(1, -(-int(n_threads) // block)), block, args)
        else:
            block = 1 if self.long_threads else BLOCK
            self._launch_host(name, params, max(1, -(-int(n_threads) // block)), block, args)

    def launch_blocks(self, backend: Backend, name: str, n_blocks: int, *args: Any) -> None:
        """Run blockwise kernel ``name`` on ``n_blocks`` blocks (see ``blockwise``)."""
        if name not in self.blockwise:
            raise ValueError(f"kernel {name} is not blockwise: launch it with launch")
        params = self._checked(backend, name, args)
        launch = self._launch_gpu if backend.name == "gpu" else self._launch_host
        launch(name, params, max(1, int(n_blocks)), BLOCK if backend.name == "gpu" else 1, args)

    def _checked(self, backend: Backend, name: str, args: tuple) -> tuple[str, ...]:
        """The kernel's parameter types, after checking ``args`` against them."""
        params = self.signatures.get(name)
        if params is None:
            raise ValueError(f"{self.source} declares no kernel {name!r}")
        if backend.name not in ("gpu", "cpu"):
            raise ValueError(f"backend {backend.name!r} does not run kernels")
        check_args(name, params, args, backend.xp.ndarray)
        if name in self.sizes:
            check_sizes(name, params, args, self.sizes[name](*args))
        return params

    def _launch_gpu(self, name: str, params: tuple[str, ...], grid: int, block: int,
                    args: tuple) -> None:
        fn = self._gpu_function(name)
        fn((grid,), (block,), tuple(_gpu_arg(p, a) for p, a in zip(params, args, strict=True)))

    def _gpu_function(self, name: str) -> Any:
        # CuPy returns a new kernel object from every get_function call: keep one per device
        key = (_current_device(), name)
        fn = self._gpu_functions.get(key)
        if fn is None:
            module = _cupy_module(self.source, self.instantiations)
            fn = self._gpu_functions[key] = module.get_function(name)
        return fn

    def _launch_host(self, name: str, params: tuple[str, ...], grid: int, block: int,
                     args: tuple) -> None:
        fn = self._host_functions.get(name)
        if fn is None:  # small lattices launch often: look the entry point up once
            lib = hostcc.load_library(self.source, tuple(sorted(
                (k, tuple(v)) for k, v in self.signatures.items())),
                2 if self.long_threads else self.host_parallel_threads, self.host_defines,
                self.instantiations,
                hostcc.host_cflags(), self.blockwise)
            fn = self._host_functions[name] = getattr(lib, f"gpurg_host_{name}")
        holders = [_host_arg(p, a) for p, a in zip(params, args, strict=True)]
        argv = (ctypes.c_void_p * len(holders))(*map(ctypes.addressof, holders))
        fn(_DIMS(grid, 1, 1), _DIMS(block, 1, 1), argv)


def with_instantiations(text: str, instantiations: tuple[str, ...]) -> str:
    """``text`` followed by the instantiation lines (unchanged when there are none)."""
    if not instantiations:
        return text
    return "\n".join([text.rstrip("\n"), "", *instantiations, ""])


_INT_RANGES = {"int": (-(2**31), 2**31), "gpurg_u32": (0, 2**32), "gpurg_u64": (0, 2**64)}


def _element_type(param: str) -> str:
    words = param[:-1].split()
    return " ".join(w for w in words if w != "const")


def check_args(kernel: str, params: tuple[str, ...], args: tuple, array_type: type) -> None:
    """Check launch arguments against the kernel's C parameter types.

    Arrays must be ``array_type`` (``numpy.ndarray`` or ``cupy.ndarray``), C-contiguous, of
    the pointer's element type; integer scalars must fit their C type.
    """
    if len(args) != len(params):
        raise TypeError(f"kernel {kernel} takes {len(params)} arguments, got {len(args)}")
    for i, (param, value) in enumerate(zip(params, args, strict=True)):
        where = f"kernel {kernel}, argument {i} ({param})"
        if param.endswith("*"):
            dtype = _POINTER_DTYPES[_element_type(param)]
            if not isinstance(value, array_type):
                raise TypeError(f"{where}: expected a {array_type.__module__}.ndarray of "
                                f"{dtype}, got {type(value).__name__}")
            if value.dtype != dtype:
                raise TypeError(f"{where}: expected dtype {dtype}, got {value.dtype}")
            if not value.flags.c_contiguous:
                raise ValueError(f"{where}: expected a C-contiguous array, got shape "
                                 f"{value.shape} with strides {value.strides}")
        elif param in _INT_RANGES:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{where}: expected an integer, got {type(value).__name__}")
            lo, hi = _INT_RANGES[param]
            if not lo <= int(value) < hi:
                raise ValueError(f"{where}: expected an integer in [{lo}, {hi}), got {value}")
        elif isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: expected a real number, got {type(value).__name__}")


def check_sizes(kernel: str, params: tuple[str, ...], args: tuple,
                sizes: Sequence[int | None]) -> None:
    """ValueError naming the kernel and argument when an array holds fewer elements than the
    kernel will touch (``sizes``, one entry per argument, None where not an array)."""
    for i, (param, value, need) in enumerate(zip(params, args, sizes, strict=True)):
        if need is not None and value.size < need:
            raise ValueError(f"kernel {kernel}, argument {i} ({param}): the launch touches "
                             f"{need} elements, the array holds {value.size} (shape "
                             f"{value.shape})")


def _gpu_arg(param: str, value: Any) -> Any:
    return value if param.endswith("*") else _SCALAR_DTYPES[param](value)


def _host_arg(param: str, value: Any) -> ctypes._SimpleCData:
    if param.endswith("*"):
        return ctypes.c_void_p(value.ctypes.data)  # checked by check_args
    return hostcc.SCALAR_CTYPES[param](value)


def _current_device() -> int:
    import cupy

    return int(cupy.cuda.runtime.getDevice())


@functools.cache
def _cupy_module(source: str, instantiations: tuple[str, ...] = ()) -> Any:
    import cupy

    code = with_instantiations(expand_includes(source), instantiations)
    return cupy.RawModule(code=code, options=("-std=c++17",))
