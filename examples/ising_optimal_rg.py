"""Optimal RG in 2D: does the rule that keeps more information about the environment give the
simpler effective Hamiltonian (shorter range, fewer many-body terms)?

    python examples/ising_optimal_rg.py [--quick] [--device cpu] [--seed 0] [--out DIR]
        [--figure-format png|svg|pdf]

What the paper shows (Lenggenhager et al. 2020, science.md §6, §7): in the 1D chain the rule
maximising I(H:E) is decimation, whose coarse Hamiltonian is exactly nearest-neighbour; the
range (K'_2(2) / K'_2(1)) and the many-body terms (K'_4 / K'_2(1)) grow as the rule moves
away from it. The paper had no 2D lattice numbers.

What this computes: Swendsen–Wang samples of 2D Ising at T_c (L = 32 quick, 64 full); rules on
2x2 blocks (decimation; majority with a random tie-break; majority whose ties the corner spin
breaks, the "flat ridge" top; one unit learned by :func:`gpurg.train_rule` at buffers
L_B = 0, 1, 2) and on 4x4 blocks (decimation, majority, one unit learned at L_B = 1), each used
as its deterministic map (the most probable H, as ``gpurg rg`` applies a learned rule); and
four units learned on 2x2 blocks, each reading one spin, whose coarse spins put back at the
sites they read are the fine lattice again (b = 1: kept out of the correlations). For
each: I_Λ(H:E) exact up to the noise of the environment samples
(:func:`gpurg.rsmi.exact.ising_rules_information`: L_B = 0 for both block sizes, L_B = 1 for
2x2), and the effective Hamiltonian of the coarse spins fitted by pseudo-likelihood
(:func:`gpurg.rg.hamiltonian.fit_hamiltonian`: pairs at 1, √2, 2, √5, three 4-spin terms;
jackknife errors over replicas), with rangeness K'_nnn / K'_nn and m-bodyness
K'_plaquette / K'_nn. It prints the table, Spearman's rank correlation of MI with rangeness
and with |m-bodyness| within each block size, and draws rangeness and m-bodyness against
I_Λ(H:E). Figure: ``ising_optimal_rg.png``.

How gpurg compares: see the README's table (the full run on seeds 0-2).

CPU time (2 shared cores): full about 4-6 min (the training), ``--quick`` about 30 s.
"""

from __future__ import annotations

import numpy as np
from _common import Report, parser

import gpurg
from gpurg.figures.optimal_rg import rule_comparison_figure
from gpurg.models.ising_exact import T_C
from gpurg.rg.hamiltonian import fit_hamiltonian
from gpurg.rg.maps import Decimation, MajorityRule, RsmiRule
from gpurg.rsmi.coarse import coarse_grain
from gpurg.rsmi.exact import ising_local_information, ising_rules_information
from gpurg.rsmi.rule import CoarseGrainingRule

K_C = 1.0 / T_C
SCALE = 1e3  # a filter scaled this far is its deterministic map (the most probable H)


def _corner(b: int) -> np.ndarray:
    f = np.zeros(b * b)
    f[0] = 1.0
    return f


def _rules(configs, quick: bool, seed: int):
    """name -> (block, filter (b^2,) for the information, RG map)."""
    rules = {"2x2 decimation": (2, _corner(2), Decimation(2)),
             "2x2 majority, random tie": (2, np.ones(4), MajorityRule(2))}
    tie = np.array([1.1, 1.0, 1.0, 1.0])
    rules["2x2 majority, corner breaks ties"] = (2, tie, RsmiRule(
        CoarseGrainingRule(tie[None], np.zeros(1)), 2, "max"))
    learned = [(2, buffer) for buffer in ((0, 2) if quick else (0, 1, 2))] + [(4, 1)]
    for k, (block, buffer) in enumerate(learned):
        V, E = gpurg.extract_pairs(configs, gpurg.Geometry(block, buffer, 2),
                                   positions=10_000 if quick else 100_000, seed=seed + 17 * k)
        r = gpurg.train_rule(V, E, 1, symmetric=True, epochs=6 if quick else 60,
                             restarts=1 if quick else 2, seed=seed + k)
        name = f"{block}x{block} learned, L_B = {buffer}"
        rules[name] = (block, r.rule.filters[0], RsmiRule(r.rule, block, "max"))
        if block == 2 and buffer == 2:  # the 4x4 references follow the 2x2 rules
            rules["4x4 decimation"] = (4, _corner(4), Decimation(4))
            rules["4x4 majority, random tie"] = (4, np.ones(16), MajorityRule(4))
    return rules


