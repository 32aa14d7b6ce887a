"""The Ising results of RSMI on larger runs than the tests: MI against the number of hidden
units, the temperature and the buffer; the filters learned by one and four units.

    python examples/ising_rsmi_results.py [--device cpu] [--size 64]

Prints tables; takes a few minutes on a laptop CPU.
"""

from __future__ import annotations

import argparse

import numpy as np

from gpurg.models.ising_exact import T_C
from gpurg.rsmi.geometry import Geometry, extract_pairs
from gpurg.rsmi.training import train_rule
from gpurg.sampling import ising_configurations


def samples(T: float, L: int, device: str, seed: int = 1):
    return ising_configurations(L, T, replicas=128, thermalize=100, samples=16, every=10,
                                seed=seed, device=device)


def learn(configs: np.ndarray, buffer: int, n_hidden: int):
    V, E = extract_pairs(configs, Geometry(2, buffer, 4), positions=300_000, seed=1)
    return train_rule(V, E, n_hidden, symmetric=True, epochs=40, restarts=3, seed=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    critical = samples(T_C, args.size, args.device)
    print("hidden units at T_c (L_B = 2): n_h, MI ± error [nats], restarts' spread")
    for n in (1, 2, 3, 4):
        r = learn(critical, 2, n)
        print(f"  {n}  {r.mi:.4f} ± {r.mi_err:.4f}  {np.std(r.restarts):.4f}")
        if n in (1, 4):
            print("     filters:", np.array2string(r.rule.filters, precision=3))
    print("temperature (L_B = 0, one unit): T, MI ± error; ln 2 = 0.6931")
    for T in (1.0, 1.5, 2.0, T_C, 2.6, 3.0, 4.0):
        r = learn(critical if T == T_C else samples(T, args.size, args.device), 0, 1)
        print(f"  {T:.3f}  {r.mi:.4f} ± {r.mi_err:.4f}")
    print("buffer (one unit): L_B, MI at T_c, MI at T = 4")
    hot = samples(4.0, args.size, args.device)
    for b in (0, 1, 2, 4, 6):
        a, h = learn(critical, b, 1), learn(hot, b, 1)
        print(f"  {b}  {a.mi:.4f} ± {a.mi_err:.4f}   {h.mi:.5f} ± {h.mi_err:.5f}")


if __name__ == "__main__":
    main()
