"""``gpurg import`` (gpurg.io.importers): users' own configurations in, as ordinary run files;
RSMI-NE's files both ways."""

from __future__ import annotations

import math
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from gpurg.cli.main import main
from gpurg.errors import InputError
from gpurg.io.importers import import_configurations
from gpurg.io.rsmi_ne import rsmi_ne_filename, rsmi_ne_parameters
from gpurg.models.dimer import DimerModel
from gpurg.models.dimer_encodings import columnar_state, to_image
from gpurg.models.ising import IsingModel
from gpurg.sampling import sample_dimer, sample_ising

T_C = 2 / math.log(1 + math.sqrt(2))


def gpurg(argv: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``gpurg ARGV`` in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def configs(path: Path) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return f["configs"][()]


@pytest.fixture(scope="module")
def ising_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A critical Ising run: L = 16, 6 measurements x 8 replicas."""
    path = tmp_path_factory.mktemp("ising") / "tc.h5"
    sample_ising(IsingModel(16, T_C), replicas=8, sweeps=30, every=5, thermalize=20, seed=3,
                 device="numpy", output=path)
    return path


@pytest.fixture(scope="module")
def dimer_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dimers, L = 8, 4 measurements x 4 replicas, with noisy images."""
    path = tmp_path_factory.mktemp("dimer") / "d.h5"
    sample_dimer(DimerModel(8, 1.5, -1.0), replicas=4, sweeps=20, every=5, thermalize=5,
                 noise="correlated", seed=5, device="numpy", output=path)
    return path


# ----------------------------------------------------------------------------- round trips


def test_ising_npy_pm1_and_01_npz_and_foreign_hdf5_give_the_same_bits(
        ising_run: Path, tmp_path: Path) -> None:
    spins = configs(ising_run)
    np.save(tmp_path / "pm1.npy", spins)
    np.save(tmp_path / "01.npy", ((spins + 1) // 2).astype(np.int64))  # another dtype
    np.savez(tmp_path / "both.npz", spins=spins, energies=np.zeros(3))
    with h5py.File(tmp_path / "theirs.h5", "w") as f:
        f.create_dataset("sim/run1/spins", data=spins.astype(np.float32))
        f["sim/run1/energy"] = np.zeros((6, 8))
    sources = {"pm1.npy": ({}, "pm1"), "01.npy": ({}, "01"),
               "both.npz": ({"dataset": "spins"}, "pm1"),
               f"{tmp_path / 'theirs.h5'}:/sim/run1/spins": ({}, "pm1")}
    for i, (name, (extra, values)) in enumerate(sources.items()):
        source = name if os.path.isabs(name) else tmp_path / name
        out = tmp_path / f"out{i}.h5"
        result = import_configurations(source, model="ising", T=T_C, output=out, **extra)
        assert result.values == values and result.detected
        got = configs(out)
        assert got.dtype == np.int8 and np.array_equal(got, spins), name
        with h5py.File(out, "r") as f:
            assert f.attrs["imported"] and f.attrs["complete"] and f.attrs["values"] == values
            assert (f.attrs["L"], f.attrs["replicas"], f.attrs["n_measurements"]) == (16, 8, 6)
            assert (f.attrs["J"], f.attrs["h"]) == (1.0, 0.0)
            with h5py.File(ising_run, "r") as g:  # measured from the configurations
                for key in ("e", "m", "abs_m", "m2", "m4"):
                    np.testing.assert_allclose(f["observables"][key][()],
                                               g["observables"][key][()], rtol=1e-12)


def test_layouts_replicas_first_flat_rows_and_rsmi_ne_ising_text(ising_run: Path,
                                                                 tmp_path: Path) -> None:
    spins = configs(ising_run)
    np.save(tmp_path / "rn.npy", spins.swapaxes(0, 1))
    import_configurations(tmp_path / "rn.npy", model="ising", T=T_C, layout="R,n,L,L",
                          output=tmp_path / "rn.h5")
    assert np.array_equal(configs(tmp_path / "rn.h5"), spins)
    flat = spins.reshape(-1, 16 * 16)
    # RSMI-NE's Ising text, as build_dataset.filename names it and np.loadtxt reads it
    text = tmp_path / "configs_ising2d_square_L16_K0.44.txt"
    np.savetxt(text, flat, fmt="%d")
    assert rsmi_ne_parameters(text) == {"model": "ising", "L": 16, "K": 0.44}
    result = import_configurations(text, model="ising", T=T_C, output=tmp_path / "txt.h5")
    assert result.layout == "N,L*L" and (result.n_measurements, result.replicas) == (48, 1)
    assert np.array_equal(configs(tmp_path / "txt.h5")[:, 0], spins.reshape(-1, 16, 16))
    np.save(tmp_path / "flat.npy", (flat + 1) // 2)
    import_configurations(tmp_path / "flat.npy", model="ising", T=T_C, layout="N,L*L",
                          output=tmp_path / "flat.h5")
    assert np.array_equal(configs(tmp_path / "flat.h5")[:, 0], spins.reshape(-1, 16, 16))


def _exponent_rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if "±" in line]


def test_rg_exponents_on_an_imported_copy_print_the_same_exponents(
        ising_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "spins.npy", configs(ising_run))
    code, out, err = gpurg(["import", tmp_path / "spins.npy", "--model", "ising", "-T", T_C,
                            "-o", tmp_path / "copy.h5"], capsys)
    assert code == 0, err
    assert "Ising spins ±1 (detected)" in out and "6 measurements x 8 replicas" in out
    rows = {}
    for name, path in (("original", ising_run), ("copy", tmp_path / "copy.h5")):
        code, out, err = gpurg(["rg", "exponents", path, "--device", "numpy", "--seed", 1],
                               capsys)
        assert code == 0, err
        rows[name] = _exponent_rows(out)
    assert rows["original"] and rows["copy"] == rows["original"]


def test_rsmi_train_runs_on_an_imported_file(ising_run: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "s01.npy", (configs(ising_run) + 1) // 2)
    assert gpurg(["import", tmp_path / "s01.npy", "-m", "ising", "-T", T_C, "-o",
                  tmp_path / "in.h5"], capsys)[0] == 0
    code, _, err = gpurg(["rsmi", "train", tmp_path / "in.h5", "--pairs", 256, "--epochs", 1,
                          "--restarts", 1, "--width", 2, "--device", "numpy", "-o",
                          tmp_path / "filter.h5"], capsys)
    assert code == 0, err
    assert (tmp_path / "filter.h5").is_file()


def test_dimer_codes_and_images(dimer_run: Path, tmp_path: Path) -> None:
    with h5py.File(dimer_run, "r") as f:
        codes, images = f["configs"][()], f["images"][()]
        observables = {k: f["observables"][k][()] for k in f["observables"]}
    np.save(tmp_path / "codes.npy", codes.astype(np.int64))
    result = import_configurations(tmp_path / "codes.npy", model="dimer", T=1.5,
                                   output=tmp_path / "c.h5")
    assert result.values == "codes" and np.array_equal(configs(tmp_path / "c.h5"), codes)
    result = import_configurations(f"{dimer_run}:/images", model="dimer", T=1.5,
                                   output=tmp_path / "i.h5")
    assert result.values == "image"
    with h5py.File(tmp_path / "i.h5", "r") as f:
        assert np.array_equal(f["configs"][()], codes)
        assert np.array_equal(f["images"][()], images)  # vertex and face pixels kept
        assert (f.attrs["V"], f.attrs["T"], f.attrs["encoding"]) == (-1.0, 1.5, "image")
        for key in ("e", "n_par", "wx", "wy", "cx", "cy", "col2", "corr_long", "corr_trans"):
            np.testing.assert_allclose(f["observables"][key][()], observables[key])
        assert "worms" not in f["observables"]  # a sampler's counters, not in the data


# -------------------------------------------------------------------------- RSMI-NE both ways


def _rsmi_ne_sampler_file(directory: Path, coverings: np.ndarray, T: float) -> Path:
    """A file laid out as mc_dimers' src/DimerMCSimulation.jl writes it: ``Xs =
    SharedArray(zeros(N, 2n, 2n))`` filled by ``sites_bonds`` (1-based: noise on the site
    (2k+1, 2l+1), copied to the face (2k+2, 2l+2) with -cp; a dimer to the right at
    (2k+1, 2l+2), to the bottom at (2k+2, 2l+1), periodic ones in the last column/row) and
    saved by PyCall's np.save: float64, Fortran order, Julia's indices kept."""
    n_conf, n = coverings.shape[0], coverings.shape[-1]
    rng = np.random.default_rng(0)
    X = np.zeros((n_conf, 2 * n, 2 * n), order="F")
    for t in range(n_conf):
        for i in range(n * n):
            k, col = divmod(i, n)  # row k, column col (sites_bonds' k and l)
            X[t, 2 * k, 2 * col] = rng.integers(2)
            X[t, 2 * k + 1, 2 * col + 1] = X[t, 2 * k, 2 * col]
            code = coverings[t, k, col]
            if code == 0:  # right
                X[t, 2 * k, 2 * col + 1] = 1
            elif code == 2 and col > 0:  # left; the periodic one is set by its partner
                X[t, 2 * k, 2 * col - 1] = 1
            elif code == 1:  # bottom: the next row
                X[t, 2 * k + 1, 2 * col] = 1
            elif code == 3 and k > 0:  # top
                X[t, 2 * k - 1, 2 * col] = 1
    path = directory / f"configs_intdimer2d_square_L{2 * n}_T{T:.3f}.npy"
    np.save(path, X)
    return path


def test_a_file_as_rsmi_ne_writes_it_imports_to_its_coverings(dimer_run: Path,
                                                               tmp_path: Path) -> None:
    coverings = configs(dimer_run).reshape(-1, 8, 8)
    path = _rsmi_ne_sampler_file(tmp_path, coverings, 1.5)
    assert np.load(path).flags.f_contiguous and np.load(path).dtype == np.float64
    result = import_configurations(path, model="dimer", output=tmp_path / "r.h5")
    assert (result.values, result.layout, result.attrs["T"]) == ("image", "N,L,L", 1.5)
    assert np.array_equal(configs(tmp_path / "r.h5")[:, 0], coverings)
    with h5py.File(tmp_path / "r.h5", "r") as f:
        assert np.array_equal(f["images"][()][:, 0], np.load(path).astype(np.uint8))


def _rsmi_ne_load(basedir: Path, L: int, T: float) -> np.ndarray:
    """RSMI-NE's loader, restated from rsmine/coarsegrainer/build_dataset.py: ``filename``
    (``os.path.join(basedir, prefix+"_%s_%s_L%i_T%.3f.%s" % (model, lattice, L, T,
    fileformat))`` for model 'intdimer2d', lattice 'square', prefix 'configs', fileformat
    'npy'; their L is the image side), ``dataset.__init__`` (``x = np.load(...)``;
    ``configurations = np.reshape(x, (N_configs, L*L))``) and ``rsmi_data`` (``configs =
    configurations.reshape((len(configurations),) + dimension*(L,) + (visible_dim,))``)."""
    name = os.path.join(basedir, "configs" + "_%s_%s_L%i_T%.3f.%s"  # noqa: UP031 (theirs)
                        % ("intdimer2d", "square", L, T, "npy"))
    x = np.load(name)
    configurations = np.reshape(x, (len(x), L * L))
    return configurations.reshape((len(configurations),) + 2 * (L,) + (1,))


def test_rsmi_ne_reads_what_dimer_convert_writes(dimer_run: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = rsmi_ne_filename(8, 1.5, tmp_path)
    code, _, err = gpurg(["dimer", "convert", dimer_run, target, "--to", "rsmi-ne"], capsys)
    assert code == 0, err
    loaded = _rsmi_ne_load(tmp_path, 16, 1.5)
    with h5py.File(dimer_run, "r") as f:
        images = f["images"][()].reshape(-1, 16, 16)
    assert loaded.dtype == np.float64 and set(np.unique(loaded)) <= {0.0, 1.0}
    assert np.array_equal(loaded[..., 0], images)
    # and back
    import_configurations(target, model="dimer", output=tmp_path / "back.h5")
    assert np.array_equal(configs(tmp_path / "back.h5")[:, 0], configs(dimer_run).reshape(
        -1, 8, 8))


# ------------------------------------------------------------------------------- bad input


def _bad_sources(directory: Path, spins: np.ndarray) -> dict[str, tuple[list[str], str]]:
    """name -> (extra arguments, a fragment of the one error line)."""
    bad = spins.copy()
    bad[3, 0, 5, 2] = 3
    np.save(directory / "bad.npy", bad)
    np.save(directory / "ones.npy", np.ones((2, 8, 8), np.int8))
    np.save(directory / "nan.npy", np.where(spins > 0, 1.0, np.nan))
    np.save(directory / "half.npy", spins * 0.5)
    np.save(directory / "rect.npy", spins[..., :6])
    np.save(directory / "odd.npy", spins[:, 0, :7, :7])
    np.save(directory / "flat2d.npy", spins[0, 0])
    np.save(directory / "five.npy", spins[None])
    np.save(directory / "text.npy", np.array([["a"]]))
    np.save(directory / "empty.npy", np.zeros((0, 8, 8), np.int8))
    np.save(directory / "mixed.npy", np.where(spins > 0, 0, -1).astype(np.int8))
    (directory / "junk.npy").write_text("not numpy")
    (directory / "junk.h5").write_text("not hdf5")
    (directory / "junk.txt").write_text("1 -1 x\n")
    (directory / "ragged.txt").write_text("1 -1 1 1\n1 1\n")
    (directory / "data.xyz").write_text("1")
    np.savez(directory / "two.npz", a=spins, b=spins)
    with h5py.File(directory / "many.h5", "w") as f:
        f["x"] = spins
        f["y"] = spins
    codes = np.broadcast_to(columnar_state(8), (2, 8, 8)).copy()
    codes[1, 2, 3] = 1  # its partner does not point back
    np.save(directory / "broken.npy", codes)
    image = to_image(columnar_state(8))[None].astype(np.float64)
    image[0, 0, 1] = 0  # a site left uncovered
    np.save(directory / "hole.npy", image)
    return {
        "bad.npy": ([], "bad.npy[3, 0, 5, 2] = 3; Ising spins must be -1 or +1"),
        "ones.npy": ([], "--values pm1 or --values 01"),
        "nan.npy": ([], "= nan; Ising spins must be -1 or +1"),
        "half.npy": ([], "half.npy[0, 0, 0, 0] = "),
        "rect.npy": ([], "not square"),
        "odd.npy": ([], "L must be an even integer"),
        "flat2d.npy": ([], "--layout N,L*L"),
        "five.npy": ([], "expected (N, L, L) or (n, R, L, L)"),
        "text.npy": ([], "configurations must be numbers"),
        "empty.npy": ([], "holds no configurations"),
        "mixed.npy": ([], "= 0; Ising spins must be -1 or +1"),
        "junk.npy": ([], "not a .npy array"),
        "junk.h5": ([], "not a readable HDF5 file"),
        "junk.txt": ([], "not a text table of numbers"),
        "ragged.txt": ([], "not a text table of numbers"),
        "data.xyz": ([], "unknown format .xyz"),
        "missing.npy": ([], "missing.npy: no such file"),
        "two.npz": ([], "choose one with --dataset"),
        "many.h5": ([], "choose one with"),
        "many.h5:/z": ([], "/z is no dataset; datasets: /x, /y"),
        "bad.npy ": (["--dataset", "x"], "applies to .npz and HDF5 files only"),
        "bad.npy  ": (["--values", "codes"], "allowed for ising: pm1, 01"),
        "bad.npy   ": (["-V", "1"], "V: not a parameter of the ising model"),
        "broken.npy": (["-m", "dimer"], "does not point back"),
        "hole.npy": (["-m", "dimer"], "covered by 0 dimers"),
        "odd.npy ": (["-m", "dimer", "--values", "image"], "dimer image pixels must be 0 or 1"),
    }


def test_every_bad_input_gives_one_line_exit_2_and_no_file(
        ising_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = _bad_sources(tmp_path, configs(ising_run))
    before = set(tmp_path.iterdir())
    for name, (extra, fragment) in cases.items():
        model = [] if "-m" in extra else ["-m", "ising"]
        code, out, err = gpurg(["import", tmp_path / name.strip(), *model, "-T", 2.0,
                                *extra, "-o", tmp_path / "out.h5"], capsys)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error:"), (name, err)
        assert fragment in lines[0], (name, lines[0])
        assert "Traceback" not in out + err
        assert set(tmp_path.iterdir()) == before, name  # nothing written, no temporary left


def test_bad_outputs_and_missing_temperature(ising_run: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "s.npy", configs(ising_run))
    (tmp_path / "adir.h5").mkdir()
    for output, fragment in ((tmp_path / "no" / "x.h5", "does not exist"),
                             (tmp_path / "adir.h5", "is a directory"),
                             (tmp_path / "x.npy", "must end in .h5")):
        code, _, err = gpurg(["import", tmp_path / "s.npy", "-m", "ising", "-T", 2, "-o",
                              output], capsys)
        assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
    code, _, err = gpurg(["import", tmp_path / "s.npy", "-m", "ising", "-o",
                          tmp_path / "x.h5"], capsys)
    assert code == 2 and "give -T" in err
    assert not (tmp_path / "x.h5").exists()


def test_an_existing_output_is_replaced_whole_or_kept(ising_run: Path, tmp_path: Path) -> None:
    spins = configs(ising_run)
    np.save(tmp_path / "s.npy", spins)
    out = tmp_path / "out.h5"
    import_configurations(tmp_path / "s.npy", model="ising", T=2.0, output=out)
    before = out.read_bytes()
    np.save(tmp_path / "s.npy", np.full_like(spins, 3))
    with pytest.raises(InputError, match="= 3; Ising spins"):
        import_configurations(tmp_path / "s.npy", model="ising", T=2.0, output=out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.h5", "s.npy"]


def test_given_values_settle_the_all_plus_one_case(tmp_path: Path) -> None:
    np.save(tmp_path / "ones.npy", np.ones((2, 8, 8), np.int8))
    import_configurations(tmp_path / "ones.npy", model="ising", T=2.0, values="pm1",
                          output=tmp_path / "a.h5")
    import_configurations(tmp_path / "ones.npy", model="ising", T=2.0, values="01",
                          output=tmp_path / "b.h5")
    assert (configs(tmp_path / "a.h5") == 1).all() and (configs(tmp_path / "b.h5") == 1).all()
    np.save(tmp_path / "zeros.npy", np.zeros((2, 8, 8), np.int8))
    import_configurations(tmp_path / "zeros.npy", model="ising", T=2.0,
                          output=tmp_path / "c.h5")
    assert (configs(tmp_path / "c.h5") == -1).all()  # 0 is not a spin: 0/1 data


def test_rsmi_ne_names_give_the_dimer_temperature() -> None:
    assert rsmi_ne_parameters("d/configs_intdimer2d_square_L64_T15.000.npy") == {
        "model": "dimer", "L": 32, "T": 15.0}
    assert rsmi_ne_parameters("configs_intdimer2d_square_L64_TInf.npy")["T"] == math.inf
    assert rsmi_ne_parameters("configs.npy") is None
