"""The alert worklist cannot be missed: severe and urgent first, the header's count is the
list's, each report's values and time shown with its alerts grouped, an alert nobody on the
team owns waits on the discipline's program-wide queue, and an alert nobody acknowledged
escalates to the team lead, then to the on-call clinician, once each."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from tests.support.personas import make_patient, make_staff
from tests.support.queries import prepared_statements

from pallio.assessments.escalation import alert_escalate, alerts_escalate, on_call_clinician
from pallio.assessments.models import Alert, AlertEscalation
from pallio.assessments.services import ReportInput, report_evaluate, report_submit
from pallio.assessments.tests.helpers import esas, phq
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.episodes.models import CareTeamMember

T0 = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York)


@pytest.fixture(autouse=True)
def _without_the_hope_visit(world):
    """These tests count the alerts of the worklist; Riverside turns the HOPE in-person visit
    rule off (as a program may), so a severe symptom raises just its own alerts here."""
    from pallio.assessments.models import AlertRule

    rule = AlertRule.objects.get(program=None, key="hope-in-person-visit")
    rule.pk = None
    rule.program = world.riverside
    rule.active = False
    rule.save()


def submit(world, key, answers, *, patient=None, at=None):
    report, _ = report_submit(
        actor=world.navigator,
        patient=patient or world.alice,
        data=ReportInput(key, answers, "patient", "portal", answered_at=at),
    )
    report_evaluate(report_id=report.pk)
    return report


def task_of(alert):
    return Task.objects.get(pk=str(alert.task_id))


def carl(world):
    """A patient whose team lead is the physician; the nurse navigator is on the team."""
    return make_patient(
        world.riverside,
        "Carl",
        "Cole",
        date(1944, 6, 2),
        team=(world.physician, world.navigator),
    )


def shown(client, query=""):
    response = client.get(reverse("assessments:worklist") + query)
    assert response.status_code == 200
    html = response.content.decode()
    header = re.search(r'data-testid="alert-counts"><strong>(\d+)</strong>', html)
    assert header is not None
    return int(header.group(1)), html.count('data-testid="alert-row"'), response


# --- the header and the list agree ------------------------------------------------------------


@pytest.mark.django_db
def test_the_header_count_is_the_number_of_alerts_the_list_shows(world, as_user):
    # The bug: the header counted every open alert of every reachable patient, the list
    # showed only "mine", so the medical director read "2 open" over "No alerts here".
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9))
        submit(world, "phq-4", phq(3, 3, 0, 0))
        count, rows, response = shown(as_user(world.director))
        assert (count, rows) == (0, 0)
        assert "No alerts here." in response.content.decode()
        for user in world.riverside_staff:
            if user.role == "privacy_officer":
                continue
            client = as_user(user)
            for query in ("", "?scope=discipline", "?scope=all", "?status=resolved"):
                count, rows, _ = shown(client, query)
                assert count == rows, f"{user.username} {query}: {count} counted, {rows} shown"
        count, rows, _ = shown(as_user(world.director), "?scope=all")
        assert (count, rows) == (2, 2)


# --- order, grouping and values ---------------------------------------------------------------


@pytest.mark.django_db
def test_urgent_alerts_come_before_routine_ones_due_sooner(world, as_user):
    with clock.frozen(T0 - timedelta(hours=60)):
        submit(world, "phq-4", phq(3, 3, 0, 0))  # routine, due T0 + 12 h
    care_team = world.alice.episodes.get()
    from pallio.episodes.services import care_team_add

    care_team_add(actor=None, episode=care_team, user=world.social_worker)
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9))  # urgent, due T0 + 24 h
        _, _, response = shown(as_user(world.physician), "?scope=all")
    assert [a.rule_key for a in response.context["page"].object_list] == [
        "esas-severe",
        "phq2-positive",
    ]


@pytest.mark.django_db
def test_the_alerts_of_one_report_are_grouped_with_its_time_and_values(world, as_user):
    with clock.frozen(T0 - timedelta(days=7)):
        submit(world, "esas-r", esas(pain=5, nausea=1))
    with clock.frozen(T0):
        report = submit(world, "esas-r", esas(pain=9, nausea=4))
        submit(world, "phq-4", phq(3, 3, 0, 0))
        _, rows, response = shown(as_user(world.navigator), "?scope=all")
    assert rows == 3
    groups = response.context["groups"]
    assert groups[0].report.pk == report.pk
    assert {a.rule_key for a in groups[0].alerts} == {"esas-severe", "esas-rise"}
    assert groups[0].values == ["Pain 9/10 (was 5)", "Nausea 4/10 (was 1)"]
    html = response.content.decode()
    assert "Report received 10 Mar 2025, 10:00 EDT" in html  # the program's time zone
    assert "Pain 9/10 (was 5) · Nausea 4/10 (was 1)" in html
    assert "2 alerts from this report" in html
    assert groups[1].values == ["PHQ-2 6/6", "GAD-2 0/6", "PHQ-4 total 6/12"]


@pytest.mark.django_db
def test_each_alert_links_to_the_trends_and_posts_to_its_own_actions(world, as_user):
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9))
        _, rows, response = shown(as_user(world.navigator), "?scope=all")
    assert rows == 1
    alert = Alert.objects.get(patient=world.alice, status="open")
    html = response.content.decode()
    trends = reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    assert f'<a href="{trends}">Anders, Alice</a>' in html
    for action in ("acknowledge", "resolve"):
        url = reverse(f"assessments:{action}", kwargs={"alert_id": alert.pk})
        assert f'<form method="post" action="{url}"' in html


# --- the discipline's program-wide queue ------------------------------------------------------


@pytest.mark.django_db
def test_an_alert_nobody_on_the_team_owns_waits_on_the_disciplines_queue(world, as_user):
    other_sw = make_staff(
        world.riverside, "stella", "clinician", "social_worker", "Stella", "Social"
    )
    with clock.frozen(T0):
        submit(world, "phq-4", phq(3, 3, 0, 0))
        submit(world, "phq-4", phq(3, 3, 0, 0), patient=world.hana)  # Hillside: unseen
    alert = Alert.objects.get(patient=world.alice)
    assert task_of(alert).assigned_to is None
    for sw in (world.social_worker, other_sw):
        _, rows, response = shown(as_user(sw))
        assert rows == 1
        html = response.content.decode()
        assert "No social worker / counselor on the team" in html
        assert "Take it and join the care team" in html
        take = reverse("assessments:take", kwargs={"alert_id": alert.pk})
        assert f'<form method="post" action="{take}" class="mb-2">' in html
        assert "Hill" not in html
    # The physician on the team sees it among the team's alerts, not as his own.
    assert shown(as_user(world.physician))[1] == 0
    assert shown(as_user(world.physician), "?scope=all")[1] == 1

    client = as_user(world.social_worker)
    assert client.get(reverse("assessments:trends", args=[world.alice.pk])).status_code == 404
    response = client.post(reverse("assessments:take", args=[alert.pk]), {"version": alert.version})
    assert response.status_code == 302
    assert task_of(alert).assigned_to == world.social_worker
    assert CareTeamMember.objects.filter(
        patient=world.alice, user=world.social_worker, active=True
    ).exists()
    assert client.get(reverse("assessments:trends", args=[world.alice.pk])).status_code == 200
    assert AuditEvent.objects.filter(event="alert.take").count() == 1
    # Taken: off the queue, so Stella no longer sees it; Sam sees it as his, unflagged.
    assert shown(as_user(other_sw))[1] == 0
    _, rows, response = shown(as_user(world.social_worker))
    assert rows == 1 and "on the team</span>" not in response.content.decode()


@pytest.mark.django_db
def test_only_the_alerts_discipline_can_take_it_off_the_queue(world, as_user):
    with clock.frozen(T0):
        submit(world, "phq-4", phq(3, 3, 0, 0))
    alert = Alert.objects.get()
    for user in (world.hillside_nurse, world.privacy):
        response = as_user(user).post(
            reverse("assessments:take", args=[alert.pk]), {"version": alert.version}
        )
        assert response.status_code in (403, 404)
    # The navigator reaches alice but is not a social worker: refused, nothing changes.
    as_user(world.navigator).post(
        reverse("assessments:take", args=[alert.pk]), {"version": alert.version}
    )
    assert task_of(alert).assigned_to is None
    assert (
        not CareTeamMember.objects.filter(user=world.navigator, patient=world.alice)
        .exclude(discipline="nurse_navigator")
        .exists()
    )


# --- escalation -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unacknowledged_alert_goes_to_the_lead_then_to_on_call_once_each(world, as_user):
    patient = carl(world)
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9), patient=patient)
    alert = Alert.objects.get()
    assert task_of(alert).assigned_to == world.navigator

    with clock.frozen(alert.due_at - timedelta(minutes=1)):
        assert alerts_escalate(program=world.riverside) == []
    with clock.frozen(alert.due_at + timedelta(minutes=1)):
        [step] = alerts_escalate(program=world.riverside)
        assert (step.step, step.to_user) == ("lead", world.physician)
        assert alerts_escalate(program=world.riverside) == []  # once
        # On top of the lead's worklist, marked, with the step shown on the alert.
        _, _, response = shown(as_user(world.physician))
        assert response.context["page"].object_list[0] == alert
        html = response.content.decode()
        assert "escalated to you" in html
        assert "Escalated to Phil Physician (team lead)" in html
    with clock.frozen(alert.due_at + timedelta(minutes=60)):
        assert alerts_escalate(program=world.riverside) == []  # an hour after the lead, not yet
    with clock.frozen(alert.due_at + timedelta(minutes=62)):
        [step] = alerts_escalate(program=world.riverside)
        assert (step.step, step.to_user) == ("on_call", world.oncall)
        assert alerts_escalate(program=world.riverside) == []
        _, _, response = shown(as_user(world.oncall))
        assert response.context["page"].object_list[0] == alert
    with clock.frozen(alert.due_at + timedelta(days=3)):
        assert alerts_escalate(program=world.riverside) == []
    assert AlertEscalation.objects.count() == 2
    assert AuditEvent.objects.filter(event="alert.escalate").count() == 2


@pytest.mark.django_db
def test_an_acknowledged_alert_does_not_escalate(world):
    patient = carl(world)
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9), patient=patient)
    alert = Alert.objects.get()
    from pallio.assessments.services import alert_acknowledge

    alert_acknowledge(actor=world.navigator, alert=alert, expected_version=alert.version)
    with clock.frozen(alert.due_at + timedelta(days=1)):
        assert alerts_escalate(program=world.riverside) == []
    assert not AlertEscalation.objects.exists()


@pytest.mark.django_db
def test_when_the_assignee_is_the_lead_the_alert_goes_straight_to_on_call(world):
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9))  # alice's lead is the navigator herself
    alert = Alert.objects.get()
    with clock.frozen(alert.due_at + timedelta(minutes=1)):
        [step] = alerts_escalate(program=world.riverside)
    assert (step.step, step.to_user) == ("on_call", world.oncall)


@pytest.mark.django_db
def test_the_program_names_its_on_call_clinician_and_its_escalation_delays(world):
    world.riverside.settings = {
        "alert_on_call_username": world.director.username,
        "alert_escalate_to_lead_minutes": 30,
        "alert_escalate_to_on_call_minutes": 15,
    }
    world.riverside.save()
    assert on_call_clinician(world.riverside, world.alice) == world.director
    patient = carl(world)
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9), patient=patient)
    alert = Alert.objects.get()
    with clock.frozen(alert.due_at + timedelta(minutes=29)):
        assert alert_escalate(alert_id=alert.pk) is None
    with clock.frozen(alert.due_at + timedelta(minutes=30)):
        step = alert_escalate(alert_id=alert.pk)
        assert step is not None and step.to_user == world.physician
    with clock.frozen(alert.due_at + timedelta(minutes=45)):
        step = alert_escalate(alert_id=alert.pk)
        assert step is not None and step.to_user == world.director
    # A named user who may not see the patient is passed over for the on-call role.
    world.riverside.settings = {"alert_on_call_username": world.social_worker.username}
    assert on_call_clinician(world.riverside, world.alice) == world.oncall


def test_report_values_show_what_is_moderate_or_worse_else_what_rose():
    from pallio.assessments import instruments as inst
    from pallio.assessments.tests.helpers import spec
    from pallio.assessments.worklist import report_values

    esas_spec = spec("esas-r")

    def scores(**values):
        return inst.score(esas_spec, esas(**values)).as_json()

    before = scores(pain=5, tiredness=0, nausea=0)
    assert report_values(esas_spec, scores(pain=9, tiredness=2), before) == ["Pain 9/10 (was 5)"]
    assert report_values(esas_spec, scores(pain=3, nausea=3), scores(pain=3)) == [
        "Nausea 3/10 (was 0)"
    ]
    assert report_values(esas_spec, scores(pain=7), None) == ["Pain 7/10"]


@pytest.mark.django_db
def test_the_worklist_costs_the_same_queries_for_one_report_or_many(world, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(world.navigator)
    patient = carl(world)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            shown(client, "?scope=all")
        return len(captured)

    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9))
        one = queries()
        for n in range(6):
            submit(world, "esas-r", esas(pain=9, nausea=n), patient=patient)
        AlertEscalation.objects.create(
            alert=Alert.objects.filter(patient=patient)[0],
            step="lead",
            to_user=world.physician,
            escalated_at=T0,
        )
        assert shown(client, "?scope=all")[1] == 7
        assert queries() == one


@pytest.mark.django_db
def test_pages_of_a_long_worklist_count_the_whole_list_and_past_the_end_show_the_last(
    world, as_user
):
    for day in range(28):
        with clock.frozen(T0 - timedelta(days=day, hours=1)):
            submit(world, "esas-r", esas(pain=9, nausea=day % 3))
    total = Alert.objects.filter(patient=world.alice).exclude(status="resolved").count()
    assert total > 25
    client = as_user(world.navigator)
    with clock.frozen(T0):
        count, first_rows, first = shown(client, "?scope=all")
        _, second_rows, second = shown(client, "?scope=all&page=2")
        _, past_rows, past = shown(client, "?scope=all&page=40")
    assert count == total
    assert (first_rows, second_rows, past_rows) == (25, total - 25, total - 25)
    assert past.context["page"].number == 2
    first_ids = [a.pk for a in first.context["page"].object_list]
    second_ids = [a.pk for a in second.context["page"].object_list]
    assert not set(first_ids) & set(second_ids)
    overdue = (
        Alert.objects.filter(patient=world.alice, due_at__lt=T0).exclude(status="resolved").count()
    )
    assert 0 < overdue < total
    assert first.context["counts"] == {"total": total, "overdue": overdue}
    assert second.context["counts"] == first.context["counts"]


@pytest.mark.django_db
def test_an_empty_worklist_reads_the_alerts_once_and_says_so(world, as_user):
    # Most clinicians open an empty "mine" list most days: its counts come with the first
    # page's query, not from counting the whole list a second time.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(world.navigator)
    with clock.frozen(T0), CaptureQueriesContext(connection) as captured:
        total, rows, response = shown(client)
    assert (total, rows) == (0, 0)
    assert response.context["counts"] == {"total": 0, "overdue": 0}
    reads = [q["sql"] for q in captured if 'FROM "assessments_alert"' in q["sql"]]
    assert len(reads) == 1
    # The list checks the program on the alert itself: joining the program's patients to
    # filter every open alert cost a third of the query on a program of 10,000.
    assert '"patients_patient"' not in reads[0]


@pytest.mark.django_db
def test_postgresql_plans_the_worklists_two_reads_once_and_nothing_else(world, as_user):
    # Planning took as long as running: the page's ids (2.4 ms planned), its rows with their
    # seven joins (5.7 ms planned, 1.7 ms run). The connection keeps those two prepared;
    # the escalations read with them, the session and the rest are planned each time.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's here")

    client = as_user(world.navigator)
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9))
        before = prepared_statements()
        pages = [shown(client, "?scope=all") for _ in range(3)]
    assert all(rows and rows == total for total, rows, _ in pages)
    new = prepared_statements() - before
    assert len(new) == 2, new
    assert {'"assessments_alert"' in s and "list_total" in s for s in new} == {True, False}
    assert all(s.startswith('SELECT "assessments_alert"') for s in new), new


# --- "mine": the list is its definition, read through its parts -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("mix", range(4))
def test_the_mine_list_holds_exactly_the_readers_tasks_queue_and_escalations(world, mix):
    """The list is read as the ids of its three parts (assigned, queued, escalated) rather
    than one test on every alert: it must still hold exactly what the definition says, for
    every reader, open and resolved, the queues of every discipline and both programs."""
    from pallio.assessments.worklist import WorklistFilters, alert_worklist_for
    from pallio.core import access
    from pallio.patients.models import Patient

    stella = make_staff(world.riverside, "stella", "clinician", "social_worker", "Stella", "S")
    with clock.frozen(T0):
        cole = carl(world)
        for patient in (world.alice, cole, world.bob, world.hana):
            submit(world, "esas-r", esas(pain=9), patient=patient)
            submit(world, "phq-4", phq(3, 3, 0, 0), patient=patient)
    alerts = list(Alert.objects.order_by("patient__family_name", "rule_key"))
    random.Random(mix).shuffle(alerts)  # which alerts get which of the changes below
    assert len(alerts) >= 8
    tasks = {a.pk: task_of(a) for a in alerts if a.task_id}
    # A mix: some tasks moved to another clinician, one to nobody (on the queue), two alerts
    # escalated to the on-call clinician, one resolved while assigned, one resolved on a queue.
    movers = [world.physician, world.social_worker, stella, world.navigator, None]
    for k, alert in enumerate(alerts):
        if alert.pk in tasks and k % 3 == 0:
            Task.objects.filter(pk=tasks[alert.pk].pk).update(assigned_to=movers[k % 5])
    for alert in alerts[1:3]:  # to the on-call clinician, who reaches every patient
        AlertEscalation.objects.create(
            alert=alert, step="on_call", to_user=world.oncall, escalated_at=T0
        )
    Alert.objects.filter(pk__in=[alerts[2].pk, alerts[-1].pk]).update(status="resolved")

    def expected(user, status):
        seen = set(
            Patient.objects.filter(access.patient_access_q(user)).values_list("pk", flat=True)
        )
        escalated = set(
            AlertEscalation.objects.filter(to_user=user).values_list("alert_id", flat=True)
        )
        ids = set()
        for alert in Alert.objects.select_related("task"):
            if (alert.status == "resolved") != (status == "resolved"):
                continue
            queued = (
                alert.task is not None
                and alert.task.assigned_to_id is None
                and alert.discipline == user.discipline
                and alert.program_id == user.program_id
                and access.has_perm(user, "alert.worklist")
            )
            mine = alert.task is not None and alert.task.assigned_to_id == user.pk
            if (alert.patient_id in seen or queued) and (mine or queued or alert.pk in escalated):
                ids.add(alert.pk)
        return ids

    kinds = set()
    with clock.frozen(T0):  # the on-call clinician's shift, and any break-glass, at T0
        for user in [*world.riverside_staff, stella, world.hillside_nurse]:
            for status in ("open", "resolved"):
                mine = WorklistFilters(scope="mine", status=status)
                got = set(alert_worklist_for(user, mine).values_list("pk", flat=True))
                assert got == expected(user, status), f"{user.username}, {status}"
                kinds.add((status, bool(got)))
    assert kinds == {("open", True), ("open", False), ("resolved", True), ("resolved", False)}
