"""Push and pull through a file:// store and an S3 (moto) store: round trips, content-addressed dedup, downloads
checked before use, restore pulling on a miss, and credentials kept out of output and metadata."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from seedkit import api
from seedkit.errors import StoreError
from seedkit.travel.store import Store, safe_url

from .conftest import FAKE_SECRET, Project, store_listing, write_project


def _user_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM users ORDER BY id").fetchall()


def _tamper(url: str, key: str, transform) -> None:  # noqa: ANN001 - bytes -> bytes
    store = Store(url)
    data = store.fs.cat_file(store.path(key))
    store.fs.pipe_file(store.path(key), transform(data))


def test_push_then_pull_round_trip_gives_byte_identical_files(demo_phase_2: Project, store_url: str, fresh_clone):
    origin = demo_phase_2
    pushed = json.loads(origin.ok("push", "phase-2", "--store", store_url, "--json"))
    assert pushed["transferred_bytes"] > 0 and pushed["reused"] == []
    clone = fresh_clone(origin)
    pulled = json.loads(clone.ok("pull", "phase-2", "--store", store_url, "--json"))
    assert sorted(pulled["transferred"]) == sorted(pushed["transferred"])
    for path in origin.files("phase-2").iterdir():
        assert (clone.files("phase-2") / path.name).read_bytes() == path.read_bytes()
    assert clone.ok("verify", "phase-2").startswith("snapshot phase-2 is intact")
    assert not [p for p in (clone.root / "snapshots").iterdir() if p.name.startswith(".")], "temporary folder left"


def test_second_push_of_an_unchanged_snapshot_uploads_nothing(demo_phase_2: Project, store_url: str):
    demo_phase_2.ok("push", "phase-2", "--store", store_url)
    before = store_listing(store_url)
    time.sleep(1.1)  # S3 modification times have one-second resolution
    again = json.loads(demo_phase_2.ok("push", "phase-2", "--store", store_url, "--json"))
    assert again["transferred"] == [] and again["transferred_bytes"] == 0
    assert store_listing(store_url) == before


def test_snapshots_with_identical_tables_share_their_objects(demo_phase_2: Project, store_url: str):
    project = demo_phase_2
    with sqlite3.connect(project.db) as conn:
        conn.execute("UPDATE users SET full_name = 'Changed Name' WHERE id = 1")
    project.ok("snapshot", "phase-2b", "-q")
    first = json.loads(project.ok("push", "phase-2", "--store", store_url, "--json"))
    objects = store_listing(store_url)
    second = json.loads(project.ok("push", "phase-2b", "--store", store_url, "--json"))
    assert second["transferred"] == ["users.parquet"]
    assert len(second["reused"]) == len(first["transferred"]) - 1
    grown = set(store_listing(store_url)) - set(objects)
    users = api.show("phase-2b", config=project.config()).table("users")
    assert grown == {f"objects/{users.sha256[:2]}/{users.sha256}"}


def test_restore_pulls_missing_files_from_the_configured_store(demo_phase_2: Project, store_url: str, fresh_clone):
    expected = _user_rows(demo_phase_2.db)
    demo_phase_2.ok("push", "phase-2", "--store", store_url)
    clone = fresh_clone(demo_phase_2, f'store = "{store_url}"\n')
    report = json.loads(clone.ok("restore", "phase-2", "--json"))
    assert report["files_from"] == "store"
    assert _user_rows(clone.db) == expected
    assert clone.ok("verify", "phase-2").startswith("snapshot phase-2 is intact")


@pytest.mark.parametrize("damage", ["flipped byte", "truncated"])
def test_a_damaged_object_is_detected_and_never_restored(demo_phase_2: Project, store_url: str, fresh_clone,
                                                         damage: str):
    demo_phase_2.ok("push", "phase-2", "--store", store_url)
    users = api.show("phase-2", config=demo_phase_2.config()).table("users")
    key = f"objects/{users.sha256[:2]}/{users.sha256}"
    if damage == "flipped byte":
        _tamper(store_url, key, lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:])
    else:
        _tamper(store_url, key, lambda data: data[: len(data) // 2])
    clone = fresh_clone(demo_phase_2, f'store = "{store_url}"\n')
    sqlite3.connect(clone.db).executescript("CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (42);")
    result = clone.run("restore", "phase-2")
    assert result.code == 1
    assert "users.parquet from the store" in result.err and "nothing was restored" in result.err
    assert ("bytes, the metadata says" if damage == "truncated" else "sha256") in result.err
    assert not clone.files("phase-2").exists()
    assert [p.name for p in (clone.root / "snapshots").iterdir()] == [], "a partial download was left behind"
    with sqlite3.connect(clone.db) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("keep",)]
    pulled = clone.run("pull", "phase-2")
    assert pulled.code == 1 and "users.parquet" in pulled.err


def test_pull_without_tracked_metadata_takes_the_stores_copy(demo_phase_2: Project, file_store: str, tmp_path: Path):
    demo_phase_2.ok("push", "phase-2", "--store", file_store)
    elsewhere = write_project(tmp_path / "elsewhere")
    out = elsewhere.ok("pull", "phase-2", "--store", file_store)
    assert "metadata taken from the store" in out
    assert elsewhere.ok("verify", "phase-2").startswith("snapshot phase-2 is intact")
    missing = elsewhere.run("pull", "nope", "--store", file_store)
    assert missing.code == 1 and "snapshot 'nope' is not in the store" in missing.err


def test_push_refuses_damaged_local_files(demo_phase_2: Project, file_store: str):
    path = demo_phase_2.files("phase-2") / "users.parquet"
    path.write_bytes(path.read_bytes()[:-10])
    result = demo_phase_2.run("push", "phase-2", "--store", file_store)
    assert result.code == 1 and "users.parquet is" in result.err
    assert store_listing(file_store) == {}


def test_credentials_stay_out_of_output_metadata_and_store(demo_phase_2: Project, s3_store: str):
    outputs = [demo_phase_2.run("push", "phase-2", "--store", s3_store, "--json"),
               demo_phase_2.run("pull", "phase-2", "--store", s3_store)]
    store = Store(s3_store)
    texts = [r.out + r.err for r in outputs] + [store.read_text("snapshots/phase-2.json") or ""]
    texts.append((demo_phase_2.root / "metadata" / "phase-2.json").read_text(encoding="utf-8"))
    assert all(FAKE_SECRET not in text and "fake-access-key" not in text for text in texts)
    assert safe_url("s3://AKIAKEY:s3cret@bucket/prefix?token=abc") == "s3://bucket/prefix"
    assert safe_url("file:///srv/seedkit") == "file:///srv/seedkit"


def test_store_errors_say_what_to_do(demo_phase_2: Project, monkeypatch: pytest.MonkeyPatch):
    result = demo_phase_2.run("push", "phase-2")
    assert result.code == 1 and "no snapshot store is configured" in result.err and "SEEDKIT_STORE" in result.err
    with pytest.raises(StoreError, match="install the fsspec backend for gcs://"):
        Store("gcs://bucket/prefix")  # gcsfs is not installed
    registry = sys.modules["fsspec.registry"]._registry  # fsspec caches the classes it imported
    monkeypatch.setitem(sys.modules, "s3fs", None)
    monkeypatch.delitem(registry, "s3", raising=False)
    with pytest.raises(StoreError, match=r"seedkit-db\[s3\]"):
        Store("s3://bucket/prefix")


def test_a_relative_store_path_is_taken_from_the_project_root(demo_phase_2: Project):
    (demo_phase_2.root / "pyproject.toml").write_text(
        '[tool.seedkit]\ndatabase_url = "sqlite:///app.db"\nstore = "shared-store"\n', encoding="utf-8")
    demo_phase_2.ok("push", "phase-2")
    assert (demo_phase_2.root / "shared-store" / "snapshots" / "phase-2.json").is_file()


def test_pull_follows_the_tracked_metadata_not_the_stores_latest_copy(demo_phase_2: Project, file_store: str,
                                                                      fresh_clone):
    # The store's metadata copy is for discovery: a checkout pinned to an older phase-2 gets exactly that one.
    project = demo_phase_2
    project.ok("push", "phase-2", "--store", file_store)
    clone = fresh_clone(project)
    tracked = api.show("phase-2", config=clone.config()).content_hash
    with sqlite3.connect(project.db) as conn:
        conn.execute("UPDATE users SET full_name = 'Newer' WHERE id = 1")
    project.ok("snapshot", "phase-2", "--force", "-q")
    project.ok("push", "phase-2", "--store", file_store)
    assert api.show("phase-2", config=project.config()).content_hash != tracked
    clone.ok("pull", "phase-2", "--store", file_store)
    assert api.verify("phase-2", config=clone.config()).content_hash == tracked
