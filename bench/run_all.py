"""Run every benchmark in bench/ (the files named bench_*.py), the routing solver's figures
(routing.py), then the API fuzz (fuzz_api.py).

    .venv/bin/python bench/run_all.py        (or `make bench`)

Each runs in its own process with the same Python; the exit status is non-zero when one of
them fails to run (not when a figure misses its target: benchmarks print figures).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = [*sorted(HERE.glob("bench_*.py")), HERE / "routing.py", HERE / "fuzz_api.py"]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {script.name}: exit {code} after {time.monotonic() - started:.0f} s ===")
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"\nFailed to run: {', '.join(failed)}")
        return 1
    print(f"\nRan {len(scripts)} benchmark(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
