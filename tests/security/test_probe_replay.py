"""The independent probes, kept as tests (SECURITY.md 1, 2, 8).

Every URL of the walk (tests/security/test_url_access.py) that names a Riverside patient or
a record leading to one is replayed, GET and POST, as four people who must not reach it:
a user of another program, a clinician of the same program who is not on the patient's care
team, a signed-out visitor, and a session that passed the password but not the second factor.
Any 2xx answer fails. A control run as the medical director, fully signed in, shows that the
sample URLs do open, so a refusal here is a refusal and not a broken sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from pallio.referrals.tests.factories import enrolled_referral
from tests.security.helpers import riverside_referral
from tests.security.test_authentication import MFA_ACTIVATE, MFA_AUTHENTICATE, with_totp
from tests.security.test_url_access import (
    OBJECT_PARAMETERS,
    Route,
    Setup,
    build_url,
    own_routes,
)
from tests.support.personas import PASSWORD, login

PATIENT_ROUTES = [r for r in own_routes() if set(r.parameters) & OBJECT_PARAMETERS]


def test_the_replay_covers_every_kind_of_patient_url():
    names = {r.name for r in PATIENT_ROUTES}
    assert {"patients:chart", "referrals:detail", "acp:document", "medications:list"} <= names
    assert len(PATIENT_ROUTES) >= 40


# Routes that show a referral only once it has enrolled its patient get an enrolled one.
ENROLLED_REFERRAL_ROUTES = {"referrals:enrollment_attachment"}


def _urls(world: Any) -> list[tuple[Route, str]]:
    referral = riverside_referral(world)
    setup = Setup(world, referral, referral.attachments.get())
    enrolled = enrolled_referral(world, given_name="Edna", phone="617-555-0188")
    enrolled_setup = Setup(world, enrolled, enrolled.attachments.get())
    return [
        (
            route,
            build_url(route, enrolled_setup if route.name in ENROLLED_REFERRAL_ROUTES else setup),
        )
        for route in PATIENT_ROUTES
    ]


# Patient URLs that open for a colleague off the patient's team by design, and why that
# leaks nothing (the test that shows it).
OPEN_TO_COLLEAGUES = {
    # Anyone scheduling needs a colleague's free time; patients the reader may not reach show
    # only as busy time (visits/tests/test_scheduling.py, the colleague's-schedule test).
    "visits:clinician_schedule",
}


def _replay(
    client: Client, urls: list[tuple[Route, str]], open_by_design: frozenset[str] = frozenset()
) -> list[str]:
    opened = []
    for route, url in urls:
        if route.name in open_by_design:
            continue
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if 200 <= status < 300:
                opened.append(f"{method.upper()} {url} ({route.name}) -> {status}")
    return opened


def _other_program(world: Any) -> Client:
    return login(Client(), world.hillside_coordinator)  # program-wide, but at Hillside


def _off_team_clinician(world: Any) -> Client:
    return login(Client(), world.social_worker)  # Riverside clinician, not on Alice's team


def _signed_out(world: Any) -> Client:
    return Client()


def _password_only_with_authenticator(world: Any) -> Client:
    """The medical director, who may see every Riverside patient, stopped at the code."""
    with_totp(world.director)
    client = Client()
    response = client.post("/accounts/login/", {"login": "dana", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == MFA_AUTHENTICATE
    return client


def _password_only_without_authenticator(world: Any) -> Client:
    """The medical director signed in with the password, never having set up a factor."""
    client = Client()
    response = client.post("/accounts/login/", {"login": "dana", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 302 and client.get("/")["Location"] == MFA_ACTIVATE
    return client


PROBES: dict[str, Callable[[Any], Client]] = {
    "another program's user": _other_program,
    "off-team clinician": _off_team_clinician,
    "signed-out visitor": _signed_out,
    "password only (authenticator set up)": _password_only_with_authenticator,
    "password only (no authenticator yet)": _password_only_without_authenticator,
}


@pytest.mark.django_db
@pytest.mark.parametrize("probe", sorted(PROBES))
def test_no_patient_url_opens_for(probe, world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 100_000
    urls = _urls(world)
    colleague = probe == "off-team clinician"
    opened = _replay(
        PROBES[probe](world), urls, frozenset(OPEN_TO_COLLEAGUES) if colleague else frozenset()
    )
    assert not opened, f"{probe} opened:\n" + "\n".join(opened)


@pytest.mark.django_db
def test_the_sample_urls_open_for_the_medical_director(world, settings):
    """The control: fully signed in, the director opens the patient pages (GET only, so
    nothing is changed). Were the samples broken, every probe above would pass for nothing."""
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 100_000
    urls = _urls(world)
    client = login(Client(), world.director)
    statuses = {route.name: client.get(url).status_code for route, url in urls}
    opened = {name for name, status in statuses.items() if status == 200}
    assert {
        "patients:chart",
        "referrals:detail",
        "referrals:attachment",
        "acp:patient",
        "acp:conversation",
        "acp:document",
        "assessments:trends",
        "medications:list",
        "episodes:caseload_of",
    } <= opened, statuses
    not_found = sorted(name for name, status in statuses.items() if status == 404)
    assert not not_found, f"sample URLs the director cannot find: {not_found}"
