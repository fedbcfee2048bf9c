"""The ``seedkit`` command: parse options, call :mod:`seedkit.api`, print the result.

This is the one place where a SeedkitError becomes a line on stderr and an exit code (1, or 2 for usage errors);
``--traceback`` shows the stack instead.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

from seedkit import __version__, api
from seedkit.config import Config, describe_url, load_config
from seedkit.cli.output import ProgressView, SeedProgressView, human_bytes, human_seconds, render_table
from seedkit.engine.exclusive import DEFAULT_TIMEOUT as DEFAULT_LOCK_TIMEOUT
from seedkit.errors import SchemaMismatchError, SeedkitError


@dataclass
class Settings:
    """Options that may be given before or after the subcommand; the later one wins."""

    db: str | None = None
    snapshots_dir: str | None = None
    metadata_dir: str | None = None
    quiet: bool = False
    json: bool = False
    traceback: bool = False
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
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


_SETTINGS = Settings()


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and value is not False:
            setattr(_SETTINGS, name, value)
        return value
    return callback


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
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


def lock_timeout_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--lock-timeout, for every command that writes to the database."""
    return click.option(
        "--lock-timeout", type=click.FloatRange(min=0), default=DEFAULT_LOCK_TIMEOUT, show_default=True,
        metavar="SECONDS", help="How long to wait for another seedkit command writing to the same database.")(command)


def strategy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--strategy, --terminate-sessions and --lock-timeout, shared by restore and reset."""
    command = lock_timeout_option(command)
    command = click.option(
        "--terminate-sessions", is_flag=True,
        help="PostgreSQL clone: end other sessions on the target database first (they lose their work).")(command)
    return click.option(
        "--strategy", type=click.Choice(["auto", "load", "clone"]), default="auto", show_default=True,
        help="load the files, clone the ready copy, or auto: clone when a valid ready copy exists.")(command)


def emit(data: Any, text: Callable[[], str]) -> None:
    """Print ``data`` as JSON with --json, else the human text (nothing with --quiet)."""
    if _SETTINGS.json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    elif not _SETTINGS.quiet:
        output = text()
        if output:
            click.echo(output)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="seedkit")
@common_options
def cli() -> None:
    """Seed a database once, snapshot it to zstd Parquet, restore it in a second."""


@cli.command()
@click.argument("name")
@click.option("--note", help="A note stored in the metadata.")
@click.option("--force", is_flag=True, help="Replace an existing snapshot of that name.")
@click.option("--schema", "schemas", multiple=True, metavar="NAME", help="Only these schemas (repeatable).")
@lock_timeout_option
@common_options
def snapshot(name: str, note: str | None, force: bool, schemas: tuple[str, ...], lock_timeout: float) -> None:
    """Dump every table to snapshots/NAME/ and write metadata/NAME.json."""
    config = _SETTINGS.config()
    report = api.snapshot(None, name, config=config, note=note, force=force, schemas=schemas,
                          progress=_SETTINGS.progress(), lock_timeout=lock_timeout)
    notice_recovered(report.recovered)

    def text() -> str:
        lines = [f"snapshot {report.name}: {len(report.tables)} tables, {report.rows:,} rows, "
                 f"{human_bytes(report.bytes)} in {human_seconds(report.seconds)} -> {_relative(report.metadata_path)}"]
        lines += [f"  skipped {s['kind']} {s['name']}: {s['reason']}" for s in report.skipped]
        return "\n".join(lines)

    emit(report.to_dict(), text)


@cli.command()
@click.argument("name", required=False)
@click.option("--latest", is_flag=True, help="Restore the most recent snapshot (the default when NAME is omitted).")
@click.option("--allow-drift", is_flag=True, help="Restore the common tables and columns when the schema differs.")
@click.option("--allow-production", is_flag=True, help="Restore even though the target is marked as production.")
@click.option("--locked", is_flag=True, help="Refuse a snapshot whose content hash is not the one in seedkit.lock.")
@strategy_options
@common_options
def restore(name: str | None, latest: bool, allow_drift: bool, allow_production: bool, locked: bool, strategy: str,
            terminate_sessions: bool, lock_timeout: float) -> None:
    """Replace the database's data with snapshot NAME (default: the latest), all or nothing.

    Missing files are pulled from the configured store, else rebuilt from the metadata's generator recipe.
    """
    if name and latest:
        raise click.UsageError("give NAME or --latest, not both")
    config = _SETTINGS.config()
    report = api.restore(None, name, config=config, allow_drift=allow_drift, allow_production=allow_production,
                         progress=_SETTINGS.progress(), strategy=strategy, terminate_sessions=terminate_sessions,
                         locked=locked, lock_timeout=lock_timeout)
    notice_recovered(report.recovered)
    emit(report.to_dict(), lambda: _restore_text(report, config))


def notice_recovered(lines: list[str]) -> None:
    """Say on stderr what was done about an interrupted earlier restore (not with --quiet)."""
    if not _SETTINGS.quiet:
        for line in lines:
            click.echo(f"seedkit: recovered: {line}", err=True)


def _restore_text(report: Any, config: Config) -> str:
    how = "cloned" if report.strategy == "clone" else "restored"
    lines = [f"{how} {report.name} into {describe_url(config.database_url)}: {len(report.tables)} tables, "
             f"{report.rows:,} rows in {human_seconds(report.seconds)}" + (" (schema created)" if report.created_schema else "")]
    if report.reason:
        lines.append(f"  {report.strategy}: {report.reason}")
    lines += [f"  {line}" for line in report.skipped]
    if report.files_from:
        source = f"pulled from the store {_safe_store(config)}" if report.files_from == "store" else \
            "rebuilt from the metadata's generator recipe (content hash checked)"
        lines.append(f"  files: {source}")
    if report.strategy == "load" and report.ready_copy:
        lines.append(f"  ready copy: {report.ready_copy}")
    return "\n".join(lines)


@cli.group()
def cache() -> None:
    """Ready copies kept by restores for near-instant resets."""


@cache.command(name="list")
@common_options
def cache_list() -> None:
    """List the ready copies for the configured database's kind."""
    copies = api.cache_list(config=_SETTINGS.config())
    notice_recovered(copies.recovered)

    def text() -> str:
        if not copies:
            return "no ready copies: 'seedkit restore NAME' keeps one"
        rows = [[c.snapshot, c.created_at, human_bytes(c.bytes) if c.bytes else "", c.location] for c in copies]
        return render_table(["SNAPSHOT", "CREATED", "SIZE", "WHERE"], rows)

    emit([c.summary() for c in copies], text)


