"""seedkit: seed a database once, snapshot it to zstd Parquet, restore it in a second."""

from __future__ import annotations

__version__ = "0.1.0"
