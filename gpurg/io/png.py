"""A minimal PNG writer (zlib from the standard library) for filter and flow pictures, so that
gpurg needs no plotting package to leave a picture next to its HDF5 files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from gpurg.io.hdf5 import atomic_output


def write_png(path: str | Path, rgb: np.ndarray) -> Path:
    """Write an 8-bit RGB image, uint8 (height, width, 3), atomically."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"image must be (height, width, 3), got {rgb.shape}")
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))  # filter type 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with atomic_output(path, (".png",)) as tmp:
        tmp.write_bytes(png)
    return Path(path)


def heat_map(panels: np.ndarray, scale: int = 24, gap: int = 4) -> np.ndarray:
    """Side-by-side panels (n, h, w) of signed values as an RGB image: blue < 0 < red, white 0,
    one colour scale for all panels (the largest |value| is full colour)."""
    panels = np.asarray(panels, dtype=np.float64)
    n, h, w = panels.shape
    top = float(np.abs(panels).max()) or 1.0
    t = np.clip(panels / top, -1.0, 1.0)[..., None]
    red, blue, white = np.array([178, 24, 43.0]), np.array([33, 102, 172.0]), np.full(3, 255.0)
    colours = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    big = np.repeat(np.repeat(colours, scale, axis=1), scale, axis=2)  # (n, h*s, w*s, 3)
    image = np.full((h * scale + 2 * gap, n * (w * scale + gap) + gap, 3), 255, np.uint8)
    for k in range(n):
        x0 = gap + k * (w * scale + gap)
        image[gap:gap + h * scale, x0:x0 + w * scale] = big[k].astype(np.uint8)
    return image
