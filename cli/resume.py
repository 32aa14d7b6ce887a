"""``--resume FILE`` for the sample commands: which options may come with it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

from gpurg.errors import InputError
from gpurg.models.base import Model

# options that only say where or how to run, never what: free beside --resume
_FREE = ("device", "resume", "checkpoint", "figure_format")


def resume_expectations(ctx: typer.Context, resume: Path, attributes: Mapping[str, str],
                        model: type[Model]) -> dict[str, Any]:
    """What the run file must hold, from the options given on the command line.

    Parameters
    ----------
    ctx
        The command's context, whose parameters are the command's options.
    resume
        The run file to continue.
    attributes
        Option name -> the root attribute of the file it sets ("store_configs" for
        ``--configs/--no-configs``).
    model
        The command's model class: the file must be a run of this model (its ``name``).

    Returns
    -------
    dict
        Attribute -> value, for :func:`gpurg.sampling.resume_run`'s ``expect``.

    Raises
    ------
    InputError
        For ``--output`` (the run continues in ``resume`` itself).
    """
    expect: dict[str, Any] = {"model": model.name}
    for name, value in ctx.params.items():
        source = ctx.get_parameter_source(name)
        if name in _FREE or source is None or source.name in ("DEFAULT", "DEFAULT_MAP"):
            continue
        if name == "output":
            raise InputError(f"--resume continues {resume} in place; drop --output {value}")
        expect[attributes[name]] = value
    return expect
