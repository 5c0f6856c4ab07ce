"""One record of every kind the timeline shows, for alice, made with the existing services
where they exist and with the models where the services are still being written."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

from pallio.acp import services as acp_services
from pallio.acp.tests.factories import conversation_input
from pallio.assessments.models import Alert, Assessment, SymptomReport
from pallio.assessments.services import alert_resolve, phase_record
from pallio.assessments.tests.samples import riverside_alert
from pallio.careplans import services as plan_services
from pallio.careplans.models import (
    PROBLEM_SYSTEM,
    GoalReview,
    IdtAgendaItem,
    IdtMeeting,
    IdtTeam,
)
from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.core.models import versioned_save
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.tests.stay_helpers import a_stay
from pallio.referrals.models import Referral
from pallio.visits.models import (
    NoteAddendum,
    NoteTemplate,
    SummaryDelivery,
    Visit,
    VisitNote,
    VisitSummary,
)

_references = count(1)


def nurse_template(program: Any) -> NoteTemplate:
    template, _ = NoteTemplate.objects.get_or_create(
        program=program,
        key="timeline-nurse",
        defaults={
            "title": "Nurse visit note",
            "disciplines": ["nurse", "nurse_navigator"],
            "sections": [{"key": "assessment", "label": "Assessment", "required": True}],
        },
    )
    return template


def referral_for(world: Any, patient: Any, *, days_ago: int = 40) -> Referral:
    received = clock.now() - timedelta(days=days_ago)
    return Referral.objects.create(
        program=patient.program,
        reference=f"TL-{next(_references):05d}-{str(patient.pk)[:4]}",
        source="provider",
        status="accepted",
        received_at=received,
        first_contact_due=received.date() + timedelta(days=3),
        patient=patient,
        given_name=patient.given_name,
        family_name=patient.family_name,
        birth_date=patient.birth_date,
        diagnosis_system=ICD10CM,
        diagnosis_code="C34.90",
        diagnosis_display="Lung cancer",
        reasons=["symptoms"],
        referrer_name="Dr Rita Referrer",
        decided_at=received + timedelta(days=1),
        decided_by=world.coordinator,
    )


def visit_with_note(
    world: Any,
    patient: Any,
    *,
    days_ago: int = 3,
    signed: bool = True,
    reason: str = "Pain follow-up",
) -> tuple[Visit, VisitNote]:
    started = clock.now() - timedelta(days=days_ago)
    visit = Visit.objects.create(
        program=patient.program,
        patient=patient,
        episode=patient.episodes.filter(status="active").first(),
        clinician=world.navigator,
        discipline="nurse_navigator",
        setting="home",
        mode="in_person",
        started_at=started,
        reason=reason,
    )
    note = VisitNote.objects.create(
        program=patient.program,
        patient=patient,
        visit=visit,
        template=nurse_template(patient.program),
        author=world.navigator,
        content={"assessment": "Pain better with the new dose."},
        status="signed" if signed else "draft",
        signed_at=started + timedelta(hours=2) if signed else None,
        signed_by=world.navigator if signed else None,
    )
    return visit, note


def summary_for(visit: Visit, note: VisitNote, *, sent: bool = True) -> VisitSummary:
    signed_at = note.signed_at or clock.now()
    summary = VisitSummary.objects.create(
        program=visit.program, patient=visit.patient, visit=visit, note=note, content={}
    )
    SummaryDelivery.objects.create(
        summary=summary,
        audience="referrer",
        recipient_name="Dr Rita Referrer",
        to_email="rita@example.org",
        status="sent" if sent else "failed",
        attempts=1 if sent else 3,
        sent_at=signed_at + timedelta(minutes=5) if sent else None,
        last_error="" if sent else "Mailbox unavailable",
    )
    return summary


def one_of_each(world: Any) -> dict[str, Any]:
    """Alice with one record of every kind on the timeline, and one entered in error."""
    alice = world.alice
    tz_today = clock.today_in(alice.program.timezone)
    records: dict[str, Any] = {}

    records["referral"] = referral_for(world, alice)
    old = EpisodeOfCare.objects.create(
        program=alice.program,
        patient=alice,
        status="finished",
        start=clock.now() - timedelta(days=400),
        end=clock.now() - timedelta(days=300),
        first_visit_due=tz_today - timedelta(days=398),
    )
    records["old_episode"] = old

    alert = Alert.objects.get(pk=riverside_alert(world))
    alert_resolve(
        actor=world.navigator,
        alert=alert,
        expected_version=alert.version,
        action_taken="Called; breakthrough dose explained",
    )
    records["alert"] = alert
    records["report"] = SymptomReport.objects.filter(alerts=alert).get()
    records["assessment"] = Assessment.objects.create(
        program=alice.program,
        patient=alice,
        status="signed",
        started_by=world.physician,
        signed_at=clock.now() - timedelta(days=20),
        signed_by=world.physician,
    )
    records["phase"] = phase_record(
        actor=world.navigator, patient=alice, phase="unstable", contact="call"
    )

    conversation = acp_services.conversation_create(
        actor=world.physician,
        patient=alice,
        data=conversation_input("comfort-focused", 5),
        sign=True,
    )
    records["conversation"] = conversation
    first = acp_services.code_status_change(
        actor=world.physician,
        patient=alice,
        status="full_code",
        effective_date=tz_today,
        expected_current_id=None,
    )
    records["code_status"] = acp_services.code_status_change(
        actor=world.physician,
        patient=alice,
        status="dnr",
        effective_date=tz_today,
        expected_current_id=first.pk,
    )
    acp_services.acp_record_mark_entered_in_error(
        actor=world.physician, patient=alice, record=first, reason="Recorded on the wrong patient"
    )
    records["code_status_in_error"] = first

    visit, note = visit_with_note(world, alice)
    records["visit"], records["note"] = visit, note
    records["addendum"] = NoteAddendum.objects.create(
        note=note, author=world.navigator, reason="Late entry", text="Son present too."
    )
    records["summary"] = summary_for(visit, note)
    wrong_visit, wrong_note = visit_with_note(world, alice, days_ago=2, reason="Wrong chart")
    for record in (wrong_visit, wrong_note):
        record.entered_in_error = True
        record.entered_in_error_at = clock.now() - timedelta(days=1)
        record.entered_in_error_by = world.navigator
        record.entered_in_error_reason = "Documented on the wrong patient"
    wrong_visit.save()
    wrong_note.save()
    records["wrong_note"] = wrong_note
    _, cosigned = visit_with_note(world, alice, days_ago=6, reason="Trainee visit")
    cosigned.cosign_required, cosigned.supervisor = True, world.physician
    cosigned.cosigned_at = clock.now() - timedelta(days=5)
    cosigned.cosigned_by = world.physician
    cosigned.save()
    _, awaiting = visit_with_note(world, alice, days_ago=7, reason="Second trainee visit")
    awaiting.status, awaiting.cosign_required = "awaiting_cosign", True
    awaiting.supervisor = world.physician
    awaiting.save()
    records["cosigned_note"], records["awaiting_note"] = cosigned, awaiting
    failed_visit, failed_note = visit_with_note(world, alice, days_ago=1, reason="Breathless")
    records["failed_summary"] = summary_for(failed_visit, failed_note, sent=False)

    plan = plan_services.care_plan_for_episode(
        actor=world.physician, episode=alice.episodes.get(status="active")
    )
    problem = plan_services.problem_add(
        actor=world.physician,
        plan=plan,
        domain="physical",
        code_system=PROBLEM_SYSTEM,
        code="pain",
        display="Cancer pain",
    )
    goal = plan_services.goal_add(
        actor=world.physician,
        plan=plan,
        patient_words="I want to walk to the garden",
        target="Pain under 4 most days",
        review_date=tz_today + timedelta(days=14),
        problem=problem,
    )
    intervention = plan_services.intervention_add(
        actor=world.physician,
        plan=plan,
        description="Titrate long-acting morphine",
        discipline="physician",
        problem=problem,
    )
    goal.target = "Pain under 3 most days"
    goal.updated_by = world.navigator
    versioned_save(goal, goal.version, ["target", "updated_by"])
    GoalReview.objects.create(
        goal=goal,
        outcome="partly_met",
        comment="Pain 4 most days",
        reviewed_by=world.navigator,
        reviewed_at=clock.now(),
    )
    records.update(plan=plan, problem=problem, goal=goal, intervention=intervention)

    records["hospital_stay"] = a_stay(
        actor=world.physician,
        patient=alice,
        admitted_on=tz_today - timedelta(days=30),
        discharged_on=tz_today - timedelta(days=26),
        facility="Mercy General",
        reason="Pneumonia",
    )

    team = IdtTeam.objects.create(program=alice.program, name="North team")
    meeting = IdtMeeting.objects.create(
        program=alice.program, team=team, scheduled_for=clock.now() - timedelta(days=1)
    )
    records["idt_item"] = IdtAgendaItem.objects.create(
        meeting=meeting,
        patient=alice,
        episode=alice.episodes.get(status="active"),
        discussion="Pain better; review the goal next week.",
        discussed_at=clock.now() - timedelta(days=1),
        discussed_by=world.director,
    )
    return records
