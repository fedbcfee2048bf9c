"""Files that appear whole or not at all, with the permissions any other new file would get.

``tempfile`` creates private files (0600) and folders (0700); metadata, locks and snapshot folders are shared
through git and teams, so they get the usual permissions of the user's umask instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomically(target: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``target``, then rename it over ``target``."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def staging_folder(parent: Path, prefix: str) -> Path:
    """A new hidden folder in ``parent`` to build something in before renaming it into place."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(folder, 0o777 & ~_umask())
    return folder


def replace_folder(staged: Path, folder: Path) -> Path:
    """Put ``staged`` where ``folder`` is, by renames, so a reader sees the old folder or the new one, never a mix."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        os.replace(folder, old)
    os.replace(staged, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder
