"""The type of data that goes to and comes from JSON: ``to_dict()`` results, metadata documents, ``--json`` output.

Read-only containers (``Mapping``, ``Sequence``) so that a ``dict[str, int]`` or a ``list[str]`` is one as it is,
without a copy; code that reads a parsed document narrows with ``isinstance`` before indexing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JSONValue: TypeAlias = "str | int | float | bool | None | Sequence[JSONValue] | Mapping[str, JSONValue]"
JSONObject: TypeAlias = "dict[str, JSONValue]"
