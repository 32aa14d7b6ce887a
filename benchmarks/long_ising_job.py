"""The main job over several seeds, for the accuracy claims of the README and RESULTS:

    python benchmarks/long_ising_job.py [--size 64] [--samples 128] [--seeds 0,1,2,3]
        [--device auto]

Prints ν and y_h per seed, rule and MCRG level with the time of each stage, then for each rule
and level the mean over the seeds with its standard error (the spread of the seeds over
sqrt(n)), and χ²/dof of the seeds about their weighted mean: near 1 when the jackknife errors
describe the scatter between independent runs.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from gpurg.jobs.mainjob import DEFAULT_SAMPLES, run_ising


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument("--replicas", type=int, default=64)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    # (rule, level) -> rows of (ν, ν error, y_h, y_h error), one per seed
    rows: dict[tuple[str, int], list[tuple[float, float, float, float]]] = {}
    for seed in seeds:
        result = run_ising(L=args.size, samples=args.samples, replicas=args.replicas,
                           device=args.device, seed=seed)
        seconds = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        print(f"seed {seed}: L={result.L} samples={result.n_samples} "
              f"backend={result.backend.name} ({result.backend.device_name}) {seconds}")
        print(f"  filter {np.array2string(result.filter.rule.filters[0], precision=3)} "
              f"MI {result.filter.mi:.4f} ± {result.filter.mi_err:.4f}")
        for name, res in result.mcrg.items():
            for level in range(1, res.n_levels + 1):
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
        for x, err, exact in ((v[:, 0], v[:, 1], 1.0), (v[:, 2], v[:, 3], 15 / 8)):
            w = err**-2
            chi2 = float(((x - (w * x).sum() / w.sum()) ** 2 * w).sum()) / (len(x) - 1)
            sem = float(x.std(ddof=1)) / math.sqrt(len(x))
            cells.append(f"{x.mean():.4f} ± {sem:.4f} ({(x.mean() - exact) / sem:+.1f}σ from "
                         f"exact, χ²/dof {chi2:.2f})")
        print(f"  {name:9s} level {level}  nu {cells[0]}  y_h {cells[1]}")


if __name__ == "__main__":
    main()
