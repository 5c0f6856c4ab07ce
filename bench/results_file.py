"""A benchmark's figures kept between runs (issue 11, requirement 6): each run writes its
figures to a JSON file under var/bench/ and prints the previous run's beside its own."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def save_and_compare(
    path: Path,
    figures: dict[str, float],
    *,
    command: list[str],
    width: int = 28,
    digits: int = 2,
    merge: bool = False,
    show_command: bool = False,
) -> None:
    """Write this run's figures to `path` (with `merge`, over the figures already there, for
    a run of one part of a benchmark); print the previous run's, when the file was there,
    beside them: `width` the figure names' column, `digits` the decimals shown."""
    previous = json.loads(path.read_text("utf-8")) if path.exists() else None
    kept = dict((previous or {}).get("figures", {})) if merge else {}
    record = {
        "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "command": " ".join(command),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "figures": kept | {k: round(v, 4) for k, v in figures.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    print(f"\nFigures written to {path} (load average {record['load_average']})")
    if previous is None:
        return
    before = previous.get("figures", {})
    what = (
        f"{previous.get('at')}, {previous.get('command')}" if show_command else previous.get("at")
    )
    print(f"Beside the previous run ({what}, load {previous.get('load_average')}):")
    print(f"  {'figure':<{width}}{'previous':>12}{'now':>12}{'change':>9}")
    for name, value in figures.items():
        old = before.get(name)
        change = f"{(value - old) / old:+.0%}" if old else ""
        shown = f"{old:,.{digits}f}" if old is not None else "-"
        print(f"  {name:<{width}}{shown:>12}{value:>12,.{digits}f}{change:>9}")
