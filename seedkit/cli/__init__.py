"""The ``seedkit`` command: a face over :mod:`seedkit.api` (see ``commands``; output helpers in ``output``)."""

from __future__ import annotations

from seedkit.cli.commands import cli, main

__all__ = ["cli", "main"]
