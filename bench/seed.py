"""Seeding speed: the demo's `standard` and `load` profiles into fresh SQLite files, rows/s for each.

Targets (issue 3): `standard` in under 2 s, `load` at 50,000 rows/s or better. Not a test: machines are noisy, so
this prints figures (median of the repetitions) and writes them to bench/results/seed.json.

    python bench/seed.py [--repeat N] [--profiles standard,load]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from seedkit.config import Config
from seedkit.seeding import seed

TARGETS = {"standard": ("seconds", 2.0), "load": ("rows_per_second", 50_000)}


def measure(profile: str, repeat: int) -> dict[str, object]:
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            config = Config(root=Path(folder))
            started = time.perf_counter()
            report = seed(f"sqlite:///{folder}/bench.db", config=config, profile=profile, environ={})
            seconds = time.perf_counter() - started
            if not report.ok:
                raise SystemExit(f"seeding {profile} failed: {report.errors}")
            runs.append((seconds, report.total))
    seconds = statistics.median(s for s, _ in runs)
    rows = runs[0][1]
    return {"profile": profile, "rows": rows, "seconds": round(seconds, 3),
            "rows_per_second": round(rows / seconds), "runs": [round(s, 3) for s, _ in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profiles", default="standard,load")
    args = parser.parse_args()
    results = [measure(p, args.repeat if p != "load" else max(1, args.repeat // 2)) for p in args.profiles.split(",")]
    print(f"{'profile':<10} {'rows':>10} {'seconds':>9} {'rows/s':>10}  target")
    for r in results:
        target = TARGETS.get(r["profile"])
        verdict = ""
        if target:
            key, bound = target
            met = r[key] <= bound if key == "seconds" else r[key] >= bound
            verdict = f"{key} {'<=' if key == 'seconds' else '>='} {bound:,}: {'met' if met else 'MISSED'}"
        print(f"{r['profile']:<10} {r['rows']:>10,} {r['seconds']:>9.2f} {r['rows_per_second']:>10,}  {verdict}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "seed.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
