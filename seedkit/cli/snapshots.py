"""Commands that take and look at snapshots: ``snapshot``, ``list``, ``show``, ``verify``, ``delete``."""

from __future__ import annotations

import json

import click

from seedkit import api
from seedkit.cli.options import Settings, common_options, lock_timeout_option, pass_settings
from seedkit.cli.output import human_bytes, human_seconds, relative_path, render_table
from seedkit.engine.diagram import GRAPH_FORMATS, GraphFormat, foreign_key_graph, render_graph


@click.command()
@click.argument("name")
@click.option("--note", help="A note stored in the metadata.")
@click.option("--force", is_flag=True, help="Replace an existing snapshot of that name.")
@click.option("--schema", "schemas", multiple=True, metavar="NAME", help="Only these schemas (repeatable).")
@lock_timeout_option
@common_options
@pass_settings
def snapshot(settings: Settings, name: str, note: str | None, force: bool, schemas: tuple[str, ...],
             lock_timeout: float) -> None:
    """Dump every table to snapshots/NAME/ and write metadata/NAME.json."""
    report = api.snapshot(None, name, config=settings.config(), note=note, force=force, schemas=schemas,
                          progress=settings.progress(), lock_timeout=lock_timeout)
    settings.notice_recovered(report.recovered)

    def text() -> str:
        lines = [f"snapshot {report.name}: {len(report.tables)} tables, {report.rows:,} rows, "
                 f"{human_bytes(report.bytes)} in {human_seconds(report.seconds)} -> "
                 f"{relative_path(report.metadata_path)}"]
        lines += [f"  skipped {s['kind']} {s['name']}: {s['reason']}" for s in report.skipped]
        return "\n".join(lines)

    settings.emit(report.to_dict(), text)


@click.command(name="list")
@common_options
@pass_settings
def list_command(settings: Settings) -> None:
    """List the snapshots, oldest first."""
    summaries = api.list_snapshots(config=settings.config())

    def text() -> str:
        if not summaries:
            return "no snapshots yet: take one with 'seedkit snapshot NAME'"
        rows = [[s.name, s.created_at or "", s.tables, f"{s.rows:,}", human_bytes(s.bytes),
                 "yes" if s.files_present else "missing", s.error or s.note or ""] for s in summaries]
        return render_table(["NAME", "CREATED", "TABLES", "ROWS", "SIZE", "FILES", "NOTE"], rows)

    settings.emit([s.to_dict() for s in summaries], text)


@click.command()
@click.argument("name")
@click.option("--graph", is_flag=True,
              help="Print the foreign-key graph (tables in load order, cycles grouped) instead of the summary.")
@click.option("--format", "graph_format", type=click.Choice(GRAPH_FORMATS), default="mermaid", show_default=True,
              help="With --graph: Mermaid (renders in GitHub and GitLab) or Graphviz DOT.")
@common_options
@pass_settings
def show(settings: Settings, name: str, graph: bool, graph_format: GraphFormat) -> None:
    """Show a snapshot's metadata: tables, rows, sizes, source, hashes; or its foreign-key graph with --graph."""
    meta = api.show(name, config=settings.config())
    if graph:
        source = render_graph(foreign_key_graph(meta), graph_format)
        settings.emit({"name": meta.name, "format": graph_format, "graph": source}, lambda: source.rstrip("\n"))
        return

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

    settings.emit(meta.to_dict(), text)


@click.command()
@click.argument("name")
@common_options
@pass_settings
def verify(settings: Settings, name: str) -> None:
    """Check a snapshot's files against its metadata (sizes, checksums, row digests)."""
    report = api.verify(name, config=settings.config())
    settings.emit(report.to_dict(), lambda: f"snapshot {name} is intact: {report.tables} tables, {report.rows:,} rows, "
                                            f"{human_bytes(report.bytes)}")


@click.command()
@click.argument("name")
@common_options
@pass_settings
def delete(settings: Settings, name: str) -> None:
    """Delete a snapshot's files and metadata."""
    removed = api.delete(name, config=settings.config())
    settings.emit({"removed": [str(p) for p in removed]},
                  lambda: "\n".join(f"removed {relative_path(p)}" for p in removed))


COMMANDS = (snapshot, list_command, show, verify, delete)
