"""The audit trail (SECURITY.md 13-15): one event per access, append-only, tamper-evident,
and a report the privacy officer can filter, sort and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from pallio.audit.chain import seal_pending
from pallio.audit.models import AuditEvent
from pallio.audit.selectors import SORTS
from pallio.audit.services import audit_record, audit_record_many
from pallio.audit.views import CSV_COLUMNS, CappedPaginator
from pallio.core import clock
from pallio.referrals.services import referral_create
from tests.security.helpers import body_of, referral_input
from tests.support.personas import make_staff

AUDIT = reverse("audit:log")


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def csv_rows(client, query: str = "") -> list[list[str]]:
    response = client.get(f"{AUDIT}?{query}&format=csv" if query else f"{AUDIT}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(body_of(response))))


# --- what is recorded -----------------------------------------------------------------------


@pytest.mark.django_db
def test_reading_a_chart_writes_exactly_one_audit_event(world, as_user):
    client = as_user(world.navigator)
    since = last_id()
    response = client.get(
        reverse("patients:chart", kwargs={"patient_id": world.alice.pk}),
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 200
    events = list(AuditEvent.objects.filter(id__gt=since))
    assert len(events) == 1, [e.event for e in events]
    event = events[0]
    assert event.user_id == world.navigator.pk
    assert event.username == world.navigator.username
    assert event.role == world.navigator.role
    assert event.patient_id == world.alice.pk
    assert event.program_id == world.riverside.pk
    assert event.action == "read"
    assert event.outcome == "success"
    assert event.source_address == "203.0.113.5"
    assert event.at.utcoffset() == timedelta(0)
    assert abs(event.at - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.django_db
def test_creating_a_referral_writes_a_create_event(world):
    since = last_id()
    referral, created = referral_create(
        actor=world.coordinator, program=world.riverside, source="phone", data=referral_input()
    )
    assert created
    event = AuditEvent.objects.get(id__gt=since, action="create", event="referral.create")
    assert event.object_id == str(referral.pk)
    assert event.user_id == world.coordinator.pk
    assert event.program_id == world.riverside.pk


# --- tamper evidence ------------------------------------------------------------------------


def _disable_append_only(cursor) -> None:
    """What an attacker with the database owner's rights could do; the app's role cannot."""
    for table in ("auditevent", "auditseal"):
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_{table} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER audit_{table}_no_update")
            cursor.execute(f"DROP TRIGGER audit_{table}_no_delete")


def _some_events(world, n: int = 5) -> list[AuditEvent]:
    return [
        audit_record(
            actor=world.navigator,
            action="read",
            event="patient.read",
            patient=world.alice,
            target=world.alice,
        )
        for _ in range(n)
    ]


@pytest.mark.django_db
def test_verify_passes_on_an_intact_chain(world):
    _some_events(world)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db
def test_verify_names_the_first_altered_event(world):
    events = _some_events(world)
    target = events[2]
    with connection.cursor() as cursor:
        _disable_append_only(cursor)
        cursor.execute(
            "UPDATE audit_auditevent SET username = %s WHERE id = %s", ["mallory", target.id]
        )
        cursor.execute(
            "UPDATE audit_auditevent SET username = %s WHERE id = %s", ["mallory", events[3].id]
        )
    with pytest.raises(CommandError, match=rf"event #{target.id}\b"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_detects_a_changed_detail(world):
    events = _some_events(world)
    with connection.cursor() as cursor:
        _disable_append_only(cursor)
        detail = '{"note": "nothing to see"}'
        cursor.execute(
            "UPDATE audit_auditevent SET detail = %s WHERE id = %s", [detail, events[1].id]
        )
    with pytest.raises(CommandError, match=rf"event #{events[1].id}\b"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_detects_deleted_last_events(world):
    events = _some_events(world)
    seal_pending()  # the sealer chains them within a second
    with connection.cursor() as cursor:
        _disable_append_only(cursor)
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[-2].id])
        cursor.execute("DELETE FROM audit_auditseal WHERE event_id >= %s", [events[-2].id])
    with pytest.raises(CommandError, match="end of the chain"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_detects_a_deleted_event_in_the_middle(world):
    events = _some_events(world)
    seal_pending()
    with connection.cursor() as cursor:
        _disable_append_only(cursor)
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].id])
    with pytest.raises(CommandError, match=rf"event #{events[2].id}: the event its seal names"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_audit_rows_cannot_be_updated_or_deleted(world):
    event = _some_events(world, 1)[0]
    attempts = {
        "queryset update": lambda: AuditEvent.objects.filter(pk=event.pk).update(username="x"),
        "save": lambda: (setattr(event, "username", "x"), event.save()),
        "queryset delete": lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        "instance delete": lambda: AuditEvent.objects.get(pk=event.pk).delete(),
        "raw delete": lambda: connection.cursor().execute("DELETE FROM audit_auditevent"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
        assert AuditEvent.objects.filter(pk=event.pk, username=world.navigator.username).exists(), (
            f"{name} changed an audit row"
        )
    call_command("audit", "verify", stdout=io.StringIO())


# --- the report ------------------------------------------------------------------------------


@pytest.fixture
def trail(world):
    """Events on two days, by two users, about two patients (plus Hillside's, never shown)."""
    jan = datetime(2024, 1, 10, 15, 0, tzinfo=UTC)
    feb = datetime(2024, 2, 10, 15, 0, tzinfo=UTC)
    with clock.frozen(jan):
        audit_record(
            actor=world.navigator, action="read", event="patient.read", patient=world.alice
        )
        audit_record(actor=world.physician, action="read", event="patient.read", patient=world.bob)
    with clock.frozen(feb):
        audit_record(actor=world.navigator, action="update", event="x.update", patient=world.alice)
        audit_record(actor=world.director, action="read", event="patient.read", patient=world.bob)
    audit_record(
        actor=world.hillside_nurse, action="read", event="patient.read", patient=world.hana
    )
    return world


@pytest.mark.django_db
def test_audit_page_filters_by_user_patient_and_time(trail, as_user):
    world = trail
    client = as_user(world.privacy)

    rows = csv_rows(client, "user=nina")[1:]
    assert rows and {r[CSV_COLUMNS.index("username")] for r in rows} == {"nina"}

    rows = csv_rows(client, f"patient={world.bob.pk}")[1:]
    assert rows and {r[CSV_COLUMNS.index("patient_id")] for r in rows} == {str(world.bob.pk)}
    rows = csv_rows(client, f"patient={world.bob.pk}&action=read")[1:]
    assert sorted(r[CSV_COLUMNS.index("username")] for r in rows) == ["dana", "phil"]
    assert {r[CSV_COLUMNS.index("patient_id")] for r in rows} == {str(world.bob.pk)}

    rows = csv_rows(client, "start=2024-02-01&end=2024-02-28")[1:]
    assert sorted(r[CSV_COLUMNS.index("event")] for r in rows) == ["patient.read", "x.update"]

    rows = csv_rows(client, "user=nina&start=2024-01-01&end=2024-01-31")[1:]
    assert len(rows) == 1

    page = client.get(AUDIT, {"user": "nina", "patient": str(world.alice.pk)})
    assert page.status_code == 200
    assert body_of(page).count('data-testid="audit-row"') == 2

    # Hillside's events never appear in Riverside's trail.
    assert str(world.hana.pk) not in body_of(client.get(AUDIT + "?format=csv"))


@pytest.mark.django_db
def test_a_long_trail_is_counted_only_up_to_a_cap(world, as_user, monkeypatch):
    # A year's trail holds millions of events: the page counts up to the cap, then says
    # "more than", and still pages on to the page after the cap.
    monkeypatch.setattr(CappedPaginator, "cap", 100)
    entries = [
        {
            "actor": world.navigator,
            "action": "read",
            "event": "patient.read",
            "patient": world.alice,
        }
        for _ in range(130)
    ]
    audit_record_many(entries)
    client = as_user(world.privacy)
    first = body_of(client.get(AUDIT, {"user": "nina"}))
    assert "Page 1 of more than 2" in first
    assert first.count('data-testid="audit-row"') == 50
    third = body_of(client.get(AUDIT, {"user": "nina", "page": 3}))
    assert "Page 3 of more than 2" in third and third.count('data-testid="audit-row"') == 30
    assert ">Next<" not in third
    few = body_of(client.get(AUDIT, {"user": "nina", "start": "1990-01-01", "end": "1990-01-02"}))
    assert "more than" not in few


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, message",
    [
        ("start=2024-02-30", "From: Enter a real date as YYYY-MM-DD"),
        ("end=yesterday", "To: Enter a real date as YYYY-MM-DD"),
        ("start=0000-01-01", "From: Enter a real date as YYYY-MM-DD"),
        ("end=9999-12-31", "To: Enter a date between 1 January 1900 and 31 December 2999."),
        ("end=9999-12-31&format=csv", "To: Enter a date between 1 January 1900"),
        ("start=2024-03-01&end=2024-02-01", "The From date is after the To date."),
        ("patient=not-a-uuid", "Patient id: The patient id is not valid."),
        ("patient=%27%20OR%201%3D1--", "Patient id: The patient id is not valid."),
        ("action=erase", "Action: Choose one of: Create, Read,"),
        ("page=0", "Page: Page numbers are whole numbers from 1 to 100,000."),
        ("page=99999999999999999999", "Page: Page numbers are whole numbers"),
        ("user=ni%00na", "User: This value contains a null character"),
        ("format=xlsx", "Format: Choose one of: csv."),
    ],
)
def test_bad_filters_are_refused_with_a_clear_message(trail, as_user, query, message):
    client = as_user(trail.privacy)
    response = client.get(f"{AUDIT}?{query}")
    assert response.status_code == 400
    body = body_of(response)
    assert message in body
    assert 'name="start"' in body, "the filter form stays on the page to correct the value"
    assert 'data-testid="audit-row"' not in body, "no rows the filters did not choose"


