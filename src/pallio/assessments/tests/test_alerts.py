"""Alert rules (CLINICAL.md section 3 defaults): each fires a task for the right discipline,
once per report, and shows on the worklist until resolved with the action taken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pallio.assessments.models import Alert, AlertRule, SymptomReport
from pallio.assessments.services import (
    ReportInput,
    alert_acknowledge,
    alert_resolve,
    missing_reports_check,
    report_evaluate,
    report_submit,
)
from pallio.assessments.tests.helpers import esas, phq
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.episodes.services import care_team_add


def submit(world, key, answers, *, patient=None, at=None, respondent="patient"):
    report, _ = report_submit(
        actor=world.navigator,
        patient=patient or world.alice,
        data=ReportInput(key, answers, respondent, "call", answered_at=at),
    )
    return report


def evaluate(report):
    return report_evaluate(report_id=report.pk)


def only(alerts, rule_key):
    """The one alert of `rule_key` among those raised (a severe symptom also raises the
    HOPE in-person visit)."""
    [alert] = [a for a in alerts if a.rule_key == rule_key]
    return alert


@pytest.mark.django_db
def test_a_severe_symptom_raises_an_urgent_task_for_the_nurse_navigator_due_in_24_hours(world):
    report = submit(world, "esas-r", esas(pain=8, dyspnea=7))
    alert = only(evaluate(report), "esas-severe")
    assert "Pain 8" in alert.detail and "Shortness of breath 7" in alert.detail
    assert alert.discipline == "nurse_navigator" and alert.priority == 1
    assert alert.due_at - alert.raised_at == timedelta(hours=24)
    task = Task.objects.get(pk=alert.task_id)
    assert task.assigned_to == world.navigator and task.kind == "alert_follow_up"


@pytest.mark.django_db
def test_a_mild_score_raises_nothing_and_the_report_is_still_marked_evaluated(world):
    report = submit(world, "esas-r", esas(pain=3, nausea=3))
    assert evaluate(report) == []
    report.refresh_from_db()
    assert report.evaluated_at is not None


def test_a_score_of_6_is_not_severe_but_calls_for_the_hope_visit(world):
    assert [a.rule_key for a in evaluate(submit(world, "esas-r", esas(pain=6)))] == [
        "hope-in-person-visit"
    ]


@pytest.mark.django_db
def test_a_rise_of_3_since_the_last_report_raises_a_rise_of_2_does_not(world):
    now = clock.now()
    evaluate(submit(world, "esas-r", esas(nausea=1, anxiety=2), at=now - timedelta(days=7)))
    raised = evaluate(submit(world, "esas-r", esas(nausea=4, anxiety=4), at=now))
    assert {a.rule_key for a in raised} == {"esas-rise", "hope-in-person-visit"}
    rise = only(raised, "esas-rise")
    assert "Nausea 1 to 4" in rise.detail and "Anxiety" not in rise.detail


@pytest.mark.django_db
def test_each_report_raises_each_alert_once_however_often_it_is_evaluated(world):
    report = submit(world, "esas-r", esas(pain=9))
    assert {a.rule_key for a in evaluate(report)} == {"esas-severe", "hope-in-person-visit"}
    SymptomReport.objects.filter(pk=report.pk).update(evaluated_at=None)  # as if re-run
    assert evaluate(report) == []
    assert Alert.objects.filter(report=report).count() == 2
    assert Task.objects.filter(kind="alert_follow_up").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "rules"),
    [
        ((2, 1, 0, 0), {"phq2-positive"}),
        ((0, 0, 1, 2), {"gad2-positive"}),
        ((1, 1, 1, 1), set()),
        ((3, 3, 3, 3), {"phq2-positive", "gad2-positive"}),
    ],
)
def test_phq2_or_gad2_of_3_goes_to_psychosocial_follow_up(world, answers, rules):
    raised = evaluate(submit(world, "phq-4", phq(*answers)))
    assert {a.rule_key for a in raised} == rules
    assert all(a.discipline == "social_worker" for a in raised)


@pytest.mark.django_db
def test_distress_4_goes_to_the_social_worker_on_the_team(world):
    episode = world.alice.episodes.get()
    care_team_add(actor=None, episode=episode, user=world.social_worker)
    assert evaluate(submit(world, "distress-thermometer", {"score": 3})) == []
    [alert] = evaluate(submit(world, "distress-thermometer", {"score": 4}))
    assert alert.rule_key == "distress-4"
    assert Task.objects.get(pk=alert.task_id).assigned_to == world.social_worker


@pytest.mark.django_db
def test_function_falling_by_20_raises_by_10_does_not(world):
    now = clock.now()
    evaluate(submit(world, "pps", {"pps": "60"}, at=now - timedelta(days=14)))
    assert evaluate(submit(world, "pps", {"pps": "50"}, at=now - timedelta(days=7))) == []
    [alert] = evaluate(submit(world, "pps", {"pps": "30"}, at=now))
    assert alert.rule_key == "pps-fall" and "50 to 30" in alert.detail


@pytest.mark.django_db
def test_an_expected_weekly_report_missing_raises_once_per_gap(world):
    evaluate(submit(world, "esas-r", esas(), at=clock.now() - timedelta(days=9)))
    [alert] = missing_reports_check(program=world.riverside)
    assert alert.rule_key == "esas-missing" and alert.patient == world.alice
    assert missing_reports_check(program=world.riverside) == []
    evaluate(submit(world, "esas-r", esas()))
    assert missing_reports_check(program=world.riverside) == []


@pytest.mark.django_db
def test_a_program_can_change_a_rule_by_key(world):
    default = AlertRule.objects.get(program__isnull=True, key="distress-4")
    AlertRule.objects.create(
        program=world.riverside,
        key="distress-4",
        kind=default.kind,
        title="Distress 6+",
        instrument_key="distress-thermometer",
        scale="score",
        threshold=6,
        discipline="social_worker",
        due_hours=48,
    )
    assert evaluate(submit(world, "distress-thermometer", {"score": 5})) == []
    [alert] = evaluate(submit(world, "distress-thermometer", {"score": 6}))
    assert alert.title == "Distress 6+"


@pytest.mark.django_db
def test_report_records_who_answered_and_when(world):
    at = clock.now() - timedelta(hours=3)
    report = submit(world, "esas-r", esas(), at=at, respondent="caregiver")
    assert report.respondent == "caregiver" and report.answered_at == at
    assert report.entered_by == world.navigator and report.channel == "call"


@pytest.mark.django_db
def test_bad_reports_are_refused_and_nothing_is_written(world):
    cases = [
        ReportInput("esas-r", esas(pain=11), "patient", "call"),
        ReportInput("esas-r", {**esas(), "itch": 3}, "patient", "call"),
        ReportInput("esas-r", esas(), "neighbour", "call"),
        ReportInput("esas-r", esas(), "patient", "call", clock.now() + timedelta(days=1)),
        ReportInput("no-such", esas(), "patient", "call"),
    ]
    for data in cases:
        with pytest.raises(ValidationError):
            report_submit(actor=world.navigator, patient=world.alice, data=data)
    assert SymptomReport.objects.count() == 0


# --- the worklist ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_worklist_is_sorted_by_due_time_and_shows_only_reachable_patients(world, as_user):
    evaluate(submit(world, "phq-4", phq(3, 3, 0, 0)))  # due in 72 h
    evaluate(submit(world, "esas-r", esas(pain=9)))  # due in 24 h
    evaluate(submit(world, "esas-r", esas(pain=9), patient=world.hana))  # Hillside
    response = as_user(world.navigator).get(reverse("assessments:worklist") + "?scope=all")
    rows = response.context["page"].object_list
    assert [a.rule_key for a in rows] == ["esas-severe", "hope-in-person-visit", "phq2-positive"]
    assert "Hill" not in response.content.decode()
    # sam is not on alice's team: he sees only the alert waiting on the social workers'
    # program-wide queue (nobody of his discipline is on her team), not her other alerts.
    response = as_user(world.social_worker).get(reverse("assessments:worklist") + "?scope=all")
    assert [a.rule_key for a in response.context["page"].object_list] == ["phq2-positive"]


@pytest.mark.django_db
def test_acknowledge_then_resolve_with_the_action_taken_closes_the_task(world, as_user):
    alert = only(evaluate(submit(world, "esas-r", esas(pain=9))), "esas-severe")
    client = as_user(world.navigator)
    response = client.post(
        reverse("assessments:acknowledge", kwargs={"alert_id": alert.pk}),
        {"version": alert.version},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == world.navigator
    client.post(
        reverse("assessments:resolve", kwargs={"alert_id": alert.pk}),
        {"version": alert.version, "action_taken": ""},
    )
    alert.refresh_from_db()
    assert alert.status == "acknowledged"  # no action given: refused
    client.post(
        reverse("assessments:resolve", kwargs={"alert_id": alert.pk}),
        {"version": alert.version, "action_taken": "Called; breakthrough dose reviewed"},
    )
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.action_taken.startswith("Called")
    assert Task.objects.get(pk=alert.task_id).status == "done"


@pytest.mark.django_db
def test_a_stale_acknowledgement_is_a_conflict_not_an_overwrite(world):
    alert = only(evaluate(submit(world, "esas-r", esas(pain=9))), "esas-severe")
    stale = alert.version
    alert_acknowledge(actor=world.navigator, alert=alert, expected_version=stale)
    with pytest.raises(ConflictError):
        alert_resolve(
            actor=world.physician,
            alert=Alert.objects.get(pk=alert.pk),
            expected_version=stale,
            action_taken="x",
        )


@pytest.mark.django_db
def test_others_cannot_act_on_an_alert_of_a_patient_they_cannot_reach(world, as_user):
    alert = only(evaluate(submit(world, "esas-r", esas(pain=9))), "esas-severe")
    for user in (world.social_worker, world.hillside_nurse):
        response = as_user(user).post(
            reverse("assessments:resolve", kwargs={"alert_id": alert.pk}),
            {"version": alert.version, "action_taken": "x"},
        )
        assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"
