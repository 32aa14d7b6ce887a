"""What this machine offers gpurg: the facts behind ``gpurg info``."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np

import gpurg
from gpurg.backend import hostcc
from gpurg.backend.device import BackendError, get_backend, probe_gpu


def environment_report() -> list[tuple[str, str]]:
    """(label, value) rows: version, the backend ``auto`` picks and why, GPU and toolchains."""
    rows = [
        ("gpurg", gpurg.__version__),
        ("python", platform.python_version()),
        ("numpy", np.__version__),
    ]
    try:
        auto = get_backend("auto")
        rows.append(("auto picks", f"{auto.name} on {auto.device_name}"))
        rows.append(("because", auto.reason))
    except BackendError as exc:
        rows.append(("auto picks", f"nothing: {exc}"))
    rows += _gpu_rows()
    compiler, why = hostcc.find_compiler()
    rows.append(("host C++ compiler", why if compiler else f"none ({why})"))
    rows.append(("host kernel cache", str(hostcc.cache_dir())))
    return rows


def _gpu_rows() -> list[tuple[str, str]]:
    cupy, why = probe_gpu()
    if cupy is None:
        return [("GPU", f"none ({why})")]
    runtime = cupy.cuda.runtime
    props = runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    cache = os.environ.get("CUPY_CACHE_DIR") or str(Path.home() / ".cupy" / "kernel_cache")
    return [
        ("GPU", f"{name}, {props['totalGlobalMem'] / 2**30:.1f} GiB, "
                f"compute capability {props['major']}.{props['minor']}, "
                f"{props['multiProcessorCount']} SMs"),
        ("CuPy", cupy.__version__),
        ("CUDA runtime", _cuda_version(runtime.runtimeGetVersion())),
        ("CUDA driver", _cuda_version(runtime.driverGetVersion())),
        ("GPU kernel cache", cache),
    ]


def _cuda_version(v: int) -> str:
    return f"{v // 1000}.{(v % 1000) // 10}"
