"""Per-test cost of each isolation mode of the pytest plugin, next to the cost of one plain pytest test.

For the ``standard`` and ``full`` demo profiles, on SQLite, PostgreSQL and MySQL/MariaDB (each server skipped when
unreachable), it restores a snapshot once, then times what ``seedkit_db`` does around each test (clone, transaction,
restore) with a one-query test body. Targets for ``standard``: clone under 50 ms per test on PostgreSQL, under 10 ms
on SQLite. Transaction isolation's per-test cost includes the check for writes that escaped the test's transaction;
the table says at how many teardowns that check had to digest the whole database (other activity on the server, such
as another test run, makes its cheap signal fire).

    .venv/bin/python bench/isolation.py [--rounds 30] [--profiles standard,full] [--no-postgresql] [--no-mysql]
                                        [--clone-ahead N] [--work-ms MS] [--isolations clone,transaction,restore]

``--clone-ahead`` sets how many clones are made ahead in the background (default: the plugin's, 0 = at setup).
``--work-ms`` makes each test body also sleep that long, like a test doing its own work, which background clones
can overlap; the times reported leave that sleep out, so they are what the isolation adds to each test.

Prints a table and writes bench/results/isolation-<time>.json. Every database it makes is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seedkit import api  # noqa: E402
from seedkit.config import Config  # noqa: E402
from seedkit.dialects import dialect_for  # noqa: E402
from seedkit.dialects.connect import open_engine  # noqa: E402
from seedkit.testing.databases import TestDatabases  # noqa: E402
from seedkit.testing.session import TestSettings  # noqa: E402

POSTGRES_URL = os.environ.get("SEEDKIT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
MYSQL_URL = os.environ.get("SEEDKIT_BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
TARGETS_MS = {("postgresql", "clone"): 50.0, ("sqlite", "clone"): 10.0}


def plain_pytest_ms(work: Path, tests: int = 400) -> float:
    """Wall time of one trivial pytest test: (N tests - 1 test) / (N - 1), in a fresh interpreter each."""
    suite = work / "plain"
    suite.mkdir()
    (suite / "test_many.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('i', range(%d))\ndef test_plain(i):\n    assert i >= 0\n" % tests)
    (suite / "test_one.py").write_text("def test_plain():\n    assert True\n")

    def run(target: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target], cwd=suite,
                       check=True, capture_output=True)
        return time.perf_counter() - started

    many = min(run("test_many.py") for _ in range(3))
    one = min(run("test_one.py") for _ in range(3))
    return (many - one) / (tests - 1) * 1000


QUERY = sa.text("SELECT count(*) FROM appointments")


def per_test_ms(manager: TestDatabases, snapshot: str, isolation: str, rounds: int,
                work_ms: float) -> tuple[list[float], list[float], int | None]:
    """Milliseconds per test; for transaction isolation also the same test in a bare rolled-back transaction on the
    same database, timed in turn with it (what seedkit adds is the difference), and how many teardowns had to digest
    the whole database (other activity on the server makes the cheap check fire)."""
    session = manager.session(snapshot)  # the one restore per session, not counted
    times, bare = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        with manager.for_test(snapshot, isolation) as db:
            db.connection.execute(QUERY).scalar()
            slept = time.perf_counter()
            time.sleep(work_ms / 1000)
            slept = time.perf_counter() - slept
        times.append((time.perf_counter() - started - slept) * 1000)
        if isolation == "transaction":
            started = time.perf_counter()
            with session.engine.connect() as conn:
                transaction = conn.begin()
                conn.execute(QUERY).scalar()
                transaction.rollback()
            bare.append((time.perf_counter() - started) * 1000)
    return times, bare, (session.watch.proofs if session.watch is not None else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profiles", default="standard,full")
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--no-mysql", action="store_true")
    parser.add_argument("--isolations", default="clone,transaction,restore")
    parser.add_argument("--clone-ahead", type=int, default=None)
    parser.add_argument("--work-ms", type=float, default=0.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="seedkit_bench_"))
    backends = {"sqlite": lambda name: f"sqlite:///{work / name}.db"}
    made: list[str] = []
    servers = {"postgresql": (POSTGRES_URL, "postgres", args.no_postgresql), "mysql": (MYSQL_URL, "", args.no_mysql)}
    for backend, (server, maintenance, skipped) in servers.items():
        if skipped:
            continue
        try:
            open_engine(f"{server}/{maintenance}").connect().close()
            backends[backend] = lambda name, server=server: f"{server}/{name}"
        except sa.exc.OperationalError as exc:
            print(f"{backend} skipped: {str(exc.orig).splitlines()[0]}")

    plain = plain_pytest_ms(work)
    results = []
    try:
        for backend, url_for in backends.items():
            for profile in args.profiles.split(","):
                name = f"seedkit_bench_{os.getpid()}_{profile}"
                url = url_for(name)
                engine = open_engine(url)
                if backend != "sqlite":
                    dialect_for(engine).create_database()
                    made.append(url)
                engine.dispose()
                config = Config(root=work, database_url=url, snapshots_dir=work / "snapshots",
                                metadata_dir=work / "metadata", cache_dir=work / ".seedkit-cache")
                api.seed(url, config=config, profile=profile)
                snapshot = f"{backend}-{profile}"
                api.snapshot(url, snapshot, config=config)
                for isolation in args.isolations.split(","):
                    manager = TestDatabases(TestSettings(snapshot=snapshot, isolation=isolation,
                                                         clone_ahead=args.clone_ahead), config)
                    try:
                        rounds = args.rounds if isolation != "restore" else max(5, args.rounds // 3)
                        times, bare, proofs = per_test_ms(manager, snapshot, isolation, rounds, args.work_ms)
                    finally:
                        manager.close()
                    results.append({"backend": backend, "profile": profile, "isolation": isolation,
                                    "rows": sum(t.rows for t in api.show(snapshot, config=config).tables),
                                    "median_ms": statistics.median(times), "mean_ms": statistics.fmean(times),
                                    "rounds": rounds, "proofs": proofs,
                                    "bare_ms": statistics.median(bare) if bare else None,
                                    "target_ms": TARGETS_MS.get((backend, isolation))})
    finally:
        for url in made:
            dialect_for(open_engine(url)).drop_database()

    print(f"\none plain pytest test: {plain:.2f} ms; clone ahead: "
          f"{'plugin default' if args.clone_ahead is None else args.clone_ahead}; test work: {args.work_ms:g} ms "
          "(left out of the times)\n")
    print(f"{'backend':<11}{'profile':<10}{'isolation':<13}{'rows':>8}{'median ms':>11}{'x plain':>9}  target")
    for r in results:
        target = ""
        if r["target_ms"] is not None and r["profile"] == "standard":
            target = f"< {r['target_ms']:.0f} ms {'ok' if r['median_ms'] < r['target_ms'] else 'MISSED'}"
        if r["bare_ms"] is not None:
            target = f"{target}  bare rolled-back transaction {r['bare_ms']:.2f} ms".strip()
        if r["proofs"]:
            target = f"{target}, digest at {r['proofs']} of {r['rounds']} teardowns"
        print(f"{r['backend']:<11}{r['profile']:<10}{r['isolation']:<13}{r['rows']:>8}{r['median_ms']:>11.2f}"
              f"{r['median_ms'] / plain:>9.1f}  {target}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"isolation-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"plain_pytest_ms": plain, "clone_ahead": args.clone_ahead,
                                "work_ms": args.work_ms, "results": results}, indent=2))
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
