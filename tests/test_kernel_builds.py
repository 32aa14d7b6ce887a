"""Every CUDA kernel compiles with NVRTC (what CuPy runs), with nvcc, and for the host."""

from __future__ import annotations

import os

import pytest

from gpurg.backend import hostcc
from gpurg.backend.sources import expand_includes, kernel_dir

from .cuda_toolchain import nvcc, nvcc_compile, nvrtc_compile, nvrtc_library

SOURCES = sorted(p.name for p in kernel_dir().glob("*.cu"))
IN_CI = bool(os.environ.get("CI"))


def _require(tool: object, what: str) -> None:
    if tool is None:
        if IN_CI:
            pytest.fail(f"{what} is required in CI")
        pytest.skip(f"{what} not available")


def test_kernel_sources_are_found() -> None:
    assert {"dimer.cu", "ising.cu", "ising_cluster.cu", "rng.cu"} <= set(SOURCES)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("arch", ["compute_80", "compute_90"])
def test_nvrtc_compiles(source: str, arch: str) -> None:
    lib = nvrtc_library()
    _require(lib, "NVRTC (pip install nvidia-cuda-nvrtc-cu12)")
    ok, log = nvrtc_compile(lib, expand_includes(source), source, [f"-arch={arch}", "-std=c++17"])
    assert ok, log


def test_nvrtc_reports_errors() -> None:
    lib = nvrtc_library()
    _require(lib, "NVRTC")
    ok, log = nvrtc_compile(lib, "extern \"C\" __global__ void k() { undefined(); }", "bad.cu",
                            ["-arch=compute_90"])
    assert not ok and "undefined" in log


@pytest.mark.parametrize("source", SOURCES)
def test_nvcc_compiles_without_warnings(source: str, tmp_path) -> None:
    _require(nvcc(), "nvcc")
    proc = nvcc_compile(kernel_dir() / source, tmp_path / "k.cubin", kernel_dir())
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "k.cubin").stat().st_size > 0


def test_host_compiler_is_available() -> None:
    compiler, why = hostcc.find_compiler()
    assert compiler is not None, why


def test_host_build_reports_compile_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GPURG_CACHE_DIR", str(tmp_path))
    with pytest.raises(hostcc.HostCompileError, match="no_such_kernel"):
        hostcc.load_library("rng.cu", (("no_such_kernel", ("int",)),))


def test_host_build_is_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GPURG_CACHE_DIR", str(tmp_path))
    signature = (("philox_blocks", ("const gpurg_u32*", "gpurg_u32*", "int", "gpurg_u32",
                                    "gpurg_u32")),)
    hostcc.load_library.cache_clear()
    hostcc.load_library("rng.cu", signature)
    built = list(tmp_path.rglob("*.so"))
    assert len(built) == 1
    mtime = built[0].stat().st_mtime_ns
    hostcc.load_library.cache_clear()
    hostcc.load_library("rng.cu", signature)
    assert built[0].stat().st_mtime_ns == mtime
