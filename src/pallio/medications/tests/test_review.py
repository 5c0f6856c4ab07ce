"""The list a pharmacist works from: medications Pallio did not recognise, for review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import add_to_team, make_staff

from pallio.accounts.models import Role
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.medications.models import MedicationStatement
from pallio.medications.services import MedicationInput, medication_add, medication_review

pytestmark = pytest.mark.django_db

REVIEW = "/medications/review/"
MARK = "/medications/review/mark/"
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def typed(world, name, patient=None, actor=None, **fields):
    return medication_add(
        actor=actor or world.physician,
        patient=patient or world.alice,
        data=MedicationInput(free_text=name, **fields),
    )


def pharmacist(world, username="pia", first="Pia"):
    return make_staff(world.riverside, username, Role.CLINICIAN, "pharmacist", first, "Pharm")


def test_the_urls_are_where_the_pages_link():
    assert reverse("medications:review") == REVIEW
    assert reverse("medications:review_mark") == MARK


@pytest.mark.parametrize(
    ("discipline", "allowed"),
    [
        ("pharmacist", True),
        ("physician", True),
        ("nurse_practitioner", True),
        ("nurse", False),
        ("social_worker", False),
        ("volunteer", False),
    ],
)
def test_who_may_mark_a_medication_reviewed(world, discipline, allowed):
    user = add_to_team(world, f"u-{discipline}", discipline, "Una", "User")
    row = typed(world, "Zyxotrin 20 mg")
    if allowed:
        medication_review(actor=user, statement=row, note="")
        row.refresh_from_db()
        assert row.reviewed_by == user
    else:
        with pytest.raises(PrivilegeDenied, match=" may not mark a medication reviewed"):
            medication_review(actor=user, statement=row, note="")
        row.refresh_from_db()
        assert row.reviewed_by is None and row.reviewed_at is None


def test_a_review_is_recorded_once_and_audited(world):
    pia = add_to_team(world, "pia", "pharmacist", "Pia", "Pharm")
    row = typed(world, "Zyxotrin 20 mg")
    with clock.frozen(START):
        medication_review(actor=pia, statement=row, note="Herbal; no interaction found")
    row.refresh_from_db()
    assert (row.reviewed_by, row.reviewed_at, row.review_note) == (
        pia,
        START,
        "Herbal; no interaction found",
    )
    event = AuditEvent.objects.get(event="medication.review")
    assert (event.user_id, event.object_id) == (pia.pk, str(row.pk))
    assert event.patient_id == world.alice.pk
    with pytest.raises(ValidationError, match="already been reviewed"):
        medication_review(actor=world.physician, statement=row, note="")
    row.refresh_from_db()
    assert row.reviewed_by == pia
    assert AuditEvent.objects.filter(event="medication.review").count() == 1


def test_a_recognised_medication_has_nothing_to_review(world):
    row = medication_add(
        actor=world.physician,
        patient=world.alice,
        data=MedicationInput(catalog_key="senna", dose_amount="8.6"),
    )
    with pytest.raises(ValidationError, match="does not need"):
        medication_review(actor=world.physician, statement=row, note="")


def test_the_list_shows_what_was_typed_oldest_first_and_marks_it_reviewed(world, as_user):
    pia = pharmacist(world)
    with clock.frozen(START):
        typed(world, "Zyxotrin 20 mg", dose_amount="2", doses_per_day="3", route="oral")
    with clock.frozen(START + timedelta(days=1)):
        typed(world, "Quenlabrine drops", patient=world.bob, actor=world.director)
    typed(world, "Hillimab", patient=world.hana, actor=world.hillside_nurse)
    client = as_user(pia)
    response = client.get(REVIEW)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Medications for pharmacist review" in body
    assert body.index("Zyxotrin 20 mg") < body.index("Quenlabrine drops")
    assert "Dose: 2, 3 times a day · Route: By mouth (oral)" in body
    assert "Dose: not given · Route: not given" in body
    assert "Added by Phil Physician on 2 March 2026" in body
    assert "Added by Dana Director on 3 March 2026" in body
    assert "Alice Anders" in body and "Bob Brown" in body
    # Another program's medication is never shown.
    assert "Hillimab" not in body and "Hana Hill" not in body
    # Pia is on nobody's team: she sees the names but no link into the charts.
    assert reverse("medications:list", kwargs={"patient_id": world.alice.pk}) not in body
    assert body.count('data-testid="review-item"') == 2
    assert "Mark Zyxotrin 20 mg reviewed" in body

    zyx = MedicationStatement.objects.get(display="Zyxotrin 20 mg")
    with clock.frozen(START + timedelta(days=2)):
        done = client.post(MARK, {"statement": str(zyx.pk), "note": "Herbal; no interaction"})
    assert done.status_code == 302 and done["Location"] == REVIEW
    body = client.get(REVIEW).content.decode()
    assert "Zyxotrin 20 mg marked reviewed." in body
    assert 'data-testid="review-item"' in body and "Mark Zyxotrin" not in body
    # The patient's medication list says who reviewed it instead of the badge.
    chart = as_user(world.physician).get(
        reverse("medications:list", kwargs={"patient_id": world.alice.pk})
    )
    page = chart.content.decode()
    assert "Reviewed by Pia Pharm on 4 March 2026: Herbal; no interaction" in page
    assert 'data-testid="pharmacist-review"' not in page
    assert "For pharmacist review" not in page
    # A second review is refused in plain words.
    again = client.post(MARK, {"statement": str(zyx.pk)}, follow=True)
    assert "This medication has already been reviewed." in again.content.decode()


def test_a_team_member_sees_their_patients_only_and_a_link_to_the_chart(world, as_user):
    typed(world, "Zyxotrin 20 mg")
    typed(world, "Quenlabrine drops", patient=world.bob, actor=world.director)
    body = as_user(world.physician).get(REVIEW).content.decode()
    assert "Zyxotrin 20 mg" in body and "Quenlabrine" not in body
    assert reverse("medications:list", kwargs={"patient_id": world.alice.pk}) in body
    assert "Mark Zyxotrin 20 mg reviewed" in body
    # The nurse navigator on the team sees it but may not mark it reviewed.
    nina = as_user(world.navigator)
    body = nina.get(REVIEW).content.decode()
    assert "Zyxotrin 20 mg" in body and "Mark Zyxotrin" not in body
    zyx = MedicationStatement.objects.get(display="Zyxotrin 20 mg")
    refused = nina.post(MARK, {"statement": str(zyx.pk)})
    assert refused.status_code == 403
    assert "A nurse navigator may not mark a medication reviewed." in refused.content.decode()
    assert MedicationStatement.objects.get(pk=zyx.pk).reviewed_at is None


def test_a_clinician_off_the_team_sees_nothing_and_cannot_reach_an_id(world, as_user):
    zyx = typed(world, "Zyxotrin 20 mg")
    hana = typed(world, "Hillimab", patient=world.hana, actor=world.hillside_nurse)
    sam = as_user(world.social_worker)
    body = sam.get(REVIEW).content.decode()
    assert "Zyxotrin" not in body and "Alice Anders" not in body
    assert "No medication is waiting for review." in body
    off_team_prescriber = make_staff(
        world.riverside, "ivan", Role.CLINICIAN, "physician", "Ivan", "Elsewhere"
    )
    client = as_user(off_team_prescriber)
    assert client.post(MARK, {"statement": str(zyx.pk)}).status_code == 404
    pia = as_user(pharmacist(world))
    assert pia.post(MARK, {"statement": str(hana.pk)}).status_code == 404
    assert pia.post(MARK, {"statement": "not-an-id"}).status_code == 404
    assert not MedicationStatement.objects.filter(reviewed_at__isnull=False).exists()


def test_the_menu_links_the_list_only_for_those_who_may_review(world, as_user):
    assert REVIEW in as_user(world.physician).get(reverse("patients:search")).content.decode()
    assert REVIEW not in as_user(world.navigator).get(reverse("patients:search")).content.decode()
    assert REVIEW not in as_user(world.privacy).get(reverse("audit:log")).content.decode()


def test_the_list_takes_a_fixed_number_of_queries(world, as_user):
    pia = pharmacist(world)
    client = as_user(pia)
    typed(world, "Medication 0")
    client.get(REVIEW)
    with CaptureQueriesContext(connection) as one:
        assert client.get(REVIEW).content.decode().count('data-testid="review-item"') == 1
    for n in range(1, 5):
        typed(world, f"Medication {n}", patient=world.bob, actor=world.director)
    with CaptureQueriesContext(connection) as five:
        assert client.get(REVIEW).content.decode().count('data-testid="review-item"') == 5
    assert len(one) == len(five) == QUERIES


QUERIES = 7  # the same for one row or five (one is the on-call line of every page, one the
# audit event's INSERT)


def test_a_page_number_that_is_not_one_is_refused(world, as_user):
    client = as_user(world.physician)
    response = client.get(REVIEW, {"page": "abc"})
    assert response.status_code == 400
    assert "Page numbers are whole numbers" in response.content.decode()
    assert client.get(REVIEW, {"page": "2"}).status_code == 200


def test_a_note_too_long_is_refused_and_nothing_is_recorded(world, as_user):
    zyx = typed(world, "Zyxotrin 20 mg")
    client = as_user(world.physician)
    response = client.post(MARK, {"statement": str(zyx.pk), "note": "x" * 501}, follow=True)
    assert "Keep the note under 500 characters." in response.content.decode()
    assert MedicationStatement.objects.get(pk=zyx.pk).reviewed_at is None
