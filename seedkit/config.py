"""Configuration: ``[tool.seedkit]`` in the nearest pyproject.toml (or a seedkit.toml), then the environment.

Everything is resolved once into a frozen :class:`Config`; the rest of seedkit never reads the environment itself.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from seedkit.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///dev.db"
URL_ENV_VARS = ("SEEDKIT_DATABASE_URL", "DATABASE_URL")
STORE_ENV_VAR = "SEEDKIT_STORE"
PRODUCTION_ENV_VARS = ("SEEDKIT_ENV", "APP_ENV", "ENV")
PRODUCTION_VALUES = frozenset({"production", "prod"})


@dataclass(frozen=True)
class Config:
    """Where the database, snapshots and metadata live, and how seeding is set up."""

    root: Path
    database_url: str = DEFAULT_DATABASE_URL
    snapshots_dir: Path = Path("snapshots")
    metadata_dir: Path = Path("metadata")
    cache_dir: Path = Path(".seedkit-cache")
    seeds: str | None = None
    profile: str = "standard"
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    protected: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    # Where snapshot files travel (an fsspec URL such as s3://bucket/prefix or file:///path), or None.
    store: str | None = None
    source: str = "defaults"
    # [tool.seedkit.auto] as written; seedkit.seeding.auto.settings reads it when a run needs it.
    auto: Mapping[str, Any] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> "Config":
        """A copy with the given fields replaced; ``None`` values leave a field as it is."""
        kept = {key: value for key, value in changes.items() if value is not None}
        for key in ("snapshots_dir", "metadata_dir", "cache_dir"):
            if key in kept:
                kept[key] = _under(self.root, Path(kept[key]))
        return replace(self, **kept)

    def is_production(self, environ: Mapping[str, str] | None = None) -> str | None:
        """Why this configuration points at production, or None when it does not."""
        env = os.environ if environ is None else environ
        for var in PRODUCTION_ENV_VARS:
            if env.get(var, "").strip().lower() in PRODUCTION_VALUES:
                return f"{var}={env[var]}"
        for pattern in self.protected:
            if fnmatch.fnmatch(self.database_url, pattern) or pattern in self.database_url:
                return f"the database URL matches protected pattern {pattern!r}"
        return None


def find_project_file(start: Path) -> Path | None:
    """The nearest seedkit.toml, or pyproject.toml with a [tool.seedkit] table, from ``start`` upwards."""
    for folder in [start, *start.parents]:
        candidate = folder / "seedkit.toml"
        if candidate.is_file():
            return candidate
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "seedkit" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def load_config(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Resolve the configuration for the project around ``start`` (default: the current directory).

    Database URL order: SEEDKIT_DATABASE_URL, DATABASE_URL, ``database_url`` in the project file, ``sqlite:///dev.db``.
    (``--db`` on the command line beats all of them; the CLI applies it with :meth:`Config.with_overrides`.)
    """
    env = os.environ if environ is None else environ
    start = (start or Path.cwd()).resolve()
    project_file = find_project_file(start)
    settings: dict[str, Any] = {}
    root = start
    source = "defaults"
    if project_file is not None:
        root = project_file.parent
        data = _read_toml(project_file)
        settings = data if project_file.name == "seedkit.toml" else data["tool"]["seedkit"]
        source = str(project_file)
    known = {"database_url", "snapshots_dir", "metadata_dir", "cache_dir", "seeds", "profile", "profiles",
             "protected", "schemas", "store", "auto"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)} in {source}",
                          hint=f"known settings: {', '.join(sorted(known))}")
    url = next((env[var] for var in URL_ENV_VARS if env.get(var)), None)
    if url is None:
        url = _sqlite_relative_to(root, settings.get("database_url", DEFAULT_DATABASE_URL))
    return Config(
        root=root,
        database_url=url,
        snapshots_dir=_under(root, Path(settings.get("snapshots_dir", "snapshots"))),
        metadata_dir=_under(root, Path(settings.get("metadata_dir", "metadata"))),
        cache_dir=_under(root, Path(settings.get("cache_dir", ".seedkit-cache"))),
        seeds=settings.get("seeds"),
        profile=settings.get("profile", "standard"),
        profiles=settings.get("profiles", {}),
        protected=tuple(_string_list(settings.get("protected", []), "protected", source)),
        schemas=tuple(_string_list(settings.get("schemas", []), "schemas", source)),
        store=env.get(STORE_ENV_VAR) or settings.get("store"),
        source=source,
        auto=_table(settings.get("auto", {}), "auto", source),
    )


def _sqlite_relative_to(root: Path, url: str) -> str:
    # A relative SQLite path in the project file means "next to the project file", not "wherever make ran".
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        path = url[len(prefix):]
        if path and not path.startswith(":"):
            return prefix + str(root / path)
    return url


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path


def _table(value: Any, key: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"setting {key!r} in {source} must be a table ([tool.seedkit.{key}])")
    return value


def _string_list(value: Any, key: str, source: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"setting {key!r} in {source} must be a string or a list of strings")
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="fix the TOML syntax") from exc


# user:password@ after the scheme; SQLAlchemy's URL grammar: the user has no ':' or '/', the password no '@'.
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^@]*@")


def describe_url(target: Any) -> str:
    """A database URL (or SQLAlchemy Engine) fit to print: the password shown as ***."""
    if not isinstance(target, str):
        return target.url.render_as_string(hide_password=True)
    return _URL_PASSWORD.sub(r"\1:***@", target, count=1)
