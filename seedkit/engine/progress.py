"""Progress events: the library reports, the caller (CLI, plugin) decides whether and how to show them.

One event type serves snapshot, restore and seeding alike, so a caller handles a single shape: a snapshot or restore
reports per table (``table``, and ``index``/``total`` counting tables), a seed run per area (``area``, and
``message`` saying why an area was skipped or failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

# What is being done: taking a snapshot, restoring one, or seeding.
ProgressAction = Literal["snapshot", "restore", "seed"]
# Where a table or area is: "start", "rows" (a table's rows so far), "done", or "skipped"/"failed" (a seed area).
ProgressStage = Literal["start", "rows", "done", "skipped", "failed"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a snapshot, restore or seed run; ``rows`` and ``seconds`` are counted from the step's start."""

    action: ProgressAction
    stage: ProgressStage
    table: str = ""
    index: int = 0
    total: int = 0
    rows: int = 0
    seconds: float = 0.0
    message: str = ""
    area: str = ""


Progress = Callable[[ProgressEvent], None]


def ignore(event: ProgressEvent) -> None:
    """The default: report nothing."""
