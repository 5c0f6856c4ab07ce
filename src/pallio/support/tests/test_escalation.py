"""Escalation of calls nobody called back (issue 13, requirement 5): the second line, then
the backup, each step once; a red flag at once; an acknowledgement stops it."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.support import escalation
from pallio.support.escalation import call_acknowledge, calls_escalate
from pallio.support.models import Call, CallEscalation
from pallio.support.tests.ops_samples import NIGHT, RecordingSms, make_call, night_roster


@pytest.fixture(autouse=True)
def _pages(settings: Any) -> None:
    settings.PALLIO_SMS_BACKEND = "pallio.support.tests.ops_samples.RecordingSms"
    RecordingSms.sent.clear()


def sweep(world: Any, minutes_after_night: float) -> escalation.SweepResult:
    at = NIGHT + timedelta(minutes=minutes_after_night)
    with clock.frozen(at):
        return calls_escalate(program=world.riverside, now=at)


def steps(call: Call) -> list[tuple[str, str, str]]:
    return [
        (row.step, row.why, row.sent_to.username if row.sent_to else "")
        for row in CallEscalation.objects.filter(call=call).order_by("created_at")
    ]


@pytest.mark.django_db
def test_a_call_not_called_back_within_the_program_setting_pages_the_second_line(world):
    world.riverside.settings = {"support_callback_minutes": 20, "support_backup_minutes": 10}
    world.riverside.save()
    night_roster(world)
    call = make_call(world)

    assert sweep(world, 19).steps == []
    assert mail.outbox == []

    result = sweep(world, 20)
    assert [row.step for row in result.steps] == ["second_line"]
    assert result.pages_sent == 1
    assert steps(call) == [("second_line", "no_callback", "phil")]
    assert [m.to for m in mail.outbox] == [["phil@example.org"]]
    assert RecordingSms.sent[0][0] == "phil"
    row = CallEscalation.objects.get(call=call)
    assert row.sent_at is not None and row.channel == "email,sms" and not row.nobody_on_shift

    # Ten minutes later (the backup setting), still not called back: the backup.
    assert sweep(world, 29).steps == []
    sweep(world, 30)
    assert steps(call)[1] == ("backup", "no_callback", "dana")
    assert len(mail.outbox) == 2
    # Nothing more to do, however often the sweep runs.
    assert sweep(world, 90).steps == []
    assert len(mail.outbox) == 2
    events = AuditEvent.objects.filter(event="call.escalate", object_id=str(call.pk))
    assert events.count() == 2 and all(e.patient_id == world.alice.pk for e in events)


@pytest.mark.django_db
def test_a_red_flag_pages_the_second_line_at_once(world):
    night_roster(world)
    call = make_call(world, red_flag=True, called_back_at=NIGHT)
    sweep(world, 0)
    assert steps(call) == [("second_line", "red_flag", "phil")]
    assert "red flag" in mail.outbox[0].body
    # A red flag needs the physician whatever the callback: unacknowledged, it goes on.
    sweep(world, 15)
    assert [s[0] for s in steps(call)] == ["second_line", "backup"]


@pytest.mark.django_db
def test_a_call_back_in_time_escalates_nothing_and_a_late_one_stops_the_backup(world):
    night_roster(world)
    on_time = make_call(world, called_back_at=NIGHT + timedelta(minutes=10))
    late = make_call(world)
    sweep(world, 16)
    assert steps(on_time) == []
    assert len(steps(late)) == 1
    Call.objects.filter(pk=late.pk).update(called_back_at=NIGHT + timedelta(minutes=20))
    sweep(world, 40)
    assert len(steps(late)) == 1  # called back: no backup


@pytest.mark.django_db
def test_acknowledging_stops_the_escalation_and_is_audited(world):
    night_roster(world)
    call = make_call(world)
    sweep(world, 15)
    call.refresh_from_db()
    with clock.frozen(NIGHT + timedelta(minutes=17)):
        call_acknowledge(actor=world.physician, call=call, expected_version=call.version)
    call.refresh_from_db()
    assert call.acknowledged_by == world.physician
    assert call.acknowledged_at == NIGHT + timedelta(minutes=17)
    assert AuditEvent.objects.filter(
        event="call.acknowledge", user_id=world.physician.pk, patient_id=world.alice.pk
    ).exists()
    sweep(world, 60)
    assert [s[0] for s in steps(call)] == ["second_line"]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_acknowledging_twice_or_from_a_stale_page_is_refused(world):
    from django.core.exceptions import ValidationError

    night_roster(world)
    call = make_call(world)
    not_escalated = make_call(world, called_back_at=NIGHT)
    with pytest.raises(ValidationError, match="not been escalated"):
        call_acknowledge(actor=world.physician, call=not_escalated, expected_version=None)
    sweep(world, 15)
    call.refresh_from_db()
    with pytest.raises(ConflictError):
        call_acknowledge(actor=world.physician, call=call, expected_version=call.version + 5)
    call_acknowledge(actor=world.physician, call=call, expected_version=call.version)
    with pytest.raises(ValidationError, match="already acknowledged"):
        call_acknowledge(actor=world.oncall, call=call, expected_version=None)


@pytest.mark.django_db
def test_with_nobody_on_shift_the_medical_director_is_paged_and_the_screen_says_so(world):
    call = make_call(world)  # no roster at all
    sweep(world, 15)
    assert steps(call) == [("second_line", "no_callback", "dana")]
    row = CallEscalation.objects.get(call=call)
    assert row.nobody_on_shift
    assert "Nobody was on shift" in mail.outbox[0].body
    with clock.frozen(NIGHT + timedelta(minutes=16)):
        body = login(Client(), world.oncall).get(reverse("support:escalations")).content.decode()
    assert "nobody was on shift" in body
    assert "paged the medical director" in body


@pytest.mark.django_db
def test_a_page_names_no_patient(world):
    night_roster(world)
    make_call(world, story="Alice Anders has pain 9/10")
    sweep(world, 15)
    message = mail.outbox[0]
    text = f"{message.subject}\n{message.body}\n{RecordingSms.sent[0][1]}"
    for detail in ("Alice", "Anders", "pain", world.alice.mrn, "+1617"):
        assert detail not in text
    assert "/support/escalations/" in message.body


@pytest.mark.django_db
def test_a_step_another_sweep_wrote_is_neither_written_nor_paged_again(world):
    night_roster(world)
    call = make_call(world)
    sweep(world, 15)
    # The second sweep had picked the call before the first committed: it finds the step.
    at = NIGHT + timedelta(minutes=15)
    assert escalation.call_escalate(call_id=call.pk, now=at) is None
    row = CallEscalation.objects.get(call=call)
    assert escalation.escalation_page_send(escalation_id=row.pk) is False
    assert len(mail.outbox) == 1
    assert CallEscalation.objects.count() == 1


@pytest.mark.django_db
def test_a_page_the_mail_server_refused_is_sent_by_the_next_sweep_once(world, settings):
    night_roster(world)
    call = make_call(world)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    settings.PALLIO_SMS_BACKEND = "pallio.support.tests.ops_samples.BrokenSms"
    result = sweep(world, 15)
    assert result.pages_sent == 0
    row = CallEscalation.objects.get(call=call)
    assert row.sent_at is None and row.last_error.startswith("Not sent")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PALLIO_SMS_BACKEND = "pallio.support.tests.ops_samples.RecordingSms"
    assert sweep(world, 16).pages_sent == 1
    assert sweep(world, 17).pages_sent == 0
    row.refresh_from_db()
    assert row.sent_at is not None and row.last_error == ""
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_calls_entered_in_error_closed_or_of_another_program_are_left_alone(world):
    night_roster(world)
    make_call(world, status=Call.Status.CLOSED)
    wrong = make_call(world)
    Call.objects.filter(pk=wrong.pk).update(entered_in_error=True)
    Call.objects.create(
        program=world.hillside,
        patient=world.hana,
        caller_kind="patient",
        callback_number="+13125550133",
        received_at=NIGHT,
        reason="symptom",
        taken_by=world.hillside_nurse,
    )
    sweep(world, 60)
    assert CallEscalation.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_trail_deletable")
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="two sweeps at once need a server database"
)
def test_two_sweeps_at_once_write_and_page_each_step_once(world, settings):
    night_roster(world)
    calls = [make_call(world) for _ in range(40)]
    at = NIGHT + timedelta(minutes=15)
    start = threading.Barrier(2)
    results: list[Any] = []

    def run() -> None:
        start.wait()
        try:
            results.append(calls_escalate(program=world.riverside, now=at))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(r.steps) for r in results) == len(calls)
    assert sum(r.pages_sent for r in results) == len(calls)
    assert CallEscalation.objects.count() == len(calls)
    assert len(mail.outbox) == len(calls)
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == len(calls)


# --- the pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_escalations_page_lists_the_call_until_it_is_acknowledged(world):
    night_roster(world)
    call = make_call(world, red_flag=True)
    sweep(world, 1)
    client = login(Client(), world.physician)
    page = client.get(reverse("support:escalations"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Alice Anders" in body and "Red flag" in body and "I have it: acknowledge" in body
    assert AuditEvent.objects.filter(
        event="support.escalations", user_id=world.physician.pk
    ).exists()
    panel = client.get(reverse("support:escalations_panel") + "?next=/support/handoff/")
    assert panel.status_code == 200 and 'value="/support/handoff/"' in panel.content.decode()

    call.refresh_from_db()
    response = client.post(
        reverse("support:escalation_acknowledge", kwargs={"call_id": call.pk}),
        {"version": call.version, "next": "https://elsewhere.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/support/escalations/"
    call.refresh_from_db()
    assert call.acknowledged_by == world.physician
    body = client.get(reverse("support:escalations")).content.decode()
    assert "Alice Anders" not in body and "No escalated call is waiting" in body


@pytest.mark.django_db
def test_a_clinician_not_on_the_team_cannot_see_or_acknowledge_the_call(world):
    night_roster(world)
    call = make_call(world)
    sweep(world, 15)
    client = login(Client(), world.social_worker)  # not on alice's team
    assert "Alice" not in client.get(reverse("support:escalations")).content.decode()
    response = client.post(
        reverse("support:escalation_acknowledge", kwargs={"call_id": call.pk}), {"version": 1}
    )
    assert response.status_code == 404
    hillside = login(Client(), world.hillside_coordinator)
    response = hillside.post(
        reverse("support:escalation_acknowledge", kwargs={"call_id": call.pk}), {"version": 1}
    )
    assert response.status_code == 404
    call.refresh_from_db()
    assert call.acknowledged_at is None


@pytest.mark.django_db
def test_the_on_call_screen_includes_the_escalations_panel_by_name(world, rf):
    from django.template import RequestContext, Template

    night_roster(world)
    make_call(world, red_flag=True)
    sweep(world, 1)
    request = rf.get("/support/")
    request.user = world.oncall
    html = Template('{% include "support/_escalations.html" %}').render(RequestContext(request, {}))
    assert 'data-testid="escalated-call"' in html and "Alice Anders" in html
    assert 'name="next" value="/support/"' in html  # back to the screen after acknowledging
    request.user = world.privacy  # no clinical access: nothing shown
    assert "escalated-call" not in Template('{% include "support/_escalations.html" %}').render(
        RequestContext(request, {})
    )