@pytest.mark.django_db
def test_the_last_representable_day_is_refused_plainly_not_overflowed(world, as_user):
    # 9999-12-31 plus one day does not exist; the page once answered it with a server error.
    client = as_user(world.privacy)
    for query in ("end=9999-12-31", "end=9999-12-31&format=csv", "start=9999-12-31"):
        assert client.get(f"{AUDIT}?{query}").status_code == 400, query


SORT_COLUMN = {
    "at": "at",
    "user": "username",
    "role": "role",
    "patient": "patient_id",
    "action": "action",
    "event": "event",
    "outcome": "outcome",
    "source": "source_address",
}


@pytest.mark.django_db
@pytest.mark.parametrize("sort", sorted(SORTS))
def test_audit_report_sorts_by_every_allowed_column(trail, as_user, sort):
    client = as_user(trail.privacy)
    assert client.get(AUDIT, {"sort": sort}).status_code == 200
    column = CSV_COLUMNS.index(SORT_COLUMN[sort.lstrip("-")])
    values = [r[column] for r in csv_rows(client, f"sort={sort}")[1:]]
    present = [v for v in values if v]  # databases differ on where empty values go
    expected = sorted(present, reverse=sort.startswith("-"))
    assert present == expected, f"sort={sort} gave {values}"