def _four_units(configs, quick: bool, seed: int):
    """Four units learned on 2x2 blocks at L_B = 0 (each reads one spin, Koch-Janusz &
    Ringel 2018): (filters (4, 4), the units' coarse spins interleaved into an L x L lattice
    at the sites they read, or None if two units read the same site)."""
    V, E = gpurg.extract_pairs(configs, gpurg.Geometry(2, 0, 2),
                               positions=10_000 if quick else 100_000, seed=seed + 99)
    r = gpurg.train_rule(V, E, 4, symmetric=True, epochs=6 if quick else 60,
                         restarts=1 if quick else 2, seed=seed + 98)
    f = r.rule.filters
    sites = np.abs(f).argmax(axis=1)
    if len(set(sites.tolist())) != 4:
        return f, None
    h = np.asarray(coarse_grain(configs, r.rule, 2, mode="max"))  # (n, 4, L/2, L/2)
    lattice = np.empty_like(configs)
    for j, site in enumerate(sites):
        sign = np.int8(np.sign(f[j, site]))
        lattice[:, site // 2::2, site % 2::2] = sign * h[:, j]
    return f, lattice


def main(argv: list[str] | None = None) -> None:
    """Compare rules at T_c by their information and their effective Hamiltonians."""
    args = parser(__doc__).parse_args(argv)
    quick = args.quick
    L, replicas, samples = (32, 32, 4) if quick else (64, 64, 16)
    report = Report("ising_optimal_rg", args,
                    f"information against the effective Hamiltonian, 2D Ising at T_c (L = {L})")
    configs = gpurg.ising_configurations(L, T_C, replicas=replicas, samples=samples,
                                         seed=args.seed, device=args.device)
    configs = np.asarray(gpurg.backend.get_backend("cpu").asnumpy(configs))
    groups = np.tile(np.arange(replicas), samples)  # snapshot-major: replica of each sample
    positions = 5_000 if quick else 100_000
    env = {}
    for block, buffer in ((2, 0), (2, 1), (4, 0)):
        # 4x4: 2^16 block states per sample, so fewer samples
        env[block, buffer] = gpurg.extract_pairs(configs, gpurg.Geometry(block, buffer, 1),
                                                 positions=positions // (3 if block == 4
                                                                         else 1),
                                                 seed=args.seed + 101 + buffer + block)[1]
    table = {}
    for name, (block, f, rg_map) in _rules(configs, quick, args.seed).items():
        scaled = SCALE * f / np.abs(f).max()
        mi = {}
        for buffer in ((0, 1) if block == 2 else (0,)):
            v, e = ising_rules_information(K_C, gpurg.Geometry(block, buffer, 1),
                                           scaled[None], env[block, buffer])
            mi[buffer] = (float(v[0]), float(e[0]))
        coarse = np.asarray(rg_map(configs, seed=args.seed))
        ham = fit_hamiltonian(coarse, groups=groups)
        row = {"block": block, "filter": f.tolist(), "mi": mi,
               "couplings": dict(zip(ham.operators, ham.K.tolist(), strict=True)),
               "couplings_err": dict(zip(ham.operators, ham.K_err.tolist(), strict=True)),
               "rangeness": ham.rangeness(), "mbodyness": ham.mbodyness()}
        table[name] = row
        report.add(f"{name}: I(H:E), L_B = 0 [nats]", *mi[0])
        report.add(f"{name}: K'_nn", *ham.coupling("nn"))
        report.add(f"{name}: rangeness", *row["rangeness"])
        report.add(f"{name}: m-bodyness", *row["mbodyness"])
    f4, lattice = _four_units(configs, quick, args.seed)
    v, e = ising_local_information(K_C, gpurg.Geometry(2, 0, 1), SCALE * f4 / np.abs(f4).max(),
                                   np.zeros(4), env[2, 0])
    row = {"block": 1, "units": 4, "filter": f4.tolist(), "mi": {0: (v, e)}}
    report.add("2x2 learned, 4 units, L_B = 0: I(H:E), L_B = 0 [nats]", v, e)
    if lattice is not None:  # units as sites: the fine lattice again (b = 1), for reference
        ham = fit_hamiltonian(lattice, groups=groups)
        row.update({"couplings": dict(zip(ham.operators, ham.K.tolist(), strict=True)),
                    "couplings_err": dict(zip(ham.operators, ham.K_err.tolist(),
                                              strict=True)),
                    "rangeness": ham.rangeness(), "mbodyness": ham.mbodyness()})
        report.add("2x2 learned, 4 units: K'_nn of the units' lattice", *ham.coupling("nn"),
                   reference=K_C)
        report.add("2x2 learned, 4 units: rangeness", *row["rangeness"], reference=0.0)
    table["2x2 learned, 4 units, L_B = 0"] = row
    correlations = {}
    for block in (2, 4):
        rows = [r for r in table.values() if r["block"] == block]
        mi = np.array([r["mi"][0][0] for r in rows])
        for key, values in (("rangeness", [r["rangeness"][0] for r in rows]),
                            ("|m-bodyness|", [abs(r["mbodyness"][0]) for r in rows])):
            rho = _spearman(mi, np.array(values))
            correlations[f"{block}x{block} {key}"] = rho
            report.add(f"{block}x{block}: rank correlation of I(H:E) with {key}", rho,
                       reference="< 0 if more MI is simpler")
    report.extra = {"rules": table, "correlations": correlations, "L": L}
    rule_comparison_figure({name: {"mi": r["mi"][0], "rangeness": r["rangeness"],
                                    "mbodyness": r["mbodyness"], "block": r["block"]}
                            for name, r in table.items() if "rangeness" in r},
                           report.figure(),
                           title=f"2D Ising at T_c, L = {L}: information kept against the "
                           f"coarse Hamiltonian")
    report.finish()


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (no ties expected among real-valued estimates)."""
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


if __name__ == "__main__":
    main()