@cache.command(name="clear")
@click.option("--snapshot", "snapshot_name", metavar="NAME", help="Only the ready copies of this snapshot.")
@common_options
def cache_clear(snapshot_name: str | None) -> None:
    """Remove ready copies (all, or those of one snapshot)."""
    removed = api.cache_clear(config=_SETTINGS.config(), snapshot=snapshot_name)
    notice_recovered(removed.recovered)
    emit([c.summary() for c in removed], lambda: f"removed {len(removed)} ready cop{'y' if len(removed) == 1 else 'ies'}")


@cli.command(name="list")
@common_options
def list_command() -> None:
    """List the snapshots, oldest first."""
    summaries = api.list_snapshots(config=_SETTINGS.config())

    def text() -> str:
        if not summaries:
            return "no snapshots yet: take one with 'seedkit snapshot NAME'"
        rows = [[s.name, s.created_at or "", s.tables, f"{s.rows:,}", human_bytes(s.bytes),
                 "yes" if s.files_present else "missing", s.error or s.note or ""] for s in summaries]
        return render_table(["NAME", "CREATED", "TABLES", "ROWS", "SIZE", "FILES", "NOTE"], rows)

    emit([s.to_dict() for s in summaries], text)


@cli.command()
@click.argument("name")
@common_options
def show(name: str) -> None:
    """Show a snapshot's metadata: tables, rows, sizes, source, hashes."""
    meta = api.show(name, config=_SETTINGS.config())

    def text() -> str:
        head = [
            f"snapshot     {meta.name}",
            f"created      {meta.created_at}",
            f"source       {meta.source.get('dialect')} {meta.source.get('server_version') or ''} {meta.source.get('url')}",
            f"content      {meta.content_hash}",
            f"schema       {meta.schema_fingerprint}",
        ]
        if meta.note:
            head.append(f"note         {meta.note}")
        if meta.generator:
            head.append(f"generator    {json.dumps(meta.generator, sort_keys=True)}")
        rows = [[t.name, f"{t.rows:,}", human_bytes(t.bytes), ", ".join(t.depends_on)] for t in meta.tables]
        return "\n".join(head) + "\n\n" + render_table(["TABLE", "ROWS", "SIZE", "DEPENDS ON"], rows)

    emit(meta.to_dict(), text)


