"""The main job over several seeds, for the accuracy claims of the README and RESULTS:

    python benchmarks/long_ising_job.py [--dim 2] [--size 64] [--samples 128]
        [--seeds 0,1,2,3] [--batches 1] [--first-level 1] [--device auto]

(--size, --samples default to the dimension's job defaults: 64 and 128 in 2D, 32 and 64 in
3D.) ``--batches`` and ``--first-level`` are :func:`run_ising`'s: many snapshots of large
lattices in batches that fit memory, and no operator sums below the levels of interest.
Each seed's result, with its filter, goes to ``--output DIR`` (default: not written) as
``seed<N>.h5`` and its figure.

Prints ν and y_h per seed, rule and MCRG level with the time of each stage, then for each rule
and level the mean over the seeds with its standard error (the spread of the seeds over
sqrt(n)), and χ²/dof of the seeds about their weighted mean: near 1 when the jackknife errors
describe the scatter between independent runs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from gpurg.jobs.mainjob import SETTINGS, run_ising, write_job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2, choices=sorted(SETTINGS))
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--replicas", type=int, default=64)
    parser.add_argument("--batches", type=int, default=1)
    parser.add_argument("--first-level", type=int, default=1)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--output", type=Path, default=None, help="directory for the files")
    args = parser.parse_args()
    reference = SETTINGS[args.dim].lattice.reference
    seeds = [int(s) for s in args.seeds.split(",")]
    # (rule, level) -> rows of (ν, ν error, y_h, y_h error), one per seed
    rows: dict[tuple[str, int], list[tuple[float, float, float, float]]] = {}
    for seed in seeds:
        result = run_ising(dim=args.dim, L=args.size, samples=args.samples,
                           replicas=args.replicas, batches=args.batches,
                           first_level=args.first_level, device=args.device, seed=seed)
        if args.output is not None:
            args.output.mkdir(parents=True, exist_ok=True)
            write_job(args.output / f"seed{seed}.h5", result)
        seconds = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        print(f"seed {seed}: L={result.L} samples={result.n_samples} "
              f"backend={result.backend.name} ({result.backend.device_name}) {seconds}")
        print(f"  filter {np.array2string(result.filter.rule.filters[0], precision=3)} "
              f"MI {result.filter.mi:.4f} ± {result.filter.mi_err:.4f}")
        for name, res in result.mcrg.items():
            for level in range(res.first, res.n_levels + 1):
                values = (*res.nu(level), *res.exponent("h", level))
                rows.setdefault((name, level), []).append(values)
                print(f"  {name:9s} level {level} L={res.sizes[level]:4d} "
                      f"nu = {values[0]:.4f} ± {values[1]:.4f}  "
                      f"y_h = {values[2]:.4f} ± {values[3]:.4f}", flush=True)
    if len(seeds) < 2:
        return
    print(f"\nover {len(seeds)} seeds: mean ± standard error of the mean, χ²/dof about the "
          "weighted mean")
    for (name, level), values in rows.items():
        v = np.array(values)
        cells = []
        for x, err, exact in ((v[:, 0], v[:, 1], reference["nu"]),
                              (v[:, 2], v[:, 3], reference["yh"])):
            w = err**-2
            chi2 = float(((x - (w * x).sum() / w.sum()) ** 2 * w).sum()) / (len(x) - 1)
            sem = float(x.std(ddof=1)) / math.sqrt(len(x))
            cells.append(f"{x.mean():.4f} ± {sem:.4f} ({(x.mean() - exact) / sem:+.1f}σ from the "
                         f"reference, χ²/dof {chi2:.2f})")
        print(f"  {name:9s} level {level}  nu {cells[0]}  y_h {cells[1]}")


if __name__ == "__main__":
    main()
