"""The repository's own tracked metadata/phase-2.json: a fresh clone restores it with no store (rebuilt from its
recipe) and with a store (pulled). If the demo seeds change, this fails until the metadata is refreshed:
``seedkit seed --phase 2 && seedkit snapshot phase-2 --force``, then commit metadata/phase-2.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import Project, write_project

TRACKED = Path(__file__).resolve().parents[2] / "metadata" / "phase-2.json"


def _clone_of_this_repository(root: Path, extra: str = "") -> Project:
    project = write_project(root, extra)
    (root / "metadata").mkdir()
    shutil.copy(TRACKED, root / "metadata" / "phase-2.json")
    return project


def test_tracked_phase_2_restores_in_a_fresh_clone_by_rebuild_then_by_pull(tmp_path: Path):
    content_hash = json.loads(TRACKED.read_text(encoding="utf-8"))["content_hash"]
    rebuilt = _clone_of_this_repository(tmp_path / "ci-without-store")
    report = json.loads(rebuilt.ok("restore", "phase-2", "--json"))
    assert (report["files_from"], report["content_hash"]) == ("rebuild", content_hash)
    assert rebuilt.ok("verify", "phase-2").startswith("snapshot phase-2 is intact")

    store = (tmp_path / "store").as_uri()
    rebuilt.ok("push", "phase-2", "--store", store)
    pulled = _clone_of_this_repository(tmp_path / "ci-with-store", f'store = "{store}"\n')
    report = json.loads(pulled.ok("restore", "phase-2", "--json"))
    assert (report["files_from"], report["content_hash"]) == ("store", content_hash)
