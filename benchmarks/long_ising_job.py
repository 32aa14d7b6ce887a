"""A long CPU (or GPU) run of the main job for the accuracy targets of L >= 128:

    python benchmarks/long_ising_job.py [--size 128] [--samples 64] [--device auto]

Prints ν and y_h per rule and MCRG level, and the time of each stage.
"""

from __future__ import annotations

import argparse

from gpurg.mainjob import run_ising


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--replicas", type=int, default=64)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run_ising(L=args.size, samples=args.samples, replicas=args.replicas,
                       device=args.device, seed=args.seed)
    print(f"L={result.L} samples={result.n_samples} backend={result.backend.name} "
          f"({result.backend.device_name}) seconds={result.seconds}")
    print(f"filter {result.filter.rule.filters[0]} MI {result.filter.mi:.4f} "
          f"± {result.filter.mi_err:.4f}")
    for name, res in result.mcrg.items():
        for level in range(1, res.n_levels + 1):
            nu, nu_err = res.nu(level)
            yh, yh_err = res.exponent("h", level)
            print(f"{name:9s} level {level} L={res.sizes[level]:4d} nu = {nu:.4f} ± "
                  f"{nu_err:.4f}  y_h = {yh:.4f} ± {yh_err:.4f}")


if __name__ == "__main__":
    main()
