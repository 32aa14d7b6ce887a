"""Where the CUDA kernel sources live, installed or in a source checkout."""

from __future__ import annotations

import functools
import re
from pathlib import Path

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"\s*$', re.MULTILINE)


@functools.lru_cache(maxsize=1)
def kernel_dir() -> Path:
    """Folder holding the ``.cu`` sources.

    Installed wheels carry them as ``gpurg/kernels``; an editable or source-tree checkout has
    them in ``kernels/`` beside ``gpurg/``.
    """
    package = Path(__file__).resolve().parents[1]
    for path in (package / "kernels", package.parent / "kernels"):
        if (path / "gpurg_common.cuh").is_file():
            return path
    raise FileNotFoundError(f"gpurg kernel sources not found in {package} or beside it")


def kernel_files() -> list[Path]:
    """Every kernel source and header, sorted (hashing them keys the compile caches)."""
    root = kernel_dir()
    return sorted(p for p in root.rglob("*") if p.suffix in (".cu", ".cuh", ".h"))


def expand_includes(source: str) -> str:
    """Text of a kernel source with its local ``#include "..."`` files pasted in.

    CuPy keys its compile cache by the source text alone, so included headers must be part of
    that text for an edited header to trigger a rebuild.
    """
    root = kernel_dir()
    seen: set[str] = set()

    def expand(name: str) -> str:
        if name in seen:
            return ""
        seen.add(name)
        text = (root / name).read_text()
        return _INCLUDE.sub(lambda m: expand(m.group(1)), text)

    return expand(source)
