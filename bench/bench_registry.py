"""Benchmark: write a synthetic PRO-ACT registry of about 1,000,000 ALSFRS rows and read it back.

Prints the synthesis, writing and reading times (wall clock, and the reader's CPU time, which
does not depend on what else runs on the machine) and the reader's peak resident memory,
measured in a fresh process. Targets: 100,000 patients synthesised in
well under a minute; 1,000,000 ALSFRS rows read in well under 60 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READ_SCRIPT = """
import json, resource, sys, time
from alstrial.registry.proact import read_registry
before = resource.getrusage(resource.RUSAGE_SELF)
started = time.perf_counter()
registry = read_registry(sys.argv[1])
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
peak_kib = after.ru_maxrss
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak_kib / 1024,
                  "growth_mib": (peak_kib - before.ru_maxrss) / 1024, **registry.counts()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # About 7.8 ALSFRS rows per synthetic subject: 128,000 subjects give about 1,000,000 rows.
    parser.add_argument("--patients", type=int, default=128_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from alstrial.registry.synth import synthesize, write_proact

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        registry = synthesize(args.patients, args.seed)
        synth_seconds = time.perf_counter() - started
        started = time.perf_counter()
        write_proact(registry, folder)
        write_seconds = time.perf_counter() - started
        rows = len(registry.forms["alsfrs"])
        size_mib = sum(p.stat().st_size for p in Path(folder).iterdir()) / 2**20
        del registry
        out = subprocess.run(
            [sys.executable, "-c", READ_SCRIPT, folder], capture_output=True, text=True, check=True
        )
        read = json.loads(out.stdout)
    print(f"patients                {args.patients:>12,}")
    print(f"ALSFRS rows             {rows:>12,}")
    print(f"files                   {size_mib:>12.1f} MiB")
    print(f"synthesise              {synth_seconds:>12.2f} s")
    print(f"write CSV               {write_seconds:>12.2f} s")
    print(f"read_registry           {read['seconds']:>12.2f} s   (target < 60 s)")
    print(f"read_registry CPU time  {read['cpu_seconds']:>12.2f} s   (independent of other load)")
    print(f"reader peak RSS         {read['peak_mib']:>12.0f} MiB (target < 2048 MiB)")
    print(f"rejected rows           {read['rejected_rows']:>12,}")


if __name__ == "__main__":
    main()
