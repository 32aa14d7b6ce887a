"""Tests of gpurg.io.hdf5: run-file layout, round trip and atomic writing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.io import hdf5
from gpurg.io.hdf5 import OutputPathError, RunWriter, atomic_output, read_run

R, L = 3, 8
ATTRS = {"model": "ising", "L": L, "T": 2.269, "J": 1.0, "h": 0.0, "seed": 7, "cold": True}
NAMES = ("energy", "magnetization")


def _rows(n: int, seed: int = 0) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    rng = np.random.default_rng(seed)
    observables = [{name: rng.normal(size=R) for name in NAMES} for _ in range(n)]
    configs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, R, L, L))
    return observables, configs


def _write(path: Path, n: int, shape: tuple[int, int, int] | None = (R, L, L)) -> None:
    observables, configs = _rows(n)
    with RunWriter(path, ATTRS, NAMES, shape) as writer:
        for obs, conf in zip(observables, configs, strict=True):
            writer.append(obs, conf if shape else None)


def _interrupted_write(path: Path, n: int) -> None:
    observables, configs = _rows(n)
    with pytest.raises(KeyboardInterrupt), RunWriter(path, ATTRS, NAMES, (R, L, L)) as writer:
        for obs, conf in zip(observables, configs, strict=True):
            writer.append(obs, conf)
        raise KeyboardInterrupt


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    n = 40  # more than the initial capacity, so the datasets grow and are trimmed
    _write(path, n)
    observables, configs = _rows(n)

    run = read_run(path)
    assert {k: run.attrs[k] for k in ATTRS} == ATTRS
    assert run.attrs["n_measurements"] == n
    assert run.attrs["complete"] is True
    assert run.attrs["format_version"] == 1
    assert run.attrs["created"].endswith("+00:00")
    for name in NAMES:
        assert run.observables[name].dtype == np.float64
        np.testing.assert_array_equal(run.observables[name], [o[name] for o in observables])
    stored = run.configs()
    assert stored.dtype == np.int8 and stored.shape == (n, R, L, L)
    np.testing.assert_array_equal(stored, configs)
    np.testing.assert_array_equal(run.configs(5), configs[5])

    with h5py.File(path, "r") as file:
        dset = file["configs"]
        assert dset.chunks == (1, R, L, L)
        assert dset.compression == "gzip"
        assert dset.maxshape == (None, R, L, L)
        assert file["observables/energy"].maxshape == (None, R)
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


def test_config_chunks_stay_near_one_mebibyte() -> None:
    assert hdf5._config_chunks((16, 1024, 1024)) == (1, 1, 1024, 1024)
    assert hdf5._config_chunks((1000, 64, 64)) == (1, 256, 64, 64)
    assert hdf5._config_chunks((2, 2048, 2048)) == (1, 1, 512, 2048)


def test_no_configs_layout(tmp_path: Path) -> None:
    path = tmp_path / "run.hdf5"
    _write(path, 4, shape=None)

    run = read_run(path)
    assert not run.has_configs
    assert run.observables["energy"].shape == (4, R)
    with h5py.File(path, "r") as file:
        assert "configs" not in file
    with pytest.raises(ValueError, match="without configs"):
        run.configs()


def test_no_configs_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    _write(path, 0, shape=None)

    run = read_run(path)
    assert run.attrs["n_measurements"] == 0
    assert run.observables["energy"].shape == (0, 0)


def test_keyboard_interrupt_keeps_finished_rows(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    _interrupted_write(path, 3)

    run = read_run(path)
    assert run.attrs["complete"] is False
    assert run.attrs["n_measurements"] == 3
    assert run.configs().shape == (3, R, L, L)
    assert all(values.shape == (3, R) for values in run.observables.values())
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


def test_keyboard_interrupt_before_any_row_leaves_nothing(tmp_path: Path) -> None:
    _interrupted_write(tmp_path / "run.h5", 0)
    assert os.listdir(tmp_path) == []


def test_other_exception_leaves_nothing(tmp_path: Path) -> None:
    observables, configs = _rows(2)
    with pytest.raises(RuntimeError), RunWriter(tmp_path / "run.h5", ATTRS, NAMES, (R, L, L)) as w:
        w.append(observables[0], configs[0])
        raise RuntimeError("sampler failed")
    assert os.listdir(tmp_path) == []


def test_bad_row_aborts_without_file(tmp_path: Path) -> None:
    observables, _ = _rows(1)
    with (
        pytest.raises(ValueError, match="int8"),
        RunWriter(tmp_path / "run.h5", ATTRS, NAMES, (R, L, L)) as writer,
    ):
        writer.append(observables[0], np.ones((R, L, L)))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("relative", "message"),
    [("missing/run.h5", "does not exist"), ("run.txt", "must end in"), ("run", "must end in")],
)
def test_bad_path_creates_nothing(tmp_path: Path, relative: str, message: str) -> None:
    with pytest.raises(OutputPathError, match=message):
        RunWriter(tmp_path / relative, ATTRS, NAMES, (R, L, L))
    assert os.listdir(tmp_path) == []


def test_unwritable_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot deny root, so permission is denied through os.access itself.
    monkeypatch.setattr(hdf5.os, "access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(OutputPathError, match="not writable"):
        RunWriter(tmp_path / "run.h5", ATTRS, NAMES, (R, L, L))
    assert os.listdir(tmp_path) == []


def test_output_path_error_is_value_error_naming_path(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    with pytest.raises(ValueError, match=re.escape(str(path))) as info, atomic_output(path):
        pass
    assert isinstance(info.value, OutputPathError)
    assert "\n" not in str(info.value)


def test_existing_file_replaced_only_at_close(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    path.write_bytes(b"old run")
    observables, configs = _rows(2)
    with RunWriter(path, ATTRS, NAMES, (R, L, L)) as writer:
        writer.append(observables[0], configs[0])
        assert path.read_bytes() == b"old run"
        (tmp,) = [name for name in os.listdir(tmp_path) if name != "run.h5"]
        assert tmp.startswith(".run.tmp-") and tmp.endswith(".h5")
    assert read_run(path).attrs["n_measurements"] == 1
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


def test_invalid_arguments_create_nothing(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    with pytest.raises(ValueError, match="set by the writer"):
        RunWriter(path, {"complete": True}, NAMES, (R, L, L))
    with pytest.raises(TypeError, match="'h'"):
        RunWriter(path, {"h": None}, NAMES, (R, L, L))
    with pytest.raises(ValueError, match="duplicate"):
        RunWriter(path, ATTRS, ["energy", "energy"], (R, L, L))
    for shape in ((R,), (R, 0, L), (R, L, 2.0)):  # a lattice of >= 1 positive int sides
        with pytest.raises(ValueError, match="shape"):
            RunWriter(path, ATTRS, NAMES, shape)
    assert os.listdir(tmp_path) == []


def test_atomic_output(tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    with atomic_output(path, suffix_check=(".png",)) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".")
        tmp.write_bytes(b"png")
        assert not path.exists()
    assert path.read_bytes() == b"png"

    with pytest.raises(OSError), atomic_output(path, suffix_check=None) as tmp:
        tmp.write_bytes(b"partial")
        raise OSError("disk full")
    assert path.read_bytes() == b"png"
    assert os.listdir(tmp_path) == ["plot.png"]


def test_shaped_observables_and_extra_arrays_round_trip(tmp_path: Path) -> None:
    """Per-replica functions (a correlation C(r)) and further per-measurement datasets (the
    dimer model's images) are stored row by row like the configurations."""
    path = tmp_path / "dimer.h5"
    rng = np.random.default_rng(5)
    corr = rng.normal(size=(4, R, 5))
    energy = rng.normal(size=(4, R))
    images = rng.integers(0, 2, size=(4, R, 2 * L, 2 * L), dtype=np.uint8)
    with RunWriter(path, {"model": "dimer"}, {"e": (), "corr": (5,)}, (R, L, L),
                   {"images": (np.uint8, (R, 2 * L, 2 * L))}) as writer:
        for i in range(4):
            writer.append({"e": energy[i], "corr": corr[i]},
                          np.zeros((R, L, L), np.int8), {"images": images[i]})
    run = read_run(path)
    np.testing.assert_array_equal(run.observables["corr"], corr)
    np.testing.assert_array_equal(run.observables["e"], energy)
    assert run.arrays == ("images",)
    np.testing.assert_array_equal(run.array("images"), images)
    np.testing.assert_array_equal(run.array("images", (2, 1)), images[2, 1])
    with pytest.raises(ValueError, match="no dataset"):
        run.array("spins")


def test_extra_arrays_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "dimer.h5"
    spec = {"images": (np.uint8, (R, 4, 4))}
    with pytest.raises(ValueError, match="replicas"):
        RunWriter(path, {}, NAMES, (R, L, L), {"images": (np.uint8, (R + 1, 4, 4))})
    with pytest.raises(ValueError, match="invalid array name"):
        RunWriter(path, {}, NAMES, (R, L, L), {"configs": (np.uint8, (R, 4, 4))})
    obs = {name: np.zeros(R) for name in NAMES}
    with pytest.raises(ValueError, match="uint8"), RunWriter(path, {}, NAMES, None, spec) as w:
        w.append(obs, None, {"images": np.zeros((R, 4, 4), np.int16)})
    with pytest.raises(ValueError, match="arrays mismatch"), \
            RunWriter(path, {}, NAMES, None, spec) as w:
        w.append(obs)
    with pytest.raises(ValueError, match=r"expected \(R, 5\)"), \
            RunWriter(path, {}, {"corr": (5,)}, None) as w:
        w.append({"corr": np.zeros((R, 4))})
    assert os.listdir(tmp_path) == []
