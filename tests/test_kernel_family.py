"""KernelFamily: arguments checked against the declared C types on both paths, GPU handles
cached per device, instantiations from one list, one table of random streams, and
GPURG_HOST_CFLAGS for debug builds of the host kernels."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from gpurg.backend import hostcc, kernels, philox
from gpurg.backend.device import Backend
from gpurg.backend.kernels import KernelFamily
from gpurg.backend.sources import kernel_dir, kernel_files
from gpurg.models import dimer, ising, ising3d, ising3d_bits, ising3d_cluster, ising_bits
from gpurg.rbm import conditionals
from gpurg.rg import maps

from .cuda_toolchain import nvcc, nvcc_compile, nvrtc_compile, nvrtc_library

FAMILIES = {
    "rng": philox._RNG,
    "ising": ising._LOCAL,
    "ising_cluster": ising._CLUSTER,
    "dimer": dimer._WORMS,
    "rbm": conditionals._KERNELS,
    "ising_bits": ising_bits._KERNELS,
    "ising3d": ising3d._LOCAL,
    "ising3d_cluster": ising3d_cluster._CLUSTER3D,
    "ising3d_bits": ising3d_bits._KERNELS,
}
RNG_PARAMS = ("const gpurg_u32*", "gpurg_u32*", "int", "gpurg_u32", "gpurg_u32")


# --------------------------------------------------------------------------- declarations
_DEFINE = re.compile(r"^#define (\w+)\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)$", re.MULTILINE)
_KERNEL = re.compile(r'extern "C" __global__ void (?:__launch_bounds__\([^)]*\)\s*)?'
                     r"(\w+)\s*\(([^)]*)\)")


def _expand_macros(code: str) -> str:
    """Expand the function-like macros of ``code`` that are invoked alone on a line (the
    kernels' instantiation macros): enough of a preprocessor to read their signatures."""
    macros = _DEFINE.findall(code)
    code = _DEFINE.sub("", code)
    for name, params, body in macros:
        names = [p.strip() for p in params.split(",")]
        body = body.replace("\\\n", " ")

        def expand(m: re.Match, names=names, body=body) -> str:
            values = [v.strip() for v in m.group(1).split(",")]
            out = body
            for p, v in zip(names, values, strict=True):
                out = re.sub(rf"\b{p}\b", v, out)
            return out

        code = re.sub(rf"^{name}\(([^)]*)\)\s*$", expand, code, flags=re.MULTILINE)
    return re.sub(r"\s*##\s*", "", code)


def _parameter_type(decl: str) -> str:
    words = decl.replace("__restrict__", " ").replace("*", " * ").split()
    return " ".join(words[:-1]).replace(" *", "*")


def source_signatures(code: str) -> dict[str, tuple[str, ...]]:
    """Every ``extern "C" __global__`` kernel of ``code``: name -> parameter C types."""
    return {name: tuple(_parameter_type(d) for d in params.split(","))
            for name, params in _KERNEL.findall(_expand_macros(code))}


@pytest.mark.parametrize("family", FAMILIES.values(), ids=FAMILIES.keys())
def test_declared_signatures_match_the_source(family: KernelFamily) -> None:
    """The Python tables the checks rely on declare exactly the kernels of the source, with
    their parameter types (instantiated kernels included)."""
    assert source_signatures(family.code()) == family.signatures


def test_checkerboard_kernels_come_from_one_list() -> None:
    text = (kernel_dir() / "ising.cu").read_text()
    assert not re.search(r"^ISING_CHECKERBOARD\(", text, re.MULTILINE)  # no second list
    assert ising._LOCAL.instantiations == tuple(
        f"ISING_CHECKERBOARD({s}, {r})" for s, r in ising.CHECKERBOARD_TILES)
    wrapper = hostcc.wrapper_source("ising.cu", sorted(ising._LOCAL.signatures.items()),
                                    instantiations=ising._LOCAL.instantiations)
    code = ising._LOCAL.code()
    for line in ising._LOCAL.instantiations:
        assert wrapper.index(line) > wrapper.index('#include "ising.cu"')
        assert code.index(line) > code.index("#define ISING_CHECKERBOARD")


@pytest.mark.parametrize("family", FAMILIES.values(), ids=FAMILIES.keys())
def test_family_code_compiles_with_nvrtc(family: KernelFamily) -> None:
    lib = nvrtc_library()
    if lib is None:
        pytest.skip("NVRTC not available")
    ok, log = nvrtc_compile(lib, family.code(), family.source, ["-arch=compute_90", "-std=c++17"])
    assert ok, log


def test_instantiated_ising_kernels_compile_with_nvcc(tmp_path) -> None:
    if nvcc() is None:
        pytest.skip("nvcc not available")
    src = tmp_path / "ising_full.cu"
    src.write_text(ising._LOCAL.code())
    proc = nvcc_compile(src, tmp_path / "k.cubin", kernel_dir())
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------------ random streams
def test_random_streams_are_one_distinct_table() -> None:
    """gpurg_common.cuh holds the one table; philox.py's constants (and maps.STREAM_MAJORITY)
    are read from it, and every stream a kernel or Python module names is in it."""
    header = (kernel_dir() / "gpurg_common.cuh").read_text()
    defines = dict(re.findall(r"#define GPURG_STREAM_(\w+) (\d+)u", header))
    assert {k: int(v) for k, v in defines.items()} == philox.STREAMS
    values = list(philox.STREAMS.values())
    assert len(set(values)) == len(values)
    for name, value in philox.STREAMS.items():
        assert getattr(philox, f"STREAM_{name}") == value
    assert {n for n in vars(philox) if n.startswith("STREAM_")} == {
        f"STREAM_{n}" for n in philox.STREAMS}
    assert maps.STREAM_MAJORITY == philox.STREAM_MAJORITY == 11
    used = set()
    for path in kernel_files():
        used |= set(re.findall(r"GPURG_STREAM_(\w+)", path.read_text()))
    assert used == set(philox.STREAMS)
    # the values the existing chains were produced with (changing one changes every chain)
    assert philox.STREAMS == {"LOCAL_UPDATE": 0, "HOT_START": 1, "SW_BONDS": 2, "SW_FLIPS": 3,
                              "DIMER_WORM": 4, "DIMER_NOISE": 5, "DIMER_START": 6, "RBM": 7,
                              "PAIR_POSITIONS": 8, "CHAIN_SAMPLES": 10, "MAJORITY": 11,
                              "BIT_UPDATE": 12}


# ------------------------------------------------------------------------ argument checks
def _family() -> KernelFamily:
    return KernelFamily("rng.cu", {"philox_blocks": RNG_PARAMS})


def _args(ctr=None, out=None, n=8, k0=1, k1=2):
    ctr = np.zeros((8, 4), np.uint32) if ctr is None else ctr
    out = np.zeros((8, 4), np.uint32) if out is None else out
    return ctr, out, n, k0, k1


@pytest.mark.parametrize("bad, error, message", [
    ({"ctr": np.zeros((4, 8), np.uint32).T}, ValueError,
     r"kernel philox_blocks, argument 0 \(const gpurg_u32\*\): expected a C-contiguous array, "
     r"got shape \(8, 4\)"),
    ({"out": np.zeros((8, 8), np.uint32)[:, ::2]}, ValueError,
     r"argument 1 \(gpurg_u32\*\): expected a C-contiguous"),
    ({"ctr": np.zeros((8, 4), np.int64)}, TypeError,
     r"kernel philox_blocks, argument 0 \(const gpurg_u32\*\): expected dtype uint32, got int64"),
    ({"out": [0] * 32}, TypeError, r"argument 1 \(gpurg_u32\*\): expected a numpy.ndarray of "
                                   r"uint32, got list"),
    ({"n": 2**31}, ValueError, r"argument 2 \(int\): expected an integer in \[-2147483648, "
                               r"2147483648\), got 2147483648"),
    ({"k0": -1}, ValueError, r"argument 3 \(gpurg_u32\): expected an integer in \[0, "),
    ({"k1": 1.0}, TypeError, r"argument 4 \(gpurg_u32\): expected an integer, got float"),
])
def test_cpu_path_refuses_bad_arguments(cpu_kernels, bad, error, message) -> None:
    with pytest.raises(error, match=message):
        _family().launch(cpu_kernels, "philox_blocks", 8, *_args(**bad))


def test_wrong_argument_count_and_unknown_kernel(cpu_kernels) -> None:
    with pytest.raises(TypeError, match="kernel philox_blocks takes 5 arguments, got 4"):
        _family().launch(cpu_kernels, "philox_blocks", 8, *_args()[:4])
    with pytest.raises(ValueError, match="rng.cu declares no kernel 'nope'"):
        _family().launch(cpu_kernels, "nope", 8)
    with pytest.raises(ValueError, match="unknown pointer type 'long\\*'"):
        KernelFamily("rng.cu", {"k": ("long*",)})


def test_cpu_path_runs_good_arguments(cpu_kernels) -> None:
    ctr = np.arange(32, dtype=np.uint32).reshape(8, 4)
    ctr_f = np.asfortranarray(ctr)
    out = np.zeros_like(ctr)
    with pytest.raises(ValueError, match="C-contiguous"):
        philox._RNG.launch(cpu_kernels, "philox_blocks", 8, ctr_f, out, 8, 3, 4)
    philox._RNG.launch(cpu_kernels, "philox_blocks", 8, ctr, out, np.int64(8), np.uint32(3), 4)
    assert np.array_equal(out, philox.philox4x32(tuple(ctr.T), (3, 4)))


@pytest.mark.parametrize("path", ["cpu", "gpu"])
def test_arrays_smaller_than_the_launch_are_refused(cpu_kernels, monkeypatch, path) -> None:
    """The declared sizes (here n blocks of 4 words) are checked before the kernel runs, on
    both paths: on a GPU the kernel would read and write past the arrays without a word."""
    module = _FakeModule()
    monkeypatch.setattr(kernels, "_cupy_module", lambda source, inst=(): module)
    monkeypatch.setattr(kernels, "_current_device", lambda: 0)
    backend = cpu_kernels if path == "cpu" else Backend("gpu", np, "fake GPU", "test")
    for name, bad in (("philox_blocks", {"n": 9}), ("philox_blocks_lanes", {"n": 12}),
                      ("philox_blocks", {"out": np.zeros((7, 4), np.uint32)})):
        args = _args(**bad)
        with pytest.raises(ValueError, match=rf"kernel {name}, argument [01] .*: the launch "
                                             rf"touches \d+ elements, the array holds \d+"):
            philox._RNG.launch(backend, name, args[2], *args)
    assert module.launches == []
    philox._RNG.launch(backend, "philox_blocks", 8, *_args())  # exactly large enough


def test_every_kernel_declares_the_sizes_it_touches() -> None:
    for family in FAMILIES.values():
        assert set(family.sizes) == set(family.signatures), family.source
    with pytest.raises(ValueError, match="sizes or blockwise given for undeclared kernels"):
        KernelFamily("rng.cu", {"philox_blocks": RNG_PARAMS}, sizes={"nope": len})
    with pytest.raises(ValueError, match="sizes or blockwise given for undeclared kernels"):
        KernelFamily("rng.cu", {"philox_blocks": RNG_PARAMS}, blockwise=("nope",))


def test_blockwise_kernels_launch_only_by_blocks(cpu_kernels) -> None:
    """A kernel whose threads wait for each other runs by blocks (one thread each on the
    host), and the other kind refuses launch_blocks, so neither is launched the wrong way."""
    family = KernelFamily("rng.cu", {"philox_blocks": RNG_PARAMS}, blockwise=("philox_blocks",))
    with pytest.raises(ValueError, match="is blockwise: launch it with launch_blocks"):
        family.launch(cpu_kernels, "philox_blocks", 8, *_args())
    with pytest.raises(ValueError, match="is not blockwise"):
        philox._RNG.launch_blocks(cpu_kernels, "philox_blocks", 8, *_args())
    ctr, out, n, k0, k1 = _args(ctr=np.arange(32, dtype=np.uint32).reshape(8, 4))
    family.launch_blocks(cpu_kernels, "philox_blocks", n, ctr, out, n, k0, k1)
    expected = np.zeros_like(out)
    philox._RNG.launch(cpu_kernels, "philox_blocks", n, ctr, expected, n, k0, k1)
    assert (out == expected).all()


# --------------------------------------------------------------------------- GPU handles
class _FakeModule:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.launches: list[tuple] = []

    def get_function(self, name: str):
        self.calls.append(name)

        def fn(grid, block, args):
            self.launches.append((name, grid, block, args))
        return fn


def test_gpu_handles_are_cached_per_device(monkeypatch) -> None:
    """get_function runs once per (device, kernel), not on every launch; the GPU path checks
    the arguments too, and converts scalars to their fixed-width NumPy types."""
    module = _FakeModule()
    device = [0]
    modules = []
    monkeypatch.setattr(kernels, "_cupy_module",
                        lambda source, inst=(): modules.append((source, inst)) or module)
    monkeypatch.setattr(kernels, "_current_device", lambda: device[0])
    gpu = Backend("gpu", np, "fake GPU", "test")  # NumPy arrays stand in for CuPy's
    family = KernelFamily("rng.cu", {"philox_blocks": RNG_PARAMS,
                                     "philox_blocks_lanes": RNG_PARAMS})
    for _ in range(3):
        family.launch(gpu, "philox_blocks", 300, *_args())
    assert module.calls == ["philox_blocks"]
    family.launch(gpu, "philox_blocks_lanes", 2, *_args())
    device[0] = 1
    family.launch(gpu, "philox_blocks", 300, *_args())
    family.launch(gpu, "philox_blocks", 300, *_args())
    assert module.calls == ["philox_blocks", "philox_blocks_lanes", "philox_blocks"]
    name, grid, block, args = module.launches[0]
    assert (grid, block) == ((2,), (kernels.BLOCK,))
    assert [type(a) for a in args[2:]] == [np.int32, np.uint32, np.uint32]
    assert all(m == ("rng.cu", ()) for m in modules)
    with pytest.raises(TypeError, match="argument 1 .*expected dtype uint32, got float64"):
        family.launch(gpu, "philox_blocks", 8, *_args(out=np.zeros((8, 4))))
    with pytest.raises(ValueError, match="argument 0 .*C-contiguous"):
        family.launch(gpu, "philox_blocks", 8, *_args(ctr=np.zeros((4, 8), np.uint32).T))
    assert len(module.calls) == 3 and len(module.launches) == 6


# -------------------------------------------------------------------- GPURG_HOST_CFLAGS
def test_host_cflags_reach_the_compiler_and_key_the_cache(cpu_kernels, tmp_path,
                                                          monkeypatch) -> None:
    """GPURG_HOST_CFLAGS goes on the compile command after the defaults (so -O0 overrides
    -O3), builds a separate cached library, and an -O0 -g build gives the same bits."""
    monkeypatch.setenv("GPURG_CACHE_DIR", str(tmp_path))
    hostcc.load_library.cache_clear()  # it is keyed by its arguments, not the cache folder
    commands: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd, *args, **kwargs):
        commands.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(hostcc.subprocess, "run", spy)
    monkeypatch.setenv("GPURG_HOST_CFLAGS", "-O0 -g -DGPURG_DEBUG_PROBE='1'")
    assert hostcc.host_cflags() == ("-O0", "-g", "-DGPURG_DEBUG_PROBE=1")
    ctr = np.random.default_rng(5).integers(0, 2**32, (64, 4), dtype=np.uint32)
    debug = np.zeros_like(ctr)
    _family().launch(cpu_kernels, "philox_blocks", 64, ctr, debug, 64, 7, 9)
    builds = [c for c in commands if "-shared" in c and c[-1].endswith(".so")]
    assert len(builds) == 1
    cmd = builds[0]
    assert cmd.index("-O0") > cmd.index("-O3") and "-g" in cmd
    assert "-DGPURG_DEBUG_PROBE=1" in cmd
    monkeypatch.delenv("GPURG_HOST_CFLAGS")
    optimised = np.zeros_like(ctr)
    _family().launch(cpu_kernels, "philox_blocks", 64, ctr, optimised, 64, 7, 9)
    assert len(list(tmp_path.rglob("*.so"))) == 2  # the flags are part of the cache key
    assert np.array_equal(debug, optimised)
    assert np.array_equal(debug, philox.philox4x32(tuple(ctr.T), (7, 9)))
