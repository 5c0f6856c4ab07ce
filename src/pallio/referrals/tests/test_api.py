"""The referral API: who may do what, idempotent intake, bad input, and authentication."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.pdfs import clean_pdf

from pallio.accounts.models import ApiToken
from pallio.accounts.services import api_token_create, api_token_revoke, staff_deactivate
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.referrals import services
from pallio.referrals.models import Attachment, Referral, Status

API = "/api/v1"


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def referral_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_name": "Maria",
        "family_name": "O'Neil-García",
        "birth_date": "1957-03-14",
        "diagnosis_system": ICD10CM,
        "diagnosis_code": "C78.00",
        "phone": "617-555-0199",
        "urgency": "urgent",
        "reasons": ["symptoms"],
        "referrer_name": "Dr. Osler",
        "referrer_email": "osler@example.org",
        "consent_to_contact": True,
    }
    body.update(overrides)
    return body


def make_referral(program: Any, **overrides: Any) -> Referral:
    values: dict[str, Any] = dict(
        given_name="Walter",
        family_name="Wong",
        birth_date=date(1944, 6, 1),
        diagnosis_system=ICD10CM,
        diagnosis_code="C34.90",
        phone="617-555-0142",
        referrer_name="Dr. Reed",
        referrer_email="reed@example.org",
        consent_to_contact=True,
    )
    values.update(overrides)
    referral, _ = services.referral_create(
        actor=None, program=program, source="provider", data=services.ReferralInput(**values)
    )
    return referral


PERSONAS = [
    "coordinator",
    "director",
    "oncall",
    "navigator",
    "physician",
    "social_worker",
    "privacy",
    "hillside_coordinator",
    "hillside_nurse",
]
CAN_CREATE = {
    "coordinator",
    "director",
    "oncall",
    "navigator",
    "physician",
    "social_worker",
    "hillside_coordinator",
    "hillside_nurse",
}
CAN_VIEW = {"coordinator", "director", "oncall", "hillside_coordinator"}
CAN_TRIAGE = {"coordinator", "director", "hillside_coordinator"}
HILLSIDE = {"hillside_coordinator", "hillside_nurse"}


# --- who may do what -------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_sending_a_referral_needs_a_clinical_role_and_lands_in_the_callers_program(world, persona):
    user = getattr(world, persona)
    response = post(token_client(user), f"{API}/referrals", referral_body())
    if persona not in CAN_CREATE:
        assert response.status_code == 403
        assert Referral.objects.count() == 0
        return
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.program_id == user.program_id
    assert referral.source == "api"
    assert referral.status == Status.NEW
    assert referral.entered_by == user
    assert response.json()["reference"] == referral.reference


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_queue_is_for_intake_roles_and_shows_only_their_program(world, persona):
    riverside = make_referral(world.riverside)
    hillside = make_referral(world.hillside, given_name="Heidi")
    response = token_client(getattr(world, persona)).get(f"{API}/referrals")
    if persona not in CAN_VIEW:
        assert response.status_code == 403
        assert "Walter" not in response.content.decode()
        return
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    expected = hillside if persona in HILLSIDE else riverside
    assert ids == {str(expected.pk)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_a_referral_needs_the_view_right_and_another_programs_is_404(world, persona):
    referral = make_referral(world.riverside)
    response = token_client(getattr(world, persona)).get(f"{API}/referrals/{referral.pk}")
    if persona not in CAN_VIEW:
        assert response.status_code == 403
    elif persona in HILLSIDE:
        assert response.status_code == 404
        missing = token_client(world.hillside_coordinator).get(f"{API}/referrals/{uuid.uuid4()}")
        assert response.json() == missing.json()
    else:
        assert response.status_code == 200
        assert response.json()["given_name"] == "Walter"
        return
    assert "Walter" not in response.content.decode()


def _prepare_accept(world: Any, referral: Referral) -> dict[str, Any]:
    referral = services.referral_create_patient(
        actor=world.coordinator, referral=referral, expected_version=referral.version
    )
    return {"version": referral.version, "team": [str(world.navigator.uuid)]}


def _prepare_resume(world: Any, referral: Referral) -> dict[str, Any]:
    referral = services.referral_hold(
        actor=world.coordinator,
        referral=referral,
        expected_version=referral.version,
        information_requested="Recent imaging",
    )
    return {"version": referral.version}


TRIAGE: dict[str, tuple[Any, str]] = {
    "accept": (_prepare_accept, Status.ACCEPTED),
    "decline": (lambda w, r: {"version": r.version, "reason": "outside_area"}, Status.DECLINED),
    "hold": (
        lambda w, r: {"version": r.version, "information_requested": "Recent imaging"},
        Status.ON_HOLD,
    ),
    "resume": (_prepare_resume, Status.IN_REVIEW),
    "redirect": (lambda w, r: {"version": r.version, "to": "Valley Hospice"}, Status.REDIRECTED),
    "link-patient": (
        lambda w, r: {"version": r.version, "patient": str(w.bob.pk)},
        Status.IN_REVIEW,
    ),
    "create-patient": (lambda w, r: {"version": r.version}, Status.IN_REVIEW),
    "insurance": (
        lambda w, r: {"version": r.version, "payer_type": "medicare", "member_id": "1EG4"},
        Status.IN_REVIEW,
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_adding_a_document_needs_the_view_right_and_another_programs_referral_is_404(
    world, persona
):
    referral = make_referral(world.riverside)
    upload = SimpleUploadedFile("letter.pdf", clean_pdf(), content_type="application/pdf")
    response = token_client(getattr(world, persona)).post(
        f"{API}/referrals/{referral.pk}/attachments", {"file": upload}
    )
    if persona in CAN_VIEW and persona not in HILLSIDE:
        assert response.status_code == 201, response.content
        item = Attachment.objects.get(referral=referral)
        assert response.json() == {
            "id": str(item.pk),
            "name": "letter.pdf",
            "content_type": "application/pdf",
            "size": len(clean_pdf()),
        }
        assert AuditEvent.objects.filter(event="referral.attachment.add").count() == 1
        return
    assert response.status_code == (404 if persona in HILLSIDE and persona in CAN_VIEW else 403)
    assert not Attachment.objects.exists()


def test_a_document_for_a_decided_referral_is_refused(world):
    referral = make_referral(world.riverside)
    services.referral_decline(
        actor=world.coordinator,
        referral=referral,
        expected_version=referral.version,
        reason="not_eligible",
    )
    upload = SimpleUploadedFile("letter.pdf", clean_pdf(), content_type="application/pdf")
    response = token_client(world.coordinator).post(
        f"{API}/referrals/{referral.pk}/attachments", {"file": upload}
    )
    assert response.status_code == 422
    assert "already declined" in response.content.decode()
    assert not referral.attachments.exists()


@pytest.mark.parametrize("action", sorted(TRIAGE))
@pytest.mark.parametrize("persona", PERSONAS)
def test_triage_actions_need_the_triage_right_and_another_programs_referral_is_404(
    world, persona, action
):
    prepare, outcome = TRIAGE[action]
    referral = make_referral(world.riverside)
    body = prepare(world, Referral.objects.get(pk=referral.pk))
    before = Referral.objects.get(pk=referral.pk)
    response = post(
        token_client(getattr(world, persona)), f"{API}/referrals/{referral.pk}/{action}", body
    )
    after = Referral.objects.get(pk=referral.pk)
    if persona in CAN_TRIAGE and persona not in HILLSIDE:
        assert response.status_code == 200, response.content
        assert after.status == outcome
        assert response.json()["status"] == outcome
        assert response.json()["version"] == after.version == before.version + 1
        return
    assert response.status_code == (404 if persona in HILLSIDE and persona in CAN_TRIAGE else 403)
    assert (after.status, after.version, after.patient_id) == (
        before.status,
        before.version,
        before.patient_id,
    )
    assert "Walter" not in response.content.decode()


# --- intake: idempotency ---------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_referral(world):
    client = token_client(world.coordinator)
    first = post(client, f"{API}/referrals", referral_body(), **{"Idempotency-Key": "ref-1"})
    again = post(client, f"{API}/referrals", referral_body(), **{"Idempotency-Key": "ref-1"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.json()["id"] == first.json()["id"]
    assert Referral.objects.count() == 1


def test_the_same_key_with_another_referral_is_refused(world):
    client = token_client(world.coordinator)
    post(client, f"{API}/referrals", referral_body(), **{"Idempotency-Key": "ref-1"})
    other = post(
        client,
        f"{API}/referrals",
        referral_body(given_name="Mario"),
        **{"Idempotency-Key": "ref-1"},
    )
    assert other.status_code == 409
    assert "already used for a different referral" in other.json()["detail"]
    assert list(Referral.objects.values_list("given_name", flat=True)) == ["Maria"]


def test_without_a_key_each_post_is_a_new_referral(world):
    client = token_client(world.coordinator)
    assert post(client, f"{API}/referrals", referral_body()).status_code == 201
    assert post(client, f"{API}/referrals", referral_body()).status_code == 201
    assert Referral.objects.count() == 2


def test_a_key_is_the_callers_own(world):
    post(
        token_client(world.coordinator),
        f"{API}/referrals",
        referral_body(),
        **{"Idempotency-Key": "k"},
    )
    response = post(
        token_client(world.director),
        f"{API}/referrals",
        referral_body(),
        **{"Idempotency-Key": "k"},
    )
    assert response.status_code == 201
    assert Referral.objects.count() == 2


@pytest.mark.parametrize("key", ["x" * 65, "two words", "tab\tkey", "ключ"])
def test_an_unusable_key_is_refused(world, key):
    response = post(
        token_client(world.coordinator),
        f"{API}/referrals",
        referral_body(),
        **{"Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert Referral.objects.count() == 0


@pytest.fixture
def audit_truncatable(django_db_blocker):
    """Committed tests end with a TRUNCATE of every table, which the audit trail's
    append-only triggers refuse on PostgreSQL: lift those for this test only.
    Requested before `transactional_db`, so it is put back after the tables are emptied."""
    if connection.vendor != "postgresql":
        yield
        return
    statements = [
        "ALTER TABLE audit_auditevent {} TRIGGER audit_auditevent_no_truncate",
        "ALTER TABLE audit_auditseal {} TRIGGER audit_auditseal_no_truncate",
    ]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.format("DISABLE"))
    try:
        yield
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.format("ENABLE"))


def test_parallel_duplicate_posts_with_one_key_make_one_referral(
    audit_truncatable, transactional_db
):
    """Runs wherever connections can wait for each other's locks (PostgreSQL): SQLite's
    in-memory test database refuses a locked table at once instead of waiting."""
    if connection.vendor == "sqlite":
        pytest.skip("needs a database with real concurrent connections (PostgreSQL)")
    from tests.support.personas import build_world

    world = build_world()
    _, secret = api_token_create(actor=world.coordinator, name="parallel", days=1)
    body = json.dumps(referral_body())
    workers = 6
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    ids: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {secret}"})
            barrier.wait(timeout=10)
            response = client.post(
                f"{API}/referrals",
                body,
                content_type="application/json",
                headers={"Idempotency-Key": "same-click"},
            )
            statuses.append(response.status_code)
            ids.append(response.json().get("id", ""))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(statuses) == [200] * (workers - 1) + [201]
    assert len(set(ids)) == 1
    assert Referral.objects.count() == 1


# --- intake: bad input -----------------------------------------------------------------


def test_service_rules_come_back_as_field_messages(world):
    future = (clock.now().date() + timedelta(days=30)).isoformat()
    response = post(
        token_client(world.coordinator),
        f"{API}/referrals",
        referral_body(birth_date=future, consent_to_contact=False, diagnosis_code="Z99.999"),
    )
    assert response.status_code == 422
    messages = {item["loc"][-1]: item["msg"] for item in response.json()["detail"]}
    assert messages["birth_date"] == "The date of birth cannot be in the future."
    assert "permission to contact" in messages["consent_to_contact"]
    assert "diagnosis" in messages
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"birth_date": "1957-02-30"},
        {"birth_date": "yesterday"},
        {"given_name": "M" * 10_000},
        {"clinical_summary": "x" * 1_000_000},
        {"email": "a" * 250 + "@example.org"},
        {"given_name": "Ma\x00ria"},
        {"city": "Bos\x00ton"},
        {"reasons": ["symptoms\x00"]},
        {"given_name": "Ma\ud800ria"},
        {"referrer_name": "\udfff"},
        {"reasons": ["symptoms", "world peace"]},
        {"urgency": "yesterday"},
        {"source": "carrier-pigeon"},
        {"consent_to_contact": "yes"},
        {"given_name": None},
        {"given_name": ["Maria"]},
        {"program": "00000000-0000-0000-0000-000000000000"},
        {"status": "accepted"},
        {"entered_by": 1},
        {"reference": "PAL-CHOSEN1"},
        {"patient": "00000000-0000-0000-0000-000000000000"},
    ],
    ids=lambda o: next(iter(o)) + ":" + repr(next(iter(o.values())))[:20],
)
def test_bad_referral_input_is_refused_and_nothing_is_stored(world, overrides):
    response = post(token_client(world.coordinator), f"{API}/referrals", referral_body(**overrides))
    assert response.status_code == 422
    assert response.json()["detail"]
    assert Referral.objects.count() == 0


def test_server_owned_fields_cannot_be_set_by_the_client(world):
    body = referral_body(program=str(world.hillside.pk), status="accepted")
    response = post(token_client(world.coordinator), f"{API}/referrals", body)
    assert response.status_code == 422
    fields = {item["loc"][-1] for item in response.json()["detail"]}
    assert fields == {"program", "status"}
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        ('{"given_name": "Maria"}', "text/plain", 415, "application/json"),
        ("given_name=Maria", "application/x-www-form-urlencoded", 415, "application/json"),
        ('{"given_name": "Maria",', "application/json", 400, "not valid JSON"),
        ('{"given_name": "A", "given_name": "B"}', "application/json", 400, "twice"),
        ("[" * 100_000 + "]" * 100_000, "application/json", 400, "nested too deeply"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "application/json", 400, "nested too deeply"),
        ('["Maria"]', "application/json", 400, "JSON object"),
        ('{"version": NaN}', "application/json", 400, "not a JSON number"),
        (b"\xff\xfe{}", "application/json", 400, "UTF-8"),
    ],
    ids=[
        "text",
        "form",
        "truncated",
        "duplicate-key",
        "deep-array",
        "deep-object",
        "array",
        "nan",
        "not-utf8",
    ],
)
def test_unreadable_bodies_get_a_clear_4xx(world, body, content_type, status, says):
    response = token_client(world.coordinator).post(
        f"{API}/referrals", body, content_type=content_type
    )
    assert response.status_code == status
    assert says in response.json()["detail"]
    assert Referral.objects.count() == 0


def test_an_oversized_body_is_refused(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = referral_body(clinical_summary="x" * (2 * 1024 * 1024))
    response = post(token_client(world.coordinator), f"{API}/referrals", body)
    assert response.status_code == 413
    assert "larger than the server accepts" in response.json()["detail"]
    assert Referral.objects.count() == 0


def test_a_modestly_nested_body_is_just_invalid(world):
    nested: Any = "symptoms"
    for _ in range(40):
        nested = [nested]
    response = post(
        token_client(world.coordinator), f"{API}/referrals", referral_body(reasons=nested)
    )
    assert response.status_code == 422


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.dictionaries(
        st.sampled_from([*referral_body(), "sex", "diagnosis_date", "program", "x"]),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=5,
        ),
    )
)
def test_no_referral_body_makes_the_server_fail(world, overrides):
    response = post(token_client(world.coordinator), f"{API}/referrals", referral_body(**overrides))
    assert response.status_code in (201, 422), response.content


# --- the queue -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "sort=received_at;DROP TABLE referrals_referral",
        "sort=-received_at",
        "status=open' OR '1'='1",
        "source=provider'--",
        "urgency=urgent%00",
        "setting=(select 1)",
        "page=0",
        "page=-1",
        "page=99999999999999999999",
        "page=abc",
    ],
)
def test_unknown_queue_filters_are_refused(world, query):
    make_referral(world.riverside)
    response = token_client(world.coordinator).get(f"{API}/referrals?{query}")
    assert response.status_code == 422
    assert Referral.objects.count() == 1


def test_queue_filters_and_sorts_like_the_page(world):
    make_referral(world.riverside, urgency="urgent", given_name="Una")
    make_referral(world.riverside, urgency="routine", given_name="Rory")
    declined = make_referral(world.riverside, given_name="Dora")
    services.referral_decline(
        actor=world.coordinator, referral=declined, expected_version=1, reason="outside_area"
    )
    client = token_client(world.coordinator)

    def names(query: str = "") -> list[str]:
        return [
            item["given_name"] for item in client.get(f"{API}/referrals?{query}").json()["items"]
        ]

    assert names() == ["Una", "Rory"]  # open, by medical need
    assert names("urgency=routine") == ["Rory"]
    assert names("status=declined") == ["Dora"]
    assert set(names("status=all")) == {"Una", "Rory", "Dora"}
    assert names("sort=-received&status=all") == ["Dora", "Rory", "Una"]


def test_the_queue_costs_the_same_queries_however_long(world):
    client = token_client(world.coordinator)
    client.get(f"{API}/referrals")  # the token's first use records its use time
    make_referral(world.riverside)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/referrals").status_code == 200
    for n in range(20):
        make_referral(world.riverside, given_name=f"Walter{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/referrals")
    assert response.json()["count"] == 21
    assert len(response.json()["items"]) == 21
    assert len(many) == len(few)


def test_the_queue_paginates(world):
    for n in range(27):
        make_referral(world.riverside, given_name=f"Walter{n}")
    client = token_client(world.coordinator)
    first = client.get(f"{API}/referrals").json()
    second = client.get(f"{API}/referrals?page=2").json()
    assert (first["count"], first["pages"], len(first["items"])) == (27, 2, 25)
    assert len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


# --- triage ----------------------------------------------------------------------------


def test_accepting_enrolls_the_patient_with_the_chosen_team(world):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    created = post(client, f"{API}/referrals/{referral.pk}/create-patient", {"version": 1})
    assert created.status_code == 200
    body = {
        "version": created.json()["version"],
        "team": [str(world.navigator.uuid), str(world.physician.uuid)],
        "lead": str(world.physician.uuid),
    }
    response = post(client, f"{API}/referrals/{referral.pk}/accept", body)
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED
    episode = referral.episode
    members = {m.user: m.is_lead for m in episode.team.all()}
    assert members == {world.navigator: False, world.physician: True}


@pytest.mark.parametrize(
    "team",
    [
        lambda w: [str(w.hillside_nurse.uuid)],
        lambda w: [str(uuid.uuid4())],
        lambda w: [str(w.navigator.uuid), str(w.hillside_nurse.uuid)],
    ],
    ids=["other-program", "unknown", "mixed"],
)
def test_the_team_must_be_clinicians_of_the_program(world, team):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    version = post(client, f"{API}/referrals/{referral.pk}/create-patient", {"version": 1}).json()[
        "version"
    ]
    response = post(
        client, f"{API}/referrals/{referral.pk}/accept", {"version": version, "team": team(world)}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "team"],
            "msg": "Choose care team members from this program.",
            "type": "invalid",
        }
    ]
    referral.refresh_from_db()
    assert referral.status == Status.IN_REVIEW


def test_a_role_that_may_not_join_a_team_is_refused_by_name(world):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    version = post(client, f"{API}/referrals/{referral.pk}/create-patient", {"version": 1}).json()[
        "version"
    ]
    response = post(
        client,
        f"{API}/referrals/{referral.pk}/accept",
        {"version": version, "team": [str(world.privacy.uuid)]},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "team"],
            "msg": "Priya Privacy cannot join a care team: a privacy officer does not care for "
            "patients on a team. Choose a care-team clinician, the medical director or an "
            "on-call clinician.",
            "type": "invalid",
        }
    ]
    referral.refresh_from_db()
    assert referral.status == Status.IN_REVIEW


def test_the_lead_must_be_on_the_team(world):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    version = post(client, f"{API}/referrals/{referral.pk}/create-patient", {"version": 1}).json()[
        "version"
    ]
    response = post(
        client,
        f"{API}/referrals/{referral.pk}/accept",
        {
            "version": version,
            "team": [str(world.navigator.uuid)],
            "lead": str(world.physician.uuid),
        },
    )
    assert response.status_code == 422
    assert "lead" in response.json()["detail"][0]["loc"]


def test_a_stale_version_is_a_conflict_and_changes_nothing(world):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    assert (
        post(
            client,
            f"{API}/referrals/{referral.pk}/insurance",
            {"version": 1, "payer_type": "medicare"},
        ).status_code
        == 200
    )
    stale = post(
        client,
        f"{API}/referrals/{referral.pk}/decline",
        {"version": 1, "reason": "outside_area"},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    referral.refresh_from_db()
    assert referral.status == Status.IN_REVIEW


def test_acting_on_a_decided_referral_is_a_conflict(world):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    post(client, f"{API}/referrals/{referral.pk}/decline", {"version": 1, "reason": "duplicate"})
    again = post(
        client, f"{API}/referrals/{referral.pk}/hold", {"version": 2, "information_requested": "x"}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "This referral was already declined."


@pytest.mark.parametrize("version", [0, -1, 2**31, 10**30, "1", 1.5, None, "abc"])
def test_a_version_must_be_a_sensible_whole_number(world, version):
    referral = make_referral(world.riverside)
    response = post(
        token_client(world.coordinator),
        f"{API}/referrals/{referral.pk}/decline",
        {"version": version, "reason": "duplicate"},
    )
    # "1" is read as the number 1 (pydantic's lax mode); everything else is refused.
    assert response.status_code == (200 if version == "1" else 422)


def test_linking_a_patient_of_another_program_is_the_same_404_as_a_missing_one(world):
    referral = make_referral(world.riverside)
    client = token_client(world.coordinator)
    url = f"{API}/referrals/{referral.pk}/link-patient"
    foreign = post(client, url, {"version": 1, "patient": str(world.hana.pk)})
    missing = post(client, url, {"version": 1, "patient": str(uuid.uuid4())})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    referral.refresh_from_db()
    assert referral.patient_id is None and referral.version == 1


def test_a_decline_for_other_needs_a_note(world):
    referral = make_referral(world.riverside)
    response = post(
        token_client(world.coordinator),
        f"{API}/referrals/{referral.pk}/decline",
        {"version": 1, "reason": "other"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "note"]


def test_a_malformed_id_is_refused_and_a_missing_one_is_404(world):
    client = token_client(world.coordinator)
    assert client.get(f"{API}/referrals/not-a-uuid").status_code == 422
    assert client.get(f"{API}/referrals/{uuid.uuid4()}").status_code == 404


# --- reads are audited -----------------------------------------------------------------


def test_reading_a_referral_and_the_queue_is_audited(world):
    referral = make_referral(world.riverside)
    client = token_client(world.oncall)
    client.get(f"{API}/referrals/{referral.pk}")
    client.get(f"{API}/referrals")
    events = list(AuditEvent.objects.filter(username="owen").values_list("event", "object_id"))
    assert ("referral.read", str(referral.pk)) in events
    assert ("referral.queue", "") in events
    queue = AuditEvent.objects.get(username="owen", event="referral.queue")
    assert queue.detail["referrals"] == [referral.reference]


# --- authentication --------------------------------------------------------------------


def test_no_credentials_get_401(world):
    response = Client().get(f"{API}/referrals")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_works_and_its_secret_is_never_stored(world):
    token, secret = api_token_create(actor=world.coordinator, name="intake script", days=30)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(f"{API}/referrals").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert secret not in stored
    assert secret[len(token.prefix) :] not in stored
    assert AuditEvent.objects.filter(event="api_token.create", username="cora").exists()


@pytest.mark.parametrize("ending", ["revoked", "expired", "deactivated", "unknown", "garbled"])
def test_an_ended_or_unknown_token_gets_401(world, ending):
    token, secret = api_token_create(actor=world.coordinator, name="intake script", days=30)
    if ending == "revoked":
        api_token_revoke(actor=world.coordinator, token=token)
    elif ending == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    elif ending == "deactivated":
        staff_deactivate(actor=None, user=world.coordinator)
    elif ending == "unknown":
        secret = secret[:-4] + "AAAA"
    else:
        secret = "x" * 10_000
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = client.get(f"{API}/referrals")
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]
    assert post(client, f"{API}/referrals", referral_body()).status_code == 401
    assert Referral.objects.count() == 0


def test_a_token_with_a_session_is_judged_by_the_token(world, as_user):
    client = as_user(world.coordinator)
    token, secret = api_token_create(actor=world.coordinator, name="t", days=1)
    api_token_revoke(actor=world.coordinator, token=token)
    response = client.get(f"{API}/referrals", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_a_signed_in_session_with_mfa_may_use_the_api(world, as_user):
    client = as_user(world.coordinator)
    assert client.get(f"{API}/referrals").status_code == 200


def test_a_session_without_mfa_is_refused(world, client):
    client.force_login(world.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"{API}/referrals")
    assert response.status_code == 401
    assert "authenticator" in response.json()["detail"]
    assert post(client, f"{API}/referrals", referral_body()).status_code == 401
    assert Referral.objects.count() == 0


def test_a_session_must_send_its_csrf_token_to_change_anything(world):
    from tests.support.personas import login

    client = login(Client(enforce_csrf_checks=True), world.coordinator)
    assert client.get(f"{API}/referrals").status_code == 200
    refused = post(client, f"{API}/referrals", referral_body())
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Referral.objects.count() == 0
    client.get("/referrals/phone/")  # a page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = post(client, f"{API}/referrals", referral_body(), **{"X-CSRFToken": csrf})
    assert accepted.status_code == 201


def test_apitoken_command_prints_the_secret_once_and_can_revoke(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("apitoken", "create", "cora", "--name", "nightly import", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("pallio_")
    assert "not shown again" in err.getvalue()
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(f"{API}/referrals").status_code == 200

    listing = io.StringIO()
    call_command("apitoken", "list", "cora", stdout=listing)
    assert "nightly import" in listing.getvalue()
    assert secret not in listing.getvalue()

    prefix = ApiToken.objects.get(user=world.coordinator).prefix
    call_command("apitoken", "revoke", prefix, stdout=io.StringIO())
    assert client.get(f"{API}/referrals").status_code == 401


# --- the schema ------------------------------------------------------------------------


def test_the_openapi_schema_is_openapi_3_and_lists_every_endpoint(db):
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Pallio API"
    expected = {
        ("post", f"{API}/referrals"),
        ("get", f"{API}/referrals"),
        ("get", f"{API}/referrals/{{referral_id}}"),
        *(("post", f"{API}/referrals/{{referral_id}}/{action}") for action in TRIAGE),
        ("post", f"{API}/referrals/{{referral_id}}/attachments"),
        ("get", f"{API}/patients"),
        ("get", f"{API}/patients/{{patient_id}}"),
    }
    present = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert expected <= present
    _check_openapi_structure(schema)


def _check_openapi_structure(schema: dict[str, Any]) -> None:
    """The parts of the OpenAPI 3 rules a client generator trips over."""
    assert {"openapi", "info", "paths"} <= set(schema)
    assert schema["info"]["version"]
    operation_ids = []
    for path, item in schema["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            assert method in {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
            operation_ids.append(operation["operationId"])
            assert operation["responses"]
            assert all(str(code).isdigit() or code == "default" for code in operation["responses"])
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            wanted = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            assert declared == wanted, path
            assert operation.get("security"), f"{method} {path} has no security"
    assert len(operation_ids) == len(set(operation_ids))

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(schema):
        assert ref.startswith("#/")
        node: Any = schema
        for part in ref[2:].split("/"):
            node = node[part]
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_an_impossible_diagnosis_date_is_refused(world):
    response = post(
        token_client(world.coordinator),
        f"{API}/referrals",
        referral_body(diagnosis_date="2020-13-01"),
    )
    assert response.status_code == 422