@cli.command()
@click.argument("name")
@common_options
def verify(name: str) -> None:
    """Check a snapshot's files against its metadata (sizes, checksums, row digests)."""
    report = api.verify(name, config=_SETTINGS.config())
    emit(report.to_dict(), lambda: f"snapshot {name} is intact: {report.tables} tables, {report.rows:,} rows, "
                                   f"{human_bytes(report.bytes)}")


@cli.command()
@click.argument("name")
@common_options
def delete(name: str) -> None:
    """Delete a snapshot's files and metadata."""
    removed = api.delete(name, config=_SETTINGS.config())
    emit({"removed": [str(p) for p in removed]}, lambda: "\n".join(f"removed {_relative(p)}" for p in removed))


def store_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--store URL, shared by push and pull."""
    return click.option("--store", "store_url", metavar="URL",
                        help="Store URL (default: SEEDKIT_STORE, then store in [tool.seedkit]).")(command)


@cli.command()
@click.argument("name")
@store_option
@common_options
def push(name: str, store_url: str | None) -> None:
    """Upload snapshot NAME's files to the store; files the store already holds are not sent again."""
    report = api.push(name, config=_SETTINGS.config(), store=store_url)
    emit(report.to_dict(), lambda: f"pushed {name} to {report.store}: {len(report.transferred)} file(s) uploaded "
                                   f"({human_bytes(report.transferred_bytes)}), {len(report.reused)} already there")


@cli.command()
@click.argument("name")
@store_option
@common_options
def pull(name: str, store_url: str | None) -> None:
    """Download snapshot NAME's files from the store, checking each against the tracked metadata."""
    report = api.pull(name, config=_SETTINGS.config(), store=store_url)
    note = " (metadata taken from the store)" if report.metadata_from_store else ""
    emit(report.to_dict(), lambda: f"pulled {name} from {report.store}: {len(report.transferred)} file(s), "
                                   f"{human_bytes(report.transferred_bytes)}, every sha256 checked{note}")


@cli.command()
@click.argument("name")
@click.option("--allow-production", is_flag=True, help="Create the scratch database even on a production server.")
@common_options
def rebuild(name: str, allow_production: bool) -> None:
    """Recreate snapshot NAME's files from the generator recipe in its metadata, checked against its content hash."""
    report = api.rebuild(name, config=_SETTINGS.config(), allow_production=allow_production,
                         progress=_SETTINGS.progress())
    emit(report.to_dict(), lambda: f"rebuilt {name} in {report.scratch} ({human_seconds(report.seconds)}): content hash "
                                   f"{report.content_hash} matches the metadata; files in snapshots/{name}/")


@cli.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@common_options
def lock(names: tuple[str, ...]) -> None:
    """Pin the content hash of snapshots NAME... (default: every snapshot) in seedkit.lock."""
    report = api.lock(names, config=_SETTINGS.config())

    def text() -> str:
        lines = [f"{_relative(report.path)}: {len(report.snapshots)} snapshot(s) pinned, "
                 f"{len(report.changed)} changed"]
        lines += [f"  {name} {report.snapshots[name].content_hash}" if name in report.snapshots else f"  {name} removed"
                  for name in report.changed]
        return "\n".join(lines)

    emit(report.to_dict(), text)


