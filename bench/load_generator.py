"""The load generator of bench/bench_load.py: Locust, used as a library, in its own process.

    python bench/load_generator.py PLAN.json RESULTS.json

Locust patches the standard library for gevent when it is imported, so it runs here, apart
from the process that holds Django. The plan (written by bench_load.py) names the server, the
phases and, for every simulated staff member, the cookies of a session already signed in
(password and authenticator code), a personal API token and the patients they work on. This
process runs the phases one after the other (the four of them as many rounds as the plan
asks) and writes, per round, phase and page, the number
of requests, failures, requests per second and the 50th, 95th and 99th percentiles, with a
sample of the failures' reasons.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, User, between, constant
from locust.env import Environment
from requests.cookies import create_cookie

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SPAWN_RATE = 10.0
PLAN: dict[str, Any] = {}


class Actor:
    """One staff member's signed-in browser (its cookies) and API client (its token)."""

    def __init__(self, client: Any, identity: dict[str, Any], rng: random.Random) -> None:
        self.client = client
        self.identity = identity
        self.rng = rng
        for cookie in identity["cookies"]:
            client.cookiejar.set_cookie(
                create_cookie(
                    cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"]
                )
            )

    def patient(self) -> str:
        return str(self.rng.choice(self.identity["patients"]))

    def get(self, name: str, url: str, *, api: bool = False) -> str:
        """A page (or an API read) that must answer 200 where it stands: a redirect, to the
        sign-in page or elsewhere, is an error."""
        headers = {"Authorization": f"Bearer {self.identity['token']}"} if api else {}
        with self.client.get(
            url, name=name, headers=headers, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code == 200:
                response.success()
                return response.text or ""
            where = response.headers.get("Location") or ""
            response.failure(f"{response.status_code} {where}".strip())
            return ""

    def symptom_report(self) -> None:
        """The staff symptom-report form: open it, then submit an ESAS-r taken at a visit."""
        patient = self.patient()
        url = f"/assessments/patients/{patient}/report/"
        page = self.get("symptom report form", url)
        token = CSRF_FIELD.search(page)
        if token is None:
            return  # the form's failure is already counted
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "respondent": "patient",
            "respondent_name": "",
            "channel": self.rng.choice(("visit", "call")),
            "phase": self.rng.choice(("stable", "stable", "stable", "unstable")),
            "answered_at": "",
        }
        for item in PLAN["report_items"]:
            # Mostly mild scores, now and then a severe one (which raises an alert).
            low, high = item["minimum"], item["maximum"]
            score = min(high, max(low, round(self.rng.triangular(low, high, low + 2))))
            data[f"item_{item['link_id']}"] = str(score)
        expected = f"/assessments/patients/{patient}/"
        with self.client.post(
            url,
            name="symptom report submit",
            data=urlencode(data),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{PLAN['base']}{url}",
            },
            catch_response=True,
            allow_redirects=False,
        ) as response:
            where = response.headers.get("Location") or ""
            if response.status_code == 302 and where.endswith(expected):
                response.success()
            else:
                response.failure(f"{response.status_code} {where}".strip())


# --- the pages, each a task taking the simulated user --------------------------------------


def chart(user: Any) -> None:
    user.actor.get("chart", f"/patients/{user.actor.patient()}/")


def caseload(user: Any) -> None:
    colleagues = user.actor.identity.get("colleagues")
    if colleagues:  # a coordinator looks at a clinician's caseload
        user.actor.get("caseload", f"/caseload/{user.actor.rng.choice(colleagues)}/")
    else:
        user.actor.get("caseload", "/caseload/")


def trends(user: Any) -> None:
    user.actor.get("symptom trends", f"/assessments/patients/{user.actor.patient()}/")


def alerts(user: Any) -> None:
    user.actor.get("alert worklist", "/assessments/alerts/")


def goals_of_care(user: Any) -> None:
    user.actor.get("goals of care", f"/acp/{user.actor.patient()}/")


def symptom_report(user: Any) -> None:
    if user.actor.identity["reports"]:
        user.actor.symptom_report()
    else:  # a discipline that does not take symptom reports
        chart(user)


def api_patient(user: Any) -> None:
    user.actor.get("API patient read", f"/api/v1/patients/{user.actor.patient()}", api=True)


def api_reports(user: Any) -> None:
    patient = user.actor.patient()
    user.actor.get(
        "API symptom reports", f"/api/v1/assessments/patients/{patient}/symptom-reports", api=True
    )


def queue(user: Any) -> None:
    desk = getattr(user, "desk", None) or user.actor
    desk.get("referral queue", "/referrals/")


def api_referrals(user: Any) -> None:
    desk = getattr(user, "desk", None) or user.actor
    desk.get("API referral queue", "/api/v1/referrals", api=True)


def healthz(user: Any) -> None:
    with user.client.get("/healthz", name="/healthz", catch_response=True) as response:
        if response.status_code == 200:
            response.success()
        else:
            response.failure(str(response.status_code))


