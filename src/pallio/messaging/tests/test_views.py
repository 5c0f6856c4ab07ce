"""The portal's and the team's message pages over HTTP: what each account sees, the
emergency advice on the page after sending, crafted requests refused with nothing written,
and every read and write audited."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.accounts.models import User
from pallio.audit.models import AuditEvent
from pallio.messaging.models import Message, Thread
from pallio.messaging.tests.samples import alice_thread, photo
from pallio.portal.models import PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account

pytestmark = pytest.mark.django_db


def alice_user(thread: Thread) -> User:
    """The portal account that started the thread."""
    user = thread.started_by
    assert user is not None
    return user


def portal_list(patient):
    return reverse("messaging_portal:list", kwargs={"patient_id": patient.pk})


def portal_new(patient):
    return reverse("messaging_portal:new", kwargs={"patient_id": patient.pk})


def portal_thread(patient, thread):
    return reverse(
        "messaging_portal:thread", kwargs={"patient_id": patient.pk, "thread_id": thread.pk}
    )


def test_the_patient_writes_and_sees_the_thread(world):
    client = login(Client(), patient_account(world.alice))
    home = client.get(reverse("portal:patient_home", args=[world.alice.pk])).content.decode()
    assert portal_list(world.alice) in home
    response = client.post(
        portal_new(world.alice),
        {"subject": "Tablets", "body": "Can I take them with food?", "files": [photo()]},
    )
    thread = Thread.objects.get()
    assert response["Location"] == portal_thread(world.alice, thread)
    page = client.get(response["Location"]).content.decode()
    assert "Can I take them with food?" in page
    assert "Not read by the team yet" in page
    assert "This may be an emergency" not in page
    assert "rash.png" in page
    listing = client.get(portal_list(world.alice)).content.decode()
    assert "Tablets" in listing
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"message.thread.start", "message.send", "message.thread.read", "message.list"} <= (
        events
    )


def test_an_emergency_message_shows_the_24_7_number_and_911_at_once(world):
    client = login(Client(), patient_account(world.alice))
    response = client.post(
        portal_new(world.alice), {"subject": "Help", "body": "I can't breathe"}, follow=True
    )
    page = response.content.decode()
    assert "This may be an emergency" in page
    assert "call 911" in page
    assert 'href="tel:617-555-0100"' in page
    # Shown once, on the page after sending.
    again = client.get(portal_thread(world.alice, Thread.objects.get())).content.decode()
    assert "This may be an emergency" not in again


def test_a_crafted_post_into_another_patients_thread_is_refused_and_nothing_written(world):
    alices = alice_thread(world)
    client = login(Client(), patient_account(world.bob, "bob.portal"))
    before = Message.objects.count()
    # With alice's id in the address: no access to alice.
    assert client.post(portal_thread(world.alice, alices), {"body": "hi"}).status_code == 403
    # With his own id and alice's thread: not found.
    url = reverse(
        "messaging_portal:thread", kwargs={"patient_id": world.bob.pk, "thread_id": alices.pk}
    )
    assert client.post(url, {"body": "hi"}).status_code == 404
    assert Message.objects.count() == before
    assert AuditEvent.objects.filter(event="portal.denied", patient_id=world.alice.pk).exists()


def test_a_caregiver_without_the_messages_scope_gets_403_and_no_link(world):
    carla = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    client = login(Client(), carla)
    home = client.get(reverse("portal:patient_home", args=[world.alice.pk])).content.decode()
    assert portal_list(world.alice) not in home
    assert client.get(portal_list(world.alice)).status_code == 403
    response = client.post(portal_new(world.alice), {"subject": "x", "body": "y"})
    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_a_refused_file_gets_a_clear_message_and_nothing_is_saved(world):
    client = login(Client(), patient_account(world.alice))
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")
    response = client.post(
        portal_new(world.alice), {"subject": "File", "body": "See attached", "files": [bad]}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "run.exe was not sent" in page and "The message was not sent" in page
    assert "See attached" in page  # what was typed is kept
    assert not Thread.objects.exists()


def test_the_navigator_reads_and_answers_from_the_inbox(world):
    thread = alice_thread(world)
    nina = login(Client(), world.navigator)
    inbox = nina.get(reverse("messaging:inbox")).content.decode()
    assert "Visit on Thursday" in inbox and "Anders" in inbox
    url = reverse("messaging:thread", kwargs={"thread_id": thread.pk})
    assert "Could we move" in nina.get(url).content.decode()
    response = nina.post(url, {"body": "Yes, Friday at 10 works."})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert not thread.awaiting_team
    # The patient sees the answer and the team's read receipt.
    alice = login(Client(), alice_user(thread))
    page = alice.get(portal_thread(world.alice, thread)).content.decode()
    assert "Yes, Friday at 10 works." in page and "Read by the team at" in page
    # ...and the navigator sees that alice read it.
    assert "Read by Alice Anders" in nina.get(url).content.decode()


def test_staff_without_access_to_the_patient_get_404_and_the_portal_refuses_staff(world):
    thread = alice_thread(world)
    url = reverse("messaging:thread", kwargs={"thread_id": thread.pk})
    assert login(Client(), world.social_worker).get(url).status_code == 404
    assert login(Client(), world.hillside_nurse).get(url).status_code == 404
    assert login(Client(), world.privacy).get(url).status_code == 403
    assert login(Client(), world.navigator).get(portal_list(world.alice)).status_code == 403
    # A portal account never reaches the team's inbox.
    assert login(Client(), alice_user(thread)).get(reverse("messaging:inbox")).status_code == 403


def test_files_are_served_only_through_the_checked_views(world):
    thread = alice_thread(world)
    item = thread.messages.get().attachments.get()
    staff_url = reverse(
        "messaging:attachment", kwargs={"thread_id": thread.pk, "message_attachment_id": item.pk}
    )
    response = login(Client(), world.navigator).get(staff_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert login(Client(), world.social_worker).get(staff_url).status_code == 404
    portal_url = reverse(
        "messaging_portal:attachment",
        kwargs={
            "patient_id": world.alice.pk,
            "thread_id": thread.pk,
            "message_attachment_id": item.pk,
        },
    )
    assert login(Client(), alice_user(thread)).get(portal_url).status_code == 200
    assert AuditEvent.objects.filter(event="message.attachment.read").count() == 2


def test_the_inbox_costs_the_same_queries_for_one_thread_or_five(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pallio.messaging.services import thread_start_portal

    user = patient_account(world.alice)
    nina = login(Client(), world.navigator)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert nina.get(reverse("messaging:inbox") + "?show=all").status_code == 200
        return len(queries)

    thread_start_portal(actor=user, patient_id=world.alice.pk, subject="One", body="Hello")
    one = cost()
    for n in range(4):
        thread_start_portal(actor=user, patient_id=world.alice.pk, subject=f"T{n}", body="Hi")
    assert cost() == one
