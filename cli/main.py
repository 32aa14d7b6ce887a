"""Entry point of the ``gpurg`` command.

Bad input of any kind (an unparsable option, a value out of range, a missing GPU, an
unwritable output) ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import click
import typer

from gpurg.cli import bench, info, ising
from gpurg.cli.common import err_console
from gpurg.errors import InputError

app = typer.Typer(
    name="gpurg",
    help="Real-space RG learned by mutual information: samplers, RSMI, RG flows, on GPU or CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(ising.app, name="ising")
app.add_typer(bench.app, name="bench")
app.command("info")(info.info)
app.command("selftest")(info.selftest)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exits with 0 (success), 1 (a failed check), 2 (bad input), 130 (Ctrl-C)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="gpurg", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(0)
    except click.ClickException as exc:  # unparsable options, unknown commands
        err_console.print(f"error: {_one_line(exc.format_message())}", markup=False,
                          highlight=False)
        sys.exit(2)
    except InputError as exc:
        err_console.print(f"error: {_one_line(str(exc))}", markup=False, highlight=False)
        sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort):
        err_console.print("interrupted", markup=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
