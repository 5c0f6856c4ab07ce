"""The assessment rules of CLINICAL.md sections 2-4, each at its boundary: the HOPE in-person
visit, the missing report by each patient's cadence, reports answered in part, the
suicide-risk screen, and the unstable phase that lasts too long."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pallio.assessments.models import Alert
from pallio.assessments.services import (
    ReportInput,
    alert_resolve,
    missing_reports_check,
    phase_record,
    report_evaluate,
    report_submit,
    unstable_phases_check,
)
from pallio.assessments.tests.helpers import esas, phq
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.services import care_team_add, episode_reporting_cadence_set

NEW_YORK = ZoneInfo("America/New_York")


def submit(world, key, answers, *, patient=None, at=None):
    report, _ = report_submit(
        actor=world.navigator,
        patient=patient or world.alice,
        data=ReportInput(key, answers, "patient", "visit", answered_at=at),
    )
    return report


def evaluate(report):
    return report_evaluate(report_id=report.pk)


def keys(alerts):
    return sorted(a.rule_key for a in alerts)


def alice_episode(world):
    return EpisodeOfCare.objects.get(patient=world.alice, status="active")


# --- HOPE: a moderate or severe symptom at screening -> in-person visit within 2 days ---------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pain", "hope"), [(0, False), (3, False), (4, True), (6, True), (7, True), (10, True)]
)
def test_hope_visit_from_a_moderate_symptom_at_screening(world, pain, hope):
    raised = keys(evaluate(submit(world, "esas-r", esas(pain=pain))))
    assert ("hope-in-person-visit" in raised) == hope
    assert ("esas-severe" in raised) == (pain >= 7)


@pytest.mark.django_db
def test_hope_visit_is_due_within_2_calendar_days_not_48_hours(world):
    # 23:30 the evening before clocks go forward: 48 hours later is already the third day.
    screened = datetime(2031, 3, 8, 23, 30, tzinfo=NEW_YORK)
    with clock.frozen(screened):
        [alert] = evaluate(submit(world, "esas-r", esas(nausea=5)))
    assert alert.rule_key == "hope-in-person-visit"
    later = screened.astimezone(UTC) + timedelta(hours=48)
    assert later.astimezone(NEW_YORK).date() == date(2031, 3, 11)
    task = Task.objects.get(pk=alert.task_id)
    assert task.due == date(2031, 3, 10)
    assert alert.due_at.astimezone(NEW_YORK).date() == date(2031, 3, 10)
    assert "In-person" in task.title and "Nausea 5" in task.title
    assert task.discipline == "nurse_navigator" and task.assigned_to == world.navigator


@pytest.mark.django_db
def test_one_hope_visit_is_pending_at_a_time(world):
    now = clock.now()
    [first] = evaluate(submit(world, "esas-r", esas(anxiety=5), at=now - timedelta(days=1)))
    assert evaluate(submit(world, "esas-r", esas(anxiety=5), at=now)) == []
    alert_resolve(
        actor=world.navigator, alert=first, expected_version=first.version, action_taken="Visited"
    )
    [again] = evaluate(submit(world, "esas-r", esas(anxiety=4)))
    assert again.rule_key == "hope-in-person-visit"


@pytest.mark.django_db
def test_the_hope_rule_is_data_a_program_can_turn_off(world):
    from pallio.assessments.models import AlertRule

    default = AlertRule.objects.get(program__isnull=True, key="hope-in-person-visit")
    assert default.active and default.due_days == 2 and "HOPE" in default.citation
    AlertRule.objects.create(
        program=world.riverside,
        key=default.key,
        kind=default.kind,
        title=default.title,
        instrument_key="esas-r",
        severity="moderate",
        discipline="nurse_navigator",
        due_hours=48,
        active=False,
    )
    assert evaluate(submit(world, "esas-r", esas(pain=5))) == []


# --- the missing report follows each patient's cadence --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cadence", "days_since", "alert"),
    [
        ("weekly", 7, False),
        ("weekly", 8, False),  # 7 days + 1 day's grace
        ("weekly", 8.01, True),
        ("fortnightly", 8.01, False),
        ("fortnightly", 15, False),
        ("fortnightly", 15.01, True),
        ("none", 60, False),
    ],
)
def test_missing_report_follows_the_patients_expected_cadence(world, cadence, days_since, alert):
    now = clock.now()
    report = submit(world, "esas-r", esas(), at=now - timedelta(days=40))
    evaluate(report)
    type(report).objects.filter(pk=report.pk).update(answered_at=now - timedelta(days=days_since))
    episode_reporting_cadence_set(
        actor=world.navigator, episode=alice_episode(world), cadence=cadence
    )
    raised = missing_reports_check(program=world.riverside, now=now)
    assert [a.patient for a in raised] == ([world.alice] if alert else [])
    if alert:
        assert raised[0].rule_key == "esas-missing"
        assert ("every 2 weeks" if cadence == "fortnightly" else "weekly") in raised[0].detail


@pytest.mark.django_db
def test_the_grace_period_is_a_program_setting(world):
    now = clock.now()
    evaluate(submit(world, "esas-r", esas(), at=now - timedelta(days=9)))
    world.riverside.settings = {**world.riverside.settings, "missing_report_grace_days": 3}
    world.riverside.save()
    assert missing_reports_check(program=world.riverside, now=now) == []
    [alert] = missing_reports_check(program=world.riverside, now=now + timedelta(days=1, hours=1))
    assert alert.patient == world.alice


@pytest.mark.django_db
def test_a_patient_with_no_report_counts_from_enrollment(world):
    start = alice_episode(world).start
    assert missing_reports_check(program=world.riverside, now=start + timedelta(days=8)) == []
    [alert] = missing_reports_check(program=world.riverside, now=start + timedelta(days=8, hours=1))
    assert alert.patient == world.alice  # bob has no team and no episode: nothing for him


@pytest.mark.django_db
def test_the_team_sets_the_cadence_on_the_symptom_page_and_it_is_audited(world, as_user):
    page = reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    response = as_user(world.physician).get(page)
    assert response.context["episode"].get_reporting_cadence_display() == "Weekly"
    response = as_user(world.physician).post(
        reverse("assessments:cadence", kwargs={"patient_id": world.alice.pk}),
        {"cadence": "fortnightly"},
        follow=True,
    )
    assert "Symptom reports expected: every 2 weeks." in response.content.decode()
    assert alice_episode(world).reporting_cadence == "fortnightly"
    event = AuditEvent.objects.get(event="episode.reporting_cadence")
    assert event.detail == {"from": "weekly", "to": "fortnightly"}


@pytest.mark.django_db
def test_someone_off_the_team_cannot_set_the_cadence(world, as_user):
    url = reverse("assessments:cadence", kwargs={"patient_id": world.alice.pk})
    for user in (world.social_worker, world.hillside_nurse):
        assert as_user(user).post(url, {"cadence": "none"}).status_code == 404
    assert alice_episode(world).reporting_cadence == "weekly"
    with pytest.raises(PermissionDenied):
        episode_reporting_cadence_set(
            actor=world.privacy, episode=alice_episode(world), cadence="none"
        )


# --- a report answered in part -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_pain_of_10_with_one_blank_item_is_kept_and_still_alerts(world):
    answers = esas(pain=10)
    del answers["wellbeing"]
    report = submit(world, "esas-r", answers)
    assert report.partial and report.unanswered == ["wellbeing"]
    assert report.primary_score is None and report.scores["incomplete"] == ["total"]
    assert "esas-severe" in keys(evaluate(report))


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "fires"), [(2, False), (3, True)])
def test_a_phq2_answered_in_part_alerts_when_what_was_answered_reaches_3(world, first, fires):
    answers = phq(first, 0, 0, 0)
    del answers["phq-2"]
    raised = evaluate(submit(world, "phq-4", answers))
    assert ("phq2-positive" in keys(raised)) == fires
    if fires:
        [alert] = [a for a in raised if a.rule_key == "phq2-positive"]
        assert "at least 3" in alert.detail and "not answered" in alert.detail


@pytest.mark.django_db
def test_a_complete_report_is_not_partial(world):
    report = submit(world, "esas-r", esas(pain=2))
    assert not report.partial and report.unanswered == []


@pytest.mark.django_db
def test_the_staff_form_keeps_a_report_with_blank_items_and_says_which(world, as_user):
    client = as_user(world.navigator)
    url = reverse("assessments:report", kwargs={"patient_id": world.alice.pk})
    data = {"respondent": "patient", "channel": "visit", "phase": "stable"}
    data.update({f"item_{k}": v for k, v in esas(pain=10).items() if k != "nausea"})
    data["item_nausea"] = ""
    response = client.post(url, data, follow=True)
    page = response.content.decode()
    assert "saved in part (1 not answered: Nausea)" in page
    assert 'data-testid="partial-report"' in page
    report = world.alice.symptom_reports.get()
    assert report.unanswered == ["nausea"]
    assert "esas-severe" in keys(evaluate(report))


# --- the suicide-risk screen (ASQ) ---------------------------------------------------------------


def asq(*yes: int, acute: bool | None = None) -> dict[str, str]:
    answers = {f"asq-{n}": "yes" if n in yes else "no" for n in range(1, 5)}
    if acute is not None:
        answers["asq-5"] = "yes" if acute else "no"
    return answers


@pytest.mark.django_db
def test_a_negative_asq_raises_nothing(world):
    assert evaluate(submit(world, "asq", asq(acute=False))) == []


@pytest.mark.django_db
@pytest.mark.parametrize("question", [1, 2, 3, 4])
def test_any_yes_to_questions_1_to_4_is_an_urgent_same_day_alert_for_physician_and_social_worker(
    world, question
):
    care_team_add(actor=None, episode=alice_episode(world), user=world.social_worker)
    morning = datetime(2031, 5, 6, 9, 15, tzinfo=NEW_YORK)
    with clock.frozen(morning):
        raised = evaluate(submit(world, "asq", asq(question, acute=False)))
    assert keys(raised) == ["asq-positive-physician", "asq-positive-social-worker"]
    for alert in raised:
        task = Task.objects.get(pk=alert.task_id)
        assert alert.priority == 1 and task.due == date(2031, 5, 6)
        assert alert.due_at.astimezone(NEW_YORK).date() == date(2031, 5, 6)
    assignees = {Task.objects.get(pk=a.task_id).assigned_to for a in raised}
    assert assignees == {world.physician, world.social_worker}


@pytest.mark.django_db
def test_a_yes_to_question_5_is_an_emergency_do_not_leave_the_patient_alone(world):
    raised = evaluate(submit(world, "asq", asq(1, acute=True)))
    assert keys(raised) == ["asq-acute-physician", "asq-acute-social-worker"]
    assert {a.discipline for a in raised} == {"physician", "social_worker"}
    assert all("do not leave the patient alone" in a.title for a in raised)
    assert all(a.priority == 1 for a in raised)


@pytest.mark.django_db
def test_an_asq_answered_in_part_with_a_yes_is_positive(world):
    report = submit(world, "asq", {"asq-1": "yes"})
    assert report.partial and report.unanswered == ["asq-2", "asq-3", "asq-4"]
    assert keys(evaluate(report)) == ["asq-positive-physician", "asq-positive-social-worker"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "offered"), [(1, 1, False), (2, 1, True), (3, 3, True)]
)
def test_the_psychological_domain_offers_the_asq_when_the_phq2_is_3_or_more(
    world, as_user, first, second, offered
):
    evaluate(submit(world, "phq-4", phq(first, second, 0, 0)))
    client = as_user(world.physician)
    client.post(reverse("assessments:assessment_start", kwargs={"patient_id": world.alice.pk}))
    response = client.get(reverse("assessments:assessment", kwargs={"patient_id": world.alice.pk}))
    page = response.content.decode()
    assert ('data-testid="offer-asq"' in page) == offered
    if offered:
        assert "screen for suicide risk with the ASQ" in page
        assert "?instrument=asq" in page


# --- an unstable phase that lasts too long ----------------------------------------------------


@pytest.mark.django_db
def test_an_unstable_phase_older_than_3_days_raises_one_alert(world):
    start = clock.now() - timedelta(days=10)
    phase_record(
        actor=world.navigator,
        patient=world.alice,
        phase="unstable",
        contact="visit",
        recorded_at=start,
    )
    program = world.riverside
    assert unstable_phases_check(program=program, now=start + timedelta(days=3)) == []
    [alert] = unstable_phases_check(program=program, now=start + timedelta(days=3, minutes=1))
    assert alert.rule_key == "phase-unstable-too-long" and alert.patient == world.alice
    assert alert.discipline == "physician"
    assert "unstable since" in alert.detail
    # Recorded again, still the same unstable phase: no second alert.
    phase_record(
        actor=world.navigator,
        patient=world.alice,
        phase="unstable",
        contact="call",
        recorded_at=start + timedelta(days=4),
    )
    assert unstable_phases_check(program=program, now=start + timedelta(days=5)) == []


@pytest.mark.django_db
def test_a_resolved_phase_raises_nothing_and_a_new_unstable_phase_raises_again(world):
    start = clock.now() - timedelta(days=20)
    record = {"actor": world.navigator, "patient": world.alice, "contact": "visit"}
    phase_record(**record, phase="unstable", recorded_at=start)
    phase_record(**record, phase="stable", recorded_at=start + timedelta(days=2))
    assert unstable_phases_check(program=world.riverside, now=start + timedelta(days=6)) == []
    phase_record(**record, phase="unstable", recorded_at=start + timedelta(days=7))
    [alert] = unstable_phases_check(program=world.riverside, now=start + timedelta(days=11))
    assert Alert.objects.filter(rule_key="phase-unstable-too-long").count() == 1
    assert alert.patient == world.alice


@pytest.mark.django_db
def test_the_days_an_unstable_phase_may_last_are_a_program_setting(world, as_user):
    start = clock.now() - timedelta(days=4, hours=1)
    phase_record(
        actor=world.navigator,
        patient=world.alice,
        phase="unstable",
        contact="visit",
        recorded_at=start,
    )
    world.riverside.settings = {**world.riverside.settings, "unstable_phase_alert_days": 5}
    world.riverside.save()
    assert unstable_phases_check(program=world.riverside) == []
    page = as_user(world.navigator).get(
        reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    )
    assert 'data-testid="unstable-flag"' not in page.content.decode()
    world.riverside.settings["unstable_phase_alert_days"] = 4
    world.riverside.save()
    [alert] = unstable_phases_check(program=world.riverside)
    assert "the program allows 4" in alert.detail
    page = as_user(world.navigator).get(
        reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    )
    assert "over 4 days" in page.content.decode()


@pytest.mark.django_db
def test_the_sweep_command_raises_the_unstable_phase_alert(world):
    from io import StringIO

    from django.core.management import call_command

    phase_record(
        actor=world.navigator,
        patient=world.alice,
        phase="unstable",
        contact="visit",
        recorded_at=clock.now() - timedelta(days=5),
    )
    out = StringIO()
    call_command("alerts", "sweep", "--no-missing", stdout=out)
    assert "raised 1 unstable-phase alert(s)" in out.getvalue()
    call_command("alerts", "sweep", "--no-missing", stdout=out)
    assert Alert.objects.filter(rule_key="phase-unstable-too-long").count() == 1
