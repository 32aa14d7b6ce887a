"""HDF5 output of sampling runs, written atomically.

A run file holds, readable with h5py (or any HDF5 tool) alone:

``configs``
    int8, shape ``(n_measurements, R, L, L)``: Ising spins +-1, or dimer site codes 0..3.
    Absent for runs written without configurations (``--no-configs``). Chunked per
    measurement row, each chunk at most about 1 MiB, gzip level 1 compressed, resizable
    along axis 0.
other per-measurement arrays
    Declared by the caller, stored like ``configs`` with their own dtype and shape
    ``(n_measurements, R, ...)``, e.g. ``images``, uint8 ``(n_measurements, R, 2L, 2L)``
    for the dimer model's image encoding.
``observables/<name>``
    float64, shape ``(n_measurements, R)`` for a scalar observable, or
    ``(n_measurements, R, ...)`` for one with a shape per replica (e.g. a correlation
    function); one dataset per observable, resizable along axis 0.
``state``
    A group with the sampler's state after the last measurement, enough to continue the run
    (see :meth:`RunWriter.append`): datasets for arrays (e.g. ``state/spins``), attributes
    for scalars (e.g. ``sweeps_done``), and the attribute ``n_measurements``, the row it
    follows. Written at close when the caller gave a state.
root attributes
    Those given by the caller (model, L, T, J, h, algorithm, seed, ...) plus the
    writer's own: ``n_measurements`` (int), ``complete`` (bool, False when the run was
    interrupted), ``created`` (ISO 8601 UTC) and ``format_version`` (1).

gzip rather than lzf: lzf ships only with h5py, while gzip is in every HDF5 build
(h5dump, HDFView, Julia, MATLAB, ...). On uncorrelated +-1 spins level 1 shrinks the
data about 4.5x at half the CPU time of level 4 (5.8x); compression is what limits the
write rate (about 70 MB/s of spins), which matters at L = 1024.

Files never appear half-written at their destination: everything is written to a
hidden temporary file in the same directory (so the final ``os.replace`` is atomic)
and renamed only when finished.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gpurg.errors import InputError

__all__ = [
    "FORMAT_VERSION",
    "HDF5_SUFFIXES",
    "OutputPathError",
    "Run",
    "RunWriter",
    "atomic_output",
    "check_output_path",
    "open_results",
    "read_run",
    "read_state",
    "STATE_GROUP",
]

FORMAT_VERSION = 1
HDF5_SUFFIXES = (".h5", ".hdf5")

_COMPRESSION = "gzip"
_COMPRESSION_LEVEL = 1
_CONFIG_CHUNK_BYTES = 1 << 20
_OBSERVABLE_CHUNK_BYTES = 1 << 16
# Rows are allocated in geometrically growing steps so that thousands of appends cost
# O(log n) resizes; the extent is trimmed to the rows written at close.
_MIN_CAPACITY = 16
STATE_GROUP = "state"
_WRITER_ATTRS = ("n_measurements", "complete", "created", "format_version")
_ATTR_TYPES = (str, bool, int, float, np.bool_, np.integer, np.floating)

PathLike = str | os.PathLike[str]


class OutputPathError(InputError):
    """The requested output path cannot be written (bad directory or file name)."""


def check_output_path(path: PathLike, suffixes: Sequence[str] | None = HDF5_SUFFIXES) -> Path:
    """Validate that `path` can be created, before any work is done.

    Parameters
    ----------
    path
        Destination file.
    suffixes
        Accepted file-name endings (case-insensitive), or None to accept any.

    Returns
    -------
    Path
        `path` as a Path.

    Raises
    ------
    OutputPathError
        With a one-line message naming `path` and what is wrong with it.
    """
    target = Path(path)
    parent = target.parent
    if suffixes and not target.name.lower().endswith(tuple(s.lower() for s in suffixes)):
        raise OutputPathError(f"{target}: file name must end in {' or '.join(suffixes)}")
    if not parent.is_dir():
        raise OutputPathError(f"{target}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"{target}: directory {parent} is not writable")
    if target.is_dir():
        raise OutputPathError(f"{target}: is a directory")
    return target


class _PendingFile:
    """A hidden temporary sibling of `target` that replaces `target` on commit.

    The temporary name keeps the target's suffix, so writers that infer the format
    from the file name (e.g. image libraries) still work on it.
    """

    def __init__(self, path: PathLike, suffixes: Sequence[str] | None) -> None:
        self.target = check_output_path(path, suffixes)
        self.tmp = _reserve_temp(self.target)

    def commit(self) -> None:
        """Move the temporary file onto the target; remove it if that fails."""
        try:
            _fsync(self.tmp)
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Remove the temporary file, if it still exists."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def _reserve_temp(target: Path) -> Path:
    while True:
        tmp = target.with_name(f".{target.stem}.tmp-{secrets.token_hex(4)}{target.suffix}")
        try:
            # O_EXCL makes the name ours alone; mode 0o666 lets the umask decide the
            # final permissions, as for any ordinarily created file.
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return tmp


def _fsync(path: Path) -> None:
    # Without this, a crash soon after the rename can leave an empty file at the target.
    # Read-write because Windows refuses to flush a read-only handle.
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: PathLike, suffix_check: Sequence[str] | None = HDF5_SUFFIXES
) -> Iterator[Path]:
    """Write a whole file under a temporary name and rename it onto `path` on success.

    Parameters
    ----------
    path
        Destination file; its directory must exist and be writable.
    suffix_check
        Accepted file-name endings, or None to accept any.

    Yields
    ------
    Path
        An (empty, existing) temporary file in the same directory as `path`, to be
        overwritten by the caller.

    Raises
    ------
    OutputPathError
        If `path` fails validation; nothing is created then.

    Notes
    -----
    On any exception in the body (KeyboardInterrupt included) the temporary file is
    removed and `path` is left untouched.
    """
    pending = _PendingFile(path, suffix_check)
    try:
        yield pending.tmp
    except BaseException:
        pending.discard()
        raise
    pending.commit()


class RunWriter:
    """Append measurements of a sampling run to an HDF5 file, atomically.

    Use as a context manager. On normal exit the file is completed and renamed onto
    `path`. On KeyboardInterrupt the rows written so far are kept (``complete=False``)
    if there is at least one; otherwise, and on any other exception, nothing appears at
    `path` beyond its last checkpoint (see ``checkpoint``). The exception is always
    re-raised.

    Parameters
    ----------
    path
        Destination file, ending in .h5 or .hdf5, in an existing writable directory.
        An existing file there is replaced only at close or at a checkpoint.
    attrs
        Root attributes (str, int, float or bool values), e.g. model, L, T, J, h,
        algorithm, seed. Must not use the writer's own names (n_measurements,
        complete, created, format_version).
    observables
        Names of the observables recorded per measurement, one float64 value per
        replica each; or a mapping of names to the shape of each replica's value
        (``()`` for a scalar, ``(L // 2 + 1,)`` for a correlation function).
    shape
        ``(R, L, L)`` of the configurations of one measurement (``(R, *lattice)`` in any
        dimension), or None to store no configurations; then R is taken from the first
        appended row.
    arrays
        Further per-measurement datasets: name -> (dtype, shape of one row), the shape
        starting with R.
    checkpoint
        Seconds between checkpoints (:meth:`checkpoint`), taken after the row that passes
        the mark; None for none (the file appears only at close). The interval grows to 20
        times the last checkpoint's duration, so that copying a large file costs at most
        5% of the run.

    Raises
    ------
    OutputPathError
        If `path` cannot be written; nothing is created then.
    ValueError, TypeError
        If `attrs`, `observables` or `shape` are invalid.

    Examples
    --------
    ::

        with RunWriter("run.h5", {"L": 64, "T": 2.269}, ["energy"], (4, 64, 64)) as w:
            for energy, spins in measurements:  # float64 (4,), int8 (4, 64, 64)
                w.append({"energy": energy}, spins)
    """

    def __init__(
        self,
        path: PathLike,
        attrs: Mapping[str, Any],
        observables: Sequence[str] | Mapping[str, tuple[int, ...]],
        shape: tuple[int, ...] | None,
        arrays: Mapping[str, tuple[Any, tuple[int, ...]]] | None = None,
        checkpoint: float | None = None,
    ) -> None:
        _check_attrs(attrs)
        self._names = _check_observable_names(observables)
        self._value_shapes = {name: tuple(int(n) for n in observables[name])
                              for name in self._names} if isinstance(observables, Mapping) \
            else dict.fromkeys(self._names, ())
        self._shape = _check_shape(shape)
        self._array_specs = _check_array_specs(arrays or {}, self._shape)
        self._arrays: dict[str, h5py.Dataset] = {}
        self._n = 0
        self._capacity = 0
        # Observable datasets need R: known from `shape`, else from the first row.
        self._n_replicas = None if self._shape is None else self._shape[0]
        self._observables: list[h5py.Dataset] | None = None
        self._configs: h5py.Dataset | None = None
        self._file: h5py.File | None = None
        self._state: tuple[int, Mapping[str, Any] | Callable[[], Mapping[str, Any]]] | None = None
        self._pending = _PendingFile(path, HDF5_SUFFIXES)
        self._schedule_checkpoints(checkpoint)
        try:
            self._file = h5py.File(self._pending.tmp, "w")
            self._init_file(self._file, attrs)
        except BaseException:
            self.abort()
            raise

    @classmethod
    def reopen(cls, path: PathLike, checkpoint: float | None = None) -> RunWriter:
        """Continue appending to an existing run file, atomically.

        The file is copied to a hidden temporary sibling, which takes further rows and
        replaces `path` at close (``complete`` as given then); until then, and if the
        writer is aborted, `path` is left as it was. Observables, configurations and
        further arrays keep their datasets, dtypes and chunking.

        Raises
        ------
        OutputPathError
            If `path`'s directory cannot be written.
        ValueError
            If `path` is not a run file of this format version.
        """
        writer = cls.__new__(cls)
        writer._pending = _PendingFile(path, HDF5_SUFFIXES)
        writer._file = None
        writer._schedule_checkpoints(checkpoint)
        try:
            shutil.copyfile(writer._pending.target, writer._pending.tmp)
            file = writer._file = h5py.File(writer._pending.tmp, "r+")
            if file.attrs.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"{path}: format_version {file.attrs.get('format_version')}, "
                                 f"expected {FORMAT_VERSION}")
            observables = file["observables"]
            writer._names = tuple(observables)
            writer._value_shapes = {name: observables[name].shape[2:] for name in writer._names}
            writer._configs = file["configs"] if "configs" in file else None
            writer._shape = None if writer._configs is None else writer._configs.shape[1:]
            writer._arrays = {name: item for name, item in file.items()
                              if isinstance(item, h5py.Dataset) and name != "configs"}
            writer._array_specs = {name: (d.dtype, d.shape[1:])
                                   for name, d in writer._arrays.items()}
            writer._n = writer._capacity = int(file.attrs["n_measurements"])
            writer._observables = [observables[name] for name in writer._names]
            writer._n_replicas = (writer._observables[0].shape[1] if writer._observables
                                  else None)
            writer._state = None
        except BaseException:
            writer.abort()
            raise
        return writer

    @property
    def path(self) -> Path:
        """Final destination of the file."""
        return self._pending.target

    @property
    def n_measurements(self) -> int:
        """Rows appended so far."""
        return self._n

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        if self._file is None:
            return
        if exc_type is None:
            self.close(complete=True)
        elif issubclass(exc_type, KeyboardInterrupt) and self._n > 0:
            self.close(complete=False)
        else:
            self.abort()

    def append(
        self,
        observables: Mapping[str, np.ndarray],
        configs: np.ndarray | None = None,
        arrays: Mapping[str, np.ndarray] | None = None,
        state: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Add one measurement row.

        Parameters
        ----------
        observables
            Exactly the declared observable names, each mapped to a host array of shape
            ``(R,)`` (cast to float64).
        configs
            int8 array of shape ``(R, *lattice)``, or None when the writer was created with
            ``shape=None``. Values are not checked, for speed.
        arrays
            One row of each declared further array, in its dtype and shape.
        state
            The sampler's state after this measurement, written to the ``state`` group at
            close (replacing an earlier one): host arrays become datasets, scalars (str,
            int, float, bool) attributes. Or a function returning that mapping, called at
            close (so a snapshot can stay on the device until then). Only a reference is
            kept: the arrays must not be modified afterwards.
        """
        file = self._require_open()
        rows = self._check_observables(observables)
        configs = self._check_configs(configs)
        extra = self._check_arrays(arrays or {})
        if self._observables is None:
            self._create_observables(file, len(rows[0]) if rows else 0)
        if self._n == self._capacity:
            self._resize(max(2 * self._capacity, _MIN_CAPACITY))
        for dset, row in zip(self._observables, rows, strict=True):
            dset[self._n] = row
        if self._configs is not None:
            self._configs[self._n] = configs
        for name, row in extra.items():
            self._arrays[name][self._n] = row
        # tagged with the row count it follows: close writes it only if that row was counted
        self._state = None if state is None else (self._n + 1, state)
        self._n += 1
        if time.monotonic() >= self._next_checkpoint:
            self.checkpoint()

    def _schedule_checkpoints(self, every: float | None) -> None:
        if every is not None and not every >= 0:
            raise ValueError(f"checkpoint interval must be >= 0 seconds or None, got {every}")
        self._checkpoint_every = every
        self._next_checkpoint = math.inf if every is None else time.monotonic() + every

    def checkpoint(self) -> None:
        """Bring `path` up to date with the rows appended so far, atomically, as an
        interrupted run (``complete`` = False, the state after its last row): a process
        killed outright (SIGKILL, a lost node), which no handler sees, then leaves the file
        of its last checkpoint, which :func:`gpurg.sampling.resume_run` continues.

        The temporary file is finished and closed, copied to a second temporary sibling
        that replaces `path`, and reopened for further rows.
        """
        started = time.monotonic()
        try:
            self._finish(self._require_open(), complete=False)
            self._file.close()
            self._file = None
            copy = _reserve_temp(self._pending.target)
            try:
                shutil.copyfile(self._pending.tmp, copy)
                _fsync(copy)
                os.replace(copy, self._pending.target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(copy)
            self._file = h5py.File(self._pending.tmp, "r+")
            self._attach(self._file)
        except BaseException:
            self.abort()
            raise
        if self._checkpoint_every is not None:  # else checkpoints are the caller's calls
            spent = time.monotonic() - started
            self._next_checkpoint = time.monotonic() + max(self._checkpoint_every, 20 * spent)

    def close(self, complete: bool = True) -> None:
        """Finish the file and rename it onto `path`.

        Parameters
        ----------
        complete
            Stored as the ``complete`` attribute; False marks an interrupted run.
        """
        file = self._require_open()
        try:
            self._finish(file, complete)
            file.close()
            self._file = None
            self._pending.commit()
        except BaseException:
            self.abort()
            raise

    def _finish(self, file: h5py.File, complete: bool) -> None:
        """Trim the datasets to the rows appended, write the state after the last row and
        the row count: the file is then a whole run file."""
        if self._observables is None:
            self._create_observables(file, 0)
        self._resize(self._n)
        if self._state is not None and self._state[0] == self._n:
            state = self._state[1]
            if callable(state):  # evaluated once: a checkpoint and the close share it
                state = state()
                self._state = (self._n, state)
            _write_state(file, self._n, state)
        file.attrs["n_measurements"] = self._n
        file.attrs["complete"] = bool(complete)

    def _attach(self, file: h5py.File) -> None:
        """Take the datasets of the reopened temporary file."""
        self._observables = [file["observables"][name] for name in self._names]
        self._configs = file["configs"] if self._configs is not None else None
        self._arrays = {name: file[name] for name in self._arrays}

    def abort(self) -> None:
        """Close and delete the temporary file; nothing more is written to `path` (which
        keeps its last :meth:`checkpoint`, if any)."""
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            self._file = None
        self._pending.discard()

    def _require_open(self) -> h5py.File:
        if self._file is None:
            raise ValueError(f"{self.path}: writer is closed")
        return self._file

    def _init_file(self, file: h5py.File, attrs: Mapping[str, Any]) -> None:
        file.attrs.update(attrs)
        file.attrs["format_version"] = FORMAT_VERSION
        file.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        file.attrs["n_measurements"] = 0
        file.attrs["complete"] = False
        file.create_group("observables")
        if self._shape is not None:
            self._create_observables(file, self._shape[0])
            self._configs = file.create_dataset(
                "configs",
                shape=(0, *self._shape),
                maxshape=(None, *self._shape),
                dtype=np.int8,
                chunks=_config_chunks(self._shape),
                compression=_COMPRESSION,
                compression_opts=_COMPRESSION_LEVEL,
            )
        for name, (dtype, row_shape) in self._array_specs.items():
            self._arrays[name] = file.create_dataset(
                name,
                shape=(0, *row_shape),
                maxshape=(None, *row_shape),
                dtype=dtype,
                chunks=_config_chunks(row_shape, dtype.itemsize),
                compression=_COMPRESSION,
                compression_opts=_COMPRESSION_LEVEL,
            )

    def _create_observables(self, file: h5py.File, n_replicas: int) -> None:
        self._n_replicas = n_replicas
        self._observables = [
            file["observables"].create_dataset(
                name,
                shape=(self._capacity, n_replicas, *self._value_shapes[name]),
                maxshape=(None, n_replicas, *self._value_shapes[name]),
                dtype=np.float64,
                # A zero-width dataset (no-configs run closed with no rows) cannot take
                # an explicit chunk shape; let h5py pick one.
                chunks=_observable_chunks(n_replicas, self._value_shapes[name])
                if n_replicas else True,
                compression=_COMPRESSION,
                compression_opts=_COMPRESSION_LEVEL,
            )
            for name in self._names
        ]

    def _resize(self, n_rows: int) -> None:
        # Extending a chunked dataset only changes its extent: no storage is allocated
        # until rows are written, so over-allocation costs nothing on disk.
        for dset in [*(self._observables or []), *([self._configs] if self._configs else []),
                     *self._arrays.values()]:
            dset.resize(n_rows, axis=0)
        self._capacity = n_rows

    def _check_observables(self, observables: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        if set(observables) != set(self._names):
            missing = sorted(set(self._names) - set(observables))
            extra = sorted(set(observables) - set(self._names))
            raise ValueError(f"observables mismatch: missing {missing}, unexpected {extra}")
        rows = [np.asarray(observables[name], dtype=np.float64) for name in self._names]
        width = self._n_replicas
        for name, row in zip(self._names, rows, strict=True):
            value_shape = self._value_shapes[name]
            if row.shape[1:] != value_shape or (width is not None and len(row) != width):
                expected = ", ".join(map(str, ("R" if width is None else width, *value_shape)))
                raise ValueError(f"observable {name!r}: shape {row.shape}, "
                                 f"expected ({expected}{',' if not value_shape else ''})")
            width = len(row)
        return rows

    def _check_arrays(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        if set(arrays) != set(self._array_specs):
            raise ValueError(f"arrays mismatch: got {sorted(arrays)}, "
                             f"declared {sorted(self._array_specs)}")
        rows = {}
        for name, (dtype, row_shape) in self._array_specs.items():
            row = np.asarray(arrays[name])
            if row.dtype != dtype or row.shape != row_shape:
                raise ValueError(f"{name}: {row.dtype} {row.shape}, expected {dtype} {row_shape}")
            rows[name] = row
        return rows

    def _check_configs(self, configs: np.ndarray | None) -> np.ndarray | None:
        if self._shape is None:
            if configs is not None:
                raise ValueError("configs given to a writer created with shape=None")
            return None
        if configs is None:
            raise ValueError(f"configs of shape {self._shape} required")
        configs = np.asarray(configs)
        if configs.dtype != np.int8 or configs.shape != self._shape:
            raise ValueError(
                f"configs: {configs.dtype} {configs.shape}, expected int8 {self._shape}"
            )
        return configs


def _write_state(file: h5py.File, n_measurements: int, state: Mapping[str, Any]) -> None:
    if STATE_GROUP in file:
        del file[STATE_GROUP]
    group = file.create_group(STATE_GROUP)
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            group.create_dataset(name, data=value, compression=_COMPRESSION,
                                 compression_opts=_COMPRESSION_LEVEL)
        else:
            group.attrs[name] = value
    group.attrs["n_measurements"] = n_measurements


def read_state(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The ``state`` group of a run file: its arrays and its attributes (``n_measurements``
    the row it follows, and the caller's scalars), or None if the file has none."""
    with h5py.File(path, "r") as file:
        group = file.get(STATE_GROUP)
        if not isinstance(group, h5py.Group):
            return None
        return ({name: item[()] for name, item in group.items()},
                {key: _to_python(value) for key, value in group.attrs.items()})


def _check_attrs(attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        if key in _WRITER_ATTRS:
            raise ValueError(f"attribute {key!r} is set by the writer itself")
        if not isinstance(value, _ATTR_TYPES):
            raise TypeError(
                f"attribute {key!r}: {type(value).__name__} value, expected str/int/float/bool"
            )


def _check_observable_names(names: Sequence[str]) -> tuple[str, ...]:
    names = tuple(names)
    for name in names:
        # "/" would create nested groups and "." names the group itself.
        if not isinstance(name, str) or not name or "/" in name or name == ".":
            raise ValueError(f"invalid observable name {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate observable names in {list(names)}")
    return names


def _check_array_specs(arrays: Mapping[str, tuple[Any, tuple[int, ...]]],
                       shape: tuple[int, ...] | None) -> dict[str, tuple[np.dtype, tuple]]:
    specs = {}
    for name, (dtype, row_shape) in arrays.items():
        if name in ("configs", "observables", STATE_GROUP) or not name or "/" in name:
            raise ValueError(f"invalid array name {name!r}")
        row_shape = tuple(int(n) for n in row_shape)
        if not row_shape or min(row_shape) < 1:
            raise ValueError(f"array {name!r}: shape must be (R, ...) of positive ints, "
                             f"got {row_shape}")
        if shape is not None and row_shape[0] != shape[0]:
            raise ValueError(f"array {name!r}: {row_shape[0]} replicas, configs have {shape[0]}")
        specs[name] = (np.dtype(dtype), row_shape)
    return specs


def _check_shape(shape: tuple[int, ...] | None) -> tuple[int, ...] | None:
    if shape is None:
        return None
    if len(shape) < 2 or not all(isinstance(n, int | np.integer) and n > 0 for n in shape):
        raise ValueError(f"configs shape must be (R, *lattice) of positive ints (a lattice of "
                         f"one or more dimensions), got {shape}")
    return tuple(int(n) for n in shape)


def _config_chunks(shape: tuple[int, ...], itemsize: int = 1) -> tuple[int, ...]:
    """One measurement row per chunk, as many whole replicas as fit in ~1 MiB (else as many
    whole rows of the last axis)."""
    n_replicas, *rest = shape
    per_replica = itemsize * math.prod(rest)
    if per_replica <= _CONFIG_CHUNK_BYTES:
        return (1, min(n_replicas, _CONFIG_CHUNK_BYTES // per_replica), *rest)
    if len(rest) == 1:  # a chain longer than a chunk: pieces of it
        return (1, 1, max(1, _CONFIG_CHUNK_BYTES // itemsize))
    return (1, 1, *[1] * (len(rest) - 2), max(1, _CONFIG_CHUNK_BYTES // (itemsize * rest[-1])),
            rest[-1])


def _observable_chunks(n_replicas: int, value_shape: tuple[int, ...] = ()) -> tuple[int, ...]:
    per_row = 8 * n_replicas * math.prod(value_shape)
    return (max(1, _OBSERVABLE_CHUNK_BYTES // per_row), n_replicas, *value_shape)


@dataclass(frozen=True)
class Run:
    """A run file read back into memory, except for the configurations.

    Attributes
    ----------
    path
        The file read.
    attrs
        Root attributes as Python scalars (caller's and writer's).
    observables
        Observable name -> float64 array of shape ``(n_measurements, R, ...)``.
    has_configs
        Whether the file stores configurations.
    arrays
        Names of the further per-measurement datasets (read with :meth:`array`).
    """

    path: Path
    attrs: dict[str, Any]
    observables: dict[str, np.ndarray]
    has_configs: bool
    arrays: tuple[str, ...] = ()

    def configs(self, sel: Any = slice(None)) -> np.ndarray:
        """Read configurations from disk (they can be far larger than memory).

        Parameters
        ----------
        sel
            Any h5py/numpy selection on the ``(n_measurements, R, L, L)`` dataset, e.g.
            ``5`` or ``(slice(0, 10), 0)``.

        Returns
        -------
        np.ndarray
            int8 configurations (Ising spins +-1, dimer site codes) of the selected shape.
        """
        if not self.has_configs:
            raise ValueError(f"{self.path}: run was written without configs")
        return self.array("configs", sel)

    def array(self, name: str, sel: Any = slice(None)) -> np.ndarray:
        """Read a selection of the per-measurement dataset ``name`` from disk."""
        if name not in (*self.arrays, *(("configs",) if self.has_configs else ())):
            raise ValueError(f"{self.path}: no dataset {name!r}")
        with h5py.File(self.path, "r") as file:
            return file[name][sel]


def read_run(path: PathLike) -> Run:
    """Read a run file written by RunWriter.

    Parameters
    ----------
    path
        The .h5/.hdf5 file.

    Returns
    -------
    Run
        Attributes and observables in memory; configurations read on demand.

    Raises
    ------
    ValueError
        If the file is not a run file of a supported format version.
    """
    path = Path(path)
    with h5py.File(path, "r") as file:
        attrs = {key: _to_python(value) for key, value in file.attrs.items()}
        if attrs.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: format_version {attrs.get('format_version')}, expected {FORMAT_VERSION}"
            )
        observables = {name: dset[()] for name, dset in file["observables"].items()}
        arrays = tuple(name for name, item in file.items()
                       if isinstance(item, h5py.Dataset) and name != "configs")
        return Run(path, attrs, observables, "configs" in file, arrays)


def _to_python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@contextlib.contextmanager
def open_results(path: PathLike, format: str, what: str) -> Iterator[tuple[h5py.File,
                                                                            dict[str, Any]]]:
    """Open a results file that gpurg wrote with the root attribute ``format`` (a filter, a
    scan, a landscape, ...) for reading: yields (the open file, its root attributes with
    NumPy scalars as Python values). Every way the file can fail to be one (missing, not
    HDF5, another ``format``, a dataset or attribute missing while the caller reads it) is an
    InputError of one line naming the path and ``what`` the file should be."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as file:
            attrs = {k: _to_python(v) for k, v in file.attrs.items()}
            if attrs.get("format") != format:
                raise InputError(f"{path}: not a gpurg {what} file")
            yield file, attrs
    except (OSError, KeyError) as exc:
        raise InputError(f"{path}: not a readable gpurg {what} file ({exc})") from None
