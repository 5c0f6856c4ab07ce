"""The review queue pages: who sees them, plain words, refusals that change nothing, audited
reads and a fixed number of queries whatever the queue's length."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.adt.models import AdtMessage, AdtStatus
from pallio.adt.services import adt_receive
from pallio.adt.tests.samples import adt_message, held_message
from pallio.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def url(message, name="message"):
    return reverse(f"adt:{name}", kwargs={"message_id": message.pk})


def test_coordinator_sees_the_held_message_in_plain_words(world, as_user):
    message = held_message(world)
    page = as_user(world.coordinator).get(reverse("adt:queue"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Zelda Quill" in body
    assert "Admission" in body
    assert "Waiting for a patient match" in body
    assert "no patient of the program matches the message" in body
    assert "unmatched" not in body  # the key is never shown
    detail = as_user(world.coordinator).get(url(message))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Mercy General" in text and "unit 5W" in text
    assert "Inpatient" in text
    assert AuditEvent.objects.filter(event="adt.message.read", object_id=str(message.pk)).exists()
    assert AuditEvent.objects.filter(event="adt.queue.read").exists()


@pytest.mark.parametrize("who", ["navigator", "physician", "social_worker", "oncall", "privacy"])
def test_only_program_wide_roles_reach_the_queue(world, as_user, who):
    message = held_message(world)
    client = as_user(getattr(world, who))
    assert client.get(reverse("adt:queue")).status_code == 403
    assert client.get(url(message)).status_code == 403


def test_another_programs_coordinator_gets_404(world, as_user):
    message = held_message(world)
    client = as_user(world.hillside_coordinator)
    assert client.get(url(message)).status_code == 404
    response = client.post(url(message, "dismiss"), {"reason": "x", "version": 1})
    assert response.status_code == 404
    assert AdtMessage.objects.get(pk=message.pk).status == AdtStatus.UNMATCHED
    assert "Zelda" not in client.get(reverse("adt:queue")).content.decode()


def test_dismiss_with_a_reason(world, as_user):
    message = held_message(world)
    response = as_user(world.coordinator).post(
        url(message, "dismiss"), {"reason": "Not one of our patients", "version": message.version}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == AdtStatus.DISMISSED
    assert message.dismiss_reason == "Not one of our patients"
    assert message.resolved_by == world.coordinator


def test_dismiss_without_a_reason_is_refused_and_nothing_changes(world, as_user):
    message = held_message(world)
    response = as_user(world.coordinator).post(
        url(message, "dismiss"), {"reason": "  ", "version": message.version}
    )
    assert response.status_code == 400
    assert "Say why the message is dismissed." in response.content.decode()
    assert AdtMessage.objects.get(pk=message.pk).status == AdtStatus.UNMATCHED


def test_stale_dismiss_is_a_conflict(world, as_user):
    message = held_message(world)
    response = as_user(world.coordinator).post(
        url(message, "dismiss"), {"reason": "dup", "version": message.version + 1}
    )
    assert response.status_code == 409
    assert "Someone else has dealt with this message" in response.content.decode()
    assert AdtMessage.objects.get(pk=message.pk).status == AdtStatus.UNMATCHED


def test_match_to_an_unknown_record_number_is_refused(world, as_user):
    message = held_message(world)
    response = as_user(world.coordinator).post(
        url(message, "match"), {"record_number": "NOPE", "version": message.version}
    )
    assert response.status_code == 400
    assert "No patient of this program has that record number." in response.content.decode()
    assert AdtMessage.objects.get(pk=message.pk).status == AdtStatus.UNMATCHED


def test_match_to_another_programs_patient_is_refused(world, as_user):
    message = held_message(world)
    response = as_user(world.coordinator).post(
        url(message, "match"), {"patient": str(world.hana.pk), "version": message.version}
    )
    assert response.status_code == 400
    assert "Choose one of the patients listed." in response.content.decode()
    assert AdtMessage.objects.get(pk=message.pk).patient is None


def test_unreadable_message_can_only_be_dismissed(world, as_user):
    receipt = adt_receive(program=world.riverside, raw=b"MSH|garbage")
    page = as_user(world.coordinator).get(url(receipt.message))
    body = page.content.decode()
    assert "This message cannot be read" in body
    assert "Apply to this patient" not in body
    assert "Dismiss the message" in body


def test_bad_tab_is_a_400_in_plain_words(world, as_user):
    response = as_user(world.coordinator).get(reverse("adt:queue") + "?tab=<script>")
    assert response.status_code == 400


def test_queue_costs_the_same_queries_whatever_its_length(world, as_user):
    client = as_user(world.coordinator)
    held_message(world, control_id="Q1")
    client.get(reverse("adt:queue"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("adt:queue") + "?tab=all").status_code == 200
    for n in range(12):
        adt_receive(
            program=world.riverside,
            raw=adt_message(
                control_id=f"Q{n + 2}", given="Zed", family=f"Person{n}", born=date(1941, 1, n + 1)
            ),
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("adt:queue") + "?tab=all").status_code == 200
    assert len(many) == len(few)
