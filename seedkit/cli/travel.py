"""Commands that move snapshots between places and points in time: ``push``, ``pull``, ``rebuild``, ``lock``,
``diff``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Mapping

import click

from seedkit import api
from seedkit.cli.options import Settings, common_options, pass_settings, store_option
from seedkit.cli.output import human_bytes, human_seconds, relative_path, render_table

if TYPE_CHECKING:
    from seedkit.travel.diff import DiffReport


@click.command()
@click.argument("name")
@store_option
@common_options
@pass_settings
def push(settings: Settings, name: str, store_url: str | None) -> None:
    """Upload snapshot NAME's files to the store; files the store already holds are not sent again."""
    report = api.push(name, config=settings.config(), store=store_url)
    settings.emit(report.to_dict(), lambda: f"pushed {name} to {report.store}: {len(report.transferred)} file(s) "
                                            f"uploaded ({human_bytes(report.transferred_bytes)}), "
                                            f"{len(report.reused)} already there")


@click.command()
@click.argument("name")
@store_option
@common_options
@pass_settings
def pull(settings: Settings, name: str, store_url: str | None) -> None:
    """Download snapshot NAME's files from the store, checking each against the tracked metadata."""
    report = api.pull(name, config=settings.config(), store=store_url)
    note = " (metadata taken from the store)" if report.metadata_from_store else ""
    settings.emit(report.to_dict(), lambda: f"pulled {name} from {report.store}: {len(report.transferred)} file(s), "
                                            f"{human_bytes(report.transferred_bytes)}, every sha256 checked{note}")


@click.command()
@click.argument("name")
@click.option("--allow-production", is_flag=True, help="Create the scratch database even on a production server.")
@common_options
@pass_settings
def rebuild(settings: Settings, name: str, allow_production: bool) -> None:
    """Recreate snapshot NAME's files from the generator recipe in its metadata, checked against its content hash."""
    report = api.rebuild(name, config=settings.config(), allow_production=allow_production,
                         progress=settings.progress())
    settings.emit(report.to_dict(), lambda: f"rebuilt {name} in {report.scratch} ({human_seconds(report.seconds)}): "
                                            f"content hash {report.content_hash} matches the metadata; files in "
                                            f"snapshots/{name}/")


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@common_options
@pass_settings
def lock(settings: Settings, names: tuple[str, ...]) -> None:
    """Pin the content hash of snapshots NAME... (default: every snapshot) in seedkit.lock."""
    report = api.lock(names, config=settings.config())

    def text() -> str:
        lines = [f"{relative_path(report.path)}: {len(report.snapshots)} snapshot(s) pinned, "
                 f"{len(report.changed)} changed"]
        lines += [f"  {name} {report.snapshots[name].content_hash}" if name in report.snapshots else f"  {name} removed"
                  for name in report.changed]
        return "\n".join(lines)

    settings.emit(report.to_dict(), text)


@click.command()
@click.argument("a")
@click.argument("b", required=False)
@click.option("--table", metavar="T", help="Only table T, with sample rows of what was added, removed and changed.")
@click.option("--limit", type=click.IntRange(min=0), default=5, show_default=True,
              help="Sample rows of each kind shown with --table.")
@common_options
@pass_settings
def diff(settings: Settings, a: str, b: str | None, table: str | None, limit: int) -> None:
    """Compare snapshot A with snapshot B, or with the database (--db, else the configured one) when B is omitted."""
    report = api.diff(a, b, config=settings.config(), table=table, limit=limit if table else 0)
    settings.emit(report.to_dict(), lambda: diff_text(report))


DIFF_TABLE_LINES = 25
DIFF_SCHEMA_LINES = 10


def diff_text(report: DiffReport) -> str:
    """The differences in words: one line per differing table (at most DIFF_TABLE_LINES), the schema's, samples."""
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


def _sample_text(kind: str, sample: Mapping[str, object]) -> str:
    def value(v: object) -> str:
        return json.dumps(v, default=str, ensure_ascii=False)

    if kind != "changed":
        return ", ".join(f"{name}={value(v)}" for name, v in sample.items())
    key = sample["key"]
    changes = sample["changes"]
    assert isinstance(key, dict) and isinstance(changes, dict)
    changes_text = "; ".join(f"{name}: {value(x)} -> {value(y)}" for name, (x, y) in changes.items())
    return ", ".join(f"{name}={value(v)}" for name, v in key.items()) + f": {changes_text}"


COMMANDS = (push, pull, rebuild, lock, diff)
