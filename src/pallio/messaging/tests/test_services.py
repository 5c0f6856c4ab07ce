"""Secure messages through the services: routing, the answer-by clock, read receipts, the
emergency alert, and every refusal changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from pallio.assessments.models import Alert
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes.models import CareTeamMember
from pallio.messaging import selectors, services
from pallio.messaging.models import Message, MessageAttachment, MessageRead, Side, Thread
from pallio.messaging.tests.samples import photo
from pallio.portal.models import PortalAccess, PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account

pytestmark = pytest.mark.django_db


def start(user, patient, body="Could we talk about the new tablets?", **extra):
    return services.thread_start_portal(
        actor=user, patient_id=patient.pk, subject="Tablets", body=body, **extra
    )


def test_a_thread_is_routed_to_the_patients_nurse_navigator(world):
    sent = start(patient_account(world.alice), world.alice)
    assert sent.thread.routed_to == world.navigator
    assert sent.thread.started_side == Side.PORTAL
    assert sent.emergency == []


def test_without_a_navigator_the_thread_goes_to_the_team_inbox(world):
    CareTeamMember.objects.filter(patient=world.alice, discipline="nurse_navigator").update(
        active=False
    )
    sent = start(patient_account(world.alice), world.alice)
    assert sent.thread.routed_to is None
    inbox = selectors.inbox_for(world.physician, show="team", page=1)
    assert [t.pk for t in inbox] == [sent.thread.pk]


def test_the_answer_by_time_is_the_programs_hours_after_the_first_unanswered_message(world):
    world.riverside.settings["message_answer_hours"] = 4
    world.riverside.save()
    user = patient_account(world.alice)
    t0 = clock.now()
    with clock.frozen(t0):
        sent = start(user, world.alice)
    assert sent.thread.answer_by == t0 + timedelta(hours=4)
    # A second message before the answer does not push the time back.
    with clock.frozen(t0 + timedelta(hours=1)):
        services.message_send_portal(
            actor=user, patient_id=world.alice.pk, thread_id=sent.thread.pk, body="Also: nausea"
        )
    sent.thread.refresh_from_db()
    assert sent.thread.answer_by == t0 + timedelta(hours=4)
    with clock.frozen(t0 + timedelta(hours=5)):
        [row] = selectors.inbox_for(world.navigator, show="mine", page=1)
        assert row.is_overdue
        services.message_send_staff(actor=world.navigator, thread=sent.thread, body="Calling you")
    sent.thread.refresh_from_db()
    assert (sent.thread.awaiting_team, sent.thread.answer_by) == (False, None)


def test_the_inbox_lists_unanswered_threads_first(world):
    user = patient_account(world.alice)
    t0 = clock.now()
    with clock.frozen(t0):
        answered = start(user, world.alice).thread
    with clock.frozen(t0 + timedelta(minutes=5)):
        services.message_send_staff(actor=world.navigator, thread=answered, body="Done")
    with clock.frozen(t0 + timedelta(minutes=1)):
        waiting = start(user, world.alice).thread
    rows = list(selectors.inbox_for(world.navigator, show="mine", page=1))
    assert [t.pk for t in rows] == [waiting.pk, answered.pk]


def test_read_receipts_are_kept_for_each_side_on_first_reading(world):
    user = patient_account(world.alice)
    t0 = clock.now()
    with clock.frozen(t0):
        sent = start(user, world.alice)
    with clock.frozen(t0 + timedelta(minutes=10)):
        assert (
            services.messages_mark_read(reader=world.navigator, thread=sent.thread, side=Side.STAFF)
            == 1
        )
    with clock.frozen(t0 + timedelta(minutes=20)):
        assert (
            services.messages_mark_read(reader=world.navigator, thread=sent.thread, side=Side.STAFF)
            == 0
        )
    [shown] = selectors.thread_messages(sent.thread, viewer=user, side=Side.PORTAL)
    assert (shown.read_by, shown.read_at) == ("Nina Navigator", t0 + timedelta(minutes=10))
    reply = services.message_send_staff(actor=world.navigator, thread=sent.thread, body="Yes")
    services.messages_mark_read(reader=user, thread=sent.thread, side=Side.PORTAL)
    assert MessageRead.objects.filter(message=reply.message, reader=user).exists()


def test_an_emergency_message_raises_an_urgent_alert_for_the_navigator(world):
    sent = start(patient_account(world.alice), world.alice, body="Mom fell and can't get up")
    assert sent.emergency == ["fall"]
    alert = Alert.objects.get(patient=world.alice, rule_key="message-emergency")
    assert alert.priority == 1
    assert "a fall" in alert.detail
    task = alert.task
    assert task is not None
    assert task.assigned_to == world.navigator
    sent.message.refresh_from_db()
    assert sent.message.emergency == ["fall"]


@pytest.mark.parametrize(
    "body",
    [
        "My pain is 10 out of 10",
        "He can't breathe",
        "There is a lot of bleeding",
        "I fell in the shower",
        "I want to end my life",
        "No puedo respirar",
    ],
)
def test_each_emergency_family_raises_the_alert(world, body):
    start(patient_account(world.alice), world.alice, body=body)
    assert Alert.objects.filter(rule_key="message-emergency").count() == 1


def test_an_ordinary_message_raises_no_alert(world):
    start(patient_account(world.alice), world.alice, body="No bleeding since Monday, thank you")
    assert not Alert.objects.filter(rule_key="message-emergency").exists()


def test_a_staff_message_never_raises_the_emergency_alert(world):
    thread = start(patient_account(world.alice), world.alice).thread
    services.message_send_staff(actor=world.navigator, thread=thread, body="Call if bleeding")
    assert not Alert.objects.filter(rule_key="message-emergency").exists()


def test_a_thread_of_another_patient_is_refused_and_nothing_written(world):
    alice_user = patient_account(world.alice)
    bob_user = patient_account(world.bob, "bob.portal")
    bobs = start(bob_user, world.bob).thread
    before = Message.objects.count()
    # Alice's account names her own patient id but Bob's thread: not found.
    with pytest.raises(Http404):
        services.message_send_portal(
            actor=alice_user, patient_id=world.alice.pk, thread_id=bobs.pk, body="Hello"
        )
    # ... or Bob's patient id: no access.
    with pytest.raises(PermissionDenied):
        services.message_send_portal(
            actor=alice_user, patient_id=world.bob.pk, thread_id=bobs.pk, body="Hello"
        )
    assert Message.objects.count() == before


def test_a_caregiver_without_the_messages_scope_is_refused(world):
    carla = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    with pytest.raises(PermissionDenied):
        start(carla, world.alice)
    assert not Thread.objects.exists()


def test_a_caregiver_with_the_scope_writes_and_the_revoked_one_cannot(world):
    carla = caregiver_account(world.alice, "carla.family", [PortalScope.MESSAGES])
    sent = start(carla, world.alice)
    assert sent.message.author == carla
    PortalAccess.objects.filter(user=carla).update(revoked_at=clock.now())
    with pytest.raises(PermissionDenied):
        services.message_send_portal(
            actor=carla, patient_id=world.alice.pk, thread_id=sent.thread.pk, body="Again"
        )


def _adolescent(world):
    from tests.support.personas import make_patient

    today = clock.today_in(world.riverside.timezone)
    return make_patient(
        world.riverside,
        "Tess",
        "Teen",
        today.replace(year=today.year - 16) - timedelta(days=30),
        team=(world.navigator,),
    )


def test_a_confidential_thread_is_hidden_from_a_caregiver(world):
    tess = _adolescent(world)
    own = patient_account(tess, "tess.portal")
    parent = caregiver_account(tess, "parent.teen", [PortalScope.MESSAGES])
    private = start(own, tess, confidential=True).thread
    shared = start(own, tess).thread
    parent_access = PortalAccess.objects.get(user=parent)
    listed = [t.pk for t in selectors.threads_for_portal(parent_access, 1)]
    assert listed == [shared.pk]
    with pytest.raises(Http404):
        selectors.thread_get_for_portal(parent_access, private.pk)
    with pytest.raises(Http404):
        services.message_send_portal(
            actor=parent, patient_id=tess.pk, thread_id=private.pk, body="What is this?"
        )
    # The team sees it.
    assert selectors.thread_get_for_staff(world.navigator, private.pk) == private


def test_only_an_adolescents_own_account_keeps_a_thread_confidential(world):
    # Alice is an adult: her threads are never marked confidential.
    with pytest.raises(ValidationError) as refused:
        start(patient_account(world.alice), world.alice, confidential=True)
    assert "confidential" in refused.value.message_dict
    tess = _adolescent(world)
    parent = caregiver_account(tess, "parent.teen", [PortalScope.MESSAGES])
    with pytest.raises(ValidationError):
        start(parent, tess, confidential=True)
    assert not Thread.objects.exists()


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_nothing_saved(world, settings):
    user = patient_account(world.alice)
    page = SimpleUploadedFile("notes.pdf", b"<html><script>x</script></html>", "application/pdf")
    with pytest.raises(ValidationError) as refused:
        start(user, world.alice, files=[photo(), page])
    assert "notes.pdf was not sent" in refused.value.message_dict["files"][0]
    assert not Thread.objects.exists() and not MessageAttachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.PALLIO_ATTACHMENT_MAX_BYTES = 50
    with pytest.raises(ValidationError):
        start(patient_account(world.alice), world.alice, files=[photo()])
    assert not Message.objects.exists()


def test_a_photo_is_kept_with_its_real_type(world):
    sent = start(patient_account(world.alice), world.alice, files=[photo("wound.png")])
    [item] = sent.message.attachments.all()
    assert (item.original_name, item.content_type) == ("wound.png", "image/png")


@pytest.mark.parametrize(
    ("body", "field"),
    [("", "body"), ("x" * 4001, "body"), ("nul\x00byte", "body")],
)
def test_bad_text_is_refused_with_a_clear_message(world, body, field):
    with pytest.raises(ValidationError) as refused:
        start(patient_account(world.alice), world.alice, body=body)
    assert field in refused.value.message_dict
    assert not Thread.objects.exists()


def test_staff_reply_needs_the_privilege_and_the_patients_access(world):
    from tests.support.personas import make_staff

    thread = start(patient_account(world.alice), world.alice).thread
    volunteer = make_staff(world.riverside, "vic", "clinician", "volunteer", "Vic", "Volunteer")
    from pallio.episodes.services import care_team_add

    care_team_add(actor=None, episode=world.alice.episodes.get(), user=volunteer)
    with pytest.raises(PrivilegeDenied):
        services.message_send_staff(actor=volunteer, thread=thread, body="Hi")
    # Sam (a social worker, not on alice's team) does not reach her thread.
    with pytest.raises(Http404):
        services.message_send_staff(actor=world.social_worker, thread=thread, body="Hi")
    with pytest.raises(Http404):
        selectors.thread_get_for_staff(world.hillside_nurse, thread.pk)
    assert thread.messages.count() == 1


def test_closing_a_thread_and_a_family_message_opens_it_again(world):
    user = patient_account(world.alice)
    thread = start(user, world.alice).thread
    services.thread_close(actor=world.navigator, thread=thread)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.CLOSED and not thread.awaiting_team
    with pytest.raises(ValidationError):
        services.message_send_staff(actor=world.navigator, thread=thread, body="More")
    services.message_send_portal(
        actor=user, patient_id=world.alice.pk, thread_id=thread.pk, body="One more thing"
    )
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN and thread.awaiting_team