@cli.command()
@click.option("--profile", help="Profile: how much of each thing (minimal, standard, full, load, or your own).")
@click.option("--area", "areas", multiple=True, metavar="ID", help="Only this area and the areas it requires (repeatable).")
@click.option("--phase", type=click.IntRange(min=1), help="Run phases 1..N only.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed: the same seed gives the same data.")
@click.option("--no-clear", is_flag=True, help="Keep existing data and fill the gaps (fixtures, enrichers).")
@click.option("--audit", is_flag=True, help="Write nothing; list every gap the enrichers would fill.")
@click.option("--list", "list_plan", is_flag=True, help="Show areas, phases, dependencies and profiles.")
@click.option("--allow-production", is_flag=True, help="Seed even though the target is marked as production.")
@lock_timeout_option
@common_options
def seed(profile: str | None, areas: tuple[str, ...], phase: int | None, seed_value: int | None, no_clear: bool,
         audit: bool, list_plan: bool, allow_production: bool, lock_timeout: float) -> None:
    """Fill the database with deterministic, realistic data from the seeds module (default: the clinic demo)."""
    config = _SETTINGS.config()
    if list_plan:
        plan = api.describe_seeds(config=config)
        emit(plan.to_dict(), lambda: _plan_text(plan))
        return
    report = api.seed(None, config=config, profile=profile, areas=areas, phase=phase, seed=seed_value,
                      clear=not no_clear, audit=audit, allow_production=allow_production,
                      progress=_SETTINGS.seed_progress(), lock_timeout=lock_timeout)
    notice_recovered(report.recovered)
    emit(report.to_dict(), lambda: _seed_text(report, audit))
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.option("--profile", help="Reseed with this profile.")
@click.option("--snapshot", "snapshot_name", metavar="NAME", help="Restore this snapshot instead of reseeding.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed for reseeding.")
@click.option("--allow-production", is_flag=True, help="Reset even though the target is marked as production.")
@strategy_options
@common_options
def reset(profile: str | None, snapshot_name: str | None, seed_value: int | None, allow_production: bool,
          strategy: str, terminate_sessions: bool, lock_timeout: float) -> None:
    """Back to a known state: reseed from scratch (--profile) or restore a snapshot (--snapshot)."""
    if profile and snapshot_name:
        raise click.UsageError("give --profile or --snapshot, not both")
    config = _SETTINGS.config()
    if snapshot_name:
        report = api.restore(None, snapshot_name, config=config, allow_production=allow_production,
                             progress=_SETTINGS.progress(), strategy=strategy, terminate_sessions=terminate_sessions,
                             lock_timeout=lock_timeout)
        notice_recovered(report.recovered)
        emit(report.to_dict(), lambda: _restore_text(report, config))
        return
    seeded = api.seed(None, config=config, profile=profile, seed=seed_value, clear=True,
                      allow_production=allow_production, progress=_SETTINGS.seed_progress(),
                      lock_timeout=lock_timeout)
    notice_recovered(seeded.recovered)
    emit(seeded.to_dict(), lambda: _seed_text(seeded, False))
    if not seeded.ok:
        sys.exit(1)


@cli.command()
@click.argument("a")
@click.argument("b", required=False)
@click.option("--table", metavar="T", help="Only table T, with sample rows of what was added, removed and changed.")
@click.option("--limit", type=click.IntRange(min=0), default=5, show_default=True,
              help="Sample rows of each kind shown with --table.")
@common_options
def diff(a: str, b: str | None, table: str | None, limit: int) -> None:
    """Compare snapshot A with snapshot B, or with the database (--db, else the configured one) when B is omitted."""
    report = api.diff(a, b, config=_SETTINGS.config(), table=table, limit=limit if table else 0)
    emit(report.to_dict(), lambda: _diff_text(report))


DIFF_TABLE_LINES = 25
DIFF_SCHEMA_LINES = 10


