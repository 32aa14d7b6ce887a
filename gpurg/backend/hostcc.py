"""Compile the CUDA kernel sources for the CPU and call them through ctypes.

``kernels/host/cuda_host.h`` turns the CUDA keywords into C++ and walks the launch grid; this
module writes, for each kernel, an ``extern "C"`` entry point that unpacks a CUDA-style
``void** args`` array, compiles it with the host C++ compiler (OpenMP when it has it) and
caches the shared library by a hash of everything that went into it.

The result runs the very source the GPU runs: it is the ``cpu`` backend, and in CI (which has
no GPU) it is how every kernel is executed and compared with the NumPy path.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gpurg.backend.sources import kernel_dir, kernel_files
from gpurg.backend.system import cpu_features, cpu_name

# C parameter types the kernels use, and their ctypes equivalents for by-value arguments.
SCALAR_CTYPES = {
    "int": ctypes.c_int32,
    "gpurg_u32": ctypes.c_uint32,
    "gpurg_u64": ctypes.c_uint64,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
}

_FLAGS = ("-std=c++17", "-O3", "-march=native", "-fPIC", "-shared", "-fno-strict-aliasing")


def host_cflags() -> tuple[str, ...]:
    """Extra compiler flags from ``$GPURG_HOST_CFLAGS`` (shell words), placed after the
    defaults so that they override them, e.g. ``-O0 -g -fsanitize=address,undefined`` for
    debugging a kernel on the host. They are part of the cache key."""
    return tuple(shlex.split(os.environ.get("GPURG_HOST_CFLAGS", "")))


class HostCompileError(RuntimeError):
    """The host C++ compiler rejected a kernel source."""


def cache_dir() -> Path:
    """Where compiled host kernels are cached: ``$GPURG_CACHE_DIR``, else ``~/.cache/gpurg``,
    else (no writable home) a folder in the system's temporary directory."""
    if os.environ.get("GPURG_CACHE_DIR"):
        return Path(os.environ["GPURG_CACHE_DIR"]) / "host-kernels"
    for root in (Path.home() / ".cache" / "gpurg", Path(tempfile.gettempdir()) / "gpurg-cache"):
        try:
            (root / "host-kernels").mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(root / "host-kernels", os.W_OK):
            return root / "host-kernels"
    raise HostCompileError("no writable folder for compiled kernels; set GPURG_CACHE_DIR")


@functools.lru_cache(maxsize=1)
def find_compiler() -> tuple[tuple[str, ...] | None, str]:
    """Find a working C++17 compiler and whether it supports OpenMP.

    The probe compiles two small programs; its verdict is cached on disk per compiler
    binary, so that a command-line run does not pay for it every time.

    Returns
    -------
    (command prefix or None, description)
        The command is the compiler plus ``-fopenmp`` when OpenMP works.
    """
    candidates = [os.environ["CXX"]] if os.environ.get("CXX") else ["g++", "c++", "clang++"]
    for cxx in candidates:
        path = shutil.which(cxx)
        if path is None:
            continue
        found = _probe_cached(os.path.realpath(path))
        if found is not None:
            return found
    return None, f"no working C++17 compiler among {', '.join(candidates)}"


