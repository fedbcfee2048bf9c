"""Packaging: the distribution's name and extras, and the psycopg-only PostgreSQL install.

``seedkit`` on PyPI is an unrelated project (a Rust seed-data generator), so the distribution has a name of its own
(``[project] name``) while the import package, the command and the pytest plugin stay ``seedkit``. ``[postgresql]``
brings the ADBC reader; ``[postgresql-psycopg]`` leaves it out for platforms it has no wheel for, and seedkit must
then work as well, only reading snapshots through COPY CSV.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import seedkit
from backends import Backend
from dbstate import assert_same_state, database_state, foreign_key_violations
from schemas import load_case_schema

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = PROJECT["name"]
EXTRAS = set(PROJECT["optional-dependencies"])

# A None in sys.modules makes `import` raise ModuleNotFoundError, just as when the package is not installed.
WITHOUT_ADBC = """
import sys
for module in ("adbc_driver_postgresql", "adbc_driver_manager"):
    sys.modules[module] = None
"""
# What `python -m seedkit ARGS` runs.
CLI = "import runpy; runpy.run_module('seedkit', run_name='__main__', alter_sys=True)"
ADBC_ENABLED = "from seedkit.dialects.postgresql import adbc; print(adbc.enabled())"

# `seedkit[...]` in an install line installs the other project.
OTHER_PROJECT = [re.compile(r"(?<![\w.-])seedkit\["),
                 re.compile(r"\b(?:pip install|uv add|pipx install)(?:\s+-[\w-]+)*\s+['\"]?seedkit(?![\w\[-])")]
NAMED_EXTRAS = re.compile(rf"(?<![\w.-]){re.escape(NAME)}\[([^\]]+)\]")
MENTIONED_EXTRA = re.compile(r"`+([\w-]+)`+\s+extra\b")


def test_the_distribution_installs_the_seedkit_package_command_and_plugin() -> None:
    try:
        dist = importlib.metadata.distribution(NAME)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{NAME} is not installed in this environment: run make install", pytrace=False)
    assert NAME != "seedkit"
    assert dist.version == seedkit.__version__
    entry_points = {(ep.group, ep.name): ep.value for ep in dist.entry_points}
    assert entry_points[("console_scripts", "seedkit")] == "seedkit.cli:main"
    assert entry_points[("pytest11", "seedkit")] == "seedkit.pytest_plugin"


def test_postgresql_extra_brings_the_adbc_reader_and_postgresql_psycopg_leaves_it_out() -> None:
    assert extra_requirements("postgresql") == {"psycopg", "adbc-driver-postgresql"}
    assert extra_requirements("postgresql-psycopg") == {"psycopg"}


def test_postgresql_snapshot_and_restore_work_when_adbc_is_not_installed(
        postgresql_backend: Backend, database_factory: Callable[[Backend], str], tmp_path: Path) -> None:
    """What ``[postgresql-psycopg]`` installs: with adbc_driver_postgresql not importable, ``seedkit snapshot`` reads
    COPY CSV and ``seedkit restore`` brings back the same database, in processes of their own."""
    source = database_factory(postgresql_backend)
    load_case_schema(source, "postgresql")
    target = database_factory(postgresql_backend)
    # Not SEEDKIT_POSTGRESQL_ADBC=0: the failing import alone must turn the reader off.
    env = {name: value for name, value in os.environ.items() if name != "SEEDKIT_POSTGRESQL_ADBC"}

    def python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=180, check=False)

    assert python(WITHOUT_ADBC + ADBC_ENABLED).stdout.strip() == "False"
    if importlib.util.find_spec("adbc_driver_postgresql") is not None:
        assert python(ADBC_ENABLED).stdout.strip() == "True"
    folders = ["--snapshots-dir", str(tmp_path / "snapshots"), "--metadata-dir", str(tmp_path / "metadata")]
    for command in (["snapshot", "case", "--db", source, *folders], ["restore", "case", "--db", target, *folders]):
        done = python(WITHOUT_ADBC + CLI, *command)
        assert done.returncode == 0, f"seedkit {command[0]}: {done.stderr}"
        assert "adbc" not in done.stderr.lower(), done.stderr
    assert_same_state(database_state(source), database_state(target))
    assert foreign_key_violations(target) == foreign_key_violations(source)


# README.md and docs/ are checked by test_docs.py (check_pip_install); nothing runs the hints in the code.
def test_install_hints_in_the_code_name_the_distribution_and_its_extras() -> None:
    assert install_line_problems(ROOT.glob("seedkit/**/*.py")) == []


def extra_requirements(extra: str) -> set[str]:
    """The names of what ``pip install NAME[extra]`` adds, from the installed metadata (what pip reads)."""
    requirements = (Requirement(line) for line in importlib.metadata.requires(NAME) or [])
    return {r.name for r in requirements if r.marker is not None and r.marker.evaluate({"extra": extra})}


def install_line_problems(paths: Iterable[Path]) -> list[str]:
    """``file:line: text`` for each line naming the other project for an install, or an extra that does not
    exist (``postgresql-fast`` became ``postgresql``)."""
    problems = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        found = [m.start() for pattern in OTHER_PROJECT for m in pattern.finditer(text)]
        for match in NAMED_EXTRAS.finditer(text):
            extras = {e.strip() for e in match.group(1).split(",") if "{" not in e}
            found += [match.start()] * bool(extras - EXTRAS)
        found += [m.start() for m in MENTIONED_EXTRA.finditer(text) if m.group(1) not in EXTRAS | {NAME}]
        found += [m.start() for m in re.finditer(r"postgresql-fast", text)]
        lines = sorted({text.count("\n", 0, offset) + 1 for offset in found})
        problems += [f"{path.relative_to(ROOT)}:{line}: {text.splitlines()[line - 1].strip()}" for line in lines]
    return problems
