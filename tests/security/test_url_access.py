"""Deny by default (SECURITY.md 1, 2): every URL of the project, as every persona.

The walk reads the project's URL resolver, so a page added later is walked without anyone
remembering to add it here. A path parameter this file has no sample value for fails the
walk with a message saying where to add one.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pallio.acp.tests.factories import full_plan
from pallio.adt.tests.samples import held_message
from pallio.assessments.tests.samples import riverside_alert
from pallio.careplans.tests.factories import plan_of
from pallio.careplans.tests.idt_samples import riverside_meeting
from pallio.core import access
from pallio.messaging.tests.samples import alice_attachment, alice_thread
from pallio.referrals.tests.factories import enrolled_referral
from pallio.visits.tests.summary_factories import sample_visit_summary
from tests.security.helpers import (
    REFERRED_BORN,
    REFERRED_FAMILY,
    REFERRED_GIVEN,
    birth_date_forms,
    body_of,
    counts_of,
    riverside_referral,
    row_counts,
)
from tests.support.personas import build_world, login

# Third-party views that authenticate on their own, by the module that defines them, with the
# only URL prefix under which each may be mounted. Nothing else may lack an access rule.
THIRD_PARTY_AUTHENTICATING = {
    "allauth.": "accounts/",  # sign-in, sign-out, authenticator set-up (django-allauth)
    "ninja.": "api/",  # the JSON API: Django Ninja checks each request itself
}

# A sample value for every path parameter name the project uses, from the `world` fixture.
# Every object named here belongs to Riverside, so Hillside staff must never see it.
SAMPLES: dict[str, Callable[[Any], str]] = {
    "patient_id": lambda s: str(s.world.alice.pk),
    "referral_id": lambda s: str(s.referral.pk),
    "attachment_id": lambda s: str(s.attachment.pk),
    "owner": lambda s: str(s.world.navigator.uuid),
    "staff_id": lambda s: str(s.world.navigator.uuid),
    "slug": lambda s: s.world.riverside.slug,
    "reference": lambda s: s.referral.reference,
    "alert_id": lambda s: riverside_alert(s.world),
    "conversation_id": lambda s: str(acp_plan(s)["conversation"].pk),
    "agent_id": lambda s: str(acp_plan(s)["agent"].pk),
    "document_id": lambda s: str(acp_plan(s)["document"].pk),
    "item_id": lambda s: str(enrolled_referral(s.world).medications.first().pk),
    "visit_id": lambda s: str(visit_summary(s).visit_id),
    "delivery_id": lambda s: str(visit_summary(s).deliveries.first().pk),
    "problem_id": lambda s: str(care_plan(s)["problem"].pk),
    "goal_id": lambda s: str(care_plan(s)["goal"].pk),
    "intervention_id": lambda s: str(care_plan(s)["intervention"].pk),
    "task_id": lambda s: str(care_plan(s)["task"].pk),
    "note_id": lambda s: str(visit_note(s).pk),
    "team_id": lambda s: str(riverside_meeting(s.world).team_id),
    "meeting_id": lambda s: str(riverside_meeting(s.world).pk),
    "agenda_item_id": lambda s: str(riverside_meeting(s.world).items.get(patient=s.world.alice).pk),
    "call_id": lambda s: str(support_call(s).pk),
    "key": lambda s: "pain",
    "slot_id": lambda s: str(roster_slot(s.world).pk),
    "shift_id": lambda s: str(s.world.oncall_shift.pk),
    "stay_id": lambda s: str(hospital_stay(s).pk),
    "review_id": lambda s: str(hospital_stay(s).reviews.get().pk),
    "follow_up_id": lambda s: str(bereavement(s).pk),
    "contact_id": lambda s: str(bereavement(s).contacts.order_by("sequence").first().pk),
    "message_id": lambda s: str(held_message(s.world).pk),
    "hospice_referral_id": lambda s: str(hospice_referral(s).pk),
    "order_id": lambda s: str(coordination_order(s).pk),
    "agency_id": lambda s: str(coordination_order(s).agency_id),
    # An invitation link's secret (accounts app): an unknown one, which must change nothing.
    "token": lambda s: "unknown-invitation-token",
    "member_id": lambda s: str(
        s.world.alice.team_memberships.filter(user=s.world.navigator).latest("created_at").pk
    ),
    "scheduled_visit_id": lambda s: str(scheduled_visit(s).pk),
    "clinician_id": lambda s: str(s.world.physician.uuid),
    # The calendar feed's secret (the feed is public: the secret is its only credential).
    "feed_secret": lambda s: calendar_feed_secret(s),
    # A thread of secure messages alice started from her portal account, with a photo.
    "thread_id": lambda s: str(alice_thread(s.world).pk),
    "message_attachment_id": lambda s: str(alice_attachment(s.world).pk),
    # The portal (portal app): an invitation to alice's portal, and a caregiver's access to
    # alice kept apart from the portal personas below (the walk may remove it).
    "invitation_id": lambda s: str(portal_invitation(s).pk),
    "portal_access_id": lambda s: str(portal_sample_access(s).pk),
}
# Parameters that name a Riverside object holding (or leading to) patient information.
OBJECT_PARAMETERS = {
    "patient_id",
    "referral_id",
    "attachment_id",
    "owner",
    "staff_id",
    "alert_id",
    "conversation_id",
    "agent_id",
    "document_id",
    "item_id",
    "visit_id",
    "delivery_id",
    "problem_id",
    "goal_id",
    "intervention_id",
    "task_id",
    "note_id",
    "team_id",
    "meeting_id",
    "agenda_item_id",
    "call_id",
    "stay_id",
    "review_id",
    "follow_up_id",
    "contact_id",
    "message_id",
    "hospice_referral_id",
    "member_id",
    "order_id",
    "scheduled_visit_id",
    "clinician_id",
    "thread_id",
    "message_attachment_id",
    "invitation_id",
    "portal_access_id",
}
# Parameters that name a Riverside object holding no patient information (an agency of the
# directory): any colleague may open it, another program's people get 404.
PROGRAM_OBJECT_PARAMETERS = {"agency_id"}

# Pages of one patient that a staff member not on the patient's team must get 404 for.
PATIENT_PAGES = {"patients:chart", "patients:timeline", "coordination:patient"}


def acp_plan(setup: Any) -> dict[str, Any]:
    """Alice's advance care plan with one record of each kind, made once per walk."""
    if not hasattr(setup, "_acp_plan"):
        setup._acp_plan = full_plan(setup.world)
    return setup._acp_plan


