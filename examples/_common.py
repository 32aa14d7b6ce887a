"""Shared plumbing of the example scripts (not an example itself): the command line every
script offers, a timer, the table of results printed and stored, and the output paths.

Each script calls :func:`parser` for ``--quick``, ``--device``, ``--seed``, ``--out`` and
``--figure-format``, collects its numbers in a :class:`Report` and ends with
:meth:`Report.finish`, which prints the table and writes ``<name>.json`` beside the figure.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from gpurg.figures import FORMATS


def parser(doc: str) -> argparse.ArgumentParser:
    """The common options; the description is the first paragraph of the script's docstring."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="A small version (seconds on one core; what CI runs).")
    p.add_argument("--device", default="auto", help="auto, cpu, gpu or numpy.")
    p.add_argument("--seed", type=int, default=0, help="Seed of sampling and training.")
    p.add_argument("--out", type=Path, default=Path("."),
                   help="Folder of the figure and the numbers (.json); made if missing.")
    p.add_argument("--figure-format", choices=FORMATS, default="png")
    return p


def z_score(value: float, error: float, reference: float) -> float:
    """(value - reference) / error, NaN where the error is not positive."""
    return (value - reference) / error if error > 0 else math.nan


class Report:
    """Rows of (quantity, value, error, reference, comment), printed as a plain table and
    stored with the run's options and time in ``<out>/<name>.json``."""

    def __init__(self, name: str, args: argparse.Namespace, title: str) -> None:
        self.name, self.args, self.title = name, args, title
        self.rows: list[dict] = []
        self.extra: dict = {}
        self.start = time.perf_counter()
        args.out.mkdir(parents=True, exist_ok=True)

    def figure(self, stem: str | None = None) -> Path:
        """The path of a figure of this script in ``--out`` with ``--figure-format``."""
        return self.args.out / f"{stem or self.name}.{self.args.figure_format}"

    def add(self, quantity: str, value: float, error: float = math.nan,
            reference: float | str = "", comment: str = "") -> None:
        """One row; ``reference`` a number (the paper's or an exact value) or a word."""
        self.rows.append({"quantity": quantity, "value": float(value), "error": float(error),
                          "reference": reference, "comment": comment})

    def finish(self) -> None:
        """Print the table and the wall time, write ``<name>.json``."""
        seconds = time.perf_counter() - self.start
        print(f"\n{self.title}  ({'quick' if self.args.quick else 'full'} run, "
              f"seed {self.args.seed}, {seconds:.1f} s)")
        cells = [("quantity", "gpurg", "reference", "comment")]
        for r in self.rows:
            value = f"{r['value']:.4g}" + ("" if math.isnan(r["error"])
                                            else f" ± {r['error']:.2g}")
            ref = r["reference"] if isinstance(r["reference"], str) else f"{r['reference']:.4g}"
            cells.append((r["quantity"], value, ref, r["comment"]))
        widths = [max(len(c[i]) for c in cells) for i in range(3)]
        for k, c in enumerate(cells):
            print("  " + "  ".join(s.ljust(w) for s, w in zip(c[:3], widths, strict=True))
                  + "  " + c[3])
            if k == 0:
                print("  " + "  ".join("-" * w for w in widths))
        path = self.args.out / f"{self.name}.json"
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()}
        path.write_text(json.dumps({"script": self.name, "options": options,
                                    "seconds": seconds, "rows": self.rows,
                                    **_plain(self.extra)}, indent=1, allow_nan=True))
        print(f"wrote {path}")


def _plain(value):
    """JSON-ready copy: arrays to lists, numpy scalars to Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
