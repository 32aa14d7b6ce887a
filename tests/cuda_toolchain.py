"""Compile kernel sources with NVRTC (as CuPy does at run time) and with nvcc, without a GPU.

NVRTC comes from the ``nvidia-cuda-nvrtc-cu12`` wheel (the ``test`` extra) and is called
through ctypes, so CI needs neither CuPy nor a driver to check that the kernels compile.
"""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import subprocess
from pathlib import Path


def nvrtc_library() -> ctypes.CDLL | None:
    """The NVRTC shared library from the pip wheel, or None when it is not installed."""
    try:
        import nvidia.cuda_nvrtc as pkg
    except ImportError:
        return None
    for root in pkg.__path__:
        for lib in sorted(glob.glob(os.path.join(root, "lib", "libnvrtc.so*"))):
            if "builtins" not in lib and ".alt." not in lib:
                return ctypes.CDLL(lib)
    return None


def nvrtc_compile(lib: ctypes.CDLL, source: str, name: str, options: list[str]) -> tuple[bool, str]:
    """Compile ``source`` to PTX; returns (success, compiler log)."""
    prog = ctypes.c_void_p()
    if lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None):
        return False, "nvrtcCreateProgram failed"
    opts = (ctypes.c_char_p * len(options))(*(o.encode() for o in options))
    status = lib.nvrtcCompileProgram(prog, len(options), opts)
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return status == 0, log.value.decode(errors="replace")


def nvcc() -> str | None:
    return shutil.which("nvcc") or next(
        (p for p in ("/usr/local/cuda/bin/nvcc",) if Path(p).exists()), None)


def nvcc_compile(path: Path, out: Path, include: Path) -> subprocess.CompletedProcess:
    """Compile one .cu file to a cubin for Hopper (sm_90) with warnings as errors."""
    cmd = [nvcc(), "-cubin", "-arch=sm_90", "-std=c++17", "-O3", "-Werror", "all-warnings",
           f"-I{include}", str(path), "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)