def visit_summary(setup: Any) -> Any:
    """Alice's signed visit with its summary and one delivery, made once per walk."""
    if not hasattr(setup, "_visit_summary"):
        setup._visit_summary = sample_visit_summary(setup.world)
    return setup._visit_summary


def scheduled_visit(setup: Any) -> Any:
    """A home visit booked for Alice with the physician (access notes on the home), made once
    per walk."""
    if not hasattr(setup, "_scheduled_visit"):
        from pallio.visits.tests.scheduling_helpers import book

        setup._scheduled_visit = book(setup.world)
    return setup._scheduled_visit


def calendar_feed_secret(setup: Any) -> str:
    """The secret of the physician's calendar feed (with the booked visit in it), made once
    per walk."""
    if not hasattr(setup, "_calendar_feed_secret"):
        from pallio.visits.services.calendar_feeds import calendar_feed_create

        scheduled_visit(setup)
        _feed, setup._calendar_feed_secret = calendar_feed_create(actor=setup.world.physician)
    return str(setup._calendar_feed_secret)


def care_plan(setup: Any) -> dict[str, Any]:
    """Alice's care plan with one item of each kind and a task, made once per walk."""
    if not hasattr(setup, "_care_plan"):
        setup._care_plan = plan_of(setup.world)
    return setup._care_plan


def visit_note(setup: Any) -> Any:
    """A draft note of alice's written by her navigator, made once per walk."""
    if not hasattr(setup, "_visit_note"):
        from pallio.visits.services import note_templates_sync_shipped
        from pallio.visits.tests.factories import document

        note_templates_sync_shipped()
        setup._visit_note = document(setup.world.navigator, setup.world.alice)
    return setup._visit_note


def support_call(setup: Any) -> Any:
    """A call about alice on the 24/7 line, made once per walk."""
    if not hasattr(setup, "_support_call"):
        from pallio.support.tests.helpers import a_call

        setup._support_call = a_call(setup.world.oncall, setup.world.alice)
    return setup._support_call


