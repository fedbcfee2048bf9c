"""The options every command shares, and the context object they fill.

``--db``, ``--snapshots-dir``, ``--metadata-dir``, ``--quiet``, ``--json`` and ``--traceback`` are accepted on the
group and on every command, so ``seedkit --db URL restore`` and ``seedkit restore --db URL`` are the same. Click
parses the group's options before the command's, and each option's callback writes what it was given into the one
:class:`Settings` on the context: the later one wins, as the user reads the line. ``main`` makes that object, so it
can still read ``--json`` and ``--traceback`` after a command failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Literal, TypeVar

import click

from seedkit.cli.output import ProgressView, SeedProgressView
from seedkit.config import Config, load_config
from seedkit.engine.exclusive import DEFAULT_TIMEOUT as DEFAULT_LOCK_TIMEOUT

F = TypeVar("F", bound=Callable[..., object])
Setting = Literal["db", "snapshots_dir", "metadata_dir", "quiet", "json", "traceback"]


@dataclass
class Settings:
    """Options that may be given before or after the subcommand; the later one wins. Mutable, because click fills
    it option by option while it parses; the commands only read it."""

    db: str | None = None
    snapshots_dir: str | None = None
    metadata_dir: str | None = None
    quiet: bool = False
    json: bool = False
    traceback: bool = False
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The configuration with the options applied, loaded once, when the command first needs it."""
        if self._config is None:
            self._config = load_config().with_overrides(
                database_url=self.db, snapshots_dir=self.snapshots_dir, metadata_dir=self.metadata_dir)
        return self._config

    def _progress_enabled(self) -> bool | None:
        # None: show progress when stderr is a terminal; --quiet and --json silence it.
        return False if self.quiet or self.json else None

    def progress(self) -> ProgressView:
        return ProgressView(enabled=self._progress_enabled())

    def seed_progress(self) -> SeedProgressView:
        return SeedProgressView(enabled=self._progress_enabled())

    def emit(self, data: object, text: Callable[[], str]) -> None:
        """Print ``data`` as JSON with --json, else the human text (nothing with --quiet)."""
        if self.json:
            click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        elif not self.quiet:
            output = text()
            if output:
                click.echo(output)

    def notice_recovered(self, lines: list[str]) -> None:
        """Say on stderr what was done about an interrupted earlier restore (not with --quiet)."""
        if not self.quiet:
            for line in lines:
                click.echo(f"seedkit: recovered: {line}", err=True)


# Commands take the Settings as their first argument; one is made on the context when main did not give one (a
# test invoking the group through click's runner).
pass_settings = click.make_pass_decorator(Settings, ensure=True)


def _remember(name: Setting) -> Callable[[click.Context, click.Parameter, object], object]:
    def callback(ctx: click.Context, param: click.Parameter, value: object) -> object:
        if value is not None and value is not False:
            setattr(ctx.ensure_object(Settings), name, value)
        return value
    return callback


def common_options(command: F) -> F:
    """--db, --snapshots-dir, --metadata-dir, --quiet, --json, --traceback: accepted on the group and every command."""
    options = [
        click.option("--db", "db", metavar="URL", expose_value=False, callback=_remember("db"),
                     help="Database URL (default: SEEDKIT_DATABASE_URL, DATABASE_URL, [tool.seedkit], sqlite:///dev.db)."),
        click.option("--snapshots-dir", metavar="DIR", expose_value=False, callback=_remember("snapshots_dir"),
                     help="Folder of snapshot files (default: snapshots/)."),
        click.option("--metadata-dir", metavar="DIR", expose_value=False, callback=_remember("metadata_dir"),
                     help="Folder of snapshot metadata (default: metadata/)."),
        click.option("--quiet", "-q", is_flag=True, default=None, expose_value=False, callback=_remember("quiet"),
                     help="Print nothing but errors."),
        click.option("--json", "json_output", is_flag=True, default=None, expose_value=False, callback=_remember("json"),
                     help="Print the result as JSON."),
        click.option("--traceback", is_flag=True, default=None, expose_value=False, callback=_remember("traceback"),
                     help="Show the full stack on errors."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def lock_timeout_option(command: F) -> F:
    """--lock-timeout, for every command that writes to the database."""
    return click.option(
        "--lock-timeout", type=click.FloatRange(min=0), default=DEFAULT_LOCK_TIMEOUT, show_default=True,
        metavar="SECONDS", help="How long to wait for another seedkit command writing to the same database.")(command)


def strategy_options(command: F) -> F:
    """--strategy, --terminate-sessions and --lock-timeout, shared by restore and reset."""
    command = lock_timeout_option(command)
    command = click.option(
        "--terminate-sessions", is_flag=True,
        help="PostgreSQL clone: end other sessions on the target database first (they lose their work).")(command)
    return click.option(
        "--strategy", type=click.Choice(["auto", "load", "clone"]), default="auto", show_default=True,
        help="load the files, clone the ready copy, or auto: clone when a valid ready copy exists.")(command)


def store_option(command: F) -> F:
    """--store URL, shared by push and pull."""
    return click.option("--store", "store_url", metavar="URL",
                        help="Store URL (default: SEEDKIT_STORE, then store in [tool.seedkit]).")(command)
