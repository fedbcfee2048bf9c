"""Commands that put a database back in a known state: ``restore``, ``reset``, and ``cache`` for the ready copies."""

from __future__ import annotations

import sys

import click

from seedkit import api
from seedkit.cli.options import Settings, common_options, pass_settings, strategy_options
from seedkit.cli.output import human_bytes, human_seconds, render_table
from seedkit.cli.seeding import seed_text
from seedkit.config import Config, describe_url
from seedkit.engine.reports import RestoreReport
from seedkit.engine.decision import Strategy


@click.command()
@click.argument("name", required=False)
@click.option("--latest", is_flag=True, help="Restore the most recent snapshot (the default when NAME is omitted).")
@click.option("--allow-drift", is_flag=True, help="Restore the common tables and columns when the schema differs.")
@click.option("--allow-production", is_flag=True, help="Restore even though the target is marked as production.")
@click.option("--locked", is_flag=True, help="Refuse a snapshot whose content hash is not the one in seedkit.lock.")
@strategy_options
@common_options
@pass_settings
def restore(settings: Settings, name: str | None, latest: bool, allow_drift: bool, allow_production: bool,
            locked: bool, strategy: Strategy, terminate_sessions: bool, lock_timeout: float) -> None:
    """Replace the database's data with snapshot NAME (default: the latest), all or nothing.

    Missing files are pulled from the configured store, else rebuilt from the metadata's generator recipe.
    """
    if name and latest:
        raise click.UsageError("give NAME or --latest, not both")
    config = settings.config()
    report = api.restore(None, name, config=config, allow_drift=allow_drift, allow_production=allow_production,
                         progress=settings.progress(), strategy=strategy, terminate_sessions=terminate_sessions,
                         locked=locked, lock_timeout=lock_timeout)
    settings.notice_recovered(report.recovered)
    settings.emit(report.to_dict(), lambda: restore_text(report, config))


@click.command()
@click.option("--profile", help="Reseed with this profile.")
@click.option("--snapshot", "snapshot_name", metavar="NAME", help="Restore this snapshot instead of reseeding.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed for reseeding.")
@click.option("--allow-production", is_flag=True, help="Reset even though the target is marked as production.")
@strategy_options
@common_options
@pass_settings
def reset(settings: Settings, profile: str | None, snapshot_name: str | None, seed_value: int | None,
          allow_production: bool, strategy: Strategy, terminate_sessions: bool, lock_timeout: float) -> None:
    """Back to a known state: reseed from scratch (--profile) or restore a snapshot (--snapshot)."""
    if profile and snapshot_name:
        raise click.UsageError("give --profile or --snapshot, not both")
    config = settings.config()
    if snapshot_name:
        report = api.restore(None, snapshot_name, config=config, allow_production=allow_production,
                             progress=settings.progress(), strategy=strategy, terminate_sessions=terminate_sessions,
                             lock_timeout=lock_timeout)
        settings.notice_recovered(report.recovered)
        settings.emit(report.to_dict(), lambda: restore_text(report, config))
        return
    seeded = api.seed(None, config=config, profile=profile, seed=seed_value, clear=True,
                      allow_production=allow_production, progress=settings.seed_progress(),
                      lock_timeout=lock_timeout)
    settings.notice_recovered(seeded.recovered)
    settings.emit(seeded.to_dict(), lambda: seed_text(seeded, audit=False))
    if not seeded.ok:
        sys.exit(1)


def restore_text(report: RestoreReport, config: Config) -> str:
    how = "cloned" if report.strategy == "clone" else "restored"
    lines = [f"{how} {report.name} into {describe_url(config.database_url)}: {len(report.tables)} tables, "
             f"{report.rows:,} rows in {human_seconds(report.seconds)}"
             + (" (schema created)" if report.created_schema else "")]
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


def _safe_store(config: Config) -> str:
    from seedkit.travel.store import safe_url  # only when files came from a store: fsspec stays unimported otherwise

    return safe_url(config.store or "")


@click.group()
def cache() -> None:
    """Ready copies kept by restores for near-instant resets."""


@cache.command(name="list")
@common_options
@pass_settings
def cache_list(settings: Settings) -> None:
    """List the ready copies for the configured database's kind."""
    copies = api.cache_list(config=settings.config())
    settings.notice_recovered(copies.recovered)

    def text() -> str:
        if not copies:
            return "no ready copies: 'seedkit restore NAME' keeps one"
        rows = [[c.snapshot, c.created_at, human_bytes(c.bytes) if c.bytes else "", c.location] for c in copies]
        return render_table(["SNAPSHOT", "CREATED", "SIZE", "WHERE"], rows)

    settings.emit([c.summary() for c in copies], text)


@cache.command(name="clear")
@click.option("--snapshot", "snapshot_name", metavar="NAME", help="Only the ready copies of this snapshot.")
@common_options
@pass_settings
def cache_clear(settings: Settings, snapshot_name: str | None) -> None:
    """Remove ready copies (all, or those of one snapshot)."""
    removed = api.cache_clear(config=settings.config(), snapshot=snapshot_name)
    settings.notice_recovered(removed.recovered)
    settings.emit([c.summary() for c in removed],
                  lambda: f"removed {len(removed)} ready cop{'y' if len(removed) == 1 else 'ies'}")


COMMANDS = (restore, reset, cache)
