"""RG flow of the couplings under the learned rule: the unstable fixed point locates T_c.

    python examples/ising_flow.py [--quick] [--device cpu] [--seed 0] [--out DIR]
        [--figure-format png|svg|pdf]

What the paper shows (Koch-Janusz & Ringel 2018; science.md §6): iterating the learned RSMI
rule and fitting the coarse configurations' couplings draws the RG flow; its unstable fixed
point gives T_c to about 1%.

What this computes: the one-unit 2x2 RSMI filter learned at T_c (buffer 2, environment 2),
then Swendsen–Wang samples at several starting temperatures around T_c (L = 32 quick, 64
full), each coarse-grained twice with the learned rule (its most probable H) and with
majority rule, the couplings K_nn, K_nnn and K_plaquette fitted by maximum pseudo-likelihood
at every level (:func:`gpurg.coupling_flow`), and T_c where K_nn + K_nnn stops moving between
levels 1 and 2 (:func:`gpurg.critical_temperature`, jackknife error). It prints T_c ± error
for both rules, the deviation from the exact T_c in per cent and in standard errors. Figure:
``ising_flow.png`` (gpurg.figures.flow_figure, for the RSMI rule).

How gpurg compares (this machine): full run, seed 0: RSMI T_c = 2.273 ± 0.006 (+0.16%,
+0.6σ), majority 2.259 ± 0.007 (-0.45%, -1.4σ): both within the paper's "about 1%". Quick
run (L = 32, flows to 8 x 8), seeds 0-2: RSMI +1.1%, -2.7%, +0.8% (+1.3, -0.9, +1.0σ),
majority +1.9%, -0.2%, +2.3% (+2.5, -0.2, +3.8σ): a small lattice's level 2 is 8 x 8.

CPU time (2 shared cores, loaded by other work): full about 52 s, ``--quick`` about 4 s.
"""

from __future__ import annotations

from _common import Report, parser, z_score

import gpurg
from gpurg.figures import flow_figure
from gpurg.models.ising_exact import T_C


def main(argv: list[str] | None = None) -> None:
    """Learn the rule at T_c, draw the coupling flow of it and of majority rule, find T_c."""
    args = parser(__doc__).parse_args(argv)
    quick = args.quick
    L = 32 if quick else 64
    temps = ((2.10, 2.20, 2.27, 2.34, 2.45) if quick
             else (2.05, 2.15, 2.22, 2.27, 2.32, 2.40, 2.50))
    replicas, samples = (32, 8) if quick else (32, 32)
    report = Report("ising_flow", args, f"T_c from the coupling flow of 2D Ising (L = {L})")
    critical = gpurg.ising_configurations(L, T_C, replicas=replicas, samples=samples,
                                          seed=args.seed, device=args.device)
    V, E = gpurg.extract_pairs(critical, gpurg.Geometry(2, 2, 2),
                               positions=50_000 if quick else 100_000, seed=args.seed)
    learned = gpurg.train_rule(V, E, 1, symmetric=True, epochs=10 if quick else 20,
                               restarts=1, seed=args.seed)
    backend = gpurg.get_backend(args.device)
    configs = {T: backend.asnumpy(gpurg.ising_configurations(
        L, T, replicas=replicas, samples=samples, seed=args.seed + 1 + i, device=backend))
        for i, T in enumerate(temps)}
    flows = {}
    for name, rg_map in (("rsmi", gpurg.RsmiRule(learned.rule, 2)),
                         ("majority", gpurg.MajorityRule(2))):
        flows[name] = gpurg.coupling_flow(configs, rg_map, 2, seed=args.seed)
        t_c, t_c_err = gpurg.critical_temperature(flows[name])
        report.add(f"{name}: T_c", t_c, t_c_err, T_C,
                   f"{100 * (t_c / T_C - 1):+.2f}% ({z_score(t_c, t_c_err, T_C):+.1f} σ); "
                   "paper: ~1%")
        report.extra[name] = {"t_c": t_c, "t_c_err": t_c_err, "K": flows[name].K,
                              "K_err": flows[name].K_err}
        if name == "rsmi":
            rsmi_t_c = (t_c, t_c_err)
    report.extra["temperatures"] = list(temps)
    flow_figure(flows["rsmi"], report.figure(), t_c=rsmi_t_c,
                title=f"coupling flow of the learned RSMI rule, L = {L}")
    report.finish()


if __name__ == "__main__":
    main()
