"""Snapshot, restore and clone against the reference tools, measured in the same run on the same data.

    .venv/bin/python bench/restore.py                 # 10k, 100k and 2.0 M rows, 5 repetitions, ~15 minutes
    .venv/bin/python bench/restore.py --rows 200000 --repeat 1 --big-rows 0    # a quick run at one size

Each size gets its own table of ratios: a development database is usually small, and there Python's start-up
and imports weigh more than the data.

PostgreSQL (``--pg``, default the local server as user postgres): builds a 6-table dataset (7 foreign keys, 7
secondary indexes) with INSERT ... SELECT generate_series, then times pg_dump -Fc against ``seedkit snapshot``,
pg_restore (data only into empty tables, and full into an empty database with 1 and 2 jobs) against ``seedkit restore
--strategy load`` into a database holding data, and CREATE DATABASE ... TEMPLATE + DROP DATABASE against ``seedkit
restore --strategy clone``. SQLite: the same shape; a file copy against ``seedkit restore`` (load, and clone: of a
target left as the last reset left it, and of a target whose every row changed since). Every
seedkit command runs as a subprocess whose peak RSS is taken with getrusage(RUSAGE_CHILDREN) in a wrapper process.
``--big-rows`` adds one table of that many rows (default 5 M) to check that memory stays bounded.

MariaDB/MySQL (``--mysql``, default root at 127.0.0.1:3306; ``--mysql-only`` skips the rest): one table of
``--mysql-rows`` rows (8 mixed columns, a secondary index), then ``mysql`` loading a ``mysqldump --no-create-info``
against ``seedkit restore --strategy load`` (LOAD DATA LOCAL INFILE) and the same restore forced onto its INSERT
fallback, each into the emptied table (TRUNCATE before every run, not timed).

Each seedkit command and its reference run in turn, repetition after repetition, so that a slow moment of a
shared machine hits both. Prints medians with the spread and the ratio seedkit/reference, and writes every raw
number to bench/results/.
Only databases named seedkit_bench_<pid>_* are created, and they are dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import urllib.parse

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDKIT = [sys.executable, "-m", "seedkit"]
# Runs a command and prints its peak RSS (KiB): RUSAGE_CHILDREN of a process whose only child is the command.
# seedkit with LOAD DATA LOCAL INFILE switched off: the MySQL restore's INSERT fallback.
SEEDKIT_INSERTS = [sys.executable, "-c", "import sys; from seedkit.dialects.mysql.dialect import MySQLDialect; "
                   "MySQLDialect.load_data_infile = False; sys.argv[0] = 'seedkit'; from seedkit.cli import main; main()"]
RSS_WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
TARGETS = {  # measurement: (reference, highest acceptable ratio)
    "snapshot time": ("pg_dump -Fc", 0.5),
    "snapshot size": ("pg_dump -Fc", 0.7),
    "restore (load)": ("pg_restore --data-only -j1", 0.6),
    "restore (load) vs full -j2": ("pg_restore full -j2", 1.0),
    "restore (clone)": ("CREATE DATABASE TEMPLATE + DROP", 1.0),
    "sqlite restore (clone)": ("file copy", 2.0),
    "sqlite restore (clone), every row changed": ("file copy", 2.0),
    "mysql restore (load)": ("mysql < mysqldump --no-create-info", 1.0),
}
RSS_LIMIT_MB = 256


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.prefix = f"seedkit_bench_{os.getpid()}"
        self.server = None if args.mysql_only else psycopg.connect(args.pg_dsn, dbname="postgres", autocommit=True)
        self.work = Path(tempfile.mkdtemp(prefix="seedkit-bench-"))
        self.created: list[str] = []
        self.mysql_created: list[str] = []
        self.mysql_client: list[str] = ["mysql"]
        self.results: dict[str, dict[str, Any]] = {}

    # ---------------------------------------------------------------- helpers
    def db(self, suffix: str) -> str:
        return f"{self.prefix}_{suffix}"

    def url(self, name: str) -> str:
        return f"{self.args.pg_url.rstrip('/')}/{name}"

    def create_db(self, name: str, template: str | None = None) -> None:
        self.drop_db(name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self.server.execute(statement)
        if name not in self.created:
            self.created.append(name)

    def drop_db(self, name: str) -> None:
        self.server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        info = psycopg.conninfo.conninfo_to_dict(self.args.pg_dsn)
        for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD")):
            if info.get(key):
                env[variable] = str(info[key])
        return env

    def run(self, args: list[str], cwd: Path | None = None) -> tuple[float, int]:
        """Run a command; (seconds, peak RSS in KiB of the command)."""
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *args], cwd=cwd, env=self.pg_env(),
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(args)}\n{done.stdout}\n{done.stderr}")
        return seconds, int(done.stderr.strip().splitlines()[-1])

    def seedkit(self, url: str, *args: str, command: list[str] = SEEDKIT) -> tuple[float, int]:
        return self.run([*command, "--db", url, "--quiet", "--snapshots-dir", str(self.work / "snapshots"),
                         "--metadata-dir", str(self.work / "metadata"), *args], cwd=self.work)

    def measure(self, name: str, action: Callable[[], tuple[float, int] | float], prepare: Callable[[], None] | None = None,
                **extra: Any) -> None:
        self.interleaved([(name, action, prepare)], **extra)

    def interleaved(self, steps: list[tuple[str, Callable[[], tuple[float, int] | float], Callable[[], None] | None]],
                    **extra: Any) -> None:
        """Each repetition runs every step once, in turn: a slow moment of a shared machine then slows a seedkit
        command and its reference alike instead of only one of them."""
        seconds: dict[str, list[float]] = {name: [] for name, _, _ in steps}
        rss: dict[str, list[int]] = {name: [] for name, _, _ in steps}
        for _ in range(self.args.repeat):
            for name, action, prepare in steps:
                if prepare:
                    prepare()
                result = action()
                taken, peak = result if isinstance(result, tuple) else (result, None)
                seconds[name].append(taken)
                if peak is not None:
                    rss[name].append(peak)
        for name, _, _ in steps:
            self.results[name] = {"seconds": seconds[name], "rss_kib": rss[name] or None, **extra}
            spread = f"{min(seconds[name]):.2f}-{max(seconds[name]):.2f}"
            print(f"  {name:<40} {statistics.median(seconds[name]):7.2f} s  ({spread})"
                  + (f"  peak RSS {max(rss[name]) / 1024:.0f} MB" if rss[name] else ""), flush=True)

    # ---------------------------------------------------------------- PostgreSQL
    def postgresql(self) -> None:
        source = self.db("src")
        print(f"PostgreSQL: building {dataset.counts(self.args.rows)} in {source}", flush=True)
        started = time.perf_counter()
        self.create_db(source)
        with psycopg.connect(self.args.pg_dsn, dbname=source, autocommit=True) as conn:  # VACUUM at the end
            for statement in dataset.postgresql_statements(self.args.rows):
                conn.execute(statement)
        self.server.execute("CHECKPOINT")
        size = self.server.execute("SELECT pg_database_size(%s)", (source,)).fetchone()[0]
        print(f"  built in {time.perf_counter() - started:.1f} s, {size / 2**20:.0f} MB", flush=True)
        self.results["dataset"] = {"rows": dataset.counts(self.args.rows), "database_bytes": size}

        dump = self.work / "bench.dump"
        self.interleaved([
            ("pg_dump -Fc", lambda: self.run(["pg_dump", "-Fc", "-d", source, "-f", str(dump)]), None),
            ("seedkit snapshot", lambda: self.seedkit(self.url(source), "snapshot", "bench", "--force"), None),
        ])
        self.results["pg_dump -Fc"]["bytes"] = dump.stat().st_size
        self.results["seedkit snapshot"]["bytes"] = folder_bytes(self.work / "snapshots" / "bench", "*.parquet")

        schema_only = self.db("schema")
        self.create_db(schema_only)
        self.run(["pg_restore", "--schema-only", "-d", schema_only, str(dump)])
        target = self.db("target")
        self.interleaved([
            ("pg_restore --data-only -j1",
             lambda: self.run(["pg_restore", "--data-only", "--disable-triggers", "-j1", "-d", target, str(dump)]),
             lambda: self.create_db(target, schema_only)),
            *[(f"pg_restore full -j{jobs}", lambda jobs=jobs: self.run(["pg_restore", f"-j{jobs}", "-d", target, str(dump)]),
               lambda: self.create_db(target)) for jobs in (1, 2)],
            # seedkit replaces the data of a database that holds some: the usual reset.
            ("seedkit restore --strategy load",
             lambda: self.seedkit(self.url(target), "restore", "bench", "--strategy", "load"),
             lambda: self.create_db(target, source)),
            ("seedkit restore --strategy load (empty db)",
             lambda: self.seedkit(self.url(target), "restore", "bench", "--strategy", "load"),
             lambda: self.create_db(target)),
        ])

        copy = self.db("copy")
        self.create_db(target, source)
        self.seedkit(self.url(target), "restore", "bench", "--strategy", "auto")  # keeps the ready copy
        self.interleaved([
            ("CREATE DATABASE TEMPLATE + DROP",
             lambda: self.run(["psql", "-q", "-d", "postgres", "-c", f'CREATE DATABASE "{copy}" TEMPLATE "{source}"',
                               "-c", f'DROP DATABASE "{copy}"']), None),
            ("seedkit restore --strategy clone",
             lambda: self.seedkit(self.url(target), "restore", "bench", "--strategy", "clone"), None),
        ])
        self.seedkit(self.url(target), "cache", "clear")

    def big_table(self) -> None:
        rows = self.args.big_rows
        big = self.db("big")
        print(f"PostgreSQL: one table of {rows:,} rows (bounded memory)", flush=True)
        self.create_db(big)
        with psycopg.connect(self.args.pg_dsn, dbname=big, autocommit=True) as conn:
            conn.execute("""CREATE TABLE big (id bigint PRIMARY KEY, n integer NOT NULL, label text, at timestamptz,
                                              amount numeric(12, 2), payload bytea)""")
            conn.execute(f"""INSERT INTO big SELECT g, g % 1000, 'row ' || g, timestamptz '2024-01-01' + g * interval '1 s',
                                    (g % 100000) / 100.0, CASE WHEN g % 10 = 0 THEN decode(md5(g::text), 'hex') END
                             FROM generate_series(1, {rows}) g""")
            conn.execute("VACUUM (FREEZE, ANALYZE) big")
        self.measure("seedkit snapshot (big table)", lambda: self.seedkit(self.url(big), "snapshot", "big", "--force"))
        self.measure("seedkit restore --strategy load (big table)",
                     lambda: self.seedkit(self.url(big), "restore", "big", "--strategy", "load"))
        self.drop_db(big)

    # ---------------------------------------------------------------- MariaDB/MySQL
    def mysql(self) -> None:
        rows = self.args.mysql_rows
        parts = urllib.parse.urlsplit(self.args.mysql_url)
        client = ["mysql", f"-h{parts.hostname or '127.0.0.1'}", f"-P{parts.port or 3306}", f"-u{parts.username or 'root'}"]
        if parts.password:
            client.append(f"-p{urllib.parse.unquote(parts.password)}")
        base = f"mysql://{parts.netloc}"
        self.mysql_client = client
        source, target = self.db("src"), self.db("target")

        def execute(database: str, statement: str) -> None:
            subprocess.run([*client, database, "-e", statement], check=True)

        def count(database: str) -> int:
            out = subprocess.run([*client, database, "-N", "-e", "SELECT COUNT(*) FROM items"], check=True,
                                 capture_output=True, text=True).stdout
            return int(out.strip())

        print(f"MariaDB/MySQL: building {rows:,} rows in {source}", flush=True)
        started = time.perf_counter()
        table = ("CREATE TABLE items (id INT PRIMARY KEY, n INT NOT NULL, amount DECIMAL(12, 2), score DOUBLE, "
                 "name VARCHAR(64) NOT NULL, created DATETIME(6), day DATE, flag TINYINT, KEY (n)) ENGINE = InnoDB")
        digits = max(1, len(str(max(rows - 1, 1))))
        numbers = " + ".join(f"d{i}.d * {10 ** i}" for i in range(digits))
        joins = ", ".join(f"digits AS d{i}" for i in range(digits))
        for name in (source, target):
            execute("", f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            self.mysql_created.append(name)
            execute(name, table)
        execute(source, "CREATE TABLE digits (d INT); INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9); "
                        f"INSERT INTO items SELECT g, g * 7 % 100003, IF(g % 10 = 0, NULL, (g % 1000000) / 100), g / 3.0, "
                        "CONCAT('name ', g, ' \\t é'), TIMESTAMP('2020-01-01') + INTERVAL g SECOND, "
                        "IF(g % 7 = 0, NULL, DATE('2000-01-01') + INTERVAL g % 9000 DAY), g % 2 "
                        f"FROM (SELECT {numbers} + 1 AS g FROM {joins}) AS numbers WHERE g <= {rows}; DROP TABLE digits")
        print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
        self.results["mysql dataset"] = {"rows": rows}
        dump = self.work / "mysql-data.sql"
        with dump.open("w") as out:
            subprocess.run(["mysqldump", *client[1:], "--single-transaction", "--no-create-info", source, "items"],
                           check=True, stdout=out)
        self.seedkit(f"{base}/{source}", "snapshot", "bench-mysql", "--force")

        def emptied() -> None:
            execute(target, "TRUNCATE items")

        def checked(action: Callable[[], tuple[float, int]]) -> tuple[float, int]:
            result = action()
            if count(target) != rows:
                raise SystemExit(f"{target}.items does not hold {rows} rows after the load")
            return result

        self.measure("mysql < mysqldump --no-create-info",
                     lambda: checked(lambda: self.run([*client, target, "-e", f"source {dump}"])), prepare=emptied)
        self.measure("mysql seedkit restore --strategy load",
                     lambda: checked(lambda: self.seedkit(f"{base}/{target}", "restore", "bench-mysql", "--strategy", "load")),
                     prepare=emptied)
        self.measure("mysql seedkit restore --strategy load (INSERT fallback)",
                     lambda: checked(lambda: self.seedkit(f"{base}/{target}", "restore", "bench-mysql", "--strategy", "load",
                                                          command=SEEDKIT_INSERTS)),
                     prepare=emptied)
        for name in (source, target):
            execute("", f"DROP DATABASE IF EXISTS `{name}`")
        self.mysql_created.clear()

    # ---------------------------------------------------------------- SQLite
    def sqlite(self) -> None:
        source = self.work / "source.db"
        print(f"SQLite: building {dataset.counts(self.args.rows)} in {source}", flush=True)
        for leftover in (source, self.work / "target.db"):  # the previous size's
            leftover.unlink(missing_ok=True)
        conn = sqlite3.connect(source)
        with psycopg.connect(self.args.pg_dsn, dbname=self.db("src")) as pg:
            for statement in dataset.sqlite_statements():
                conn.execute(statement)
            for table in dataset.SHAPE:
                with pg.cursor(name=f"read_{table}") as cursor:
                    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY id").format(sql.Identifier(table)))
                    while rows := cursor.fetchmany(50_000):
                        marks = ", ".join("?" for _ in rows[0])
                        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", [tuple(_plain(v) for v in row) for row in rows])
        conn.commit()
        conn.close()
        url = f"sqlite:///{source}"
        self.seedkit(url, "snapshot", "bench-sqlite", "--force")
        target = self.work / "target.db"
        self.measure("sqlite seedkit restore --strategy load",
                     lambda: self.seedkit(f"sqlite:///{target}", "restore", "bench-sqlite", "--strategy", "load"),
                     prepare=lambda: shutil.copyfile(source, target))
        self.seedkit(f"sqlite:///{target}", "restore", "bench-sqlite", "--strategy", "auto")

        def every_row_changed() -> None:
            # What a test run that rewrites everything leaves: every page differs from the ready copy's.
            with sqlite3.connect(target) as conn:
                for table in dataset.SHAPE:
                    conn.execute(f"UPDATE {table} SET id = -id")
                    conn.execute(f"UPDATE {table} SET id = -id")

        self.interleaved([
            ("sqlite file copy", lambda: self.run(["cp", str(source), str(self.work / "copy.db")]), None),
            ("sqlite seedkit restore --strategy clone",
             lambda: self.seedkit(f"sqlite:///{target}", "restore", "bench-sqlite", "--strategy", "clone"), None),
            ("sqlite seedkit restore --strategy clone (every row changed)",
             lambda: self.seedkit(f"sqlite:///{target}", "restore", "bench-sqlite", "--strategy", "clone"),
             every_row_changed),
        ])

    # ---------------------------------------------------------------- report
    def report(self, title: str = "") -> dict[str, Any]:
        def median(name: str) -> float | None:
            entry = self.results.get(name)
            return statistics.median(entry["seconds"]) if entry else None

        pairs = [
            ("snapshot time", median("seedkit snapshot"), median("pg_dump -Fc")),
            ("snapshot size", self.results.get("seedkit snapshot", {}).get("bytes"),
             self.results.get("pg_dump -Fc", {}).get("bytes")),
            ("restore (load)", median("seedkit restore --strategy load"), median("pg_restore --data-only -j1")),
            ("restore (load) vs full -j2", median("seedkit restore --strategy load"), median("pg_restore full -j2")),
            ("restore (clone)", median("seedkit restore --strategy clone"), median("CREATE DATABASE TEMPLATE + DROP")),
            ("sqlite restore (clone)", median("sqlite seedkit restore --strategy clone"), median("sqlite file copy")),
            ("sqlite restore (clone), every row changed",
             median("sqlite seedkit restore --strategy clone (every row changed)"), median("sqlite file copy")),
            ("mysql restore (load)", median("mysql seedkit restore --strategy load"),
             median("mysql < mysqldump --no-create-info")),
        ]
        lines = ["| measurement | seedkit | reference | ratio | target | met |", "|---|---|---|---|---|---|"]
        summary = []
        for label, ours, theirs in pairs:
            if ours is None or theirs is None:
                continue
            reference, limit = TARGETS[label]
            ratio = ours / theirs
            unit = (lambda v: f"{v / 2**20:.1f} MB") if label.endswith("size") else (lambda v: f"{v:.2f} s")
            lines.append(f"| {label} | {unit(ours)} | {unit(theirs)} ({reference}) | {ratio:.2f} | <= {limit} | "
                         f"{'yes' if ratio <= limit else 'no'} |")
            summary.append({"measurement": label, "seedkit": ours, "reference": theirs, "reference_tool": reference,
                            "ratio": ratio, "target": limit})
        peaks = {name: max(entry["rss_kib"]) / 1024 for name, entry in self.results.items()
                 if entry.get("rss_kib") and name.startswith(("seedkit", "sqlite seedkit"))}
        if peaks:
            worst = max(peaks, key=peaks.get)
            lines.append(f"| peak RSS, worst seedkit command ({worst}) | {peaks[worst]:.0f} MB | | | <= {RSS_LIMIT_MB} MB | "
                         f"{'yes' if peaks[worst] <= RSS_LIMIT_MB else 'no'} |")
        print("\n" + (f"{title}\n\n" if title else "") + "\n".join(lines))
        return {"summary": summary, "peak_rss_mb": peaks, "table": lines}

    def close(self) -> None:
        for name in self.created:
            self.drop_db(name)
        if self.server is not None:
            self.server.close()
        for name in self.mysql_created:
            subprocess.run([*self.mysql_client, "-e", f"DROP DATABASE IF EXISTS `{name}`"], check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bytes)):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def folder_bytes(folder: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern))


def machine() -> dict[str, Any]:
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return {"nproc": os.cpu_count(), "memory_gib": round(memory / 2**20, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=f"10000,100000,{dataset.TOTAL_ROWS}",
                        help="rows in the 6-table dataset; a comma-separated list runs each size in turn")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement")
    parser.add_argument("--big-rows", type=int, default=5_000_000, help="rows of the bounded-memory table (0: skip)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite comparison")
    parser.add_argument("--mysql", action="store_true", help="add the MariaDB/MySQL comparison")
    parser.add_argument("--mysql-only", action="store_true", help="run only the MariaDB/MySQL comparison")
    parser.add_argument("--mysql-rows", type=int, default=1_000_000, help="rows of the MariaDB/MySQL table")
    parser.add_argument("--mysql-url", default=os.environ.get("SEEDKIT_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    parser.add_argument("--pg-url", default=os.environ.get("SEEDKIT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    url = args.pg_url.rstrip("/")
    args.pg_dsn = url.replace("postgresql+psycopg://", "postgresql://")
    # seedkit's own modules compiled once, as pip does when it installs a package: in an editable install under
    # PYTHONDONTWRITEBYTECODE (set on some machines) every seedkit command would compile them again (~40 ms).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "seedkit")], check=True)
    bench = Bench(args)
    started = time.perf_counter()
    try:
        info = machine()
        if bench.server is not None:
            info["postgresql"] = bench.server.execute("SHOW server_version").fetchone()[0]
        if args.mysql or args.mysql_only:
            info["mysql"] = subprocess.run(["mysql", "--version"], capture_output=True, text=True).stdout.strip()
        print(f"machine: {info}", flush=True)
        by_size: dict[int, dict[str, Any]] = {}
        sizes = [int(size) for size in str(args.rows).split(",")] if not args.mysql_only else []
        for rows in sizes:
            args.rows, bench.results = rows, {}
            print(f"\n## {rows:,} rows", flush=True)
            bench.postgresql()
            if not args.no_sqlite:
                bench.sqlite()
            by_size[rows] = {"results": bench.results, **bench.report(f"{rows:,} rows")}
        bench.results = {}
        if args.big_rows and not args.mysql_only:
            bench.big_table()
        if args.mysql or args.mysql_only:
            bench.mysql()
        summary = bench.report("other measurements") if bench.results else {}
    finally:
        bench.close()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"restore-{stamp}.json"
    path.write_text(json.dumps({"machine": info, "args": {k: v for k, v in vars(args).items() if k != "pg_dsn"},
                                "seconds": time.perf_counter() - started, "sizes": by_size,
                                "results": bench.results, **summary},
                               indent=2), encoding="utf-8")
    print(f"\nraw numbers: {path.relative_to(ROOT)} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