def hospital_stay(setup: Any) -> Any:
    """Alice's hospital stay with one review for the team, made once per walk."""
    if not hasattr(setup, "_hospital_stay"):
        from datetime import timedelta

        from pallio.core import clock
        from pallio.episodes.models import StayReview
        from pallio.episodes.stays import stay_admit

        stay = stay_admit(
            actor=setup.world.physician,
            patient=setup.world.alice,
            kind="inpatient",
            facility="Riverside General",
            admitted_at=clock.now() - timedelta(days=1),
        )
        StayReview.objects.create(
            program=setup.world.riverside,
            patient=setup.world.alice,
            stay=stay,
            reason="icu",
            wishes="Code status comfort-focused care",
            raised_at=clock.now(),
        )
        setup._hospital_stay = stay
    return setup._hospital_stay


def bereavement(setup: Any) -> Any:
    """Alice's family's bereavement follow-up (she died 40 days ago), made once per walk."""
    if not hasattr(setup, "_bereavement"):
        from pallio.episodes.tests.bereavement_samples import bereaved

        setup._bereavement = bereaved(setup.world)
    return setup._bereavement


def hospice_referral(setup: Any) -> Any:
    """Alice's hospice referral, sent by her navigator, made once per walk."""
    if not hasattr(setup, "_hospice_referral"):
        from pallio.episodes.tests.hospice_samples import refer

        setup._hospice_referral = refer(setup.world)
    return setup._hospice_referral


def coordination_order(setup: Any) -> Any:
    """Alice's oxygen concentrator order from Riverside's directory, made once per walk."""
    if not hasattr(setup, "_coordination_order"):
        from pallio.coordination.tests.samples import alice_order

        setup._coordination_order = alice_order(setup.world)
    return setup._coordination_order


def portal_invitation(setup: Any) -> Any:
    """An open invitation of alice's son to her portal, made once per walk (he is not her
    healthcare agent: the ACP samples record that one)."""
    if not hasattr(setup, "_portal_invitation"):
        from pallio.portal.invitations import portal_invitation_create
        from pallio.portal.tests.helpers import family_member, link_for

        setup._portal_invitation = portal_invitation_create(
            actor=setup.world.navigator,
            patient=setup.world.alice,
            email="andrew@example.org",
            person=family_member(setup.world.alice, rank=3),
            scopes=["diary"],
            link_for=link_for,
        )
    return setup._portal_invitation


def portal_sample_access(setup: Any) -> Any:
    """A caregiver's access to alice (diary only), named in portal and team addresses; made
    once per walk."""
    if not hasattr(setup, "_portal_sample_access"):
        from pallio.portal.models import PortalAccess
        from pallio.portal.tests.factories import caregiver_account

        user = caregiver_account(setup.world.alice, "sample.caregiver", ["diary"])
        setup._portal_sample_access = PortalAccess.objects.get(user=user)
    return setup._portal_sample_access


def roster_slot(world: Any) -> Any:
    """A slot of Riverside's weekly on-call pattern (made once per walk)."""
    from pallio.support.models import RosterPattern

    slot = RosterPattern.objects.filter(program=world.riverside).first()
    return slot or RosterPattern.objects.create(
        program=world.riverside, line="first", weekday=0, start_time="08:00", hours=24,
        user=world.navigator,
    )  # fmt: skip


PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "referrals/<uuid:referral_id>/"
    view: Any
    name: str

    @property
    def module(self) -> str:
        view = self.view
        while hasattr(view, "__wrapped__"):
            view = view.__wrapped__
        return getattr(view, "__module__", "") or ""

    @property
    def parameters(self) -> list[str]:
        return [m.group("name") for m in PARAMETER.finditer(self.route)]

    @property
    def third_party_prefix(self) -> str | None:
        for module, prefix in THIRD_PARTY_AUTHENTICATING.items():
            if self.module.startswith(module) or self.route.startswith(prefix):
                return prefix
        return None

    def __str__(self) -> str:
        return f"/{self.route} ({self.name or self.module})"


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace.strip(':')}:{entry.name}" if namespace else (entry.name or "")
            yield Route(prefix + str(entry.pattern), entry.callback, name)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver()))


def own_routes() -> list[Route]:
    return [r for r in all_routes() if r.third_party_prefix is None]


def test_every_view_declares_an_access_rule():
    missing = [
        str(r)
        for r in all_routes()
        if r.third_party_prefix is None and not hasattr(r.view, "access_rule")
    ]
    assert not missing, (
        "These views have no access rule; decorate them with pallio.core.access.public_view "
        f"or staff_view(perm): {missing}"
    )


