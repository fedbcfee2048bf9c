"""The snapshot store: object storage where snapshot files travel between machines (``seedkit push`` / ``pull``).

Layout under the store URL (any fsspec URL: ``s3://bucket/prefix``, ``file:///srv/seedkit``, a plain path)::

    objects/<sha256[:2]>/<sha256>    one object per distinct file, named by its content
    snapshots/<NAME>.json            a copy of the snapshot's metadata, so a store can be browsed

Objects are content-addressed, so pushing a snapshot whose tables did not change uploads nothing, and snapshots
with identical tables share their objects. A pull checks every downloaded file's size and sha256 against the tracked
metadata, in a temporary folder, before the snapshot folder is replaced: a corrupted or partial download is never
used. Credentials come from the backend's own environment and configuration (for S3: ``AWS_ACCESS_KEY_ID``,
``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...); seedkit never writes them anywhere and prints store URLs without them.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from seedkit.atomic import replace_folder, staging_folder
from seedkit.engine.metadata import SnapshotMetadata, parse_metadata, snapshot_folder, write_metadata
from seedkit.engine.parquet import file_digest
from seedkit.engine.verify import verify_files
from seedkit.errors import (ConfigError, IntegrityError, NotInStoreError, SeedkitError, StoreError, first_line,
                            install_hint)
from seedkit.names import check_name

# The extra that installs the fsspec backend of each protocol, for the message when it is not installed.
EXTRAS = {"s3": "s3", "s3a": "s3"}


def safe_url(url: str) -> str:
    """The store URL without user, password or query string, fit for messages and logs."""
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1:  # a plain path (or a Windows drive letter)
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class StoredFile:
    """One file of a snapshot as the store knows it: its name in the snapshot folder and its object."""

    file: str
    sha256: str
    bytes: int

    @property
    def key(self) -> str:
        return f"objects/{self.sha256[:2]}/{self.sha256}"


@dataclass(frozen=True)
class TransferReport:
    """What a push or pull moved: files transferred (and their bytes) and files already in place."""

    name: str
    store: str
    content_hash: str
    transferred: list[str] = field(default_factory=list)
    transferred_bytes: int = 0
    reused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    metadata_from_store: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "store": self.store, "content_hash": self.content_hash,
                "transferred": self.transferred, "transferred_bytes": self.transferred_bytes,
                "reused": self.reused, "seconds": round(self.seconds, 3),
                "metadata_from_store": self.metadata_from_store}


def snapshot_files(meta: SnapshotMetadata) -> list[StoredFile]:
    """Every file a snapshot consists of: one Parquet file per table, and the DDL file when there is one."""
    files = [StoredFile(t.file, t.sha256, t.bytes) for t in meta.tables]
    if meta.ddl_file and meta.ddl_sha256:
        files.append(StoredFile(meta.ddl_file, meta.ddl_sha256, -1))
    return files


class Store:
    """A store URL opened through fsspec."""

    def __init__(self, url: str, root: Path | None = None) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ConfigError(f"setting 'store' must be a URL string, not {url!r}",
                              hint='use e.g. store = "s3://bucket/prefix" or store = "file:///srv/seedkit"')
        if "://" not in url:
            url = str((root or Path.cwd()) / url)
        self.url = url
        self.label = safe_url(url)
        try:
            import fsspec
        except ModuleNotFoundError as exc:
            raise StoreError("the snapshot store needs fsspec, which is not installed",
                             hint=f"{install_hint('s3')} (or pip install fsspec)") from exc
        try:
            # A fresh instance: a cached one would answer from listings made before another process pushed.
            self.fs, self.base = fsspec.core.url_to_fs(url, skip_instance_cache=True)
        except ImportError as exc:
            protocol = urlsplit(url).scheme
            extra = EXTRAS.get(protocol)
            hint = install_hint(extra) if extra else f"install the fsspec backend for {protocol}://"
            raise StoreError(f"the store {self.label} needs a package that is not installed ({exc})",
                             hint=hint) from exc
        except ValueError as exc:
            raise ConfigError(f"invalid store URL {self.label}: {exc}",
                              hint="use an fsspec URL such as s3://bucket/prefix or file:///path") from exc
        self.base = self.base.rstrip("/")

    def path(self, key: str) -> str:
        return f"{self.base}/{key}"

    def size(self, key: str) -> int | None:
        """The size of an object, or None when the store does not hold it."""
        with self._errors(f"looking up {key}"):
            try:
                return int(self.fs.info(self.path(key))["size"])
            except FileNotFoundError:
                return None

    def upload(self, local: Path, key: str) -> None:
        """Copy a local file into the store under a temporary name, then move it to ``key``.

        A reader therefore never finds a half-written object under its final name.
        """
        final = self.path(key)
        temporary = f"{final}.tmp-{secrets.token_hex(6)}"
        with self._errors(f"uploading {key}"):
            self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            self.fs.put_file(str(local), temporary)
            try:
                self.fs.mv(temporary, final)
            except BaseException:
                self.fs.rm(temporary)
                raise

    def download(self, key: str, local: Path) -> None:
        with self._errors(f"downloading {key}"):
            try:
                self.fs.get_file(self.path(key), str(local))
            except FileNotFoundError as exc:
                raise NotInStoreError(f"the store {self.label} has no object {key}",
                                      hint="push the snapshot from a machine that has its files") from exc

    def read_text(self, key: str) -> str | None:
        with self._errors(f"reading {key}"):
            try:
                return self.fs.cat_file(self.path(key)).decode("utf-8")
            except FileNotFoundError:
                return None

    def write_text(self, key: str, text: str) -> None:
        with self._errors(f"writing {key}"):
            self.fs.makedirs(self.path(key).rsplit("/", 1)[0], exist_ok=True)
            self.fs.pipe_file(self.path(key), text.encode("utf-8"))

    def _errors(self, action: str) -> "_StoreErrors":
        return _StoreErrors(self.label, action)


class _StoreErrors:
    """Turn backend errors (network, permissions, missing bucket) into one StoreError naming the store."""

    def __init__(self, label: str, action: str) -> None:
        self.label, self.action = label, action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, traceback: Any) -> None:
        if exc is None or isinstance(exc, (StoreError, FileNotFoundError)) or not isinstance(exc, Exception):
            return  # nothing to translate: the exception, if any, goes on as it is
        raise StoreError(f"store {self.label}: {self.action} failed: {first_line(exc)}",
                         hint="check the store URL and the backend's credentials (for S3: AWS_* variables or "
                              "~/.aws); seedkit never reads or stores them itself") from exc


def put_in_place(folder: Path, snapshots_dir: Path, meta: SnapshotMetadata) -> Path:
    """Move checked files into ``snapshots/NAME/``, unless an intact copy is already there.

    Several processes may fetch the same snapshot at once (pytest-xdist workers on a fresh checkout): the first
    one's files stay, and the others use them instead of swapping folders under a reader.
    """
    target = snapshot_folder(snapshots_dir, meta.name)
    try:
        verify_files(meta, target)
        return target
    except SeedkitError:
        pass
    try:
        replace_folder(folder, target)
    except OSError:
        verify_files(meta, target)  # another process moved its copy in between: fine when intact
    return target


def metadata_key(name: str) -> str:
    return f"snapshots/{check_name(name)}.json"


def push(store: Store, meta: SnapshotMetadata, folder: Path) -> TransferReport:
    """Upload a snapshot's files that the store does not hold yet, then its metadata copy.

    The local files are checked against the metadata first, so a damaged file is never pushed.
    """
    started = time.perf_counter()
    verify_files(meta, folder)
    transferred, reused, sent = [], [], 0
    for item in snapshot_files(meta):
        local = folder / item.file
        size = local.stat().st_size
        if store.size(item.key) == size:
            reused.append(item.file)
            continue
        store.upload(local, item.key)
        transferred.append(item.file)
        sent += size
    text = json.dumps(meta.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if store.read_text(metadata_key(meta.name)) != text:
        store.write_text(metadata_key(meta.name), text)
    return TransferReport(meta.name, store.label, meta.content_hash, transferred, sent, reused,
                          time.perf_counter() - started)


def stored_metadata(store: Store, name: str) -> SnapshotMetadata:
    """The metadata copy a push left in the store (for a snapshot whose metadata is not tracked here)."""
    text = store.read_text(metadata_key(name))
    if text is None:
        raise NotInStoreError(f"snapshot {name!r} is not in the store {store.label}",
                              hint=f"run 'seedkit push {name}' where its files are")
    try:
        return parse_metadata(json.loads(text), f"{store.label}/{metadata_key(name)}")
    except ValueError as exc:
        raise IntegrityError(f"the store's copy of {name!r} metadata is not valid JSON: {exc}",
                             hint=f"push the snapshot again with 'seedkit push {name}'") from exc


def pull(store: Store, meta: SnapshotMetadata, snapshots_dir: Path, *,
         metadata_dir: Path | None = None) -> TransferReport:
    """Download a snapshot's files, check each against the metadata, then put the folder in place.

    ``metadata_dir`` given: the metadata is also written there (it came from the store, not from git).
    """
    started = time.perf_counter()
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    workdir = staging_folder(snapshots_dir, f".{meta.name}.pull-")
    transferred, received = [], 0
    try:
        for item in snapshot_files(meta):
            local = workdir / item.file
            store.download(item.key, local)
            _check_download(store, meta.name, item, local)
            transferred.append(item.file)
            received += local.stat().st_size
        verify_files(meta, workdir)
        put_in_place(workdir, snapshots_dir, meta)
        if metadata_dir is not None:
            write_metadata(metadata_dir, meta)
    finally:
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
    return TransferReport(meta.name, store.label, meta.content_hash, transferred, received, [],
                          time.perf_counter() - started, metadata_from_store=metadata_dir is not None)


def _check_download(store: Store, name: str, item: StoredFile, local: Path) -> None:
    size = local.stat().st_size
    if item.bytes >= 0 and size != item.bytes:
        problem = f"is {size} bytes, the metadata says {item.bytes}"
    elif file_digest(local) != item.sha256:
        problem = "does not match its sha256 in the metadata"
    else:
        return
    raise IntegrityError(f"{item.file} from the store {store.label} {problem}; nothing was restored",
                         hint=f"the object {item.key} is partial or damaged: remove it from the store and run "
                              f"'seedkit push {name}' where the snapshot's files are, then pull again")


def list_objects(store: Store) -> Iterator[str]:
    """Every object key in the store (for tests and housekeeping)."""
    prefix = store.path("objects/")
    with store._errors("listing objects"):
        for path in store.fs.find(prefix):
            yield path[len(store.base) + 1:]
