"""Interacting dimers (V = -1): the MI of two learned units and their filters against T across
the Kosterlitz–Thouless transition into the columnar phase (T_KT ≈ 0.65), and T_KT read from
the MI curve.

    python examples/dimer_interacting.py [--quick] [--device cpu] [--seed 0] [--out DIR]
        [--figure-format png|svg|pdf]

What the papers show (Gökmen et al. 2021 (RSMI-NE); Alet et al. 2005; science.md §5, §7):
with aligning interactions V < 0 close-packed dimers order into one of four columnar states
below a Kosterlitz–Thouless transition at T_KT ≈ 0.65|V|. Below it, two hidden units on an
8x8-pixel block learn columnar/plaquette filters and carry I(H:E) = ln 4 (which of the four
states the block sees; the environment sees the same one); above it the filters are the
staggered electric fields of the free model and the MI decays.

What this computes: worm samples at V = -1, T = 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1,
1.2, 1.5, 2, 3 and ∞ (L = 32 sites, 64x64-pixel images, 64 replicas, 64 sweeps after 100;
quick: L = 16, T = 0.4, 0.65, 1, ∞, 32 sweeps), the image encoding without noise, (V, E)
pairs with an 8x8-pixel block starting on a vertex (stride 2), buffer 2, environment 4, and
:func:`gpurg.train_rule` with two units and its default settings (no symmetry assumed: the
dimer model's ``symmetric`` is False) at each T. It prints I(H:E) ± error, the sampler's
columnar order ⟨C²⟩ = ⟨C_x² + C_y²⟩ (1 in a perfect columnar covering) and each unit's
|λ|² shares from :func:`gpurg.rsmi.analysis.analyze_rule`: in the order-parameter plane
(C_x, C_y) (its angle: 0° columnar, 45° plaquette) and in the staggered-field plane
(E_x, E_y); a random 64-pixel filter puts 2/64 = 3% in either. Beside them the share along
the uniform nematic pattern Σ n_x - Σ n_y (computed here; not an analyze_rule template).
T_KT is estimated as the steepest descent of MI(T) over the finite temperatures: finite
differences, refined by a parabola through the three largest descents, error from 2000
redraws of the MI within their errors and the grid's resolution (spacing / √12) in
quadrature; the same for the sampler's ⟨C²⟩(T).

Sampling in the ordered phase: worms do not tunnel between the four columnar states at low T
(the symmetry is broken; at L = 16, T = 0.4 no replica changed state in 128 sweeps), and a
random start does not reach equilibrium at L = 32, T = 0.4: it freezes into domains
(⟨C²⟩ 0.57 against 0.96, energy +0.025 per site above the columnar start's, printed as the
thermalisation check). So every T starts columnar, and each replica's images are mapped by a
random lattice symmetry (x <-> y reflection, translations by one site), which spreads the
replicas over the four states with equal weight, as the symmetric Gibbs ensemble does. I(H:E)
is then bounded by the entropy of the states seen from a random vertex, ln 2 + H(p_y), p_y the
share of y-columnar replicas (printed; ln 4 when balanced). At T = T_KT both starts agree.

How gpurg compares (this machine), full run (three restarts), seed 0 [seed 1]: I(H:E) =
1.346 ± 0.003 nats at T = 0.4 [1.360 ± 0.003] (0.97-0.98 of ln 4; the replicas' ceiling is
1.362 [1.378]), 1.287 at 0.5, 1.193 at 0.55, 1.060 at 0.6, 0.938 ± 0.004 at 0.65 [0.943 ±
0.005], 0.847 at 0.7, 0.733 at 0.8, 0.576 at 1, 0.375 at 1.5, 0.315 at 2, 0.306 at 3
[0.360], and 0.360 ± 0.004 at T = ∞ [0.369 ± 0.005]: near ln 4 deep in the columnar phase,
falling fastest through T_KT. Filters: from T = 0.4 to 1.5 both units lie in the order-
parameter plane (shares 0.60-0.92; E plane and nematic below 0.05, all of |λ|² on bond
pixels), up to T = 1.2 at 30-45° in it: plaquette-direction patterns (C_x ± C_y), which
together tell the four columnar states apart (at 1.5: 6-31°); at T = 2 they turn towards the
fields (C plane 0.14-0.41, E plane 0.32-0.56) and at T = 3 and ∞ they are the staggered
fields (E plane 0.55-0.83, C plane below 0.1). The MI is not monotone above T_KT: it has a
shallow minimum near T = 2-3 and rises to T = ∞, where the rule reads the fields instead of
the fading columnar correlations. T_KT from the steepest descent of MI: 0.590 ± 0.017 [0.596
± 0.016]; of ⟨C²⟩: 0.582 ± 0.017 [0.591 ± 0.018]; Alet et al.'s 0.65 is 3-4σ above. At L =
32 the KT transition is smeared and its pseudo-critical temperature is shifted by slow
(logarithmic) finite-size corrections; the two estimates agree with each other, and the
steepest descent marks where the order sets in at this size, not T_KT itself (no finite-size
scaling here). With one restart (an earlier version) seed 1 stuck at T = 0.4 (1.026 nats,
one unit columnar), hence the default three. Thermalisation: at T = 0.65 the random and
columnar starts agree (energy 0.0004 ± 0.0008 [0.0017 ± 0.0008], ⟨C²⟩ -0.022 ± 0.011 [-0.031
± 0.012]: 2-2.6σ on seed 1, a slight excess of domain walls from the random start). Quick
run (L = 16), seeds 0-4: I(H:E) 0.97-1.30 at T = 0.4, 0.68-0.86 at 0.65, 0.49-0.51 at 1,
0.19-0.22 at ∞; ⟨C²⟩ 0.96 at 0.4; the quick grid is too coarse for T_KT (its estimates sit
on a grid midpoint, ± 0.07-0.1).

CPU time (2 shared cores, loaded by other work): full 700 s of CPU (1900 s wall with two
seeds side by side; one restart: 240-250 s of CPU), ``--quick`` 4-9 s (35-55 s when the
machine was loaded by other runs).
"""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import Report, parser

