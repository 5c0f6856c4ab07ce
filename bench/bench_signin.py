"""Sign-in under concurrency: 20 staff signing in at once, password then authenticator code,
over real HTTP, with Argon2 and with PBKDF2.

    .venv/bin/python bench/bench_signin.py            (or `make bench`)

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench_signin;
created when missing): a program with 20 clinicians, each with a password and a TOTP
authenticator (made afresh on every run). Pallio is served by granian as `make run` serves it
(one worker, 4 blocking threads) on a free local port, and each sign-in is what a browser
does: GET the sign-in page, POST the password, GET the authenticator page, POST the current
six-digit code, GET the start page (200 only once both steps passed).

1. Hash time in this process: one Argon2 hash (Django's parameters) and one PBKDF2 hash,
   median of 5, and the same for a check; beside them, for comparison, Argon2 with OWASP's
   minimum parameters (not used by Pallio).
2. The server with Pallio's hashers (Argon2 first): one sign-in alone (the baseline, median
   of 3), then the 20 at once (threads released together by a barrier).
3. The same 20 with PBKDF2 hashes, as accounts made before Argon2 hold: each sign-in checks
   PBKDF2 and stores an Argon2 hash (the upgrade); every stored hash must be Argon2 after.
4. The baseline server preferring PBKDF2 (bench/signin_pbkdf2_settings.py): one alone, then
   20 at once.

Prints, per round, how many signed in, and the median, 95th percentile and longest time of
one whole sign-in. The cache (rate-limit counters, used one-time codes) is emptied between
rounds: each round is a fresh shift starting. Figures, not a test: the exit status is 0
whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_pages import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_signin"
STAFF = 20
PASSWORD = "a long passphrase for the sign-in benchmark"  # noqa: S105 - benchmark accounts
PROGRAM_SLUG = "bench-signin"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Round:
    name: str
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0

    def line(self) -> str:
        ok = len(self.times)
        total = ok + len(self.failures)
        if not self.times:
            return f"  {self.name:<44} {ok:>2}/{total} signed in"
        ordered = sorted(self.times)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        return (
            f"  {self.name:<44} {ok:>2}/{total} signed in  p50 {statistics.median(ordered):5.2f} s"
            f"  p95 {p95:5.2f} s  max {ordered[-1]:5.2f} s  (all done in {self.wall:5.2f} s)"
        )


def staff_with_authenticators(count: int) -> list[tuple[str, str]]:
    """`count` clinicians of the benchmark's program, each with a fresh TOTP secret."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from pallio.accounts.models import Role, User
    from pallio.programs.models import Program
    from pallio.programs.services import program_create

    program = Program.objects.filter(slug=PROGRAM_SLUG).first() or program_create(
        name="Sign-in benchmark", slug=PROGRAM_SLUG, timezone="America/New_York"
    )
    people = []
    for n in range(1, count + 1):
        user, _ = User.objects.get_or_create(
            username=f"signin{n:02d}",
            defaults={
                "first_name": "Staff",
                "last_name": f"Member {n}",
                "program": program,
                "role": Role.CLINICIAN,
                "discipline": "nurse",
                "email": f"signin{n:02d}@example.org",
            },
        )
        Authenticator.objects.filter(user=user).delete()
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        people.append((user.username, secret))
    return people


def set_passwords(usernames: list[str], hasher: str) -> None:
    from django.contrib.auth.hashers import make_password

    from pallio.accounts.models import User

    encoded = make_password(PASSWORD, hasher=hasher)  # the same hash for all: setup only
    User.objects.filter(username__in=usernames).update(password=encoded)


def stored_algorithms(usernames: list[str]) -> dict[str, int]:
    from pallio.accounts.models import User

    counts: dict[str, int] = {}
    for password in User.objects.filter(username__in=usernames).values_list("password", flat=True):
        algorithm = password.split("$", 1)[0]
        counts[algorithm] = counts.get(algorithm, 0) + 1
    return counts


