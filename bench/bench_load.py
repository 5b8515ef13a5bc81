"""Load benchmark: study coordinators logging in, opening subject pages and saving ALSFRS-R
forms with reasons for change, against ``alstrial serve --production`` (gunicorn) on loopback.

For each database (SQLite, and PostgreSQL when one answers at ``--postgres``) it seeds a fresh
database, starts the server on a free 127.0.0.1 port, runs locust headless (bench/locustfile.py)
for ``--duration`` seconds with ``--users`` simulated users logging in ``--arrivals`` per second
(default 1), each waiting ``--think`` seconds between pages (default 1-5), stops everything,
prints requests
per second, p50/p95/p99 latency (ms) and errors, then checks that every save the server
acknowledged is in the database with its audit-trail row and that no record is half-written.
Targets: p95 under 150 ms, no errors, nothing lost; exit 1 when one is missed.

    .venv/bin/python bench/bench_load.py                     # 50 users, 120 s, both databases
    .venv/bin/python bench/bench_load.py --users 5 --duration 15 --database sqlite
    .venv/bin/python bench/bench_load.py --arrivals 10 --think 0.5-1.5   # stress test
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# The benchmarks share the tests' support code (tests/support), which is not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import loadtest
from support.testserver import (
    ProductionServer,
    ThrowawayDatabase,
    environment,
    run_python,
)

HERE = Path(__file__).resolve().parent
P95_TARGET_MS = 150.0
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"


def postgres_answers(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:
        return False


def run_locust(url: str, env: dict, args, prefix: Path) -> dict:
    """Locust headless against ``url``; the aggregated figures of its CSV statistics."""
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.arrivals),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    subprocess.run(command, env=env, check=False, timeout=args.duration + 120, capture_output=True)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "p95_by_page_ms": {
            name: float(row["95%"]) for name, row in rows.items() if name != "Aggregated"
        },
    }


def bench(vendor: str, args, folder: Path) -> dict:
    postgres = args.postgres if vendor == "postgresql" else None
    database = ThrowawayDatabase(folder, postgres)
    try:
        plan, acks = folder / "plan.json", folder / "acks.jsonl"
        env = environment(database, ALSTRIAL_STATIC_ROOT=str(folder / "static"))
        run_python(env, loadtest.SCRIPT, "seed", "--users", str(args.users),
                   "--out", str(plan))  # fmt: skip
        log = (args.log_dir or folder) / f"server-{vendor}.log"
        with ProductionServer(env, workers=args.workers, log=log) as server:
            locust_env = {
                **env,
                "ALSTRIAL_LOAD_PLAN": str(plan),
                "ALSTRIAL_LOAD_ACKS": str(acks),
                "ALSTRIAL_LOAD_THINK": args.think,
            }
            figures = run_locust(server.url, locust_env, args, folder / "l")
        acks.touch()
        check = run_python(env, loadtest.SCRIPT, "verify", str(acks))
        verification = json.loads(check.stdout)
    finally:
        database.drop()
    return {"database": vendor, **figures, **verification}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--arrivals",
        type=float,
        default=1.0,
        help="users logging in per second at the start (default 1: a shift's coordinators "
        "arriving over the first minute; 10 is a stress test, everyone within 5 s)",
    )
    parser.add_argument(
        "--think",
        default="1-5",
        help="seconds between a user's pages, MIN-MAX (default 1-5: a page every 3 s on average, "
        "several times a real ward's pace, where one ALSFRS-R takes minutes to fill in; "
        "0.5-1.5 is a stress test)",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL")
    parser.add_argument(
        "--log-dir", type=Path, help="keep the server's log (one access line per request) here"
    )
    args = parser.parse_args()
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    vendors = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if "postgresql" in vendors and not postgres_answers(args.postgres):
        print(f"no PostgreSQL at {args.postgres}: skipped")
        vendors.remove("postgresql")
    print(
        f"{args.users} users arriving {args.arrivals:g}/s, {args.duration} s, "
        f"{args.think} s between pages, "
        f"{args.workers} gunicorn workers, loopback"
    )
    failed = False
    for vendor in vendors:
        with tempfile.TemporaryDirectory(prefix=f"bench-load-{vendor}-") as folder:
            r = bench(vendor, args, Path(folder))
        met = r["p95_ms"] < P95_TARGET_MS and r["errors"] == 0 and r["ok"]
        failed |= not met
        print(
            f"{vendor:10s} {r['requests']:6d} requests {r['rps']:6.1f}/s  "
            f"p50 {r['p50_ms']:.0f} ms  p95 {r['p95_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  "
            f"errors {r['errors']}  "
            f"saves acknowledged {r['acknowledged']}, in the database with audit row "
            f"{r['found']}, half-written {len(r['half_written'])}  "
            f"[{'targets met' if met else 'TARGET MISSED'}]"
        )
        pages = ", ".join(f"{name} {ms:.0f}" for name, ms in r["p95_by_page_ms"].items())
        print(f"  p95 by page (ms): {pages}")
        for problem in r["half_written"][:5] + [json.dumps(m) for m in r["missing"][:5]]:
            print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
