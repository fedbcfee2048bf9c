"""Progress events: the library reports, the caller (CLI, plugin) decides whether and how to show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ProgressEvent:
    """``stage`` is "start", "rows" or "done" for one table; ``index``/``total`` count tables."""

    action: str
    stage: str
    table: str
    index: int
    total: int
    rows: int = 0
    seconds: float = 0.0


Progress = Callable[[ProgressEvent], None]


def ignore(event: ProgressEvent) -> None:
    """The default: report nothing."""
