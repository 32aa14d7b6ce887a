"""Facts about the host machine."""

from __future__ import annotations

import functools
import os
import platform
from typing import Any


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """Model name of the host processor, from /proc/cpuinfo where available."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} threads)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} threads)"


@functools.lru_cache(maxsize=1)
def cpu_features() -> str:
    """The processor's feature flags (what ``-march=native`` code may use), or '' if unknown."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def available_memory(xp: Any = None) -> int | None:
    """Bytes that can still be allocated where the arrays of module ``xp`` live: the free
    device memory for CuPy, else the host's MemAvailable (/proc/meminfo); None where
    unknown."""
    if xp is not None and xp.__name__ == "cupy":
        return int(xp.cuda.runtime.memGetInfo()[0])
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the file counts kB
    except OSError:
        pass
    return None
