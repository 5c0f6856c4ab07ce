"""The agenda Pallio builds for a team's weekly meeting: every reason, in plain words, with
thresholds from the program's settings, only for the team's own patients, at a fixed
number of queries whatever the size of the team."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.support.personas import make_patient

from pallio.assessments import services as assessments
from pallio.assessments.models import SymptomReport
from pallio.assessments.tests.samples import riverside_alert
from pallio.careplans.agenda import agenda_candidates, agenda_since
from pallio.careplans.idt import idt_agenda_build, idt_item_discuss, idt_meeting_create
from pallio.careplans.models import IdtAgendaItem, IdtMeeting, TaskKind
from pallio.careplans.services import care_plan_for_episode, task_create
from pallio.careplans.tests.idt_samples import planned_meeting, riverside_team
from pallio.core import clock
from pallio.core.words import day_text
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.tests.stay_helpers import a_stay
from pallio.visits.models import Visit

pytestmark = pytest.mark.django_db


def reasons_of(meeting: IdtMeeting, patient: Any) -> dict[str, list[str]]:
    item = IdtAgendaItem.objects.filter(meeting=meeting, patient=patient).first()
    if item is None:
        return {}
    found: dict[str, list[str]] = {}
    for reason in item.reasons:
        found.setdefault(reason["code"], []).append(reason["detail"])
    return found


def rebuilt(world: Any, meeting: IdtMeeting) -> IdtMeeting:
    meeting.refresh_from_db()
    return idt_agenda_build(actor=world.director, meeting=meeting, expected_version=meeting.version)


def today(world: Any) -> date:
    return clock.today_in(world.riverside.timezone)


def report(world: Any, patient: Any, key: str, answers: dict[str, Any]) -> None:
    assessments.instruments_sync_shipped()
    assessments.report_submit(
        actor=world.physician,
        patient=patient,
        data=assessments.ReportInput(key, answers, "clinician", "visit"),
    )


PPI_7_5 = {
    "pps": "10-20",
    "oral-intake": "severe",
    "edema": "yes",
    "dyspnea": "no",
    "delirium": "no",
}
PPI_3_5 = {"pps": "60+", "oral-intake": "normal", "edema": "no", "dyspnea": "yes", "delirium": "no"}
PAP_C = {
    "dyspnea": "yes",
    "anorexia": "yes",
    "kps": "10-20",
    "cps": "1-2",
    "wbc": 12,
    "lymphocytes": 10,
}
PAP_A = {"dyspnea": "no", "anorexia": "no", "kps": "30+", "cps": ">12", "wbc": 6, "lymphocytes": 25}


def test_a_new_admission_is_listed_with_its_date(world):
    meeting = planned_meeting(world)
    found = reasons_of(meeting, world.alice)
    assert found["new_admission"] == [f"Admitted to the program {day_text(today(world))}"]


def test_an_open_alert_is_listed_in_plain_words(world):
    riverside_alert(world)
    found = reasons_of(planned_meeting(world), world.alice)
    [detail] = [d for d in found["open_alert"] if d.startswith("Severe symptom")]
    assert "pain" in detail.lower()
    assert detail.endswith(f"(raised {day_text(today(world))})")


@pytest.mark.parametrize(
    "phase,label", [("unstable", "Unstable"), ("deteriorating", "Deteriorating")]
)
def test_an_unstable_or_deteriorating_phase_is_listed(world, phase, label):
    assessments.phase_record(
        actor=world.navigator, patient=world.alice, phase=phase, contact="visit"
    )
    found = reasons_of(planned_meeting(world), world.alice)
    assert found["phase"] == [f"{label} since {day_text(today(world))}"]


def test_a_stable_phase_is_not_a_reason(world):
    assessments.phase_record(
        actor=world.navigator, patient=world.alice, phase="stable", contact="visit"
    )
    assert "phase" not in reasons_of(planned_meeting(world), world.alice)


def test_a_hospital_stay_and_an_emergency_visit_are_listed(world):
    admitted = today(world) - timedelta(days=2)
    a_stay(
        actor=world.physician,
        patient=world.alice,
        admitted_on=admitted,
        facility="Riverside General",
        reason="Pneumonia",
    )
    a_stay(
        actor=world.physician,
        patient=world.alice,
        admitted_on=today(world) - timedelta(days=30),
        facility="Old Stay Hospital",
    )
    Visit.objects.create(
        program=world.riverside,
        patient=world.alice,
        clinician=world.physician,
        discipline="physician",
        setting="emergency",
        mode="in_person",
        started_at=clock.now() - timedelta(days=1),
        reason="Breathless",
    )
    found = reasons_of(planned_meeting(world), world.alice)["hospital_visit"]
    assert f"Admitted to Riverside General {day_text(admitted)}: Pneumonia" in found
    assert any(d.startswith("Seen in the emergency department") for d in found)
    assert not any("Old Stay" in d for d in found)


def test_a_death_since_the_last_meeting_is_listed_even_after_discharge(world):
    alice = world.alice
    alice.deceased_at = clock.now() - timedelta(days=1)
    alice.save(update_fields=["deceased_at"])
    EpisodeOfCare.objects.filter(patient=alice).update(status="finished", end=clock.now())
    found = reasons_of(planned_meeting(world), alice)
    assert found == {
        "death": [f"Died {day_text(alice.deceased_at.astimezone(_zone(world)).date())}"]
    }


def _zone(world: Any) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(world.riverside.timezone)


def test_a_care_plan_due_for_review_by_the_meeting_is_listed(world):
    episode = world.alice.episodes.get(status="active")
    plan = care_plan_for_episode(actor=world.physician, episode=episode)
    due = today(world) + timedelta(days=1)
    plan.review_due = due
    plan.save(update_fields=["review_due"])
    found = reasons_of(planned_meeting(world), world.alice)
    assert found["plan_review_due"] == [f"Care plan review due {day_text(due)}"]


def test_a_plan_reviewed_later_is_not_listed(world):
    episode = world.alice.episodes.get(status="active")
    care_plan_for_episode(actor=world.physician, episode=episode)  # due in 28 days
    assert "plan_review_due" not in reasons_of(planned_meeting(world), world.alice)


def test_overdue_tasks_are_listed_with_their_titles(world):
    task_create(
        actor=None,
        patient=world.alice,
        kind=TaskKind.FOLLOW_UP,
        title="Call the daughter",
        due=today(world) - timedelta(days=2),
    )
    found = reasons_of(planned_meeting(world), world.alice)
    due = day_text(today(world) - timedelta(days=2))
    assert found["overdue_task"] == [f"1 overdue task: Call the daughter (due {due})"]


def test_hospice_candidates_by_each_score(world):
    report(world, world.alice, "ppi", PPI_7_5)
    report(world, world.alice, "pap", PAP_C)
    report(world, world.alice, "fast", {"fast": "7b"})
    report(world, world.alice, "pps", {"pps": "50"})
    SymptomReport.objects.filter(instrument_key="pps").update(
        answered_at=clock.now() - timedelta(days=7)
    )
    report(world, world.alice, "pps", {"pps": "30"})
    found = reasons_of(planned_meeting(world), world.alice)["hospice_candidate"]
    day = day_text(today(world))
    assert f"PPI 7.5 on {day} (above 6)" in found
    assert f"PaP group C (score 17.5) on {day}" in found
    assert f"FAST stage 7b on {day} (7 or beyond)" in found
    assert f"PPS 30% on {day}, down from 50% (40% or less and falling)" in found


def pps_series(world: Any, *values: str) -> None:
    """PPS scores a week apart, the last today."""
    for weeks_ago, value in zip(range(len(values) - 1, -1, -1), values, strict=True):
        report(world, world.alice, "pps", {"pps": value})
        SymptomReport.objects.filter(
            instrument_key="pps", answered_at__gte=clock.now() - timedelta(seconds=1)
        ).update(answered_at=clock.now() - timedelta(days=7 * weeks_ago))


def test_a_low_pps_counts_only_when_it_is_falling(world):
    pps_series(world, "30")
    assert "hospice_candidate" not in reasons_of(planned_meeting(world), world.alice)
    pps_series(world, "30", "30")
    meeting = planned_meeting(world, when=clock.now() + timedelta(days=1))
    assert "hospice_candidate" not in reasons_of(meeting, world.alice)


def test_a_program_may_list_any_low_pps(world):
    pps_series(world, "30")
    program = world.riverside
    program.settings = {**program.settings, "idt_hospice_pps_must_fall": False}
    program.save(update_fields=["settings"])
    assert reasons_of(planned_meeting(world), world.alice)["hospice_candidate"] == [
        f"PPS 30% on {day_text(today(world))} (40% or less)"
    ]


def test_scores_below_the_thresholds_are_not_hospice_reasons(world):
    report(world, world.alice, "ppi", PPI_3_5)
    report(world, world.alice, "pap", PAP_A)
    report(world, world.alice, "fast", {"fast": "6e"})
    report(world, world.alice, "pps", {"pps": "50"})
    assert "hospice_candidate" not in reasons_of(planned_meeting(world), world.alice)


def test_the_latest_score_counts(world):
    report(world, world.alice, "ppi", PPI_7_5)
    SymptomReport.objects.filter(instrument_key="ppi").update(
        answered_at=clock.now() - timedelta(days=3)
    )
    report(world, world.alice, "ppi", PPI_3_5)
    assert "hospice_candidate" not in reasons_of(planned_meeting(world), world.alice)


def test_thresholds_come_from_the_program_settings(world):
    pps_series(world, "60", "40")
    report(world, world.alice, "ppi", PPI_7_5)
    program = world.riverside
    program.settings = {
        **program.settings,
        "idt_hospice_pps_at_most": 30,
        "idt_hospice_ppi_above": 8,
    }
    program.save(update_fields=["settings"])
    world.alice.program.refresh_from_db()
    assert "hospice_candidate" not in reasons_of(planned_meeting(world), world.alice)
    program.settings = {**program.settings, "idt_hospice_pps_at_most": 50}
    program.save(update_fields=["settings"])
    meeting = planned_meeting(world, when=clock.now() + timedelta(days=2))
    assert reasons_of(meeting, world.alice)["hospice_candidate"] == [
        f"PPS 40% on {day_text(today(world))}, down from 60% (50% or less and falling)"
    ]


def test_patients_of_another_team_or_program_are_not_listed(world):
    carol = make_patient(
        world.riverside, "Carol", "Other", date(1944, 2, 2), team=(world.social_worker,)
    )
    meeting = planned_meeting(world)
    patients = set(
        IdtAgendaItem.objects.filter(meeting=meeting).values_list("patient_id", flat=True)
    )
    assert patients == {world.alice.pk}
    assert (
        carol.pk not in patients and world.hana.pk not in patients and world.bob.pk not in patients
    )
    # The social worker's own team lists carol, not alice.
    sams = riverside_team(world, world.social_worker)
    other = planned_meeting(world, team=sams)
    assert set(
        IdtAgendaItem.objects.filter(meeting=other).values_list("patient_id", flat=True)
    ) == {carol.pk}


def test_a_member_who_left_the_care_team_no_longer_brings_the_patient(world):
    from pallio.episodes.models import CareTeamMember

    CareTeamMember.objects.filter(patient=world.alice).update(active=False)
    assert not IdtAgendaItem.objects.filter(meeting=planned_meeting(world)).exists()


def test_the_period_starts_at_the_previous_meeting(world):
    EpisodeOfCare.objects.filter(patient=world.alice).update(start=clock.now() - timedelta(days=5))
    team = riverside_team(world)
    first = planned_meeting(world, team, when=clock.now() - timedelta(days=3))
    second = planned_meeting(world, team, when=clock.now() + timedelta(days=4))
    assert first.agenda_since == first.scheduled_for - timedelta(days=7)
    assert agenda_since(second) == first.scheduled_for
    # alice was admitted before the previous meeting: no longer a new admission.
    assert "new_admission" in reasons_of(first, world.alice)
    assert "new_admission" not in reasons_of(second, world.alice)


def test_rebuilding_keeps_notes_already_written(world):
    dora = make_patient(world.riverside, "Dora", "Notes", date(1939, 3, 3), team=(world.navigator,))
    eli = make_patient(world.riverside, "Eli", "Plain", date(1938, 4, 4), team=(world.navigator,))
    team = riverside_team(world)
    meeting = planned_meeting(world, team)
    dora_item = IdtAgendaItem.objects.get(meeting=meeting, patient=dora)
    idt_item_discuss(
        actor=world.navigator,
        item=dora_item,
        discussion="Daughter worried about nights.",
        discussed=False,
        expected_version=dora_item.version,
    )
    # Both stop being new admissions: the team met in between (shift this meeting later).
    EpisodeOfCare.objects.filter(patient__in=[dora, eli]).update(
        start=clock.now() - timedelta(days=30)
    )
    riverside_alert(world)  # alice now has an alert too
    meeting = rebuilt(world, meeting)
    items = {i.patient_id: i for i in IdtAgendaItem.objects.filter(meeting=meeting)}
    assert items[dora.pk].discussion == "Daughter worried about nights."
    assert items[dora.pk].reasons == []
    assert eli.pk not in items
    assert "open_alert" in reasons_of(meeting, world.alice)
    assert items[world.alice.pk].position < items[dora.pk].position


def test_no_rebuild_once_the_meeting_has_started(world):
    from django.core.exceptions import ValidationError

    from pallio.careplans.idt import idt_meeting_start

    meeting = planned_meeting(world)
    idt_meeting_start(actor=world.director, meeting=meeting, expected_version=meeting.version)
    with pytest.raises(ValidationError, match="no longer rebuilt"):
        idt_agenda_build(actor=world.director, meeting=meeting)


def _add_busy_patients(world: Any, count: int, offset: int) -> None:
    for n in range(count):
        patient = make_patient(
            world.riverside,
            f"Busy{n + offset}",
            f"Patient{n + offset}",
            date(1940, 1, 1) + timedelta(days=n + offset),
            team=(world.navigator,),
        )
        assessments.phase_record(
            actor=world.navigator, patient=patient, phase="unstable", contact="visit"
        )
        task_create(
            actor=None,
            patient=patient,
            kind=TaskKind.FOLLOW_UP,
            title="Late call",
            due=today(world) - timedelta(days=1),
        )
        a_stay(
            actor=world.physician,
            patient=patient,
            admitted_on=today(world) - timedelta(days=1),
            facility="General",
        )
        report(world, patient, "pps", {"pps": "30"})


def _build_queries(world: Any, meeting: IdtMeeting) -> int:
    meeting.refresh_from_db()
    with CaptureQueriesContext(connection) as ctx:
        agenda_candidates(meeting, since=agenda_since(meeting))
    return len(ctx.captured_queries)


def test_building_costs_a_fixed_number_of_queries(world):
    riverside_alert(world)
    _add_busy_patients(world, 2, 0)
    meeting = planned_meeting(world)
    few = _build_queries(world, meeting)
    few_items = IdtAgendaItem.objects.filter(meeting=meeting).count()
    _add_busy_patients(world, 8, 100)
    many = _build_queries(world, meeting)
    assert few == many, f"{few} queries for {few_items} patients, {many} for 11"
    # The whole service too (locks, writes, audit), built afresh and rebuilt.
    with CaptureQueriesContext(connection) as ctx:
        fresh = idt_meeting_create(
            actor=world.director,
            team=riverside_team(world),
            scheduled_for=clock.now() + timedelta(days=3),
        )
    assert IdtAgendaItem.objects.filter(meeting=fresh).count() == 11
    assert len(ctx.captured_queries) < 40