# Relative weights: how often a staff member opens each page.
CLINICIAN_MIX = {
    chart: 30,
    caseload: 12,
    trends: 10,
    alerts: 10,
    goals_of_care: 6,
    symptom_report: 5,
    api_patient: 8,
    api_reports: 4,
}
COORDINATOR_MIX = {
    queue: 25,
    chart: 20,
    caseload: 8,
    alerts: 6,
    trends: 5,
    goals_of_care: 5,
    api_referrals: 8,
    api_patient: 6,
}


def weighted(mix: dict[Any, int]) -> list[Any]:
    """Locust's task list: each page as many times as its weight."""
    return [page for page, weight in mix.items() for _ in range(weight)]


class Staff(FastHttpUser):
    abstract = True
    pool = "clinicians"
    wait_time = between(1, 3)
    _counters: dict[str, Any] = {}

    def on_start(self) -> None:
        people = PLAN[self.pool]
        n = next(self._counters.setdefault(self.pool, itertools.count()))
        rng = random.Random(f"{PLAN['seed']}:{self.pool}:{n}")
        self.actor = Actor(self.client, self.identity(people, n), rng)

    def identity(self, people: list[dict[str, Any]], n: int) -> dict[str, Any]:
        return people[n % len(people)]


class Clinician(Staff):
    tasks = weighted(CLINICIAN_MIX)


class Coordinator(Staff):
    pool = "coordinators"
    tasks = weighted(COORDINATOR_MIX)


class Alone(Staff):
    """One staff member alone, no think time: a clinician who takes symptom reports goes
    through every page, the queue's at the coordinator's desk (a second browser)."""

    wait_time = constant(0)
    tasks = weighted({**CLINICIAN_MIX, queue: 8, api_referrals: 3})

    def identity(self, people: list[dict[str, Any]], n: int) -> dict[str, Any]:
        return next((p for p in people if p["reports"]), people[0])

    def on_start(self) -> None:
        super().on_start()
        from locust.contrib.fasthttp import FastHttpSession

        desk = FastHttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        self.desk = Actor(desk, PLAN["coordinators"][0], random.Random(PLAN["seed"]))


class ChartOnly(Staff):
    wait_time = constant(0)
    tasks = [chart]


class HealthzOnly(FastHttpUser):
    wait_time = constant(0)
    tasks = [healthz]


def run_phase(
    name: str,
    classes: list[type[User]],
    users: int,
    seconds: float,
    *,
    fixed: dict[type[User], int],
) -> dict[str, Any]:
    for cls, count in fixed.items():
        cls.fixed_count = count
    Staff._counters.clear()
    env = Environment(user_classes=classes, host=PLAN["base"])
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=min(SPAWN_RATE, users))
    deadline = time.monotonic() + users / SPAWN_RATE + 30
    while runner.user_count < users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    gevent.sleep(0.5)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    runner.stop()
    runner.quit()
    pages = {}
    for (page, _method), entry in sorted(env.stats.entries.items()):
        if entry.num_requests == 0 and entry.num_failures == 0:
            continue
        pages[page] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.num_requests / elapsed,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
    errors = [
        {"page": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in sorted(env.stats.errors.values(), key=lambda e: -e.occurrences)
    ]
    print(
        f"  {name}: {sum(p['requests'] for p in pages.values()):,} requests "
        f"in {elapsed:.0f} s, {sum(p['failures'] for p in pages.values())} errors",
        flush=True,
    )
    return {"users": users, "seconds": elapsed, "pages": pages, "errors": errors[:10]}


def main(argv: list[str]) -> int:
    plan_path, results_path = Path(argv[0]), Path(argv[1])
    PLAN.update(json.loads(plan_path.read_text("utf-8")))
    seconds = PLAN["duration"]
    closed, users = PLAN["closed_users"], PLAN["users"]
    coordinators = min(len(PLAN["coordinators"]), PLAN["coordinator_users"])
    results: dict[str, Any] = {}
    if PLAN["warmup"]:
        results["warmup"] = run_phase(
            "warm-up (not counted)",
            [Clinician, Coordinator],
            min(users, 10),
            PLAN["warmup"],
            fixed={Coordinator: 1},
        )
    rounds, asked = [], PLAN.get("rounds", 1)
    for k in range(1, asked + 1):
        if asked > 1:
            print(f"  round {k}:", flush=True)
        phases: dict[str, Any] = {}
        phases["healthz"] = run_phase("a. /healthz", [HealthzOnly], closed, seconds, fixed={})
        phases["chart"] = run_phase("b. chart", [ChartOnly], closed, seconds, fixed={})
        phases["alone"] = run_phase("c. one user alone", [Alone], 1, seconds, fixed={})
        phases["concurrent"] = run_phase(
            f"d. {users} users",
            [Clinician, Coordinator],
            users,
            seconds,
            fixed={Coordinator: coordinators},
        )
        rounds.append(phases)
    results["rounds"] = rounds
    results_path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
