"""The Ising results of RSMI on larger runs than the tests: MI against the number of hidden
units, the temperature and the buffer; the filters learned by one and four units.

    python examples/ising_rsmi_results.py [--device cpu] [--size 64] [--figures DIR]
        [--figure-format png|svg|pdf]

Prints tables and draws them (gpurg.figures) in DIR: mi_hidden, mi_temperature and mi_buffer
(log-log, with the power-law fit); takes a few minutes on a laptop CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gpurg.figures import (
    FORMATS,
    mi_buffer_figure,
    mi_hidden_figure,
    mi_temperature_figure,
)
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
    parser.add_argument("--figures", type=Path, default=Path("."),
                        help="Folder of the figures.")
    parser.add_argument("--figure-format", choices=FORMATS, default="png")
    args = parser.parse_args()
    folder, ext = args.figures, args.figure_format
    critical = samples(T_C, args.size, args.device)
    print("hidden units at T_c (L_B = 2): n_h, MI ± error [nats], restarts' spread")
    hidden = [(n, learn(critical, 2, n)) for n in (1, 2, 3, 4)]
    for n, r in hidden:
        print(f"  {n}  {r.mi:.4f} ± {r.mi_err:.4f}  {np.std(r.restarts):.4f}")
        if n in (1, 4):
            print("     filters:", np.array2string(r.rule.filters, precision=3))
    mi_hidden_figure([n for n, _ in hidden], [r.mi for _, r in hidden],
                     [r.mi_err for _, r in hidden], folder / f"mi_hidden.{ext}",
                     title=f"2D Ising at T_c, L = {args.size}, 2x2 block, L_B = 2")
    print("temperature (L_B = 0, one unit): T, MI ± error; ln 2 = 0.6931")
    temps = (1.0, 1.5, 2.0, T_C, 2.6, 3.0, 4.0)
    by_T = [learn(critical if T == T_C else samples(T, args.size, args.device), 0, 1)
            for T in temps]
    for T, r in zip(temps, by_T, strict=True):
        print(f"  {T:.3f}  {r.mi:.4f} ± {r.mi_err:.4f}")
    mi_temperature_figure(temps, [r.mi for r in by_T], [r.mi_err for r in by_T],
                          folder / f"mi_temperature.{ext}",
                          title=f"2D Ising, L = {args.size}, 2x2 block, one unit, L_B = 0")
    print("buffer (one unit): L_B, MI at T_c, MI at T = 4")
    hot = samples(4.0, args.size, args.device)
    buffers = (0, 1, 2, 4, 6)
    pairs = [(learn(critical, b, 1), learn(hot, b, 1)) for b in buffers]
    for b, (a, h) in zip(buffers, pairs, strict=True):
        print(f"  {b}  {a.mi:.4f} ± {a.mi_err:.4f}   {h.mi:.5f} ± {h.mi_err:.5f}")
    mi_buffer_figure({label: (buffers, [p[i].mi for p in pairs], [p[i].mi_err for p in pairs])
                      for i, label in enumerate(("T = T_c", "T = 4"))},
                     folder / f"mi_buffer.{ext}",
                     title=f"2D Ising, L = {args.size}, 2x2 block, one unit")
    print(f"figures: {folder / f'mi_hidden.{ext}'}, mi_temperature.{ext}, mi_buffer.{ext}")


if __name__ == "__main__":
    main()