def _probe_cached(path: str) -> tuple[tuple[str, ...], str] | None:
    stat = os.stat(path)
    key = hashlib.sha256(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:20]
    record = cache_dir() / f"compiler-{key}.json"
    try:
        data = json.loads(record.read_text())
        return tuple(data["command"]), data["description"]
    except (OSError, ValueError, KeyError):
        pass
    for extra in (("-fopenmp",), ()):
        if _compiles(path, extra):
            version = subprocess.run(
                [path, "--version"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[0]
            omp = "with OpenMP" if extra else "without OpenMP (one thread)"
            found = (path, *extra), f"{version} {omp}"
            _write_atomic(record, json.dumps({"command": found[0], "description": found[1]}))
            return found
    return None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _compiles(cxx: str, extra: tuple[str, ...]) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "probe.cpp")
        src.write_text("#include <cstdint>\nextern \"C\" int probe() { return 1; }\n")
        cmd = [cxx, *_FLAGS, *extra, str(src), "-o", str(Path(tmp, "probe.so"))]
        try:
            proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode == 0


def _entry_point(name: str, params: Sequence[str], parallel_threads: int) -> str:
    args = ", ".join(f"*({p}*)args[{i}]" for i, p in enumerate(params))
    return (
        f'extern "C" void gpurg_host_{name}(const unsigned int* grid, '
        f"const unsigned int* block, void** args) {{\n"
        f"    gpurg_host::launch(grid, block, [&] {{ {name}({args}); }}, {parallel_threads});\n"
        f"}}\n"
    )


def wrapper_source(source: str, kernels: Sequence[tuple[str, Sequence[str]]],
                   parallel_threads: int = 4096, defines: Sequence[str] = (),
                   instantiations: Sequence[str] = (), blockwise: Sequence[str] = ()) -> str:
    """C++ translation unit that includes ``source`` and exports one entry per kernel; grids
    of at least ``parallel_threads`` threads run on all cores (two blocks, for the
    ``blockwise`` kernels, which launch one-thread blocks that each do a block's work);
    ``defines`` are macros set before the source, ``instantiations`` lines placed after it."""
    parts = [*(f"#define {name} 1" for name in defines), '#include "host/cuda_host.h"',
             f'#include "{source}"', *instantiations, ""]
    parts += [_entry_point(name, params, 2 if name in blockwise else parallel_threads)
              for name, params in kernels]
    return "\n".join(parts)


@functools.cache
def load_library(source: str, kernels: tuple[tuple[str, tuple[str, ...]], ...],
                 parallel_threads: int = 4096, defines: tuple[str, ...] = (),
                 instantiations: tuple[str, ...] = (),
                 cflags: tuple[str, ...] | None = None,
                 blockwise: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compile (or fetch from the cache) the host build of one kernel source file.

    Parameters
    ----------
    source : str
        File name inside ``kernels/``, e.g. ``"ising.cu"``.
    kernels : tuple of (name, parameter C types)
        The ``extern "C"`` kernels to export.
    parallel_threads : int
        Smallest grid (in threads) that is spread over the cores with OpenMP.
    defines : tuple of str
        Macros defined before the source, e.g. ``GPURG_EMULATE_DEVICE``.
    instantiations : tuple of str
        Source lines placed after the source (see :class:`gpurg.backend.KernelFamily`).
    cflags : tuple of str or None
        Extra compiler flags after the defaults; None reads :func:`host_cflags`.
    blockwise : tuple of str
        Kernels launched one block per thread (see :func:`wrapper_source`).
    """
    compiler, why = find_compiler()
    if compiler is None:
        raise HostCompileError(why)
    wrapper = wrapper_source(source, kernels, parallel_threads, defines, instantiations,
                             blockwise)
    flags = _FLAGS + (host_cflags() if cflags is None else tuple(cflags))
    digest = hashlib.sha256()
    # -march=native code is only valid on this processor model (a shared home folder may
    # see several), so the processor is part of the key.
    for part in (wrapper, " ".join(compiler + flags), why, cpu_name(), cpu_features()):
        digest.update(part.encode())
    for path in kernel_files():
        digest.update(path.read_bytes())
    lib = cache_dir() / f"{Path(source).stem}-{digest.hexdigest()[:20]}.so"
    if not lib.exists():
        _build(compiler, flags, wrapper, lib)
    return ctypes.CDLL(str(lib))


def _build(compiler: tuple[str, ...], flags: tuple[str, ...], wrapper: str, lib: Path) -> None:
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
        src = Path(tmp, "wrapper.cpp")
        src.write_text(wrapper)
        out = Path(tmp, lib.name)
        cmd = [*compiler, *flags, f"-I{kernel_dir()}", str(src), "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise HostCompileError(f"host compilation failed:\n{proc.stderr}")
        os.replace(out, lib)  # atomic: concurrent processes may build the same library
