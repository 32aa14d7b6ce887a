"""Encodings and observables of close-packed dimer coverings of the L x L square torus.

Conventions (shared by the sampler, the RSMI code and the tests):

* A configuration is given by **site codes**: an int8 array of shape ``(..., L, L)`` indexed
  ``[..., y, x]`` (L even, L >= 4). The code is the direction of the site's partner:
  0 = +x, 1 = +y, 2 = -x, 3 = -y, periodic (``DX``, ``DY``; ``OPPOSITE`` maps a code to the
  partner's code).
* Sublattice A: x + y even; B: x + y odd. s(y, x) = +1 on A, -1 on B.
* **Bond occupancy** ``bonds(codes)``, uint8 ``(..., 2, L, L)``: ``[..., 0, y, x]`` is the bond
  (y, x)-(y, x+1) ("bx"), ``[..., 1, y, x]`` the bond (y, x)-(y+1, x) ("by").
* Electric field E = n - 1/4 on each bond, oriented from A to B; it is divergence-free, and
  the winding numbers are its flux through a cut of the torus.

Every function takes NumPy or CuPy arrays (any leading batch dimensions) and returns arrays
of the same module, computed without loops over sites or configurations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpurg.backend.device import array_module
from gpurg.backend.philox import STREAM_DIMER_NOISE, philox4x32, seed_to_key
from gpurg.errors import InputError
from gpurg.validation import first_index

DX = (1, 0, -1, 0)
DY = (0, 1, 0, -1)
OPPOSITE = (2, 3, 0, 1)
NOISES = ("none", "correlated", "independent")


# ---------------------------------------------------------------------------------------------
# validation helpers


def _site_name(index: tuple[int, ...], batch_shape: tuple[int, ...]) -> str:
    """'site (y=2, x=3) of configuration 5' (flattened batch index), or 'site (y=2, x=3)'."""
    *batch, y, x = index
    text = f"site (y={y}, x={x})"
    if batch_shape:
        text += f" of configuration {int(np.ravel_multi_index(batch, batch_shape))}"
    return text


def _check_side(shape: tuple[int, ...], what: str, scale: int = 1) -> int:
    """L from the last two dimensions ``(scale*L, scale*L)``; InputError unless L even >= 4."""
    if len(shape) < 2:
        raise InputError(f"{what} must have at least 2 dimensions (..., L, L), got shape {shape}")
    ny, nx = shape[-2:]
    if ny != nx:
        raise InputError(f"{what} must be square in the last two dimensions, got shape {shape}")
    if ny % scale:
        raise InputError(f"{what} side must be a multiple of {scale}, got shape {shape}")
    L = ny // scale
    if L < 4 or L % 2:
        raise InputError(f"the lattice side L must be even and >= 4, got L = {L}")
    return L


def _neighbour(xp: Any, a: Any, d: int) -> Any:
    """``a`` at the neighbour in direction code d: result[..., y, x] = a[..., y+DY, x+DX]."""
    if DX[d]:
        return xp.roll(a, -DX[d], axis=-1)
    return xp.roll(a, -DY[d], axis=-2)


def validate_codes(codes: Any) -> Any:
    """Check that ``codes`` is a close-packed covering and return it as int8.

    Parameters
    ----------
    codes : integer array, shape (..., L, L)
        Site codes (direction of each site's partner, 0..3), NumPy or CuPy.

    Returns
    -------
    int8 array, shape (..., L, L), same array module.

    Raises
    ------
    InputError
        Non-integer dtype, L odd or < 4, non-square, a value outside 0..3, or a site whose
        partner does not point back; the one-line message names the first offending site
        (configuration index counted in the flattened leading dimensions).
    """
    xp = array_module(codes)
    codes = xp.asarray(codes)
    if codes.dtype.kind not in "iu":
        raise InputError(f"dimer codes must have an integer dtype, got {codes.dtype}")
    _check_side(codes.shape, "dimer codes")
    batch = codes.shape[:-2]
    bad = (codes < 0) | (codes > 3)
    if bool(bad.any()):
        index = first_index(bad)
        raise InputError(f"{_site_name(index, batch)} has code {int(codes[index])}, "
                         "allowed 0..3 (0=+x, 1=+y, 2=-x, 3=-y)")
    codes = codes.astype(xp.int8, copy=False)
    bad = xp.zeros(codes.shape, dtype=bool)
    for d in range(4):
        bad |= (codes == d) & (_neighbour(xp, codes, d) != OPPOSITE[d])
    if bool(bad.any()):
        index = first_index(bad)
        raise InputError(f"{_site_name(index, batch)} points to a site that does not point back")
    return codes


# ---------------------------------------------------------------------------------------------
# bonds and basic observables


def bonds(codes: Any) -> Any:
    """Bond occupancies of coverings.

    Parameters
    ----------
    codes : int array, shape (..., L, L)
        Valid site codes (not re-validated here; see :func:`validate_codes`).

    Returns
    -------
    uint8 array, shape (..., 2, L, L)
        ``[..., 0, y, x]`` = 1 iff a dimer covers (y, x)-(y, x+1); ``[..., 1, y, x]`` = 1 iff
        a dimer covers (y, x)-(y+1, x) (periodic).
    """
    xp = array_module(codes)
    codes = xp.asarray(codes)
    # each bond is owned by its lower/left end, whose code is 0 or 1 exactly when it is covered
    return xp.stack([codes == 0, codes == 1], axis=-3).astype(xp.uint8)


def codes_from_bonds(bond_array: Any) -> Any:
    """Inverse of :func:`bonds`.

    Parameters
    ----------
    bond_array : array of 0/1, shape (..., 2, L, L)

    Returns
    -------
    int8 array, shape (..., L, L): site codes.

    Raises
    ------
    InputError
        Wrong shape, values other than 0/1, or a site not covered by exactly one dimer.
    """
    xp = array_module(bond_array)
    b = xp.asarray(bond_array)
    if b.ndim < 3 or b.shape[-3] != 2:
        raise InputError(f"bond occupancies must have shape (..., 2, L, L), got {b.shape}")
    _check_side(b.shape, "bond occupancies")
    if b.dtype.kind not in "biuf":
        raise InputError(f"bond occupancies must be numbers 0/1, got dtype {b.dtype}")
    bad_value = (b != 0) & (b != 1)
    if bool(bad_value.any()):
        raise InputError("bond occupancies must be 0 or 1")
    bx = b[..., 0, :, :].astype(xp.int8)
    by = b[..., 1, :, :].astype(xp.int8)
    from_left = xp.roll(bx, 1, axis=-1)   # bond (y, x-1)-(y, x)
    from_below = xp.roll(by, 1, axis=-2)  # bond (y-1, x)-(y, x)
    degree = bx + by + from_left + from_below
    bad = degree != 1
    if bool(bad.any()):
        index = first_index(bad)
        raise InputError(f"bonds are not a close-packed covering: "
                         f"{_site_name(index, b.shape[:-3])} is covered by "
                         f"{int(degree[index])} dimers")
    return (by * 1 + from_left * 2 + from_below * 3).astype(xp.int8)


def parallel_plaquettes(codes: Any) -> Any:
    """Number of plaquettes with two parallel dimers (the energy is V times this).

    Parameters
    ----------
    codes : int array, shape (..., L, L)

    Returns
    -------
    int64 array, shape (...)
        N_par = sum_{y,x} bx[y,x] bx[y+1,x] + by[y,x] by[y,x+1] (periodic).
    """
    xp = array_module(codes)
    b = bonds(codes).astype(xp.int64)
    bx, by = b[..., 0, :, :], b[..., 1, :, :]
    par = bx * xp.roll(bx, -1, axis=-2) + by * xp.roll(by, -1, axis=-1)
    return par.sum(axis=(-2, -1))


def winding_numbers(codes: Any) -> Any:
    """Winding numbers: the flux of E = n - 1/4 (A -> B) through a cut of the torus.

    Parameters
    ----------
    codes : int array, shape (..., L, L)

    Returns
    -------
    int64 array, shape (..., 2)
        ``[..., 0]`` = W_x = sum_y (-1)^y bx[y, 0] (flux in +x through the cut between columns
        0 and 1); ``[..., 1]`` = W_y = sum_x (-1)^x by[0, x]. E is divergence-free, so every
        such cut gives the same value; integers in [-L/2, L/2]. Plaquette flips preserve them.
    """
    xp = array_module(codes)
    b = bonds(codes).astype(xp.int64)
    L = b.shape[-1]
    sign = 1 - 2 * (xp.arange(L, dtype=xp.int64) % 2)
    # the -1/4 part of E cancels because the cut crosses L (even) bonds of alternating sign
    wx = (b[..., 0, :, 0] * sign).sum(axis=-1)
    wy = (b[..., 1, 0, :] * sign).sum(axis=-1)
    return xp.stack([wx, wy], axis=-1)


def columnar_state(L: int) -> np.ndarray:
    """Columnar covering: horizontal dimers on (y, 2k)-(y, 2k+1) in every row.

    Returns
    -------
    numpy int8 array, shape (L, L): site codes (0 on even x, 2 on odd x).
    """
    _check_side((L, L), "columnar state")
    x = np.arange(L)
    return np.broadcast_to(np.where(x % 2 == 0, 0, 2), (L, L)).astype(np.int8)


def staggered_state(L: int) -> np.ndarray:
    """Staggered covering: row y holds dimers on (y, 2k + y%2)-(y, 2k + 1 + y%2).

    No parallel plaquettes (N_par = 0) and maximal winding W = (L/2, 0).

    Returns
    -------
    numpy int8 array, shape (L, L): site codes (0 on sublattice A, 2 on B).
    """
    _check_side((L, L), "staggered state")
    y, x = np.indices((L, L))
    return np.where((x + y) % 2 == 0, 0, 2).astype(np.int8)


def _sublattice_sign(xp: Any, L: int, dtype: Any = None) -> Any:
    """s(y, x) = +1 on sublattice A (x + y even), -1 on B; shape (L, L)."""
    idx = xp.arange(L)
    parity = (idx[:, None] + idx[None, :]) % 2
    return (1 - 2 * parity).astype(dtype or xp.int64)


def electric_field(codes: Any) -> Any:
    """Electric field E = n - 1/4 on every bond, oriented from sublattice A to B.

    Parameters
    ----------
    codes : int array, shape (..., L, L)

    Returns
    -------
    float64 array, shape (..., 2, L, L)
        ``[..., 0, y, x]`` = s(y,x) (bx[y,x] - 1/4), the +x component of E on the bond leaving
        (y, x) in +x; ``[..., 1, y, x]`` = s(y,x) (by[y,x] - 1/4), the +y component on the bond
        leaving (y, x) in +y. Divergence-free at every site (each site has one dimer among its
        four bonds); its total flux through a cut is :func:`winding_numbers`.
    """
    xp = array_module(codes)
    b = bonds(codes).astype(xp.float64)
    s = _sublattice_sign(xp, b.shape[-1], xp.float64)
    return s * (b - 0.25)


def _height_steps(codes: Any) -> tuple[Any, Any]:
    """Height differences between neighbouring faces, int64 (..., L, L) each.

    step_x[y, x] = h(face (y, x+1)) - h(face (y, x)): the move crosses the bond
    (y, x+1)-(y+1, x+1) with its upper end, s = s(y, x), on the left.
    step_y[y, x] = h(face (y+1, x)) - h(face (y, x)): the move crosses the bond
    (y+1, x)-(y+1, x+1) with its left end, s = s(y+1, x) = -s(y, x), on the left.
    """
    xp = array_module(codes)
    b = bonds(codes).astype(xp.int64)
    bx, by = b[..., 0, :, :], b[..., 1, :, :]
    s = _sublattice_sign(xp, b.shape[-1])
    step_x = s * (4 * xp.roll(by, -1, axis=-1) - 1)
    step_y = -s * (4 * xp.roll(bx, -1, axis=-2) - 1)
    return step_x, step_y


def heights(codes: Any) -> Any:
    """Height field on the faces (plaquettes).

    Face (y, x) is the plaquette whose lower-left corner is site (y, x). Going around a site of
    sublattice A anticlockwise, h changes by +3 across a dimer and -1 across an empty bond
    (signs reversed around B): moving between neighbouring faces across a bond,
    dh = +(4n - 1) if the A end of the crossed bond is on the left (x right, y up), else
    -(4n - 1). h[..., 0, 0] = 0; h is integrated along row 0 in +x, then up every column.

    On the torus the field is multivalued: continuing the rule once around the torus adds
    -4 W_y in x and +4 W_x in y, i.e. h(y, x + L) = h(y, x) - 4 W_y and
    h(y + L, x) = h(y, x) + 4 W_x with (W_x, W_y) = :func:`winding_numbers`. So the array holds
    one branch: the step from column L-1 back to column 0 (and row L-1 to row 0) is the rule's
    step minus that jump. Locally the rule is consistent (the four steps around any site add
    to 4 * 1 - 4 = 0), and h mod 4 depends on the face only.

    Parameters
    ----------
    codes : int array, shape (..., L, L)

    Returns
    -------
    int64 array, shape (..., L, L), indexed [..., y, x] by face.
    """
    xp = array_module(codes)
    step_x, step_y = _height_steps(codes)
    row0 = xp.cumsum(step_x[..., 0, :-1], axis=-1)
    row0 = xp.concatenate([xp.zeros_like(row0[..., :1]), row0], axis=-1)
    up = xp.cumsum(step_y[..., :-1, :], axis=-2)
    up = xp.concatenate([xp.zeros_like(up[..., :1, :]), up], axis=-2)
    return row0[..., None, :] + up


def columnar_order(codes: Any) -> Any:
    """Columnar order parameter.

    Parameters
    ----------
    codes : int array, shape (..., L, L)

    Returns
    -------
    float64 array, shape (..., 2)
        C_x = (2/L^2) sum (-1)^x bx[y,x], C_y = (2/L^2) sum (-1)^y by[y,x]. |C| = 1 in the four
        columnar states, 0 in the staggered states.
    """
    xp = array_module(codes)
    b = bonds(codes).astype(xp.int64)
    L = b.shape[-1]
    sign = 1 - 2 * (xp.arange(L, dtype=xp.int64) % 2)
    cx = (b[..., 0, :, :] * sign).sum(axis=(-2, -1))
    cy = (b[..., 1, :, :] * sign[:, None]).sum(axis=(-2, -1))
    return xp.stack([cx, cy], axis=-1).astype(xp.float64) * (2.0 / L**2)


def _pair_counts(xp: Any, a: Any, axis: int) -> Any:
    """sum over both lattice axes of a[p] a[p + r e_axis], for r = 0..L-1: int64 (..., L).

    Circular autocorrelation by FFT along ``axis``; the sums are integers below L^2, far
    inside float64's exact range, so rounding recovers them exactly.
    """
    f = xp.fft.rfft(a, axis=axis)
    other = -1 if axis == -2 else -2
    # the inverse transform is linear: sum the power spectra of all lines first
    power = (f.real**2 + f.imag**2).sum(axis=other)
    counts = xp.fft.irfft(power, n=a.shape[axis], axis=-1)
    return xp.rint(counts).astype(xp.int64)


def dimer_correlations(codes: Any) -> Any:
    """Dimer-dimer correlations (not connected) at distances r = 0..L/2.

    Parameters
    ----------
    codes : int array, shape (..., L, L)

    Returns
    -------
    float64 array, shape (..., 2, L//2 + 1)
        ``[..., 0, r]`` (longitudinal) = (1/(2L^2)) sum_{y,x} bx[y,x] bx[y,x+r] + by[y,x] by[y+r,x];
        ``[..., 1, r]`` (transverse) = (1/(2L^2)) sum_{y,x} bx[y,x] bx[y+r,x] + by[y,x] by[y,x+r].
        Both are 1/4 at r = 0 (L^2/2 dimers), the longitudinal one is 0 at r = 1 and the
        transverse one is N_par / (2L^2) at r = 1. Subtract 1/16 for the connected part.
        Exact: computed from integer pair counts.
    """
    xp = array_module(codes)
    b = bonds(codes).astype(xp.float64)
    L = b.shape[-1]
    bx, by = b[..., 0, :, :], b[..., 1, :, :]
    longitudinal = _pair_counts(xp, bx, -1) + _pair_counts(xp, by, -2)
    transverse = _pair_counts(xp, bx, -2) + _pair_counts(xp, by, -1)
    counts = xp.stack([longitudinal, transverse], axis=-2)[..., : L // 2 + 1]
    return counts / (2.0 * L**2)


# ---------------------------------------------------------------------------------------------
# image encoding (RSMI, RSMI-NE)


def _noise_bits(shape: tuple[int, ...], L: int, key: Any, counter: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Vertex bits and independent face bits, uint8 ``shape + (L, L)`` each, on the host.

    Philox counter (y*L + x, configuration index in the flattened ``shape``, counter,
    STREAM_DIMER_NOISE); bit 0 of word 0 -> vertex, bit 0 of word 1 -> face.
    """
    if isinstance(key, (int, np.integer)):
        key = seed_to_key(int(key))
    key = tuple(int(k) for k in key)
    if len(key) != 2 or not all(0 <= k < 2**32 for k in key):
        raise InputError(f"noise key must be two integers in [0, 2^32), got {key}")
    counter = int(counter)
    if not 0 <= counter < 2**32:
        raise InputError(f"noise counter must be an integer in [0, 2^32), got {counter}")
    n_conf = int(np.prod(shape, dtype=np.int64))
    if n_conf >= 2**32:
        raise InputError(f"at most 2^32 - 1 configurations per call, got {n_conf}")
    site = np.arange(L * L, dtype=np.uint32).reshape(1, L, L)
    conf = np.arange(n_conf, dtype=np.uint32).reshape(-1, 1, 1)
    words = philox4x32((site, conf, counter, STREAM_DIMER_NOISE), key)
    bits = (words[..., :2] & 1).astype(np.uint8).reshape(shape + (L, L, 2))
    return bits[..., 0], bits[..., 1]


def to_image(codes: Any, noise: str = "none", key: Any = (0, 0), counter: int = 0) -> Any:
    """Encode coverings as 2L x 2L binary images (the RSMI / RSMI-NE input).

    Pixel (2y, 2x) is vertex (y, x); (2y, 2x+1) holds bx[y, x] (bond to the +x neighbour);
    (2y+1, 2x) holds by[y, x] (bond to the +y neighbour); (2y+1, 2x+1) is face (y, x).
    The layout is RSMI-NE's (see :func:`to_rsmi_ne`).

    Parameters
    ----------
    codes : int array, shape (..., L, L)
        Valid site codes (not re-validated; see :func:`validate_codes`).
    noise : {"none", "correlated", "independent"}
        ``none``: vertex and face pixels are 0. ``correlated``: vertex pixels are independent
        random bits and every face pixel (2y+1, 2x+1) copies the vertex pixel (2y, 2x), its
        (-x, -y) diagonal neighbour (the "noisy dimers" decoration: a strong but physically
        irrelevant pattern). ``independent``: vertex and face pixels are independent bits.
    key : (int, int) or int
        Philox key words, or a seed in [0, 2^64) split by :func:`seed_to_key`.
    counter : int
        Third Philox counter word; use a new value for every batch that needs fresh noise.
        Noise bits are Philox4x32-10 of (y*L + x, configuration index within the flattened
        leading dimensions, counter, STREAM_DIMER_NOISE): bit 0 of word 0 is the vertex pixel,
        bit 0 of word 1 the independent face pixel. They are computed on the host with
        NumPy and copied to the device for CuPy inputs (only the bits travel, not the
        configurations).

    Returns
    -------
    uint8 array of 0/1, shape (..., 2L, 2L), same array module as ``codes``.
    """
    if noise not in NOISES:
        raise InputError(f"unknown dimer noise {noise!r}; allowed: {', '.join(NOISES)}")
    xp = array_module(codes)
    b = bonds(codes)
    L = b.shape[-1]
    batch = b.shape[:-3]
    img = xp.zeros(batch + (L, 2, L, 2), dtype=xp.uint8)
    img[..., :, 0, :, 1] = b[..., 0, :, :]
    img[..., :, 1, :, 0] = b[..., 1, :, :]
    if noise != "none":
        vertex, face = _noise_bits(batch, L, key, counter)
        vertex = xp.asarray(vertex)
        img[..., :, 0, :, 0] = vertex
        img[..., :, 1, :, 1] = vertex if noise == "correlated" else xp.asarray(face)
    return img.reshape(batch + (2 * L, 2 * L))


def codes_from_image(images: Any) -> Any:
    """Site codes from 2L x 2L images (inverse of :func:`to_image`; vertex and face pixels are
    ignored).

    Parameters
    ----------
    images : array, shape (..., 2L, 2L), bond pixels 0/1 (any numeric dtype)

    Returns
    -------
    int8 array, shape (..., L, L).

    Raises
    ------
    InputError
        Shape not (..., 2L, 2L) with L even >= 4, or bond pixels that are not 0/1 or not a
        close-packed covering.
    """
    xp = array_module(images)
    images = xp.asarray(images)
    _check_side(images.shape, "dimer images", scale=2)
    bx = images[..., 0::2, 1::2]
    by = images[..., 1::2, 0::2]
    return codes_from_bonds(xp.stack([bx, by], axis=-3))


IMAGE_PIXEL_ROLES = ("vertex", "x-bond", "y-bond", "face")
"""The roles of the pixels of the image encoding, in the order of :func:`image_pixel_roles`'
codes. Vertex and face pixels carry no dimer (0, or noise bits)."""

IMAGE_TEMPLATES = ("E_x", "E_y", "C_x", "C_y", "P_+", "P_-")
"""The names of :func:`image_templates`' patterns, in its order."""


def _image_block(block: int) -> tuple[np.ndarray, np.ndarray]:
    """Site row i and column j of every pixel of a block starting on a vertex: int (b, b)
    each; InputError unless ``block`` is an even integer >= 2."""
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 2 \
            or block % 2:
        raise InputError(f"a block of dimer image pixels starts on a vertex and must have an "
                         f"even side >= 2 (whole sites), got {block!r}")
    y, x = np.indices((int(block), int(block)))
    return y // 2, x // 2


def image_pixel_roles(block: int) -> np.ndarray:
    """The role of each pixel of a ``block`` x ``block`` block of dimer images that starts on
    a vertex (RSMI's stride for dimers, :attr:`DimerModel.block_stride`).

    Returns
    -------
    int64 array, shape (block, block)
        Indices into :data:`IMAGE_PIXEL_ROLES` (layout of :func:`to_image`): pixel (y, x) is a
        vertex (0) if both are even, the bond to +x (1) if y is even and x odd, the bond to +y
        (2) if y is odd and x even, a face (3) if both are odd. An odd block ends in half a
        site (its last row and column hold vertices and +x or +y bonds).

    Raises
    ------
    InputError
        ``block`` not an integer >= 1.
    """
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise InputError(f"a block side must be an integer >= 1, got {block!r}")
    y, x = np.indices((block, block))
    return (y % 2) * 2 + (x % 2)


def image_templates(block: int) -> np.ndarray:
    """The staggered field, columnar and plaquette patterns of a block of dimer images, as
    linear filters on its pixels (the block starts on a vertex; site (i, j) of the block is
    the one at pixel (2i, 2j); signs are relative to the block's first site).

    * ``E_x``: the +x bond pixel (2i, 2j+1) of site (i, j) weighted by s = (-1)^(i+j), the
      sublattice sign of :func:`electric_field`: template . image = sum over the block's
      sites of E_x (= s (bx - 1/4)) plus a constant. ``E_y``: the +y bond pixel (2i+1, 2j)
      weighted by (-1)^(i+j).
    * ``C_x``: the +x bond pixels weighted by (-1)^j, ``C_y``: the +y bond pixels by (-1)^i,
      :func:`columnar_order`'s patterns (C_x = (2/L^2) sum (-1)^x bx).
    * ``P_+``, ``P_-``: (C_x +- C_y) / sqrt(2). A plaquette state (dimer pairs resonating on
      the plaquettes of one of the four plaquette sublattices) has mean bond occupancies
      1/4 + (1/4)(+-(-1)^x) on x-bonds and 1/4 + (1/4)(+-(-1)^y) on y-bonds: its one-body
      pattern is one of +-P_+, +-P_- (a columnar state's is one of +-C_x, +-C_y). So
      columnar and plaquette patterns share one plane of linear filters, the order-parameter
      plane, and differ by their direction in it (0 or 90 degrees from C_x: columnar; 45:
      plaquette).

    Vertex and face pixels get weight 0 in every template.

    Parameters
    ----------
    block : int
        Side of the block in pixels: even, >= 2.

    Returns
    -------
    float64 array, shape (6, block, block)
        The patterns in the order of :data:`IMAGE_TEMPLATES`, each of unit norm. E_x and E_y
        are orthogonal, and so are C_x and C_y, and P_+ and P_-; E and C patterns are
        orthogonal when block / 2 is even (they overlap when it is odd).

    Raises
    ------
    InputError
        ``block`` not an even integer >= 2.
    """
    i, j = _image_block(block)
    roles = image_pixel_roles(block)
    on_x, on_y = roles == 1, roles == 2
    stagger = (-1.0) ** (i + j)
    t = np.zeros((6, block, block))
    t[0] = np.where(on_x, stagger, 0.0)
    t[1] = np.where(on_y, stagger, 0.0)
    t[2] = np.where(on_x, (-1.0) ** j, 0.0)
    t[3] = np.where(on_y, (-1.0) ** i, 0.0)
    t[:4] /= block // 2  # (block/2)^2 entries of +-1 each
    t[4] = (t[2] + t[3]) / np.sqrt(2.0)
    t[5] = (t[2] - t[3]) / np.sqrt(2.0)
    return t


# ---------------------------------------------------------------------------------------------
# RSMI-NE files


def to_rsmi_ne(codes: Any, noise: str = "none", key: Any = (0, 0), counter: int = 0) -> Any:
    """Coverings as RSMI-NE dimer samples.

    RSMI-NE (Gökmen, Ringel, Huber, Koch-Janusz, PRL 127, 240603 (2021); PRE 104, 064106 (2021))
    reads interacting-dimer samples from ``configs_intdimer2d_square_L{2L}_T{T:.3f}.npy`` (see
    :func:`gpurg.io.rsmi_ne.rsmi_ne_filename`): a float64 array of shape (N, 2L, 2L) with values
    0.0/1.0, written by the Julia sampler of github.com/RSMI-NE/mc_dimers
    (``src/DimerMCSimulation.jl`` fills ``zeros(N, 2n, 2n)`` with ``sites_bonds`` of module
    ``DimerDirectedLoop``; site i = k n + l and its legs right/left/bottom/up =
    column+1/column-1/row+1/row-1 come from ``set_lattice`` in ``Lattice.jl``) and loaded
    unchanged (no +-1 mapping) by ``rsmine/coarsegrainer/build_dataset.py`` of
    github.com/RSMI-NE/RSMI-NE. Their layout is the one of :func:`to_image`: site (row k, column
    l) at pixel (2k, 2l), the bond to the next column at (2k, 2l+1), to the next row at (2k+1,
    2l) (the periodic bonds land in the last column/row), faces at (2k+1, 2l+1); their rows and
    columns are our y and x.

    Differences from their sampler, which always writes random vertex bits: there the
    correlated mode copies each vertex bit to the face at (+1, +1) (our ``correlated``); their
    uncorrelated mode redraws the vertex bit and leaves every face pixel 0, whereas our
    ``independent`` gives faces their own random bits; and ``none`` (all vertex and face
    pixels 0) has no counterpart there.

    Parameters
    ----------
    codes : int array, shape (..., L, L)
        Site codes; validated (InputError if not a covering). Leading dimensions are
        flattened into N.
    noise, key, counter
        As for :func:`to_image`.

    Returns
    -------
    float64 array of 0.0/1.0, shape (N, 2L, 2L), same array module as ``codes``.
    """
    codes = validate_codes(codes)
    xp = array_module(codes)
    L = codes.shape[-1]
    img = to_image(codes, noise=noise, key=key, counter=counter)
    return img.reshape(-1, 2 * L, 2 * L).astype(xp.float64)


def from_rsmi_ne(array: Any) -> Any:
    """Site codes from RSMI-NE dimer samples.

    Parameters
    ----------
    array : array, shape (N, 2L, 2L) or (N, 2L, 2L, 1)
        RSMI-NE samples (float 0/1; vertex and face pixels are ignored). The trailing
        singleton is the component axis RSMI-NE's dataset adds.

    Returns
    -------
    int8 array, shape (N, L, L), same array module.
    """
    xp = array_module(array)
    array = xp.asarray(array)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise InputError(f"RSMI-NE dimer samples must have shape (N, 2L, 2L), got {array.shape}")
    return codes_from_image(array)


