"""Configurations from other programs into ordinary run files (``gpurg import``).

A user's own samples come in as arrays of one of these kinds:

``.npy``
    One array (NumPy's format; Fortran order, as Julia's PyCall writes it, included).
``.npz``
    Several named arrays: the one named by ``dataset``, or the only one.
HDF5 (``.h5``, ``.hdf5``)
    A dataset inside the file: ``FILE.h5:/group/name`` or ``dataset="/group/name"``; without
    either, the file's only dataset of 3 or more dimensions (``configs`` in a gpurg run file).
text (``.txt``, ``.dat``, ``.csv``)
    One configuration per line, L*L numbers in row-major order separated by white space
    (commas in ``.csv``); ``#`` starts a comment. This is RSMI-NE's Ising format:
    ``rsmine/coarsegrainer/build_dataset.py`` (``filename``, ``dataset.__init__``) reads
    ``configs_ising2d_square_L{L}_K{K:.2f}.txt`` with ``np.loadtxt(..., dtype=int)``, one
    flattened configuration per row. RSMI-NE's dimer samples are ``.npy`` files
    (:mod:`gpurg.io.rsmi_ne`); it has no other text format for configurations (its
    ``dimer2d`` ``.mat`` name is read by the same ``np.loadtxt`` call, i.e. is text as well).

Values (``values``; detected when not given):

* Ising: ``pm1`` (spins -1/+1, stored as they are) or ``01`` (0/1, stored as s = 2x - 1).
  Data holding a -1 are ``pm1``, else data holding a 0 are ``01``; data that are all +1 are
  ambiguous and refused until ``values`` says which.
* dimers: ``codes`` (site codes 0..3, see :mod:`gpurg.models.dimer_encodings`, a lattice
  L x L) or ``image`` (0/1 pixels, RSMI-NE's layout, a lattice 2L x 2L; vertex and face
  pixels are kept in the run file's ``images``). A covering always has codes 2 or 3, so data
  with a value above 1 are codes, others images.

Any integer, bool or float dtype is read; every value must be one of the alphabet's exactly
(1.0 is 1; 0.5 and NaN are refused, naming the first such entry as the file holds it, e.g.
``data.npy[3, 0, 5, 2] = 3; Ising spins must be -1 or +1``).

Shapes (``layout``; from the number of dimensions when not given):

* ``N,L,L`` (3 dimensions; a trailing axis of length 1, RSMI-NE's component axis, is
  dropped): N measurements of one replica.
* ``n,R,L,L`` (4 dimensions): n measurements of R replicas, as in a run file's ``configs``.
* ``R,n,L,L``: the same with the replicas first (swapped on reading).
* ``N,L*L``: one flattened configuration per row (the default for text files).

Replicas matter to the statistics: commands that estimate errors (``gpurg rg exponents``)
use the replicas as independent blocks, as they do for a sampled run.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError
from gpurg.io.hdf5 import HDF5_SUFFIXES, RunWriter, check_output_path
from gpurg.io.rsmi_ne import rsmi_ne_parameters
from gpurg.io.validate import located
from gpurg.models.base import model_class
from gpurg.models.dimer_encodings import (
    codes_from_image,
    validate_codes,
)
from gpurg.validation import (
    DIMER_CODES,
    DIMER_PIXELS,
    ISING_SPINS,
    Alphabet,
    Choice,
    Real,
    check_values,
    checked,
)

__all__ = ["IMPORT_MODELS", "LAYOUTS", "TEXT_SUFFIXES", "VALUES", "Imported",
           "import_configurations", "read_source"]

IMPORT_MODELS = ("ising", "dimer")
VALUES = ("pm1", "01", "codes", "image")
_MODEL_VALUES = {"ising": ("pm1", "01"), "dimer": ("codes", "image")}
LAYOUTS = ("N,L,L", "n,R,L,L", "R,n,L,L", "N,L*L")
TEXT_SUFFIXES = (".txt", ".dat", ".csv")
NPY_SUFFIXES = (".npy",)
NPZ_SUFFIXES = (".npz",)
ISING_01 = Alphabet((0, 1), "Ising spins given as 0/1 must be 0 or 1")
_ALPHABETS = {"pm1": ISING_SPINS, "01": ISING_01, "codes": DIMER_CODES, "image": DIMER_PIXELS}
_ALLOWED_SUFFIXES = ".npy, .npz, .h5/.hdf5 (FILE.h5:/path), .txt/.dat/.csv"


@dataclass(frozen=True)
class Imported:
    """What :func:`import_configurations` wrote.

    Attributes
    ----------
    path : Path
        The run file.
    model : str
        "ising" or "dimer".
    L : int
        Lattice side in sites (a dimer image is 2L x 2L pixels).
    n_measurements, replicas : int
        The configs' first two axes: ``configs`` is int8 (n_measurements, replicas, L, L).
    values : str
        The alphabet read: "pm1", "01", "codes" or "image" (see :data:`VALUES`).
    detected : bool
        Whether ``values`` was detected (True) or given.
    layout : str
        How the source's axes were read (one of :data:`LAYOUTS`).
    source : str
        The source as recorded in the file's ``source`` attribute (``FILE`` or ``FILE:/path``).
    attrs : dict
        The run file's root attributes given to the writer.
    """

    path: Path
    model: str
    L: int
    n_measurements: int
    replicas: int
    values: str
    detected: bool
    layout: str
    source: str
    attrs: dict[str, Any] = field(repr=False)


# --------------------------------------------------------------------------------- reading


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _split_hdf5(source: str) -> tuple[Path, str | None]:
    """``FILE.h5:/path`` -> (FILE.h5, "/path"); a name that exists, or has no such colon, is a
    file name."""
    path = Path(source)
    if path.exists() or ":" not in source:
        return path, None
    file, inner = source.rsplit(":", 1)
    if Path(file).suffix.lower() in HDF5_SUFFIXES and inner:
        return Path(file), inner
    return path, None


def read_source(source: str | os.PathLike | np.ndarray, dataset: str | None = None
                ) -> tuple[np.ndarray, str, str]:
    """Read the array of configurations a source holds, as stored (no checks of its values).

    Parameters
    ----------
    source : path, ``"FILE.h5:/path"`` or numpy array
        See the module's docstring for the formats, chosen by the file name's suffix.
    dataset : str, optional
        The array inside an ``.npz`` (its name) or HDF5 file (its path).

    Returns
    -------
    (array, where, kind)
        The array in its stored dtype and shape (text: float64 (N, L*L)); ``where``, the name
        errors give it (``data.npy``, ``run.h5:/configs``, ``data.npz:spins``); ``kind``, one
        of "array", "npy", "npz", "hdf5", "text".

    Raises
    ------
    InputError
        A missing or unreadable file, an unknown suffix, a missing dataset or a choice of
        dataset that the file leaves open.
    """
    if isinstance(source, np.ndarray):
        if dataset is not None:
            raise InputError("dataset names an array inside a file; the source is an array")
        return source, "array", "array"
    path, inner = _split_hdf5(os.fspath(source))
    if inner is not None and dataset is not None:
        raise InputError(f"{source}: the dataset is given twice, in the source ({inner}) and "
                         f"as --dataset ({dataset}); give one")
    dataset = inner if inner is not None else dataset
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix in HDF5_SUFFIXES:
        return _read_hdf5(path, dataset)
    if suffix in NPZ_SUFFIXES:
        return _read_npz(path, dataset)
    if dataset is not None:
        raise InputError(f"{path}: --dataset {dataset} applies to .npz and HDF5 files only")
    if suffix in NPY_SUFFIXES:
        with open(path, "rb") as fh:
            if fh.read(6) != b"\x93NUMPY":
                raise InputError(f"{path}: not a .npy array (no NumPy header)")
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise InputError(f"{path}: not a readable .npy array ({_first_line(exc)})") from None
        return array, str(path), "npy"
    if suffix in TEXT_SUFFIXES:
        return _read_text(path), str(path), "text"
    raise InputError(f"{path}: unknown format {suffix or '(no suffix)'}; allowed: "
                     f"{_ALLOWED_SUFFIXES}")


def _read_npz(path: Path, dataset: str | None) -> tuple[np.ndarray, str, str]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if dataset is None:
                if len(names) != 1:
                    raise InputError(f"{path}: holds {len(names)} arrays "
                                     f"({', '.join(names) or 'none'}); choose one with "
                                     f"--dataset NAME")
                name = names[0]
            else:
                name = dataset.lstrip("/")
                if name not in names:
                    raise InputError(f"{path}: no array {name!r}; it holds "
                                     f"{', '.join(names) or 'none'}")
            return archive[name], f"{path}:{name}", "npz"
    except InputError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npz archive ({_first_line(exc)})") from None


def _datasets(file: h5py.File, min_ndim: int = 0) -> list[str]:
    found: list[str] = []

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset) and item.ndim >= min_ndim:
            found.append("/" + name)

    file.visititems(visit)
    return found


def _read_hdf5(path: Path, dataset: str | None) -> tuple[np.ndarray, str, str]:
    try:
        with h5py.File(path, "r") as file:
            if dataset is None:
                if "format_version" in file.attrs and isinstance(file.get("configs"),
                                                                  h5py.Dataset):
                    dataset = "/configs"  # a gpurg run file
                else:
                    found = _datasets(file, 3)
                    if len(found) != 1:
                        shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "")
                        raise InputError(
                            f"{path}: holds {len(found)} datasets of 3 or more dimensions"
                            f"{' (' + shown + ')' if found else ''}; choose one with "
                            f"FILE.h5:/path or --dataset /path")
                    dataset = found[0]
            item = file.get(dataset)
            if not isinstance(item, h5py.Dataset):
                what = "a group" if isinstance(item, h5py.Group) else "no dataset"
                found = _datasets(file)
                shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "")
                raise InputError(f"{path}: {dataset} is {what}; datasets: {shown or 'none'}")
            where = f"{path}:{item.name}"
            if item.dtype.kind not in "biuf":
                raise InputError(f"{where} has dtype {item.dtype}; configurations must be "
                                 "numbers")
            return item[()], where, "hdf5"
    except InputError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({_first_line(exc)})") from None


def _read_text(path: Path) -> np.ndarray:
    delimiter = "," if path.suffix.lower() == ".csv" else None
    try:
        array = np.loadtxt(path, dtype=np.float64, delimiter=delimiter, ndmin=2)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a text table of numbers ({_first_line(exc)})") from None
    return array


# ----------------------------------------------------------------------------- arranging


def _default_layout(array: np.ndarray, kind: str, where: str) -> str:
    if kind == "text":
        return "N,L*L"
    if array.ndim == 3:
        return "N,L,L"
    if array.ndim == 4:
        return "n,R,L,L"
    if array.ndim == 2:
        raise InputError(f"{where}: shape {array.shape} is one lattice or rows of flattened "
                         f"ones; give --layout N,L*L for rows, or store one configuration "
                         f"as (1, L, L)")
    raise InputError(f"{where}: shape {array.shape}; expected (N, L, L) or (n, R, L, L) "
                     f"(or (N, L*L) rows with --layout N,L*L)")


def _arrange(array: np.ndarray, layout: str, where: str) -> np.ndarray:
    """The stored array as (n, R, s, s) (a view where possible)."""
    ndim = {"N,L,L": 3, "n,R,L,L": 4, "R,n,L,L": 4, "N,L*L": 2}[layout]
    if layout == "N,L,L" and array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]  # RSMI-NE's component axis (N, L, L, 1)
    if array.ndim != ndim:
        raise InputError(f"{where}: shape {array.shape} does not have the {ndim} axes of "
                         f"layout {layout}")
    if layout == "N,L*L":
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            raise InputError(f"{where}: rows of {array.shape[1]} values are not square "
                             f"lattices (L*L values each)")
        array = array.reshape(array.shape[0], 1, side, side)
    elif layout == "N,L,L":
        array = array[:, None]
    elif layout == "R,n,L,L":
        array = array.swapaxes(0, 1)
    if array.shape[-1] != array.shape[-2]:
        raise InputError(f"{where}: lattices of {array.shape[-2]} x {array.shape[-1]} are not "
                         f"square (shape {array.shape} read as {layout})")
    if array.shape[0] == 0 or array.shape[1] == 0 or array.shape[-1] == 0:
        raise InputError(f"{where}: holds no configurations (shape {array.shape} read as "
                         f"{layout})")
    return array


def _detect(array: np.ndarray, allowed: tuple[str, ...], where: str) -> str:
    """Which of the ``allowed`` alphabets the stored values are in (see the module's
    docstring)."""
    if "codes" in allowed:  # dimer data: site codes reach 2 and 3, image pixels only 1
        return "codes" if bool((array > 1).any()) else "image"
    if bool((array == -1).any()):
        return "pm1"
    if bool((array == 0).any()):
        return "01"
    if bool((array == 1).all()):
        raise InputError(f"{where}: every value is 1, which reads as +1 spins or as 0/1 data; "
                         f"say which with --values pm1 or --values 01")
    return "pm1"  # neither: the check of ±1 names the first bad value


# ------------------------------------------------------------------------------- writing


@checked(model=Choice(IMPORT_MODELS), T=Real(0, low_open=True, inf=True, optional=True),
         J=Real(optional=True), h=Real(optional=True), V=Real(optional=True),
         layout=Choice(LAYOUTS, optional=True), values=Choice(VALUES, optional=True))
def import_configurations(source: str | os.PathLike | np.ndarray, *, model: str,
                          output: str | os.PathLike, T: float | None = None,
                          J: float | None = None, h: float | None = None,
                          V: float | None = None, dataset: str | None = None,
                          layout: str | None = None, values: str | None = None) -> Imported:
    """Write configurations from another program as an ordinary run file.

    Parameters
    ----------
    source : path, ``"FILE.h5:/path"`` or numpy array
        ``.npy``, ``.npz``, HDF5 or text (see the module's docstring).
    model : {"ising", "dimer"}
    output : path
        The run file to write (``.h5``/``.hdf5``), atomically: it appears whole or not at all.
    T : float, optional
        Temperature (> 0; inf allowed for dimers), in units of the coupling. Default: from an
        RSMI-NE dimer file's name (``..._T{T:.3f}.npy``), else inf for dimers; required for
        Ising data.
    J, h : float, optional
        Ising coupling (non-zero, default 1) and field (default 0): the energies measured
        from the configurations use them.
    V : float, optional
        Dimer interaction per parallel plaquette (default -1).
    dataset : str, optional
        The array inside an ``.npz`` or HDF5 file.
    layout : {"N,L,L", "n,R,L,L", "R,n,L,L", "N,L*L"}, optional
        How the source's axes are read; default from its number of dimensions.
    values : {"pm1", "01", "codes", "image"}, optional
        The source's alphabet; detected when not given.

    Returns
    -------
    Imported
        The file written holds the root attributes of the model (model, L, T and J, h or V),
        ``replicas``, ``source`` (the source as given), ``imported`` (True), ``values``,
        ``layout`` and the writer's own (``n_measurements``, ``complete`` = True,
        ``format_version``); ``configs`` int8 (n, R, L, L) (Ising spins ±1, dimer site codes);
        for dimer images also ``images`` uint8 (n, R, 2L, 2L) as given (vertex and face
        pixels kept); and ``observables/*`` float64 (n, R[, L/2 + 1]) measured from the
        configurations (Ising: e, m, abs_m, m2, m4; dimers: those of
        :func:`_dimer_observables`).

    Raises
    ------
    InputError
        One line naming the bad input: an unreadable source, a value outside the alphabet
        (the first one, indexed as stored), a shape that is not square lattices, an odd or
        too small L, dimers that are not close-packed coverings, ambiguous all-+1 Ising data,
        parameters of the other model, an output path that cannot be written.
    """
    allowed = _MODEL_VALUES[model]
    if values is not None and values not in allowed:
        raise InputError(f"values {values!r} are not {model} data; allowed for {model}: "
                         f"{', '.join(allowed)}")
    model_type = model_class(model)
    own = {f.name for f in dataclasses.fields(model_type)}  # the model's parameters
    parameters = {name: value for name, value in (("J", J), ("h", h), ("V", V))
                  if value is not None}
    given = [name for name in parameters if name not in own]
    if given:
        raise InputError(f"{', '.join(given)}: not a parameter of the {model} model (its "
                         f"parameters: {', '.join(sorted(own - {'L', 'T'}))})")
    output = check_output_path(output)
    array, where, kind = read_source(source, dataset)
    if T is None:
        T = _default_temperature(source, model_type, where)
    if array.dtype.kind not in "biuf":
        raise InputError(f"{where} has dtype {array.dtype}; configurations must be numbers")
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
    layout = layout or _default_layout(array, kind, where)
    grid = _arrange(array, layout, where)  # (n, R, s, s), before any value is checked
    detected = values is None
    values = values or _detect(array, allowed, where)
    check_values(array, _ALPHABETS[values], where)  # indices as the source stores them
    grid = grid.astype(np.int8)
    images = None
    if values == "01":
        grid = 2 * grid - 1
    elif values == "image":
        images = grid.astype(np.uint8)
        with located(where):
            grid = codes_from_image(images)
    elif values == "codes":
        with located(where):
            grid = validate_codes(grid)
    n, R, L = grid.shape[0], grid.shape[1], grid.shape[-1]
    with located(where):  # the model checks L (even, >= 4), T, J != 0; defaults the rest
        physics = model_type(L=L, T=T, **parameters)
    source_text = where
    attrs = {**physics.attrs(), "replicas": R, "source": source_text, "imported": True,
             "values": values, "layout": layout}
    if values in ("codes", "image"):  # as a sampled dimer run records its encoding
        attrs["encoding"] = values
    arrays = {"images": (np.uint8, (R, 2 * L, 2 * L))} if images is not None else None
    # what the configurations determine (a sampler's own counters, e.g. dimer worms, are absent)
    measured = [physics.measure(grid[i]) for i in range(n)]
    observables = {name: shape for name, shape in physics.observables().items()
                   if name in measured[0]}
    with RunWriter(output, attrs, observables, (R, L, L), arrays) as writer:
        for i in range(n):
            writer.append(measured[i], grid[i], None if images is None else {"images": images[i]})
    return Imported(Path(output), model, L, n, R, values, detected, layout, source_text, attrs)


def _default_temperature(source: Any, kind: type, where: str) -> float:
    """T from an RSMI-NE file name, else the model's default T (dimers: inf); Ising data
    need it given."""
    named = None if isinstance(source, np.ndarray) else rsmi_ne_parameters(source)
    if named is not None and named["model"] == kind.name and "T" in named:
        return named["T"]
    default = next(f.default for f in dataclasses.fields(kind) if f.name == "T")
    if default is not dataclasses.MISSING:
        return default
    hint = ""
    if named is not None and "K" in named:
        hint = (f" (the name says K = {named['K']:g}: T = J/K = {1 / named['K']:.4g} for "
                f"J = 1, if K is J/T)") if named["K"] > 0 else ""
    raise InputError(f"{where}: the temperature of {kind.name} data is required: give "
                     f"-T{hint}")
