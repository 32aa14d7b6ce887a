"""Entry point of the ``gpurg`` command.

Bad input of any kind (an unparsable option, a value out of range, a missing GPU, an
unwritable output) ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from gpurg.cli import bench, dimer, importer, info, ising, rbm, rg, rsmi, run, sweep
from gpurg.cli.common import print_error
from gpurg.errors import InputError, Terminated

app = typer.Typer(
    name="gpurg",
    help="Real-space RG learned by mutual information: samplers, RSMI, RG flows, on GPU or CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(ising.app, name="ising")
app.add_typer(dimer.app, name="dimer")
app.add_typer(rsmi.app, name="rsmi")
app.add_typer(rbm.app, name="rbm")
app.add_typer(run.app, name="run")
app.add_typer(rg.app, name="rg")
app.add_typer(bench.app, name="bench")
app.add_typer(sweep.app, name="sweep")
app.command("info")(info.info)
app.command("selftest")(info.selftest)
app.command("import")(importer.import_)


try:  # Typer >= 0.2x runs its own copy of Click; older Typer uses the click package
    from typer._click import exceptions as click_exceptions
except ImportError:
    from click import exceptions as click_exceptions

_NO_ARGS_IS_HELP = getattr(click_exceptions, "NoArgsIsHelpError", ())


def _exit_on_terminated(invoke: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Typer turns every KeyboardInterrupt into exit code 130 inside ``command.main``; a
    SIGTERM'd run (:class:`~gpurg.errors.Terminated`) is caught before that, to exit 143."""

    def wrapped(ctx: Any) -> Any:
        try:
            return invoke(ctx)
        except Terminated:
            print("terminated", file=sys.stderr)
            raise typer.Exit(143) from None

    return wrapped


def _given(exc: Exception) -> str:
    """"; got '2.5'" where Typer's message for an unparsable value does not name it: newer
    Typer parses with pydantic, whose message ("Input should be a valid integer") omits the
    input, kept in the ValidationError behind the exception."""
    errors = getattr(exc.__cause__, "errors", None)
    if not callable(errors):
        return ""
    given = [e["input"] for e in errors() if "input" in e]
    return f"; got {given[0]!r}" if given else ""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exits with 0 (success), 1 (a failed check), 2 (bad input), 130 (Ctrl-C),
    143 (SIGTERM during a sampling run: 128 + 15, as a shell reports a process killed by it)."""
    command = typer.main.get_command(app)
    command.invoke = _exit_on_terminated(command.invoke)
    try:
        code = command.main(args=argv, prog_name="gpurg", standalone_mode=False)
    except _NO_ARGS_IS_HELP as exc:
        print(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(0)
    except click_exceptions.ClickException as exc:  # unparsable options, unknown commands
        print_error(exc.format_message() + _given(exc))
        sys.exit(2)
    except InputError as exc:
        print_error(str(exc))
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
