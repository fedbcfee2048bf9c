"""seedkit.lock pins the content hash per snapshot name; restore --locked refuses anything else."""

from __future__ import annotations

import json
import sqlite3

from .conftest import Project


def _lock(project: Project) -> dict:
    return json.loads((project.root / "seedkit.lock").read_text(encoding="utf-8"))


def test_lock_pins_every_snapshot_and_restore_locked_accepts_it(demo_phase_2: Project):
    demo_phase_2.ok("snapshot", "other", "-q")
    out = json.loads(demo_phase_2.ok("lock", "--json"))
    assert out["changed"] == ["other", "phase-2"]
    lock = _lock(demo_phase_2)
    assert lock["format"] == "seedkit-lock/1" and sorted(lock["snapshots"]) == ["other", "phase-2"]
    meta = json.loads((demo_phase_2.root / "metadata" / "phase-2.json").read_text(encoding="utf-8"))
    assert lock["snapshots"]["phase-2"] == {"content_hash": meta["content_hash"],
                                           "schema_fingerprint": meta["schema_fingerprint"]}
    assert demo_phase_2.run("restore", "phase-2", "--locked").code == 0
    assert json.loads(demo_phase_2.ok("lock", "--json"))["changed"] == []


def test_restore_locked_refuses_a_snapshot_taken_again_with_other_data(demo_phase_2: Project):
    demo_phase_2.ok("lock")
    with sqlite3.connect(demo_phase_2.db) as conn:
        conn.execute("UPDATE users SET full_name = 'Someone Else' WHERE id = 1")
    demo_phase_2.ok("snapshot", "phase-2", "--force", "-q")
    before = demo_phase_2.db.read_bytes()
    result = demo_phase_2.run("restore", "phase-2", "--locked")
    assert result.code == 1
    assert "seedkit.lock pins sha256:" in result.err and "seedkit lock phase-2" in result.err
    assert demo_phase_2.db.read_bytes() == before
    assert demo_phase_2.run("restore", "phase-2").code == 0, "without --locked the lock is not consulted"
    demo_phase_2.ok("lock", "phase-2")
    assert demo_phase_2.run("restore", "phase-2", "--locked").code == 0


def test_restore_locked_refuses_a_snapshot_missing_from_the_lock(demo_phase_2: Project):
    result = demo_phase_2.run("restore", "phase-2", "--locked")
    assert result.code == 1 and "is not in" in result.err and "seedkit.lock" in result.err


def test_locking_one_name_keeps_the_other_pins(demo_phase_2: Project):
    demo_phase_2.ok("snapshot", "other", "-q")
    demo_phase_2.ok("lock")
    pinned_other = _lock(demo_phase_2)["snapshots"]["other"]
    with sqlite3.connect(demo_phase_2.db) as conn:
        conn.execute("DELETE FROM availability_exceptions")
    demo_phase_2.ok("snapshot", "other", "--force", "-q")
    demo_phase_2.ok("snapshot", "phase-2", "--force", "-q")
    demo_phase_2.ok("lock", "phase-2")
    lock = _lock(demo_phase_2)
    assert lock["snapshots"]["other"] == pinned_other
    assert demo_phase_2.run("restore", "other", "--locked").code == 1
    assert demo_phase_2.run("restore", "phase-2", "--locked").code == 0


def test_a_damaged_lock_file_is_refused_with_the_fix(demo_phase_2: Project):
    (demo_phase_2.root / "seedkit.lock").write_text("{not json", encoding="utf-8")
    result = demo_phase_2.run("restore", "phase-2", "--locked")
    assert result.code == 1 and "seedkit.lock cannot be read" in result.err and "seedkit lock" in result.err