def _diff_text(report: Any) -> str:
    differing = [t for t in report.tables if t.status != "same"]
    lines = [f"{report.a} -> {report.b}: " + (f"{len(differing)} of {len(report.tables)} table(s) differ"
                                              if differing else f"no differences in {len(report.tables)} table(s)")]
    if differing:
        rows = [[t.name + ("" if t.status == "differs" else f" ({t.status})"), f"{t.rows_a:,}", f"{t.rows_b:,}",
                 f"{t.added:,}", f"{t.removed:,}", f"{t.changed:,}", len(t.schema) or "-"]
                for t in differing[:DIFF_TABLE_LINES]]
        lines.append(render_table(["TABLE", "ROWS A", "ROWS B", "ADDED", "REMOVED", "CHANGED", "SCHEMA"], rows))
        if len(differing) > DIFF_TABLE_LINES:
            lines.append(f"... and {len(differing) - DIFF_TABLE_LINES} more tables (--json lists all)")
    schema = [f"  {t.name}: {line}" for t in differing for line in t.schema]
    if schema:
        lines += ["schema:"] + schema[:DIFF_SCHEMA_LINES]
        if len(schema) > DIFF_SCHEMA_LINES:
            lines.append(f"  ... and {len(schema) - DIFF_SCHEMA_LINES} more (--json lists all)")
    for t in report.tables:
        for kind, samples in t.samples.items():
            count = {"added": t.added, "removed": t.removed, "changed": t.changed}[kind]
            lines.append(f"{kind} in {t.name} ({len(samples)} of {count:,}):")
            lines += [f"  {_sample_text(kind, sample)}" for sample in samples]
    return "\n".join(lines)


def _sample_text(kind: str, sample: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        return json.dumps(v, default=str, ensure_ascii=False)

    if kind != "changed":
        return ", ".join(f"{name}={value(v)}" for name, v in sample.items())
    key = ", ".join(f"{name}={value(v)}" for name, v in sample["key"].items())
    changes = "; ".join(f"{name}: {value(x)} -> {value(y)}" for name, (x, y) in sample["changes"].items())
    return f"{key}: {changes}"


def _seed_text(report: Any, audit: bool) -> str:
    if audit:
        if not report.gaps:
            return "audit: no gaps"
        return "audit: " + f"{len(report.gaps)} gap(s)\n" + "\n".join(f"  {gap}" for gap in report.gaps)
    rows = [[table, f"{count:,}"] for table, count in report.created.items()]
    lines = [render_table(["TABLE", "CREATED"], rows) if rows else "nothing to create"]
    total = sum(report.created.values())
    rate = f", {total / report.seconds:,.0f} rows/s" if report.seconds > 0 and total else ""
    lines.append(f"seeded profile {report.profile} (seed {report.seed}): {total:,} rows in {human_seconds(report.seconds)}{rate}")
    lines += [f"skipped {line}" for line in report.skipped]
    lines += [f"error {line}" for line in report.errors]
    return "\n".join(lines)


def _plan_text(plan: Any) -> str:
    rows = [[a.phase, a.name, ", ".join(a.requires) or "-", ", ".join(a.tables), "; ".join(a.rules)] for a in plan.areas]
    lines = [f"seeds: {plan.seeds}", "", render_table(["PHASE", "AREA", "REQUIRES", "TABLES", "RULES"], rows), ""]
    names = sorted({key for counts in plan.profiles.values() for key in counts})
    profile_rows = [[name] + [f"{plan.profiles[p].get(name, 0):,}" for p in plan.profiles] for name in names]
    lines.append(render_table(["COUNT"] + [p + (" (default)" if p == plan.default_profile else "") for p in plan.profiles],
                              profile_rows))
    return "\n".join(lines)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _safe_store(config: Config) -> str:
    from seedkit.travel.store import safe_url

    return safe_url(config.store or "")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn errors into one line and an exit code."""
    global _SETTINGS
    _SETTINGS = Settings()
    try:
        cli.main(args=argv, prog_name="seedkit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("seedkit: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SeedkitError as exc:
        if _SETTINGS.traceback:
            raise
        _report_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("seedkit: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: still one line, with the way to see more
        if _SETTINGS.traceback:
            raise
        click.echo(f"seedkit: internal error: {type(exc).__name__}: {exc} (run again with --traceback and report it)",
                   err=True)
        sys.exit(1)


def _report_error(exc: SeedkitError) -> None:
    if _SETTINGS.json:
        payload: dict[str, Any] = {"error": exc.message, "hint": exc.hint, "type": type(exc).__name__}
        if isinstance(exc, SchemaMismatchError):
            payload["differences"] = exc.differences
        click.echo(json.dumps(payload, ensure_ascii=False), err=True)
    else:
        click.echo(f"seedkit: error: {exc}", err=True)