import gpurg
from gpurg.figures import filter_figure, new_figure, save_figure
from gpurg.rsmi.analysis import analyze_rule
from gpurg.rsmi.training import RESTARTS

BLOCK = 8  # pixels: 4 x 4 sites
GEOMETRY = gpurg.Geometry(BLOCK, 2, 4)
V_INT = -1.0
T_KT = 0.65  # Alet et al. (2005): T_c ≈ 0.65 |V|
LN4 = math.log(4.0)
REPLICAS = 64
REDRAWS = 2000


def steepest_descent(T: np.ndarray, y: np.ndarray, err: np.ndarray,
                     seed: int) -> tuple[float, float]:
    """Where y(T) falls fastest: the largest -Δy/ΔT of neighbouring points (at the interval's
    midpoint), refined by a parabola through it and its neighbours; error from REDRAWS draws
    of y within ``err`` and the local spacing / √12 in quadrature. T, y, err: float (n,),
    T increasing, n >= 3."""
    def locate(values: np.ndarray) -> float:
        mid = (T[1:] + T[:-1]) / 2
        fall = -np.diff(values) / np.diff(T)
        k = int(np.clip(np.argmax(fall), 1, len(fall) - 2)) if len(fall) >= 3 else 0
        if len(fall) < 3:
            return float(mid[int(np.argmax(fall))])
        a, b, c = np.polyfit(mid[k - 1:k + 2], fall[k - 1:k + 2], 2)
        top = -b / (2 * a) if a < 0 else mid[k]
        return float(np.clip(top, mid[k - 1], mid[k + 1]))

    at = locate(y)
    rng = np.random.default_rng(seed)
    draws = np.array([locate(y + err * rng.standard_normal(len(y))) for _ in range(REDRAWS)])
    spacing = float(np.interp(at, (T[1:] + T[:-1]) / 2, np.diff(T)))
    return at, math.hypot(float(draws.std()), spacing / math.sqrt(12))


def sample(L: int, T: float, start: str, sweeps: int, seed: int, device: str):
    """Worm samples at (L, T, V = -1): the run and its images, uint8 (n, 2L, 2L)."""
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # the run's own summary of short series may warn about tau_int; its errors are used
        warnings.simplefilter("ignore", RuntimeWarning)
        path = Path(tmp) / "dimers.h5"
        run = gpurg.sample_dimer(gpurg.DimerModel(L=L, T=T, V=V_INT), replicas=REPLICAS,
                                 sweeps=sweeps, thermalize=100, every=2, start=start,
                                 encoding="image", seed=seed, device=device, output=path)
        images, _ = gpurg.load_configurations(path)
    return run, images


