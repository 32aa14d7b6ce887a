"""Shared fixtures: backends and GPU detection."""

from __future__ import annotations

import pytest

from gpurg.backend import get_backend
from gpurg.backend.device import probe_gpu


def gpu_available() -> bool:
    return probe_gpu()[0] is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if gpu_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU usable through CuPy")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cpu_kernels():
    """The host-compiled kernels (the emulation layer); fails, not skips, without a compiler."""
    backend = get_backend("cpu")
    assert backend.name == "cpu", f"no host C++ compiler: {backend.reason}"
    return backend


@pytest.fixture(scope="session")
def numpy_backend():
    return get_backend("numpy")
