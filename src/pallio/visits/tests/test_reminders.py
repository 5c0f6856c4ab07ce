"""Visit reminders: sent at the program's times, once, to the living patient and the main
caregiver, for booked visits only, re-armed when a visit moves; the send log on the visit."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from pallio.acp.models import HealthcareAgent
from pallio.audit.models import AuditEvent
from pallio.core import clock, sms
from pallio.programs.setting_checks import setting_problems
from pallio.visits.models import ScheduledVisit
from pallio.visits.reminder_models import VisitReminder
from pallio.visits.reminders import (
    WITHHELD_DIED,
    WITHHELD_MOVED,
    reminder_plan_words,
    reminders_sweep,
)
from pallio.visits.services import scheduling
from pallio.visits.tests.scheduling_helpers import at, book

pytestmark = pytest.mark.django_db

PATIENT_EMAIL = "alice@example.net"
CAREGIVER_EMAIL = "andrew@example.org"


@pytest.fixture(autouse=True)
def _texts(settings: Any) -> Any:
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def with_family(world: Any) -> Any:
    alice = world.alice
    alice.email = PATIENT_EMAIL
    alice.save(update_fields=["email"])
    return HealthcareAgent.objects.create(
        program=world.riverside,
        patient=alice,
        name="Andrew Anders",
        relationship="CHILD",
        rank=0,
        phone="617-555-0144",
        email=CAREGIVER_EMAIL,
    )


def sweep_at(when: Any) -> Any:
    with clock.frozen(when):
        return reminders_sweep()


def sent_to() -> list[str]:
    return sorted([m.to[0] for m in mail.outbox] + [t.to for t in sms.outbox])


def test_the_reminders_go_at_the_programs_times_to_patient_and_caregiver(world):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    start = visit.starts_at

    assert sweep_at(start - timedelta(hours=24, minutes=1)).claimed == 0
    assert mail.outbox == [] and sms.outbox == []

    result = sweep_at(start - timedelta(hours=24))
    assert (result.claimed, result.sent) == (4, 4)
    assert sent_to() == sorted([PATIENT_EMAIL, CAREGIVER_EMAIL, "+16175550111", "+16175550144"])
    rows = VisitReminder.objects.filter(visit=visit)
    assert {(r.hours_before, r.recipient, r.channel, r.status) for r in rows} == {
        (24, "patient", "email", "sent"),
        (24, "patient", "sms", "sent"),
        (24, "caregiver", "email", "sent"),
        (24, "caregiver", "sms", "sent"),
    }

    # Between the two times nothing more goes; at two hours before, the second round.
    assert sweep_at(start - timedelta(hours=3)).claimed == 0
    result = sweep_at(start - timedelta(hours=2))
    assert (result.claimed, result.sent) == (4, 4)
    assert len(mail.outbox) == 4 and len(sms.outbox) == 4
    # The visit has started: nothing.
    assert sweep_at(start + timedelta(minutes=1)).claimed == 0


def test_a_sweep_run_again_sends_nothing_twice(world):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    when = visit.starts_at - timedelta(hours=23)
    sweep_at(when)
    again = sweep_at(when)
    assert (again.claimed, again.sent) == (0, 0)
    assert len(mail.outbox) == 2 and len(sms.outbox) == 2
    assert VisitReminder.objects.filter(visit=visit).count() == 4


def test_the_words_say_when_where_who_and_nothing_else(world):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    sweep_at(visit.starts_at - timedelta(hours=2))
    by_address = {m.to[0]: m for m in mail.outbox}
    patient, family = by_address[PATIENT_EMAIL], by_address[CAREGIVER_EMAIL]
    assert patient.subject.startswith("Reminder: a visit from Riverside Palliative Care on ")
    assert "This is a reminder of your visit" in patient.body
    assert "to the person you care for" in family.body
    for text in [patient.body, family.body, *(t.body for t in sms.outbox)]:
        assert "10:00" in text
        assert "At home" in text
        assert "a palliative physician" in text
        assert "(617) 555-0100" in text
        for secret in ("Alice", "Anders", "Elm Street", "Door code", "02139", "Phil"):
            assert secret not in text, (secret, text)
    assert "10:00 to 11:00" in patient.body


def test_no_reminder_for_a_cancelled_visit_or_a_patient_who_died(world):
    with_family(world)
    cancelled = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    scheduling.scheduled_visit_cancel(actor=world.navigator, visit=cancelled, reason="Admitted")
    assert sweep_at(cancelled.starts_at - timedelta(hours=2)).claimed == 0

    visit = book(world, starts_at=at(world, 4, 10), ends_at=at(world, 4, 11))
    world.alice.deceased_at = clock.now()
    world.alice.save(update_fields=["deceased_at"])
    assert sweep_at(visit.starts_at - timedelta(hours=2)).claimed == 0
    assert mail.outbox == [] and sms.outbox == []


def test_a_waiting_reminder_is_not_sent_once_the_patient_died(world, settings):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.visits.tests.test_reminders.BrokenSms"
    settings.EMAIL_BACKEND = "pallio.visits.tests.test_reminders.BrokenMail"
    sweep_at(visit.starts_at - timedelta(hours=24))
    assert set(VisitReminder.objects.values_list("status", flat=True)) == {"failed"}

    world.alice.deceased_at = clock.now()
    world.alice.save(update_fields=["deceased_at"])
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    result = sweep_at(visit.starts_at - timedelta(hours=23))
    assert result.withheld == 4 and result.sent == 0
    assert set(VisitReminder.objects.values_list("last_error", flat=True)) == {WITHHELD_DIED}
    assert mail.outbox == [] and sms.outbox == []


class BrokenSms:
    def send(self, *, to: str, body: str) -> None:
        raise ConnectionRefusedError("the provider refused the connection")


class BrokenMail:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("refused")


def test_a_failed_send_is_tried_again_later_on_the_same_row(world, settings):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.visits.tests.test_reminders.BrokenSms"
    first = visit.starts_at - timedelta(hours=24)
    result = sweep_at(first)
    assert (result.sent, result.failed) == (2, 2)
    failed = VisitReminder.objects.filter(channel="sms")
    assert {(r.status, r.attempts) for r in failed} == {("failed", 1)}
    assert failed[0].last_error == (
        "The text message could not be sent (the provider refused the connection)."
    )
    # Before the retry time nothing is tried.
    assert sweep_at(first + timedelta(minutes=4)).failed == 0
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.LocmemSmsBackend"
    result = sweep_at(first + timedelta(minutes=5))
    assert (result.claimed, result.sent) == (0, 2)
    assert {(r.status, r.attempts) for r in failed.all()} == {("sent", 2)}
    assert VisitReminder.objects.filter(visit=visit).count() == 4
    assert len(sms.outbox) == 2


def test_a_send_that_keeps_failing_is_given_up_after_the_last_try(world, settings):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.visits.tests.test_reminders.BrokenSms"
    when = visit.starts_at - timedelta(hours=24)
    for minutes in (0, 5, 20, 80, 200):
        sweep_at(when + timedelta(minutes=minutes))
    assert {(r.status, r.attempts) for r in VisitReminder.objects.filter(channel="sms")} == {
        ("gave_up", 4)
    }


def test_a_reminder_a_stopped_worker_left_half_sent_is_never_sent_again(world, as_user):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    first = visit.starts_at - timedelta(hours=24)
    assert sweep_at(first).sent == 4
    # A worker died after taking one reminder and before recording how the send went.
    stuck = VisitReminder.objects.filter(visit=visit, channel="email", recipient="patient")
    stuck.update(status="sending", sent_at=None, updated_at=first)
    mail.outbox.clear()
    sms.outbox.clear()
    assert sweep_at(first + timedelta(minutes=9)).sent == 0
    assert stuck.get().status == "sending"
    assert sweep_at(first + timedelta(minutes=11)).sent == 0
    row = stuck.get()
    assert row.status == "unknown" and row.next_attempt_at is None
    # Later sweeps, up to the next reminder time, send it to no one.
    assert sweep_at(first + timedelta(hours=3)).sent == 0
    assert mail.outbox == [] and sms.outbox == []
    with clock.frozen(first + timedelta(hours=3)):
        page = as_user(world.navigator).get(
            reverse("visits:scheduled", kwargs={"scheduled_visit_id": visit.pk})
        )
    text = page.content.decode()
    assert "Not confirmed" in text
    assert "may or may not have gone out" in text


def test_a_moved_visit_is_reminded_for_its_new_time(world):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    sweep_at(visit.starts_at - timedelta(hours=24))
    assert len(mail.outbox) == 2
    mail.outbox.clear()
    sms.outbox.clear()

    with clock.frozen(visit.starts_at - timedelta(hours=23)):
        moved = scheduling.scheduled_visit_reschedule(
            actor=world.navigator,
            visit=visit,
            starts_at=at(world, 3, 15),
            ends_at=at(world, 3, 16),
        )
    # The new time is 28 hours away: its day-before reminder waits for its own time.
    assert sweep_at(visit.starts_at - timedelta(hours=23)).claimed == 0
    result = sweep_at(moved.starts_at - timedelta(hours=24))
    assert (result.claimed, result.sent) == (4, 4)
    assert all("15:00" in m.body for m in mail.outbox)
    assert VisitReminder.objects.filter(visit=visit, visit_starts_at=moved.starts_at).count() == 4
    result = sweep_at(moved.starts_at - timedelta(hours=2))
    assert (result.claimed, result.sent) == (4, 4)
    # Nothing more for the old time's two-hour reminder.
    assert sweep_at(visit.starts_at - timedelta(hours=2)).claimed == 0


def test_a_reminder_waiting_for_the_old_time_is_not_sent(world, settings):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.visits.tests.test_reminders.BrokenSms"
    sweep_at(visit.starts_at - timedelta(hours=24))
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.LocmemSmsBackend"
    with clock.frozen(visit.starts_at - timedelta(hours=23)):
        scheduling.scheduled_visit_reschedule(
            actor=world.navigator, visit=visit, starts_at=at(world, 5, 10), ends_at=at(world, 5, 11)
        )
    result = sweep_at(visit.starts_at - timedelta(hours=23))
    assert result.withheld == 2 and result.claimed == 0
    old = VisitReminder.objects.filter(channel="sms")
    assert {r.last_error for r in old} == {WITHHELD_MOVED}


def test_a_visit_booked_late_gets_one_reminder_not_a_burst(world):
    with_family(world)
    start = at(world, 3, 10)
    visit = book(world, starts_at=start, ends_at=at(world, 3, 11))
    # Booked 2 h 30 min before: the day-before time has passed and the 2-hour one is near.
    assert sweep_at(start - timedelta(hours=2, minutes=30)).claimed == 0
    assert sweep_at(start - timedelta(hours=2)).claimed == 4
    hours = VisitReminder.objects.filter(visit=visit).values_list("hours_before", flat=True)
    assert set(hours) == {2}
    # Booked 20 hours before: the day-before reminder goes at once.
    later = book(world, starts_at=at(world, 4, 10), ends_at=at(world, 4, 11))
    assert sweep_at(later.starts_at - timedelta(hours=20)).claimed == 4


def test_one_reminder_per_address_and_none_without_one(world):
    alice = world.alice
    alice.email = CAREGIVER_EMAIL
    alice.phone = ""
    alice.save(update_fields=["email", "phone"])
    HealthcareAgent.objects.create(
        program=world.riverside,
        patient=alice,
        name="Andrew Anders",
        relationship="CHILD",
        email=CAREGIVER_EMAIL,
        phone="not a number",
    )
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    assert sweep_at(visit.starts_at - timedelta(hours=2)).claimed == 1
    assert [m.to for m in mail.outbox] == [[CAREGIVER_EMAIL]]
    assert "This is a reminder of your visit" in mail.outbox[0].body


def test_the_programs_settings_choose_whom_and_how(world):
    with_family(world)
    world.riverside.settings.update(
        visit_reminder_hours=[48],
        visit_reminder_recipients=["caregiver"],
        visit_reminder_channels=["sms"],
    )
    world.riverside.save()
    visit = book(world, starts_at=at(world, 4, 10), ends_at=at(world, 4, 11))
    assert sweep_at(visit.starts_at - timedelta(hours=49)).claimed == 0
    assert sweep_at(visit.starts_at - timedelta(hours=48)).claimed == 1
    assert sweep_at(visit.starts_at - timedelta(hours=2)).claimed == 0
    assert [t.to for t in sms.outbox] == ["+16175550144"]
    assert mail.outbox == []
    assert reminder_plan_words(world.riverside) == (
        "Reminders go 48 hours before the visit to the main caregiver, by text message."
    )
    world.riverside.settings["visit_reminder_hours"] = []
    world.riverside.save()
    assert reminder_plan_words(world.riverside) == "This program sends no visit reminders."


def test_a_video_visits_reminder_carries_its_join_link(world):
    with_family(world)
    world.riverside.settings["video_url_template"] = "https://video.example.org/join/{room}"
    world.riverside.save()
    visit = book(world, setting="telehealth", starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    assert visit.join_url.startswith("https://video.example.org/join/pallio-")
    sweep_at(visit.starts_at - timedelta(hours=2))
    assert all(visit.join_url in m.body for m in mail.outbox)
    assert all(visit.join_url in t.body and "By video" in t.body for t in sms.outbox)


def test_a_sent_reminder_is_audited_in_words(world):
    from pallio.audit.events import EVENT_PHRASES

    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    sweep_at(visit.starts_at - timedelta(hours=2))
    events = AuditEvent.objects.filter(event="visit_reminder.send", patient_id=world.alice.pk)
    assert events.count() == 4
    assert EVENT_PHRASES["visit_reminder.send"]


def test_the_console_backend_writes_the_message_and_sends_nothing(settings, capsys):
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.ConsoleSmsBackend"
    sms.sms_send(to="+16175550144", body="Riverside: reminder of your visit Thu 3 Dec at 10:00.")
    out = capsys.readouterr().out
    assert "Text message to …0144" in out
    assert "reminder of your visit Thu 3 Dec at 10:00." in out
    assert "+16175550144" not in out


def test_the_command_queues_the_sweep_once_and_runs_it_with_now(world):
    from django_tasks_db.models import DBTaskResult

    from pallio.visits.reminder_tasks import SWEEP_TASK_PATH

    call_command("reminders", "sweep")
    call_command("reminders", "sweep")
    assert DBTaskResult.objects.filter(task_path=SWEEP_TASK_PATH, status="READY").count() == 1
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    with clock.frozen(visit.starts_at - timedelta(hours=2)):
        call_command("reminders", "sweep", "--now")
    assert len(mail.outbox) == 2


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("visit_reminder_hours", [24, 24], "Give each reminder time once; 24 hours"),
        ("visit_reminder_hours", [0], "from 1 to 168 hours (a week) before the visit; 0 is not"),
        ("visit_reminder_hours", [200], "200 is not"),
        ("visit_reminder_hours", [1, 2, 3, 4, 5], "Give at most 4 reminder times."),
        ("visit_reminder_hours", ["24"], "whole numbers of hours"),
        ("visit_reminder_hours", [True], "whole numbers of hours"),
        ("visit_reminder_recipients", ["neighbour"], "Who receives visit reminders"),
        ("visit_reminder_channels", ["fax"], "How visit reminders are sent"),
        ("visit_reminder_channels", "email", "How visit reminders are sent"),
    ],
)
def test_bad_reminder_settings_are_named(key, value, words):
    problems = setting_problems(key, value)
    assert problems and words in " ".join(problems), problems


def test_good_reminder_settings_pass():
    assert setting_problems("visit_reminder_hours", [168, 24, 2, 1]) == []
    assert setting_problems("visit_reminder_hours", []) == []
    assert setting_problems("visit_reminder_recipients", ["patient", "caregiver"]) == []
    assert setting_problems("visit_reminder_channels", ["sms"]) == []


# --- the send log on the visit's page ------------------------------------------------------------


def test_the_send_log_shows_on_the_visit_masked_and_in_plain_words(world, as_user, settings):
    # Read at run time: the page walk's own checks (tests/test_plain_words.py).
    plain = importlib.import_module("tests.test_plain_words")

    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.visits.tests.test_reminders.BrokenSms"
    sweep_at(visit.starts_at - timedelta(hours=24))
    response = as_user(world.navigator).get(
        reverse("visits:scheduled", kwargs={"scheduled_visit_id": visit.pk})
    )
    assert response.status_code == 200
    text = plain.page_text(response)
    assert text is not None
    assert "Reminders go 24 and 2 hours before the visit to the patient and the main caregiver" in (
        " ".join(text.split())
    )
    html = response.content.decode()
    assert html.count('data-testid="reminder"') == 4
    assert "a•••@example.net" in html and "a•••@example.org" in html
    assert "number ending 0144" in html and "number ending 0111" in html
    for address in (PATIENT_EMAIL, CAREGIVER_EMAIL, "+16175550144", "617-555-0144"):
        assert address not in html
    assert "Email</strong> to the main caregiver" in html
    assert "Sent" in text and "Not sent yet, will try again" in text
    assert "The text message could not be sent" in text
    keys = plain.internal_keys()
    assert plain.problems_in(text, keys, plain._key_pattern(keys), plain.codes_of_names()) == []


def test_a_visit_with_no_reminder_yet_says_so(world, as_user):
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    response = as_user(world.physician).get(
        reverse("visits:scheduled", kwargs={"scheduled_visit_id": visit.pk})
    )
    assert "No reminder has been sent for this visit yet." in response.content.decode()
    assert ScheduledVisit.objects.get(pk=visit.pk).reminders.count() == 0
