"""Terminal output for the CLI: progress lines on a terminal, silence when piped or quiet, tables and sizes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO, Sequence

from seedkit.engine.progress import ProgressEvent


class ProgressView:
    """Shows one updating line per table (rows, rows/s, tables done) on a terminal; nothing otherwise."""

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if event.stage == "rows" and now - self._last < 0.1:
            return
        self._last = now
        rate = f"{event.rows / event.seconds:,.0f} rows/s" if event.seconds > 0 and event.rows else ""
        line = f"{event.action} [{event.index + 1}/{event.total}] {event.table}: {event.rows:,} rows {rate}".rstrip()
        end = "\n" if event.stage == "done" else ""
        self.stream.write(f"\r\033[K{line}{end}")
        self.stream.flush()


def human_seconds(seconds: float) -> str:
    """"1.23 s", or milliseconds under a second (a clone takes a few)."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TB"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table; numbers align right."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) and len(cells) > 1 for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [cell.rjust(w) if num else cell.ljust(w) for cell, w, num in zip(row, widths, numeric)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).isdigit()


class SeedProgressView:
    """One line per seeded area on a terminal: rows and rows/s when it is done, or why it was skipped or failed."""

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled

    def __call__(self, event: ProgressEvent) -> None:
        if not self.enabled:
            return
        area, stage, rows, seconds, message = event.area, event.stage, event.rows, event.seconds, event.message
        if stage == "start":
            self.stream.write(f"\r\033[Kseed {area}: running")
        elif stage == "done":
            rate = f", {rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
            self.stream.write(f"\r\033[Kseed {area}: {rows:,} rows in {human_seconds(seconds)}{rate}\n")
        else:
            self.stream.write(f"\r\033[Kseed {area}: {stage} {message}\n")
        self.stream.flush()


def relative_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (as the user would type it), else whole."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
