"""The ``seedkit`` group and its entry point.

``main`` is the one place where a SeedkitError becomes a line on stderr and an exit code (1, or 2 for usage
errors); ``--traceback`` shows the stack instead. The commands live by role beside this module (``snapshots``,
``restoring``, ``seeding``, ``travel``) and are attached to the group here.
"""

from __future__ import annotations

import json
import sys

import click

from seedkit import __version__
from seedkit.cli import restoring, seeding, snapshots, travel
from seedkit.cli.options import Settings, common_options
from seedkit.errors import SchemaMismatchError, SeedkitError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="seedkit")
@common_options
def cli() -> None:
    """Seed a database once, snapshot it to zstd Parquet, restore it in a second."""


for _command in (*snapshots.COMMANDS, *restoring.COMMANDS, *seeding.COMMANDS, *travel.COMMANDS):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn errors into one line and an exit code."""
    settings = Settings()  # made here, not by click, so that --json and --traceback are still known after a failure
    try:
        cli.main(args=argv, prog_name="seedkit", standalone_mode=False, obj=settings)
    except click.exceptions.Abort:
        click.echo("seedkit: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SeedkitError as exc:
        if settings.traceback:
            raise
        _report_error(exc, settings)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("seedkit: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: still one line, with the way to see more
        if settings.traceback:
            raise
        click.echo(f"seedkit: internal error: {type(exc).__name__}: {exc} (run again with --traceback and report it)",
                   err=True)
        sys.exit(1)


def _report_error(exc: SeedkitError, settings: Settings) -> None:
    if settings.json:
        payload: dict[str, object] = {"error": exc.message, "hint": exc.hint, "type": type(exc).__name__}
        if isinstance(exc, SchemaMismatchError):
            payload["differences"] = exc.differences
        click.echo(json.dumps(payload, ensure_ascii=False), err=True)
    else:
        click.echo(f"seedkit: error: {exc}", err=True)
