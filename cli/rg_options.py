"""The options that the ``gpurg rg`` commands share (exponents, flow, hamiltonian): one
declaration each, so that the flag, default and help agree everywhere."""

from __future__ import annotations

import typer

RuleOption = typer.Option("majority", "--rule", help="majority[:b], decimation[:b] or "
                          "rsmi:FILTER.h5.")
ModeOption = typer.Option("max", "--mode", help="How an rsmi rule sets a coarse spin: max "
                          "(the most probable H) or sample (drawn from P(H|V)).")
