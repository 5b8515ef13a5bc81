"""Benchmark: import a synthetic PRO-ACT registry of about 1,000,000 ALSFRS rows into a fresh
database with ``alstrial registry import`` and print the wall-clock time, the CPU time and the
peak resident memory of the importing process (targets: under 60 s on 2 cores, under
2 GB). SQLite by default (a new file); ``--database-url postgres://...`` measures PostgreSQL
(COPY) instead, on a database that must be empty of registry rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPORT_SCRIPT = """
import json, resource, sys, time
from alstrial.commands.web import setup_django
setup_django(None)
from django.core.management import call_command
call_command("migrate", verbosity=0)
from alstrial.web.registry.importer import import_registry
before = resource.getrusage(resource.RUSAGE_SELF)
started = time.perf_counter()
steps = {}
def progress(step, done, total):
    steps.setdefault(step, time.perf_counter() - started)
result = import_registry(sys.argv[1], progress=progress)
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mib": after.ru_maxrss / 1024,
                  "steps": steps,
                  **result.counts, **{"added_" + k: v for k, v in result.added.items()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # About 7.8 ALSFRS rows per synthetic subject: 128,000 subjects give about 1,000,000 rows.
    parser.add_argument("--patients", type=int, default=128_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    from alstrial.registry.synth import synthesize, write_proact

    with tempfile.TemporaryDirectory() as folder:
        registry = synthesize(args.patients, args.seed)
        write_proact(registry, Path(folder) / "registry")
        del registry
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        else:
            env["ALSTRIAL_DB"] = str(Path(folder) / "bench.sqlite3")
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_SCRIPT, str(Path(folder) / "registry")],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        process_seconds = time.perf_counter() - started
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"database                {engine:>12}")
    print(f"patients                {figures['added_patients']:>12,}")
    print(f"ALSFRS rows imported    {figures['added_alsfrs_rows']:>12,}")
    print(f"FVC rows imported       {figures['added_fvc_rows']:>12,}")
    print(f"import (read + write)   {figures['seconds']:>12.2f} s   (target < 60 s)")
    print(f"import CPU time         {figures['cpu_seconds']:>12.2f} s")
    print(f"process incl. start-up  {process_seconds:>12.2f} s")
    print(f"peak RSS                {figures['peak_mib']:>12.0f} MiB (target < 2048 MiB)")
    print(f"load average            {os.getloadavg()[0]:>12.1f}")
    steps = sorted(figures["steps"].items(), key=lambda item: item[1])
    ends = [start for _, start in steps[1:]] + [figures["seconds"]]
    for (step, start), end in zip(steps, ends, strict=True):
        print(f"  {step:<21} {end - start:>12.2f} s")


if __name__ == "__main__":
    main()
