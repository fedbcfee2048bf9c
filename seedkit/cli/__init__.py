"""The ``seedkit`` command: a face over :mod:`seedkit.api`.

``app`` holds the group and the entry point (``main``), ``options`` the options every command shares and the
context object they fill, ``output`` the progress views and text helpers; the commands are grouped by role in
``snapshots``, ``restoring``, ``seeding`` and ``travel``.
"""

from __future__ import annotations

from seedkit.cli.app import cli, main

__all__ = ["cli", "main"]
