#!/usr/bin/env bash
# One command for a GPU machine: install gpurg, run the GPU test suite and the benchmarks.
# Usage: bash benchmarks/gpu_check.sh [output-dir]   (results land in output-dir, default .)
set -uo pipefail
out=${1:-.}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv | tee "$out/gpu.txt"
# The installed layout (gpurg.cli from cli/, gpurg.kernels from kernels/), assembled by hand:
# it needs no network and no particular setuptools on the GPU machine.
site=$(mktemp -d)
cp -r gpurg "$site/" && cp -r cli "$site/gpurg/cli" && cp -r kernels "$site/gpurg/kernels"
export PYTHONPATH="$site"
gpurg() { (cd "$site" && python3 -c 'import sys; from gpurg.cli.main import main; main(sys.argv[1:])' "$@"); }
gpurg info | tee "$out/info.txt"
gpurg selftest --device gpu | tee "$out/selftest.txt"
python3 -m pytest -q -m gpu tests/test_gpu.py tests/test_gpu_dimer.py tests/test_dimer_encodings.py \
    tests/test_rbm_sampling.py tests/test_rsmi_geometry.py tests/test_rsmi_exact.py \
    tests/test_ising_rows.py tests/test_ising3d_bits.py \
    -p no:cacheprovider 2>&1 | tee "$out/pytest_gpu.txt"
python3 benchmarks/gpu_variants.py | tee "$out/variants.txt"
# every layout (bytes, replica-bits, row-bits) of every algorithm; R = 4096 for the many-replica
# target (L >= 256), L = 64 with R = 256 for the small-lattice one
gpurg bench ising --device gpu --replicas 1,16,256,4096 --seconds 0.3 --json \
    > "$out/bench_gpu.json"
gpurg bench ising --device cpu --sizes 256,1024 --replicas 1,16,64 --seconds 0.3 --json \
    > "$out/bench_cpu.json"
# the simple-cubic lattice (issue 17): bytes and replica-bits at L = 32 .. 256
gpurg bench ising --dim 3 --device gpu --replicas 1,64,1024 --seconds 0.3 --json \
    > "$out/bench3d_gpu.json"
gpurg bench dimer --device gpu --seconds 0.3 --json > "$out/bench_dimer_gpu.json"
gpurg bench rbm --device gpu --seconds 0.3 --json > "$out/bench_rbm_gpu.json"
gpurg bench rsmi --device gpu --json > "$out/bench_rsmi_gpu.json"
gpurg bench dimer --device cpu --sizes 64 --replicas 16,256 --seconds 0.3 --json \
    > "$out/bench_dimer_cpu.json"
# the 3D exponents seed by seed at 10 times the CPU runs' statistics (issue 17: ν within 2% on
# every seed at L = 64 needs 20,000 lattices a seed; about an hour a seed on 2 CPU cores)
timeout 300 python3 benchmarks/long_ising_job.py --dim 3 --size 64 --samples 320 --batches 10 \
    --first-level 3 --seeds 0,1,2,3 --device gpu 2>&1 | tee "$out/long3d_gpu.txt"
python3 - "$out" <<'PY'
import json, sys
for name in ("bench_gpu.json", "bench_cpu.json", "bench3d_gpu.json"):
    for r in json.load(open(f"{sys.argv[1]}/{name}")):
        print(f"{r['backend']:4s} {r.get('dim', 2)}D {r['algorithm']:13s} "
              f"{r.get('layout', 'bytes'):12s} "
              f"L={r['L']:<6d} R={r['replicas']:<4d} {r['updates_per_ns']:10.2f} updates/ns")
for name in ("bench_dimer_gpu.json", "bench_dimer_cpu.json"):
    for r in json.load(open(f"{sys.argv[1]}/{name}")):
        print(f"{r['backend']:4s} {r['model']:11s} L={r['L']:<6d} R={r['replicas']:<6d} "
              f"{r['steps_per_ns']:10.3f} worm steps/ns")
PY