def symmetrise(images: np.ndarray, run, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Map each replica's images by a random lattice symmetry: the x <-> y reflection
    (transposing the image) with probability 1/2, and a translation by one site (two pixels)
    along x and along y, each with probability 1/2. A columnar start leaves every replica in
    the same columnar state at low T (worms do not tunnel between the four), these maps
    spread them over the four with equal weight. Returns the images, uint8 (n, 2L, 2L), and
    each replica's columnar orientation after the map, int (R,): 1 for y-columnar
    (|C_y| > |C_x| at its last measurement), 0 for x-columnar."""
    n_rep = len(run.observables["cx"][-1])
    rng = np.random.default_rng([seed, 13])
    flip, shift = rng.integers(0, 2, n_rep), 2 * rng.integers(0, 2, (n_rep, 2))
    out = images.reshape(-1, n_rep, *images.shape[1:]).copy()
    for k in range(n_rep):
        if flip[k]:
            out[:, k] = out[:, k].transpose(0, 2, 1)
        out[:, k] = np.roll(out[:, k], tuple(shift[k]), axis=(1, 2))
    cx, cy = run.observables["cx"][-1], run.observables["cy"][-1]
    return out.reshape(images.shape), (np.abs(cy) > np.abs(cx)).astype(int) ^ flip


def nematic_share(filters: np.ndarray) -> np.ndarray:
    """Per unit, float (n_hidden,): the share of |λ|² along the uniform nematic pattern
    N = Σ n_x - Σ n_y (all +x bond pixels +1, all +y bond pixels -1), which tells x- from
    y-columnar states (not among analyze_rule's templates)."""
    t = np.zeros((BLOCK, BLOCK))
    t[0::2, 1::2], t[1::2, 0::2] = 1.0, -1.0
    t = t.ravel() / np.linalg.norm(t)
    w = filters.reshape(len(filters), -1)
    return (w @ t) ** 2 / (w**2).sum(axis=1)


def mi_figure(temps, mi, err, col2, col2_err, inf_mi, inf_err, estimates, path, title):
    """MI against T (ln 4, T_KT = 0.65, the estimate and T = ∞ marked) beside ⟨C²⟩ against T."""
    fig, axes = new_figure(2)
    ax, bx = axes[0]
    ax.errorbar(temps, mi, yerr=err, marker="o", capsize=3, label="learned rule, 2 units")
    ax.axhspan(inf_mi - inf_err, inf_mi + inf_err, color="C1", alpha=0.3)
    ax.axhline(inf_mi, color="C1", linestyle="-.", label=f"T = ∞: {inf_mi:.3f}")
    ax.axhline(LN4, color="grey", linestyle="--", label="ln 4 (four columnar states)")
    for x, label in ((ax, "I(H:E) (nats)"), (bx, "columnar order ⟨C²⟩")):
        x.axvline(T_KT, color="black", linestyle=":", label=f"T_KT ≈ {T_KT} (Alet et al.)")
        x.set_xlabel("temperature T (units of |V|)")
        x.set_ylabel(label)
    for x, (name, (t, t_err)) in zip((ax, bx), estimates.items(), strict=False):
        x.axvspan(t - t_err, t + t_err, color="C2", alpha=0.25,
                  label=f"steepest descent of {name}: {t:.3f} ± {t_err:.3f}")
    bx.errorbar(temps, col2, yerr=col2_err, marker="s", capsize=3, color="C3",
                label="sampler's ⟨C_x² + C_y²⟩")
    ax.set_ylim(bottom=min(0.0, float(np.min(mi)), inf_mi) - 0.05)
    for x in (ax, bx):
        x.legend(fontsize="x-small")
    ax.set_title(title, fontsize="medium")
    bx.set_title("columnar order parameter", fontsize="medium")
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> None:
    """Sample V = -1 dimers across T_KT, learn two-unit filters at each T, print and draw."""
    args = parser(__doc__).parse_args(argv)
    quick = args.quick
    L = 16 if quick else 32
    finite = (0.4, 0.65, 1.0) if quick else (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1.0, 1.2,
                                       1.5, 2.0, 3.0)
    temps = (*finite, math.inf)
    # full: train_rule's default restarts (3; with one, seed 1 stuck at T = 0.4: 1.03 nats)
    positions, epochs, restarts = (20_000, 10, 1) if quick else (60_000, 20, RESTARTS)
    report = Report("dimer_interacting", args,
                    f"Interacting dimers V = -1 across T_KT (L = {L}, 8x8-pixel block, 2 units)")
    rows: dict[str, list] = {k: [] for k in ("mi", "mi_err", "col2", "col2_err", "e", "e_err")}
    content: dict[str, list] = {k: [] for k in ("bonds", "order", "field", "nematic",
                                                 "order_angle")}
    filters = []
    balance = {}
    for i, T in enumerate(temps):
        seed = args.seed + 1000 * i
        sweeps = 32 if quick else 64
        run, images = sample(L, T, "columnar", sweeps, seed, args.device)
        images, states = symmetrise(images, run, seed)
        V, E = gpurg.extract_pairs(images, GEOMETRY, stride=2, positions=positions,
                                   seed=args.seed)
        r = gpurg.train_rule(V, E, 2, symmetric=run.model.symmetric, epochs=epochs,
                             restarts=restarts, seed=args.seed)
        for k, est in (("col2", run.summary["col2"]), ("e", run.summary["e"])):
            rows[k].append(est.value)
            rows[f"{k}_err"].append(est.error)
        rows["mi"].append(r.mi)
        rows["mi_err"].append(r.mi_err)
        a = analyze_rule(r.rule, BLOCK, run.model.pixel_roles)
        nematic = nematic_share(r.rule.filters)
        for k, v in (("bonds", a.bond_share), ("order", a.order_share),
                     ("field", a.field_share), ("nematic", nematic),
                     ("order_angle", a.order_angle)):
            content[k].append(v)
        filters.append(r.rule.filters.reshape(2, BLOCK, BLOCK))
        label = f"T = {T:g}"
        phase = "columnar" if T < T_KT else ("T_KT" if T == T_KT else "disordered")
        report.add(f"{label}: I(H:E) [nats]", r.mi, r.mi_err,
                   f"{LN4:.4f}" if T < T_KT else "decays", phase)
        report.add(f"{label}: ⟨C²⟩ (sampler)", rows["col2"][-1], rows["col2_err"][-1], "",
                   "columnar order")
        for j in range(2):
            report.add(f"{label}, unit {j + 1}: |λ|² share in C_x, C_y plane",
                       a.order_share[j], reference="~1 below T_KT",
                       comment=f"angle {a.order_angle[j]:.0f}° (0 columnar, 45 plaquette)")
            report.add(f"{label}, unit {j + 1}: |λ|² share in E_x, E_y plane",
                       a.field_share[j], reference="~1 at T = ∞",
                       comment=f"on bonds {a.bond_share[j]:.3f}, nematic N "
                       f"{nematic[j]:.3f}")
        if i == 0:
            p = float(states.mean())
            h = -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)
            balance = {"y_share": p, "ceiling": math.log(2) + h}
            report.add(f"{label}: MI ceiling of the replicas' states, ln 2 + H(p_y)",
                       balance["ceiling"], reference=f"{LN4:.4f}",
                       comment=f"share of y-columnar replicas p_y = {p:.3f}")
        if i == 0 or T == T_KT:  # thermalisation: a random start against the columnar one
            hot, _ = sample(L, T, "random", sweeps, seed, args.device)
            for k in ("e", "col2"):
                c, h = run.summary[k], hot.summary[k]
                report.add(f"{label}: {k}, random start − columnar start", h.value - c.value,
                           math.hypot(c.error, h.error), 0.0, "thermalised if ~0")
    finite_T = np.array(finite)
    n = len(finite)
    mi, mi_err = np.array(rows["mi"][:n]), np.array(rows["mi_err"][:n])
    col2, col2_err = np.array(rows["col2"][:n]), np.array(rows["col2_err"][:n])
    estimates = {}
    if n >= 3:
        estimates = {"MI": steepest_descent(finite_T, mi, mi_err, args.seed),
                     "⟨C²⟩": steepest_descent(finite_T, col2, col2_err, args.seed)}
        for name, (t, t_err) in estimates.items():
            report.add(f"T_KT from the steepest descent of {name}", t, t_err, T_KT,
                       f"L = {L}: a finite-size pseudo-T_KT")
    report.add(f"I(H:E) at T = {finite[0]:g} minus at T = ∞", rows["mi"][0] - rows["mi"][-1],
               math.hypot(rows["mi_err"][0], rows["mi_err"][-1]), "> 0")
    report.extra = {"temperatures": [t if math.isfinite(t) else "inf" for t in temps],
                    "L": L, **rows, **{f"share_{k}": v for k, v in content.items()},
                    "replicas_lowest_T": balance,
                    "t_kt": {k: {"value": v[0], "error": v[1]} for k, v in estimates.items()}}
    mi_figure(finite_T, mi, mi_err, col2, col2_err, rows["mi"][-1], rows["mi_err"][-1],
              estimates, report.figure(),
              f"V = -1 dimers, L = {L}, 8x8-pixel block, two units")
    for k, stem in ((0, "dimer_interacting_filters_low"), (-1, "dimer_interacting_filters_high")):
        filter_figure(filters[k], report.figure(stem), roles="dimer", mi=rows["mi"][k],
                      mi_err=rows["mi_err"][k],
                      title=f"V = -1 dimers at T = {temps[k]:g}, L = {L}, 8x8-pixel block")
    report.finish()


if __name__ == "__main__":
    main()