def test_third_party_views_are_mounted_only_where_expected():
    misplaced = []
    for route in all_routes():
        for module, prefix in THIRD_PARTY_AUTHENTICATING.items():
            if route.module.startswith(module) and not route.route.startswith(prefix):
                misplaced.append(f"{route} should live under /{prefix}")
    assert not misplaced, misplaced


def test_the_walk_covers_the_project_pages():
    names = {r.name for r in own_routes()}
    assert {"home", "patients:chart", "referrals:queue", "audit:log"} <= names
    assert names >= PATIENT_PAGES


def test_every_url_parameter_has_a_sample_value():
    unknown = sorted(
        {f"{p} in {r}" for r in own_routes() for p in r.parameters if p not in SAMPLES}
    )
    assert not unknown, (
        f"No sample value for URL parameter(s) {unknown}: add one to SAMPLES in "
        "tests/security/test_url_access.py so the access walk can request the page"
    )


# --- the walk -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _world_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The personas, built once for the walk's 240-odd pages in a transaction rolled back
    after the module, with the settings every test has (conftest's `_media_root`). Each page's
    test runs in a savepoint within it that is rolled back after the test, so what one page
    writes no other page sees."""
    files = tmp_path_factory.mktemp("url-walk")
    with (
        override_settings(
            MEDIA_ROOT=files / "uploads",
            PALLIO_AUDIT_CHECKPOINT_FILE=files / "audit-checkpoints.log",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        django_db_blocker.unblock(),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_world_once: Any, db: None) -> Any:
    """This test's own copy of the personas' objects: a test that changes one in memory (the
    on-call shift cancelled below) changes nothing for the next."""
    return copy.deepcopy(_world_once)


@dataclass
class Setup:
    world: Any
    referral: Any
    attachment: Any


def build_url(route: Route, setup: Setup) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in SAMPLES:
            pytest.fail(
                f"{route}: no sample value for URL parameter {name!r}; add one to SAMPLES in "
                "tests/security/test_url_access.py"
            )
        return SAMPLES[name](setup)

    return "/" + PARAMETER.sub(fill, route.route)


def _phi_markers(setup: Setup, *, with_mrn: bool = True) -> dict[str, list[str]]:
    alice = setup.world.alice
    markers = {
        "alice": [alice.family_name, *birth_date_forms(alice.birth_date)],
        "bob": [setup.world.bob.family_name, *birth_date_forms(setup.world.bob.birth_date)],
        "referral": [REFERRED_GIVEN, REFERRED_FAMILY, *birth_date_forms(REFERRED_BORN)],
    }
    if with_mrn:
        markers["alice"].append(alice.mrn)
    return markers


def _leaks(body: str, markers: dict[str, list[str]]) -> list[str]:
    return [f"{who}:{m}" for who, values in markers.items() for m in values if m in body]


def _perm_of(route: Route) -> str | None:
    rule = route.view.access_rule
    if rule.startswith("staff:") and rule != "staff:any":
        return rule.removeprefix("staff:")
    return None


REFUSED = {302, 400, 403, 404, 405, 409, 429}


@pytest.mark.django_db
@pytest.mark.parametrize("route", own_routes(), ids=str)
def test_url_walk(route: Route, world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 100_000
    referral = riverside_referral(world)
    setup = Setup(world, referral, referral.attachments.get())
    url = build_url(route, setup)
    rule = route.view.access_rule
    perm = _perm_of(route)
    names_object = bool(set(route.parameters) & (OBJECT_PARAMETERS | PROGRAM_OBJECT_PARAMETERS))
    hillside = {world.hillside_coordinator, world.hillside_nurse}
    personas = [None, *world.riverside_staff, *hillside]
    problems: list[str] = []
    login_path = reverse(settings.LOGIN_URL)

    for user in personas:
        who = user.username if user else "anonymous"
        client = Client()
        if user is not None:
            login(client, user)
        for method in ("get", "post"):
            before = row_counts()
            response = getattr(client, method)(url)
            status = response.status_code
            location = response.get("Location", "")
            body = body_of(response)
            after = row_counts()
            where = f"{who} {method.upper()} {url} -> {status}"

            if status >= 500:
                problems.append(f"{where}: server error")
            if status in REFUSED and before != after:
                problems.append(f"{where}: refused, yet wrote rows {before} -> {after}")

            if user is None:
                leaked = _leaks(body, _phi_markers(setup))
                if leaked:
                    problems.append(f"{where}: anonymous sees PHI {leaked}")
                if rule.startswith(("staff:", "portal:")) and not (
                    status == 302 and location.startswith(login_path)
                ):
                    problems.append(f"{where}: anonymous not sent to sign in ({location})")
                continue

            if perm is not None and not access.has_perm(user, perm) and status != 403:
                problems.append(f"{where}: role {user.role} lacks {perm}, expected 403")

            if rule.startswith("portal:") and status != 403:
                problems.append(f"{where}: a staff account must get 403 in the portal")

            if status == 405:
                continue  # the view does not take this method; nothing was looked up

            if user in hillside:
                # Hillside's own MRNs look like Riverside's, so names and birth dates decide.
                leaked = _leaks(body, _phi_markers(setup, with_mrn=False))
                if leaked:
                    problems.append(f"{where}: Hillside user sees Riverside PHI {leaked}")
                if names_object and status == 200:
                    problems.append(f"{where}: Hillside user gets 200 for a Riverside object")
                entitled = rule.startswith("staff:") and (
                    perm is None or access.has_perm(user, perm)
                )
                if names_object and entitled and status != 404:
                    problems.append(f"{where}: expected 404 for a Riverside object")

            if user == world.social_worker:
                leaked = _leaks(body, {"alice": _phi_markers(setup)["alice"]})
                if leaked:
                    problems.append(f"{where}: sam (not on alice's team) sees {leaked}")
                if route.name in PATIENT_PAGES and method == "get" and status != 404:
                    problems.append(f"{where}: sam should get 404 for alice's {route.name}")

            if user == world.privacy:
                if perm == "audit.view":
                    if method == "get" and status != 200:
                        problems.append(f"{where}: the privacy officer's audit page")
                elif rule.startswith("staff:") and perm is not None:
                    if status not in (403, 404):
                        problems.append(f"{where}: privacy officer on a clinical page")
                    leaked = _leaks(body, _phi_markers(setup))
                    if leaked:
                        problems.append(f"{where}: privacy officer sees clinical PHI {leaked}")

            if route.name == "referrals:queue" and user.role == "clinician" and status != 403:
                problems.append(f"{where}: clinicians must get 403 for the referral queue")

            on_shift_chart = user == world.oncall and route.name in PATIENT_PAGES
            if on_shift_chart and method == "get" and status != 200:
                problems.append(f"{where}: owen on shift should reach alice's {route.name}")

    # The on-call clinician off shift (issue 13): as any clinician not on alice's team.
    world.oncall_shift.cancelled = True
    world.oncall_shift.save()
    client = login(Client(), world.oncall)
    for method in ("get", "post"):
        before = row_counts()
        response = getattr(client, method)(url)
        status = response.status_code
        where = f"owen off shift {method.upper()} {url} -> {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
        if status in REFUSED and before != row_counts():
            problems.append(f"{where}: refused, yet wrote rows")
        leaked = _leaks(body_of(response), {"alice": _phi_markers(setup)["alice"]})
        if leaked:
            problems.append(f"{where}: owen off shift sees {leaked}")
        if route.name in PATIENT_PAGES and method == "get" and status != 404:
            problems.append(f"{where}: owen off shift should get 404 for alice's {route.name}")

    problems += portal_walk(route, url, setup)
    assert not problems, "\n".join(problems)


# --- the portal's personas (issue 15) ---------------------------------------------------------

# Apps whose rows a portal page may write: a refused request must leave all of them as they were.
PORTAL_WRITING_APPS = ("portal", "diary", "messaging")
# Where a portal account may go besides the portal (portal/middleware.py); elsewhere: 403.
PORTAL_ALLOWED = ("portal/", "accounts/", "static/", "healthz", "i18n/")
PORTAL_REFUSED = {403, 404, 405}


def portal_personas(world: Any) -> dict[str, Any]:
    """Alice's own account; a caregiver of alice with the diary only; a caregiver of alice whose
    access the patient removed; a caregiver of bob. Their names share nothing with alice's."""
    from pallio.core import clock
    from pallio.portal.models import ALL_SCOPES, PortalAccess, PortalRelation
    from pallio.portal.tests.factories import patient_account, portal_access, portal_user

    def caregiver(patient: Any, username: str, first: str, scopes: Any) -> Any:
        user = portal_user(username, first=first, last="Family")
        portal_access(patient, user, relation=PortalRelation.CAREGIVER, scopes=scopes)
        return user

    revoked = caregiver(world.alice, "rita.revoked", "Rita", ALL_SCOPES)
    PortalAccess.objects.filter(user=revoked).update(revoked_at=clock.now())
    return {
        "own": patient_account(world.alice, "alice.own"),
        "diary": caregiver(world.alice, "dee.diary", "Dee", ["diary"]),
        "revoked": revoked,
        "bob": caregiver(world.bob, "bea.bobs", "Bea", ALL_SCOPES),
    }


def portal_state() -> dict[str, Any]:
    """Row counts of the tracked and portal-writing models, and each portal access's grants."""
    from django.apps import apps

    from pallio.accounts.models import User
    from pallio.portal.models import PortalAccess, PortalInvitation

    counted = [
        model
        for label in PORTAL_WRITING_APPS
        if apps.is_installed(f"pallio.{label}")
        for model in apps.get_app_config(label).get_models()
    ]
    state: dict[str, Any] = dict(row_counts())
    state.update(counts_of(counted))
    state["users"] = User.objects.count()
    state["accesses"] = sorted(
        (str(pk), tuple(scopes or ()), revoked is None, suspended is None)
        for pk, scopes, revoked, suspended in PortalAccess.objects.values_list(
            "pk", "scopes", "revoked_at", "suspended_at"
        )
    )
    state["invitations"] = sorted(
        (str(pk), used is None, revoked is None)
        for pk, used, revoked in PortalInvitation.objects.values_list("pk", "used_at", "revoked_at")
    )
    return state


def portal_entitled(route: Route, persona: str) -> bool:
    """Whether the persona's access to alice (every URL names alice) allows the route's rule."""
    rule = route.view.access_rule
    if rule == "portal:account":
        return True
    scope = rule.removeprefix("portal:")
    if persona == "own":
        return scope != "caregiver"  # a caregiver's page (their own check-in)
    return persona == "diary" and scope in ("any", "diary", "caregiver")


def portal_walk(route: Route, url: str, setup: Setup) -> list[str]:
    """Every route as each portal persona: staff pages and everything outside the portal are
    refused; a portal page is reached only with an active access to alice allowing its scope;
    a refusal shows nothing of alice and changes nothing."""
    rule = route.view.access_rule
    personas = portal_personas(setup.world)
    alice = {"alice": _phi_markers(setup)["alice"]}
    problems: list[str] = []
    for key, user in personas.items():
        client = login(Client(), user)
        for method in ("get", "post"):
            before = portal_state()
            response = getattr(client, method)(url)
            status = response.status_code
            body = body_of(response)
            where = f"portal {user.username} {method.upper()} {url} -> {status}"
            if status >= 500:
                problems.append(f"{where}: server error")
            entitled = rule.startswith("portal:") and portal_entitled(route, key)
            # A redirect after an entitled POST is the page's own success (alice removing a
            # caregiver); every other refusal must change nothing.
            refused = status in REFUSED and not (status == 302 and entitled)
            if refused and before != portal_state():
                problems.append(f"{where}: refused, yet wrote rows")
            if status in PORTAL_REFUSED and _leaks(body, alice):
                problems.append(f"{where}: a refusal shows alice's details")
            if route.route == "" and status == 302:
                pass  # the start page sends a portal account to the portal's (middleware)
            elif rule.startswith("staff:") and status != 403:
                problems.append(f"{where}: a portal account must get 403 on a staff page")
            elif not route.route.startswith(PORTAL_ALLOWED) and status != 403:
                problems.append(f"{where}: a portal account must stay in the portal")
            if not rule.startswith("portal:"):
                continue
            if not entitled:
                if status not in PORTAL_REFUSED:
                    problems.append(f"{where}: {key} is not entitled, expected 403 or 404")
                if key in ("revoked", "bob") and _leaks(body, alice):
                    problems.append(f"{where}: {key} sees alice's details")
            elif method == "get" and key == "own" and status in (403, 404):
                problems.append(f"{where}: alice's own account is refused her page")
            elif method == "get" and key == "diary" and rule == "portal:diary" and status >= 400:
                problems.append(f"{where}: the diary caregiver is refused the diary")
    return problems
