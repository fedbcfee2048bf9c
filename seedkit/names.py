"""Snapshot names: validated before any path is built from them."""

from __future__ import annotations

import re

from seedkit.errors import InvalidNameError

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid snapshot name, else raise InvalidNameError.

    Names become folder and file names, so anything that could escape the snapshot folders (``../x``, ``a/b``) or
    hide a file (a leading dot) is refused before a file is touched.
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise InvalidNameError(
            f"invalid snapshot name {name!r}",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name