def test_every_column_on_the_page_is_sortable():
    assert set(SORT_COLUMN) <= {key.lstrip("-") for key in SORTS}
    assert {f"-{key}" for key in SORT_COLUMN} <= set(SORTS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sort", ["id;DROP TABLE audit_auditevent", "hash", "-prev_hash", "at,username", "(select 1)"]
)
def test_unknown_sort_is_refused_and_names_the_orders_on_offer(trail, as_user, sort):
    client = as_user(trail.privacy)
    for query in ({"sort": sort}, {"sort": sort, "format": "csv"}):
        response = client.get(AUDIT, query)
        assert response.status_code == 400
        assert "Sort: Choose one of: Time (ascending), Time (descending)" in body_of(response)
    assert AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_empty_sort_means_newest_first(trail, as_user):
    client = as_user(trail.privacy)
    assert client.get(AUDIT, {"sort": ""}).status_code == 200
    at = CSV_COLUMNS.index("at")
    rows = csv_rows(client, "sort=")[1:]
    assert rows and [r[at] for r in rows] == sorted((r[at] for r in rows), reverse=True)


@pytest.mark.django_db
def test_csv_export_has_a_header_and_neutralises_formulas(world, as_user):
    evil_names = ["=HYPERLINK(1)", "+cmd", "-2+3", "@SUM(A1)"]
    for name in evil_names:
        user = make_staff(world.riverside, name, "medical_director", "physician", "E", "Vil")
        audit_record(actor=user, action="read", event="patient.read", patient=world.alice)
    client = as_user(world.privacy)
    rows = csv_rows(client)
    assert rows[0] == CSV_COLUMNS
    usernames = [r[CSV_COLUMNS.index("username")] for r in rows[1:]]
    for name in evil_names:
        assert f"'{name}" in usernames, f"{name!r} is exported as a live formula"
    for row in rows[1:]:
        assert all(cell[:1] not in ("=", "+", "-", "@") for cell in row), row


@pytest.mark.django_db
def test_the_export_itself_is_audited(trail, as_user):
    client = as_user(trail.privacy)
    since = last_id()
    csv_rows(client, "user=nina")
    event = AuditEvent.objects.get(id__gt=since, action="export")
    assert event.user_id == trail.privacy.pk
    assert "user=nina" in event.detail.get("filters", "")


@pytest.mark.django_db
def test_only_the_privacy_officer_reads_the_trail(world, as_user):
    for user in (world.coordinator, world.director, world.navigator, world.hillside_coordinator):
        client = as_user(user)
        assert client.get(AUDIT).status_code == 403
        assert client.get(AUDIT + "?format=csv").status_code == 403


def test_sign_in_sign_out_and_failed_sign_in_are_audited(world, client):
    from pallio.audit.models import AuditEvent
    from tests.support.personas import PASSWORD

    client.post("/accounts/login/", {"login": "nina", "password": "wrong password here"})
    failed = AuditEvent.objects.filter(event="account.sign_in_failed").get()
    assert failed.outcome == "failure" and failed.detail == {"username": "nina"}
    assert "wrong" not in str(failed.detail)
    client.post("/accounts/login/", {"login": "nina", "password": PASSWORD})
    assert AuditEvent.objects.filter(event="account.sign_in", username="nina").exists()
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(event="account.sign_out", username="nina").exists()