def hash_times() -> None:
    from django.contrib.auth.hashers import check_password, make_password

    print("\nOne password hash in this process (median of 5; CPU: all its threads)")
    for hasher in ("argon2", "pbkdf2_sha256"):
        made, cpu, checked = [], [], []
        for _ in range(5):
            started, cpu_started = time.perf_counter(), time.process_time()
            encoded = make_password(PASSWORD, hasher=hasher)
            made.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            started = time.perf_counter()
            assert check_password(PASSWORD, encoded, setter=None, preferred=hasher)
            checked.append(time.perf_counter() - started)
        params = encoded.rsplit("$", 2)[0] if hasher == "argon2" else encoded.split("$")[1]
        print(
            f"  {hasher:<14} hash {statistics.median(made) * 1000:6.0f} ms "
            f"(CPU {statistics.median(cpu) * 1000:4.0f} ms)  "
            f"check {statistics.median(checked) * 1000:6.0f} ms  ({params})"
        )
    # For comparison only: OWASP's minimum Argon2id parameters (19 MiB, 2 passes, 1 lane).
    from argon2 import PasswordHasher

    owasp = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    made, cpu, checked = [], [], []
    for _ in range(5):
        started, cpu_started = time.perf_counter(), time.process_time()
        encoded = owasp.hash(PASSWORD)
        made.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        started = time.perf_counter()
        owasp.verify(encoded, PASSWORD)
        checked.append(time.perf_counter() - started)
    print(
        f"  {'argon2 (OWASP)':<14} hash {statistics.median(made) * 1000:6.0f} ms "
        f"(CPU {statistics.median(cpu) * 1000:4.0f} ms)  "
        f"check {statistics.median(checked) * 1000:6.0f} ms  (m=19456,t=2,p=1; not used)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """Pallio under granian, as `make run` serves it (one worker, 4 blocking threads unless
    told otherwise), on a free local port."""

    def __init__(
        self,
        url: str,
        settings_module: str,
        *,
        workers: int = 1,
        blocking_threads: int = 4,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PALLIO_ENV": "development",
            "PALLIO_LOG_LEVEL": "ERROR",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
            **(extra_env or {}),
        }
        granian = Path(sys.executable).with_name("granian")
        self.process = subprocess.Popen(
            [
                str(granian),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--blocking-threads",
                str(blocking_threads),
                "--no-ws",
                "--log-level",
                "warning",
                "pallio.wsgi:application",
            ],
            env=env,
            cwd=ROOT,
        )

    def __enter__(self) -> Server:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server stopped while starting")
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("the server did not answer /healthz within 60 s")

    def __exit__(self, *exc: Any) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def sign_in(base: str, username: str, secret: str) -> float:
    """One whole sign-in as a browser does it; its time in seconds, or an error."""
    started = time.perf_counter()
    signed_in_session(base, username, secret)
    return time.perf_counter() - started


def signed_in_session(base: str, username: str, secret: str, password: str = PASSWORD) -> Any:
    """A requests.Session signed in as a browser does it (password, then the current code),
    landed on the start page; an error when a step fails."""
    import pyotp
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=120)
    token = CSRF_FIELD.search(page.text)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"sign-in page answered {page.status_code}")
    headers = {"Referer": f"{base}/accounts/login/"}
    after_password = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "login": username, "password": password},
        headers=headers,
        timeout=120,
    )
    if "/accounts/2fa/authenticate/" not in after_password.url:
        raise RuntimeError(f"password step answered {after_password.status_code}")
    token = CSRF_FIELD.search(after_password.text)
    if token is None:
        raise RuntimeError("the authenticator page has no form")
    after_code = session.post(
        f"{base}/accounts/2fa/authenticate/",
        data={"csrfmiddlewaretoken": token.group(1), "code": pyotp.TOTP(secret).now()},
        headers={"Referer": f"{base}/accounts/2fa/authenticate/"},
        timeout=120,
    )
    if after_code.status_code != 200 or "/accounts/" in after_code.url:
        raise RuntimeError(f"code step answered {after_code.status_code} at {after_code.url}")
    if "Sign out" not in after_code.text:
        raise RuntimeError("signed in, but the start page does not show the user")
    return session


def fresh_shift() -> None:
    """Empty the cache: rate-limit counters and used one-time codes of an earlier round."""
    from django.core.cache import cache

    cache.clear()


def alone(base: str, people: list[tuple[str, str]], name: str) -> Round:
    result = Round(name)
    for username, secret in people[:3]:
        fresh_shift()
        try:
            result.times.append(sign_in(base, username, secret))
        except Exception as error:
            result.failures.append(f"{username}: {error}")
    result.wall = sum(result.times)
    return result


def at_once(base: str, people: list[tuple[str, str]], name: str) -> Round:
    fresh_shift()
    result = Round(name)
    gate = threading.Barrier(len(people))
    lock = threading.Lock()

    def one(username: str, secret: str) -> None:
        gate.wait()
        try:
            seconds = sign_in(base, username, secret)
        except Exception as error:
            with lock:
                result.failures.append(f"{username}: {error}")
        else:
            with lock:
                result.times.append(seconds)

    threads = [threading.Thread(target=one, args=person) for person in people]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    return result


def report(result: Round) -> None:
    print(result.line(), flush=True)
    for failure in result.failures[:5]:
        print(f"    failed: {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=STAFF)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_signin measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    ensure_database(url, recreate=args.recreate)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    hash_times()
    people = staff_with_authenticators(args.staff)
    usernames = [username for username, _ in people]

    print(f"\n{args.staff} staff signing in (password, then authenticator code), over HTTP")
    with Server(url, "pallio.settings") as server:
        set_passwords(usernames, "argon2")
        report(alone(server.base, people, "Argon2 (Pallio's hashers): one alone"))
        report(at_once(server.base, people, f"Argon2: {args.staff} at once"))
        set_passwords(usernames, "pbkdf2_sha256")
        report(at_once(server.base, people, f"PBKDF2 hashes upgraded: {args.staff} at once"))
        stored = stored_algorithms(usernames)
        print(f"    stored hashes after the upgrade round: {stored}")
    with Server(url, "signin_pbkdf2_settings") as server:
        set_passwords(usernames, "pbkdf2_sha256")
        report(alone(server.base, people, "PBKDF2 (baseline hashers): one alone"))
        report(at_once(server.base, people, f"PBKDF2: {args.staff} at once"))
    print(f"Load average after the run: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
