"""Print a DATABASE_URL for the test suite's PostgreSQL run.

Uses $DATABASE_URL, else the local server at 127.0.0.1:5432 (database `test`); where none
answers, starts a throwaway cluster from the installed PostgreSQL binaries under var/pgtest
and prints its URL. `--stop` stops the throwaway cluster.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "var" / "pgtest"
PORT = 54329


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        sys.exit(f"PostgreSQL is not running and {name} is not installed.")
    return candidates[-1]


def run_as_postgres_user(cmd: list[str]) -> None:
    # initdb refuses to run as root: run the throwaway cluster as the `postgres` user.
    if os.geteuid() == 0:
        shutil.chown(CLUSTER.parent, "postgres")
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def start_throwaway() -> str:
    CLUSTER.parent.mkdir(parents=True, exist_ok=True)
    if not (CLUSTER / "PG_VERSION").exists():
        run_as_postgres_user(
            [pg_bin("initdb"), "-D", str(CLUSTER), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        )
    if not answers("127.0.0.1", PORT):
        run_as_postgres_user(
            [
                pg_bin("pg_ctl"),
                "-D",
                str(CLUSTER),
                "-l",
                str(CLUSTER / "server.log"),
                "-o",
                f"-p {PORT} -k /tmp -c listen_addresses=127.0.0.1",
                "-w",
                "start",
            ]
        )
    return f"postgres://postgres@127.0.0.1:{PORT}/postgres"


def main() -> None:
    if "--stop" in sys.argv:
        if (CLUSTER / "PG_VERSION").exists() and answers("127.0.0.1", PORT):
            run_as_postgres_user([pg_bin("pg_ctl"), "-D", str(CLUSTER), "-w", "stop"])
        return
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        print(url)
    elif answers("127.0.0.1", 5432):
        print("postgres://postgres@127.0.0.1:5432/test")
    else:
        print(start_throwaway())


if __name__ == "__main__":
    main()
