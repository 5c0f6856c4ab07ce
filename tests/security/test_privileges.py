"""Clinical privileges (core/privileges.py): every clinical action, as every role and every
discipline, through the service and through the page or API that performs it.

The expected answer is read from core/data/privileges.json itself, not from the module under
test: a person may act when their role and their discipline are both listed, and a void also
needs every privilege that creates the record. Allowed: the record is written. Refused: the
service raises PrivilegeDenied, the page or API answers 403 with the plain message, and
nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from pallio.accounts.models import Role, User
from pallio.acp import services as acp
from pallio.acp.models import CodeStatus, GoalsOfCareConversation, HealthcareAgent, PortableOrder
from pallio.adt import services as adt_services
from pallio.adt.models import AdtMessage
from pallio.adt.tests.samples import held_message
from pallio.assessments import services as assessments
from pallio.assessments.models import Assessment, AssessmentSection, PhaseOfCare, SymptomReport
from pallio.assessments.tests.helpers import esas
from pallio.careplans import idt
from pallio.careplans import services as careplans
from pallio.careplans.models import PROBLEM_SYSTEM, CarePlan, IdtMeeting, Problem
from pallio.careplans.tests.factories import plan_of
from pallio.core import clock, privileges
from pallio.core.codes import Discipline
from pallio.core.privileges import DATA_FILE, PrivilegeDenied
from pallio.episodes import hospice, stays
from pallio.episodes.discharge import episode_discharge, episode_reenroll
from pallio.episodes.models import CareTeamMember, HospiceReferral, HospitalStay, StayReview
from pallio.episodes.stay_reviews import stay_review_record
from pallio.episodes.tests.stay_helpers import noon
from pallio.medications import services as medications
from pallio.medications.allergies import allergy_end, allergy_record
from pallio.medications.models import Allergy, MedicationStatement
from pallio.support import services as support_services
from pallio.support.models import Call, DeathReport, Line, Shift
from pallio.support.tests.helpers import call_input
from pallio.visits import services as visits
from pallio.visits.models import NoteAddendum, Visit, VisitNote
from pallio.visits.selectors import note_template_for
from pallio.visits.services import note_templates_sync_shipped
from pallio.visits.services import scheduling as visit_scheduling
from tests.support.personas import login, make_patient

ROLES = [r.value for r in Role]
# Roles that reach no patient: refused at the patient, before any clinical privilege is asked.
NO_PATIENT_ROLES = (Role.PRIVACY_OFFICER, Role.PROGRAM_ADMIN)
DISCIPLINES = list(Discipline.values)
RAW = json.loads(DATA_FILE.read_text("utf-8"))["actions"]
# Actions defined ahead of the service that will perform them (notes come with the visit
# notes; a medication change with the dose-change form). Checked through `can` below.
NOT_YET_PERFORMED = {
    "medication.change",
}


def expected(action: str, role: str, discipline: str) -> bool:
    entry = RAW[action]
    ok = role in entry["roles"] and discipline in entry["disciplines"]
    return ok and all(expected(created, role, discipline) for created in entry.get("voids", []))


# --- the people and the patients ---------------------------------------------------------------


@dataclass
class Grid:
    world: Any
    users: list[User]
    patients: dict[str, Any]

    def patient_for(self, action: str) -> Any:
        """Alice; a child for the child-and-family domain, a young adult for the AYA one."""
        years = 9 if ".pediatric." in action else 24 if ".young_adult." in action else None
        if years is None:
            return self.world.alice
        if action not in self.patients:
            today = clock.today_in(self.world.riverside.timezone)
            patient = make_patient(
                self.world.riverside,
                "Cody" if years == 9 else "Yara",
                "Young",
                today - timedelta(days=365 * years + 30),
                team=(self.world.physician,),
            )
            self._join(patient)
            self.patients[action] = patient
        return self.patients[action]

    def _join(self, patient: Any) -> None:
        team_join(patient.episodes.get(status="active"), self.users)


def team_join(episode: Any, users: list[User]) -> None:
    """Put the grid's care-team clinicians on `episode`'s team (program-wide roles reach every
    patient). Set-up, not under test: the rows are written at once (care_team_add, which
    enrollment uses, is tested in pallio.episodes)."""
    on_team = set(episode.team.filter(active=True).values_list("user_id", flat=True))
    CareTeamMember.objects.bulk_create(
        CareTeamMember(
            episode=episode,
            patient_id=episode.patient_id,
            user=user,
            discipline=user.discipline,
        )
        for user in users
        if user.role == Role.CLINICIAN and user.pk not in on_team
    )


@pytest.fixture
def grid(world) -> Grid:
    """One Riverside user per role and discipline; the care-team clinicians on alice's team."""
    assessments.instruments_sync_shipped()
    users = User.objects.bulk_create(
        [
            User(
                username=f"{role}-{discipline}",
                password="!",
                program=world.riverside,
                role=role,
                discipline=discipline,
                first_name=role,
                last_name=discipline,
            )
            for role in ROLES
            for discipline in DISCIPLINES
        ]
    )
    users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("pk"))
    # The on-call role reaches every patient only while on shift (issue 13): the grid's
    # on-call users hold a shift covering any moment a test may freeze the clock at.
    Shift.objects.bulk_create(
        Shift(
            program=world.riverside,
            line=Line.BACKUP,
            user=user,
            starts_at=world.oncall_shift.starts_at,
            ends_at=world.oncall_shift.ends_at,
            source=Shift.Source.MANUAL,
        )
        for user in users
        if user.role == Role.ON_CALL
    )
    grid = Grid(world, users, {})
    grid._join(world.alice)
    return grid


def _today(grid: Grid) -> date:
    return clock.today_in(grid.world.riverside.timezone)


# --- each action: set the stage, perform it (service or HTTP), and tell whether it wrote -------


@dataclass
class Case:
    prepare: Callable[[Grid, str], Any]
    service: Callable[[Grid, User, Any], Any]
    written: Callable[[Grid, User, Any], bool]
    http: Callable[[Grid, Client, Any], Any] | None = None


def _no_code_status(g: Grid, _: str) -> Any:
    CodeStatus.objects.filter(patient=g.world.alice).update(entered_in_error=True)
    return None


def _a_code_status(g: Grid, _: str) -> CodeStatus:
    current = acp.current_code_status_of(g.world.alice)
    return acp.code_status_change(
        actor=g.world.physician,
        patient=g.world.alice,
        status="dnr",
        effective_date=_today(g),
        expected_current_id=current.pk if current else None,
    )


def _code_status_by(g: Grid, actor: User, current: Any) -> None:
    acp.code_status_change(
        actor=actor,
        patient=g.world.alice,
        status="full_code",
        effective_date=_today(g),
        expected_current_id=current.pk if current else None,
    )


def _code_status_post(g: Grid, client: Client, current: Any) -> Any:
    return client.post(
        reverse("acp:code_status", kwargs={"patient_id": g.world.alice.pk}),
        {
            "cs-status": "full_code",
            "cs-effective_date": _today(g).isoformat(),
            "cs-current_id": str(current.pk) if current else "",
        },
    )


def _order_input(g: Grid) -> acp.PortableOrderInput:
    return acp.PortableOrderInput(
        form_type="POLST",
        signer_name="Dr Phil Physician",
        signer_role="physician",
        effective_date=_today(g),
        cpr="attempt",
        medical_interventions="full",
        artificial_nutrition="long_term",
    )


def _no_order(g: Grid, _: str) -> Any:
    PortableOrder.objects.filter(patient=g.world.alice).update(entered_in_error=True)
    return None


def _an_order(g: Grid, _: str) -> PortableOrder:
    current = acp.current_portable_order_of(g.world.alice)
    return acp.portable_order_record(
        actor=g.world.physician,
        patient=g.world.alice,
        data=_order_input(g),
        expected_current_id=current.pk if current else None,
    )


def _order_by(g: Grid, actor: User, current: Any) -> None:
    acp.portable_order_record(
        actor=actor,
        patient=g.world.alice,
        data=_order_input(g),
        expected_current_id=current.pk if current else None,
    )


def _order_post(g: Grid, client: Client, current: Any) -> Any:
    return client.post(
        reverse("acp:portable_order", kwargs={"patient_id": g.world.alice.pk}),
        {
            "order-form_type": "POLST",
            "order-signer_name": "Dr Phil Physician",
            "order-signer_role": "physician",
            "order-effective_date": _today(g).isoformat(),
            "order-cpr": "attempt",
            "order-medical_interventions": "full",
            "order-artificial_nutrition": "long_term",
            "order-current_id": str(current.pk) if current else "",
        },
    )


def _new_rows(model: Any, **filters: Any) -> Callable[[Grid, User, Any], bool]:
    def written(g: Grid, actor: User, _: Any) -> bool:
        return model.objects.filter(**filters, **{_author_field(model): actor}).exists()

    return written


def _author_field(model: Any) -> str:
    return {
        CodeStatus: "recorded_by",
        PortableOrder: "recorded_by",
        MedicationStatement: "recorded_by",
        Allergy: "recorded_by",
        SymptomReport: "entered_by",
        PhaseOfCare: "recorded_by",
        AssessmentSection: "author",
        Assessment: "signed_by",
        GoalsOfCareConversation: "signed_by",
    }[model]


def _voided(model: Any) -> Callable[[Grid, User, Any], bool]:
    def written(g: Grid, actor: User, record: Any) -> bool:
        record = model.objects.get(pk=record.pk)
        return record.entered_in_error and record.entered_in_error_by_id == actor.pk

    return written


def _void_by(g: Grid, actor: User, record: Any) -> None:
    acp.acp_record_mark_entered_in_error(
        actor=actor, patient=g.world.alice, record=record, reason="Entered on the wrong patient"
    )


def _void_post(kind: str) -> Callable[[Grid, Client, Any], Any]:
    def post(g: Grid, client: Client, record: Any) -> Any:
        return client.post(
            reverse("acp:entered_in_error", kwargs={"patient_id": g.world.alice.pk}),
            {"kind": kind, "record_id": str(record.pk), "reason": "Entered on the wrong patient"},
        )

    return post


def _a_medication(g: Grid, _: str) -> MedicationStatement:
    return medications.medication_add(
        actor=g.world.physician,
        patient=g.world.alice,
        data=medications.MedicationInput(catalog_key="senna", dose_amount="8.6"),
    )


def _stop_by(error: bool) -> Callable[[Grid, User, Any], None]:
    def stop(g: Grid, actor: User, statement: Any) -> None:
        medications.medication_stop(
            actor=actor,
            statement=statement,
            expected_version=statement.version,
            entered_in_error=error,
        )

    return stop


def _stop_post(error: bool) -> Callable[[Grid, Client, Any], Any]:
    def post(g: Grid, client: Client, statement: Any) -> Any:
        data = {"statement": str(statement.pk), "version": statement.version}
        if error:
            data["entered_in_error"] = "on"
        return client.post(
            reverse("medications:stop", kwargs={"patient_id": g.world.alice.pk}), data
        )

    return post


def _stopped(status: str) -> Callable[[Grid, User, Any], bool]:
    def written(g: Grid, actor: User, statement: Any) -> bool:
        return MedicationStatement.objects.get(pk=statement.pk).status == status

    return written


def _no_allergy(g: Grid, _: str) -> None:
    Allergy.objects.filter(patient=g.world.alice).update(status=Allergy.Status.ENTERED_IN_ERROR)


def _an_allergy(g: Grid, action: str) -> Allergy:
    _no_allergy(g, action)
    return allergy_record(actor=g.world.physician, patient=g.world.alice, substance="Sulfa")


def _allergy_end_by(g: Grid, actor: User, allergy: Any) -> None:
    allergy_end(
        actor=actor,
        allergy=allergy,
        expected_version=allergy.version,
        status=Allergy.Status.ENTERED_IN_ERROR,
        reason="Wrong patient.",
    )


def _allergy_end_post(g: Grid, client: Client, allergy: Any) -> Any:
    return client.post(
        reverse("medications:allergy_end", kwargs={"patient_id": g.world.alice.pk}),
        {
            "end-allergy": str(allergy.pk),
            "end-version": allergy.version,
            "end-status": "entered-in-error",
            "end-reason": "Wrong patient.",
        },
    )


def _allergy_voided(g: Grid, actor: User, allergy: Any) -> bool:
    return Allergy.objects.get(pk=allergy.pk).status == Allergy.Status.ENTERED_IN_ERROR


def _a_typed_medication(g: Grid, _: str) -> MedicationStatement:
    return medications.medication_add(
        actor=g.world.physician,
        patient=g.world.alice,
        data=medications.MedicationInput(free_text="Zyxotrin 20 mg"),
    )


def _review_by(g: Grid, actor: User, statement: Any) -> None:
    medications.medication_review(actor=actor, statement=statement, note="Checked")


def _reviewed(g: Grid, actor: User, statement: Any) -> bool:
    return MedicationStatement.objects.filter(pk=statement.pk, reviewed_by=actor).exists()


def _review_post(g: Grid, client: Client, statement: Any) -> Any:
    return client.post(
        reverse("medications:review_mark"), {"statement": str(statement.pk), "note": "Checked"}
    )


def _conversation(signed: bool) -> Callable[[Grid, str], GoalsOfCareConversation]:
    def make(g: Grid, _: str) -> GoalsOfCareConversation:
        return acp.conversation_create(
            actor=g.world.physician,
            patient=g.world.alice,
            sign=signed,
            data=acp.ConversationInput(
                held_at=clock.now() - timedelta(hours=2),
                goal_focus="comfort-focused",
                participants=[{"name": "Alice Anders", "role": "patient"}],
                goals="To stay at home.",
            ),
        )

    return make


def _sign_by(g: Grid, actor: User, conversation: Any) -> None:
    acp.conversation_sign(
        actor=actor, conversation=conversation, expected_version=conversation.version
    )


def _sign_post(g: Grid, client: Client, conversation: Any) -> Any:
    return client.post(
        reverse(
            "acp:conversation_sign",
            kwargs={"patient_id": g.world.alice.pk, "conversation_id": conversation.pk},
        ),
        {"version": conversation.version},
    )


def _an_agent(g: Grid, _: str) -> HealthcareAgent:
    HealthcareAgent.objects.filter(patient=g.world.alice).update(entered_in_error=True)
    return acp.agent_add(
        actor=g.world.physician,
        patient=g.world.alice,
        data=acp.AgentInput(name="Dana Daughter", relationship="CHILD", email="dana@example.org"),
    )


def _a_stay(g: Grid, _: str) -> HospitalStay:
    return stays.stay_admit(
        actor=g.world.physician,
        patient=g.world.alice,
        kind="inpatient",
        facility="Riverside General",
        admitted_at=noon(g.world.alice, _today(g) - timedelta(days=9)),
    )


def _stay_by(g: Grid, actor: User, _: Any) -> None:
    stays.stay_admit(
        actor=actor,
        patient=g.world.alice,
        kind="emergency",
        facility=f"Stay by {actor.username}",
        admitted_at=noon(g.world.alice, _today(g) - timedelta(days=2)),
    )


def _stay_written(g: Grid, actor: User, _: Any) -> bool:
    return HospitalStay.objects.filter(facility=f"Stay by {actor.username}").exists()


def _stay_post(g: Grid, client: Client, _: Any) -> Any:
    user = client.session.get("_auth_user_id")
    actor = User.objects.get(pk=user)
    day = _today(g) - timedelta(days=2)
    return client.post(
        reverse("acp:hospitalization", kwargs={"patient_id": g.world.alice.pk}),
        {
            "stay-kind": "emergency",
            "stay-facility": f"Stay by {actor.username}",
            "stay-admitted_at": f"{day.isoformat()}T12:00",
        },
    )


def _a_review(g: Grid, action: str) -> StayReview:
    stay = _a_stay(g, action)
    return StayReview.objects.create(
        program=g.world.riverside,
        patient=g.world.alice,
        stay=stay,
        reason="icu",
        wishes="Code status comfort-focused care",
        raised_at=clock.now(),
    )


def _stay_review_by(g: Grid, actor: User, review: StayReview) -> None:
    stay_review_record(actor=actor, review=review, note="Talked it over at the meeting")


def _review_written(g: Grid, actor: User, review: StayReview) -> bool:
    return StayReview.objects.filter(pk=review.pk, reviewed_by=actor).exists()


def _stay_review_post(g: Grid, client: Client, review: StayReview) -> Any:
    return client.post(
        reverse("stays:review", kwargs={"review_id": review.pk}),
        {f"{review.pk}-note": "Talked it over at the meeting"},
    )


def _stay_void_by(g: Grid, actor: User, stay: Any) -> None:
    stays.stay_mark_entered_in_error(actor=actor, stay=stay, reason="Entered on the wrong patient")


ESAS = esas(pain=3, tiredness=4)


def _report_by(g: Grid, actor: User, _: Any) -> None:
    assessments.report_submit(
        actor=actor,
        patient=g.world.alice,
        data=assessments.ReportInput("esas-r", ESAS, "patient", "call"),
    )


def _report_api(g: Grid, client: Client, _: Any) -> Any:
    return client.post(
        f"/api/v1/assessments/patients/{g.world.alice.pk}/symptom-reports",
        {"instrument": "esas-r", "answers": ESAS, "respondent": "patient"},
        content_type="application/json",
    )


def _phase_by(g: Grid, actor: User, _: Any) -> None:
    assessments.phase_record(actor=actor, patient=g.world.alice, phase="stable", contact="visit")


def _phase_post(g: Grid, client: Client, _: Any) -> Any:
    return client.post(
        reverse("assessments:phase", kwargs={"patient_id": g.world.alice.pk}),
        {"phase": "stable", "contact": "visit", "note": ""},
    )


def _draft(g: Grid, action: str) -> Assessment:
    return assessments.assessment_start(actor=g.world.physician, patient=g.patient_for(action))


def _domain_of(action: str) -> str:
    return action.split(".")[1]


def _section_by(action: str) -> Callable[[Grid, User, Any], None]:
    def save(g: Grid, actor: User, draft: Any) -> None:
        section = draft.sections.filter(domain=_domain_of(action)).first()
        assessments.assessment_section_save(
            actor=actor,
            assessment=draft,
            domain=_domain_of(action),
            findings={},
            narrative="Seen today.",
            completed=True,
            expected_version=section.version if section else None,
        )

    return save


def _section_post(action: str) -> Callable[[Grid, Client, Any], Any]:
    def post(g: Grid, client: Client, draft: Any) -> Any:
        domain = _domain_of(action)
        section = draft.sections.filter(domain=domain).first()
        return client.post(
            reverse("assessments:assessment_section", kwargs={"patient_id": draft.patient_id}),
            {
                "domain": domain,
                f"{domain}-domain": domain,
                f"{domain}-version": section.version if section else 0,
                f"{domain}-narrative": "Seen today.",
                f"{domain}-completed": "on",
            },
        )

    return post


def _section_written(action: str) -> Callable[[Grid, User, Any], bool]:
    def written(g: Grid, actor: User, draft: Any) -> bool:
        return draft.sections.filter(domain=_domain_of(action), author=actor).exists()

    return written


def _complete_draft(g: Grid, _: str) -> Assessment:
    draft = assessments.assessment_start(actor=g.world.physician, patient=g.world.alice)
    for domain in assessments.domains_for(
        g.world.alice, clock.today_in(g.world.alice.program.timezone)
    ):
        AssessmentSection.objects.update_or_create(
            assessment=draft,
            domain=domain,
            defaults={"completed": True, "narrative": "Done.", "author": g.world.physician},
        )
    return draft


def _assessment_sign_by(g: Grid, actor: User, draft: Any) -> None:
    assessments.assessment_sign(actor=actor, assessment=draft, expected_version=draft.version)


def _assessment_sign_post(g: Grid, client: Client, draft: Any) -> Any:
    return client.post(
        reverse("assessments:assessment_sign", kwargs={"patient_id": g.world.alice.pk}),
        {"version": draft.version},
    )


def _assessment_signed(g: Grid, actor: User, draft: Any) -> bool:
    return Assessment.objects.filter(pk=draft.pk, signed_by=actor).exists()


def _a_care_plan(g: Grid, _: str) -> CarePlan:
    plan: CarePlan = plan_of(g.world)["plan"]
    return plan


def _problem_by(g: Grid, actor: User, plan: CarePlan) -> None:
    careplans.problem_add(
        actor=actor,
        plan=plan,
        domain="spiritual",
        code_system=PROBLEM_SYSTEM,
        code="SPI-DISTRESS",
        display="Spiritual or existential distress",
    )


def _problem_post(g: Grid, client: Client, plan: CarePlan) -> Any:
    return client.post(
        reverse("careplans:problem_add", kwargs={"patient_id": g.world.alice.pk}),
        {"problem-choice": f"{PROBLEM_SYSTEM}|SPI-DISTRESS"},
    )


def _problem_added(g: Grid, actor: User, plan: CarePlan) -> bool:
    return Problem.objects.filter(plan=plan, created_by=actor).exists()


def _plan_review_by(g: Grid, actor: User, plan: CarePlan) -> None:
    careplans.care_plan_review_record(actor=actor, plan=plan)


def _plan_review_post(g: Grid, client: Client, plan: CarePlan) -> Any:
    return client.post(reverse("careplans:plan_review", kwargs={"patient_id": g.world.alice.pk}))


def _plan_reviewed(g: Grid, actor: User, plan: CarePlan) -> bool:
    return CarePlan.objects.filter(pk=plan.pk, last_reviewed_by=actor).exists()


def _a_problem(g: Grid, _: str) -> Problem:
    return careplans.problem_add(
        actor=g.world.physician,
        plan=plan_of(g.world)["plan"],
        domain="social",
        code_system=PROBLEM_SYSTEM,
        code="SOC-FINANCE",
        display="Financial, work or insurance worries",
    )


def _plan_void_by(g: Grid, actor: User, problem: Problem) -> None:
    careplans.plan_item_mark_entered_in_error(actor=actor, item=problem, reason="Wrong patient")


def _plan_void_post(g: Grid, client: Client, problem: Problem) -> Any:
    return client.post(
        reverse("careplans:entered_in_error", kwargs={"patient_id": g.world.alice.pk}),
        {"kind": "problem", "record_id": str(problem.pk), "reason": "Wrong patient"},
    )


def _a_meeting(started: bool) -> Callable[[Grid, str], IdtMeeting]:
    """A meeting of a team every user of the grid belongs to, planned or started."""

    def make(g: Grid, _: str) -> IdtMeeting:
        team = getattr(g, "_idt_team", None)
        if team is None:
            team = g._idt_team = idt.idt_team_create(  # type: ignore[attr-defined]
                actor=g.world.director, program=g.world.riverside, name="Grid", members=g.users
            )
        count = IdtMeeting.objects.filter(team=team).count()
        meeting = idt.idt_meeting_create(
            actor=g.world.director,
            team=team,
            scheduled_for=clock.now() + timedelta(days=1, minutes=count),
        )
        if started:
            idt.idt_meeting_start(
                actor=g.world.director, meeting=meeting, expected_version=meeting.version
            )
        return meeting

    return make


def _start_by(g: Grid, actor: User, meeting: Any) -> None:
    idt.idt_meeting_start(actor=actor, meeting=meeting, expected_version=meeting.version)


def _start_post(g: Grid, client: Client, meeting: Any) -> Any:
    return client.post(
        reverse("idt:meeting_start", kwargs={"meeting_id": meeting.pk}),
        {"version": meeting.version},
    )


def _started(g: Grid, actor: User, meeting: Any) -> bool:
    return IdtMeeting.objects.get(pk=meeting.pk).status == IdtMeeting.Status.IN_PROGRESS


def _minutes_sign_by(g: Grid, actor: User, meeting: Any) -> None:
    idt.idt_meeting_sign(
        actor=actor, meeting=meeting, minutes="Signed.", expected_version=meeting.version
    )


def _minutes_sign_post(g: Grid, client: Client, meeting: Any) -> Any:
    return client.post(
        reverse("idt:minutes", kwargs={"meeting_id": meeting.pk}),
        {"version": meeting.version, "minutes": "Signed.", "action": "sign"},
    )


def _minutes_signed(g: Grid, actor: User, meeting: Any) -> bool:
    return IdtMeeting.objects.filter(pk=meeting.pk, signed_by=actor).exists()


# --- the 24/7 line ------------------------------------------------------------------------------


def _a_call(g: Grid, action: str) -> Call:
    reason = "death" if action == "death.record" else "symptom"
    return support_services.call_record(
        actor=g.world.oncall, data=call_input(g.world.alice, reason=reason)
    )


def _call_record_post(g: Grid, client: Client, _: Any) -> Any:
    received = clock.now().astimezone(ZoneInfo(g.world.riverside.timezone)) - timedelta(minutes=5)
    return client.post(
        reverse("support:call_new"),
        {
            "patient": str(g.world.alice.pk),
            "caller_kind": "caregiver",
            "callback_number": "617-555-0199",
            "received_at": received.strftime("%Y-%m-%dT%H:%M"),
            "reason": "symptom",
        },
    )


def _dispose_by(g: Grid, actor: User, call: Call) -> None:
    support_services.call_dispose(
        actor=actor,
        call=call,
        expected_version=call.version,
        disposition="advice",
        disposition_at=None,
    )


def _dispose_post(g: Grid, client: Client, call: Call) -> Any:
    return client.post(
        reverse("support:call_disposition", kwargs={"call_id": call.pk}),
        {"version": call.version, "disposition": "advice"},
    )


def _death_input() -> Any:
    return support_services.DeathInput(
        died_at=clock.now() - timedelta(minutes=40), place="home", needs=["pronouncement"]
    )


def _death_by(g: Grid, actor: User, call: Call) -> None:
    support_services.death_report_record(actor=actor, call=call, data=_death_input())


def _death_post(g: Grid, client: Client, call: Call) -> Any:
    died = _death_input().died_at.astimezone(ZoneInfo(g.world.riverside.timezone))
    return client.post(
        reverse("support:call_death", kwargs={"call_id": call.pk}),
        {"died_at": died.strftime("%Y-%m-%dT%H:%M"), "place": "home", "needs": "pronouncement"},
    )


CASES: dict[str, Case] = {
    "care_plan.edit": Case(_a_care_plan, _problem_by, _problem_added, _problem_post),
    "care_plan.review": Case(_a_care_plan, _plan_review_by, _plan_reviewed, _plan_review_post),
    "care_plan.void": Case(_a_problem, _plan_void_by, _voided(Problem), _plan_void_post),
    "call.record": Case(
        lambda g, a: None,
        lambda g, actor, _: support_services.call_record(
            actor=actor, data=call_input(g.world.alice)
        ),
        lambda g, actor, _: Call.objects.filter(taken_by=actor).exists(),
        _call_record_post,
    ),
    "call.dispose": Case(
        _a_call,
        _dispose_by,
        lambda g, actor, call: Call.objects.filter(pk=call.pk, status="closed").exists(),
        _dispose_post,
    ),
    "death.record": Case(
        _a_call,
        _death_by,
        lambda g, actor, call: DeathReport.objects.filter(call=call).exists(),
        _death_post,
    ),
    "code_status.record": Case(
        _no_code_status, _code_status_by, _new_rows(CodeStatus), _code_status_post
    ),
    "code_status.change": Case(
        _a_code_status,
        _code_status_by,
        _new_rows(CodeStatus, replaces__isnull=False),
        _code_status_post,
    ),
    "code_status.void": Case(
        _a_code_status, _void_by, _voided(CodeStatus), _void_post("code-status")
    ),
    "portable_order.record": Case(_no_order, _order_by, _new_rows(PortableOrder), _order_post),
    "portable_order.change": Case(
        _an_order, _order_by, _new_rows(PortableOrder, version_number__gt=1), _order_post
    ),
    "portable_order.void": Case(_an_order, _void_by, _voided(PortableOrder), _void_post("order")),
    "medication.add": Case(
        lambda g, a: None,
        lambda g, actor, _: medications.medication_add(
            actor=actor,
            patient=g.world.alice,
            data=medications.MedicationInput(catalog_key="morphine", dose_amount="5"),
        ),
        _new_rows(MedicationStatement),
        lambda g, client, _: client.post(
            reverse("medications:list", kwargs={"patient_id": g.world.alice.pk}),
            {"catalog_key": "morphine", "dose_amount": "5"},
        ),
    ),
    "medication.stop": Case(_a_medication, _stop_by(False), _stopped("stopped"), _stop_post(False)),
    "medication.void": Case(
        _a_medication, _stop_by(True), _stopped("entered-in-error"), _stop_post(True)
    ),
    "medication.review": Case(_a_typed_medication, _review_by, _reviewed, _review_post),
    "allergy.record": Case(
        _no_allergy,
        lambda g, actor, _: allergy_record(
            actor=actor, patient=g.world.alice, substance="Latex", criticality="high"
        ),
        _new_rows(Allergy),
        lambda g, client, _: client.post(
            reverse("medications:allergy_add", kwargs={"patient_id": g.world.alice.pk}),
            {"allergy-substance": "Latex", "allergy-criticality": "high"},
        ),
    ),
    "allergy.void": Case(_an_allergy, _allergy_end_by, _allergy_voided, _allergy_end_post),
    "goals_of_care.sign": Case(
        _conversation(signed=False), _sign_by, _new_rows(GoalsOfCareConversation), _sign_post
    ),
    "goals_of_care.void": Case(
        _conversation(signed=True),
        _void_by,
        _voided(GoalsOfCareConversation),
        _void_post("conversation"),
    ),
    "advance_care_record.void": Case(
        _an_agent, _void_by, _voided(HealthcareAgent), _void_post("agent")
    ),
    "stay.record": Case(lambda g, a: None, _stay_by, _stay_written, _stay_post),
    "stay_review.record": Case(_a_review, _stay_review_by, _review_written, _stay_review_post),
    "stay.void": Case(_a_stay, _stay_void_by, _voided(HospitalStay), _void_post("hospitalization")),
    "symptom_report.record": Case(
        lambda g, a: None, _report_by, _new_rows(SymptomReport), _report_api
    ),
    "phase.record": Case(lambda g, a: None, _phase_by, _new_rows(PhaseOfCare), _phase_post),
    "assessment.sign": Case(
        _complete_draft, _assessment_sign_by, _assessment_signed, _assessment_sign_post
    ),
    "idt.run": Case(_a_meeting(started=False), _start_by, _started, _start_post),
    "idt.sign": Case(
        _a_meeting(started=True), _minutes_sign_by, _minutes_signed, _minutes_sign_post
    ),
}


# --- visit notes (pallio.visits): the author writes and signs; others co-sign, addend, void ---


def _user_of(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def _draft_of(g: Grid, author: User) -> VisitNote:
    """A draft by `author`, laid down directly so that only the action under test is checked
    (writing needs note.write; signing is refused to anyone but the author)."""
    episode = g.world.alice.episodes.get(status="active")
    visit = Visit.objects.create(
        program=g.world.riverside,
        patient=g.world.alice,
        episode=episode,
        clinician=author,
        discipline=author.discipline,
        setting="home",
        mode="in_person",
        started_at=clock.now() - timedelta(hours=1),
        reason="Follow-up",
    )
    template = note_template_for(g.world.riverside, "physician")
    return VisitNote.objects.create(
        program=g.world.riverside,
        patient=g.world.alice,
        visit=visit,
        template=template,
        author=author,
        content={s["key"]: "Written." for s in template.sections},
    )


def _visit_prepare(g: Grid, _: str) -> None:
    note_templates_sync_shipped()


def _visit_by(g: Grid, actor: User, _: Any) -> None:
    visits.visit_document(
        actor=actor,
        patient=g.world.alice,
        setting="home",
        mode="telephone",
        started_at=clock.now() - timedelta(hours=1),
        reason="Call about pain",
    )


def _visit_post(g: Grid, client: Client, _: Any) -> Any:
    moment = (clock.now() - timedelta(hours=1)).astimezone(ZoneInfo(g.world.riverside.timezone))
    return client.post(
        reverse("visits:new", kwargs={"patient_id": g.world.alice.pk}),
        {
            "setting": "home",
            "mode": "telephone",
            "started_at": moment.strftime("%Y-%m-%dT%H:%M"),
            "reason": "Call about pain",
        },
    )


def _visit_written(g: Grid, actor: User, _: Any) -> bool:
    return VisitNote.objects.filter(author=actor).exists()


def _note_sign_by(g: Grid, actor: User, _: Any) -> None:
    note = _draft_of(g, actor)
    visits.note_sign(actor=actor, note=note, expected_version=note.version)


def _note_sign_post(g: Grid, client: Client, _: Any) -> Any:
    note = _draft_of(g, _user_of(client))
    return client.post(
        reverse("visits:note_sign", kwargs={"note_id": note.pk}), {"version": note.version}
    )


def _note_signed(g: Grid, actor: User, _: Any) -> bool:
    return VisitNote.objects.filter(author=actor, signed_by=actor).exists()


def _awaiting_cosign(g: Grid, _: str) -> VisitNote:
    note_templates_sync_shipped()
    trainee = User.objects.filter(username="grid-fellow").first()
    if trainee is None:
        trainee = User.objects.create(
            username="grid-fellow",
            program=g.world.riverside,
            role=Role.CLINICIAN,
            discipline="physician",
            training_level="fellow",
            supervisor=g.world.physician,
        )
    note = _draft_of(g, trainee)
    VisitNote.objects.filter(pk=note.pk).update(
        status="awaiting_cosign",
        signed_at=clock.now(),
        signed_by=trainee,
        cosign_required=True,
        supervisor=g.world.physician,
    )
    return VisitNote.objects.get(pk=note.pk)


def _cosign_by(g: Grid, actor: User, note: Any) -> None:
    visits.note_cosign(actor=actor, note=note, expected_version=note.version)


def _cosign_post(g: Grid, client: Client, note: Any) -> Any:
    return client.post(
        reverse("visits:note_cosign", kwargs={"note_id": note.pk}), {"version": note.version}
    )


def _cosigned(g: Grid, actor: User, note: Any) -> bool:
    return VisitNote.objects.filter(pk=note.pk, cosigned_by=actor).exists()


def _signed_note(g: Grid, _: str) -> VisitNote:
    note_templates_sync_shipped()
    note = _draft_of(g, g.world.physician)
    VisitNote.objects.filter(pk=note.pk).update(
        status="signed", signed_at=clock.now(), signed_by=g.world.physician
    )
    return VisitNote.objects.get(pk=note.pk)


def _addend_by(g: Grid, actor: User, note: Any) -> None:
    visits.note_addendum_add(actor=actor, note=note, reason="Later information", text="More.")


def _addend_post(g: Grid, client: Client, note: Any) -> Any:
    return client.post(
        reverse("visits:note_addendum", kwargs={"note_id": note.pk}),
        {"reason": "Later information", "text": "More."},
    )


def _addended(g: Grid, actor: User, note: Any) -> bool:
    return NoteAddendum.objects.filter(note=note, author=actor).exists()


def _note_void_by(g: Grid, actor: User, note: Any) -> None:
    visits.note_mark_entered_in_error(actor=actor, note=note, reason="Wrong patient")


def _note_void_post(g: Grid, client: Client, note: Any) -> Any:
    return client.post(
        reverse("visits:note_entered_in_error", kwargs={"note_id": note.pk}),
        {"reason": "Wrong patient"},
    )


# --- enrollment: discharge and enrolling again (pallio.episodes) ---------------------------------


def _an_enrolled_patient(g: Grid, _: str) -> Any:
    """A new patient enrolled with every care-team clinician of the grid (a discharge ends
    the team's memberships, so each person gets their own patient)."""
    patient = make_patient(
        g.world.riverside, "Enid", "Enrolled", date(1948, 2, 2), team=(g.world.physician,)
    )
    g._join(patient)
    return patient


def _a_discharged_patient(g: Grid, action: str) -> Any:
    """A patient discharged (goals met) whose team the grid's clinicians still are, so that
    the privilege decides, not the access rule."""
    from pallio.episodes.discharge import discharge_apply

    patient = _an_enrolled_patient(g, action)
    episode = patient.episodes.get()
    discharge_apply(actor=g.world.physician, episode=episode, reason="goals_met", on=_today(g))
    team_join(episode, [g.world.physician, *g.users])
    return patient


def _discharge_by(g: Grid, actor: User, patient: Any) -> None:
    episode_discharge(actor=actor, episode=patient.episodes.get(), reason="goals_met", on=_today(g))


def _discharge_post(g: Grid, client: Client, patient: Any) -> Any:
    return client.post(
        reverse("enrollment:discharge", kwargs={"patient_id": patient.pk}),
        {"reason": "goals_met", "on": _today(g).isoformat()},
    )


def _discharged(g: Grid, actor: User, patient: Any) -> bool:
    return patient.episodes.filter(status="finished", discharged_by=actor).exists()


def _reenroll_by(g: Grid, actor: User, patient: Any) -> None:
    episode_reenroll(
        actor=actor,
        patient=patient,
        team=[g.world.physician],
        first_visit_due=_today(g) + timedelta(days=3),
    )


def _reenroll_post(g: Grid, client: Client, patient: Any) -> Any:
    physician = str(g.world.physician.uuid)
    return client.post(
        reverse("enrollment:reenroll", kwargs={"patient_id": patient.pk}),
        {
            "team": [physician],
            "lead": physician,
            "first_visit_due": (_today(g) + timedelta(days=3)).isoformat(),
        },
    )


def _reenrolled(g: Grid, actor: User, patient: Any) -> bool:
    return patient.episodes.filter(status="active").exists()


def _held(g: Grid, _: str) -> Any:
    return held_message(g.world, control_id=f"GRID{AdtMessage.objects.count():05d}")


def _dismissed(g: Grid, actor: User, message: Any) -> bool:
    return AdtMessage.objects.filter(pk=message.pk, status="dismissed", resolved_by=actor).exists()


def _a_newcomer(g: Grid, _: str) -> User:
    """A clinician of the program not on alice's team yet, for each user to add."""
    from tests.support.personas import make_staff

    n = User.objects.filter(username__startswith="newcomer").count()
    return make_staff(
        g.world.riverside, f"newcomer{n}", Role.CLINICIAN, "dietitian", "New", f"Comer{n}"
    )


def _team_add_by(g: Grid, actor: User, newcomer: User) -> None:
    from pallio.episodes.services import care_team_member_add

    care_team_member_add(
        actor=actor, episode=g.world.alice.episodes.get(status="active"), user=newcomer
    )


def _team_added(g: Grid, actor: User, newcomer: User) -> bool:
    from pallio.episodes.models import CareTeamMember

    return CareTeamMember.objects.filter(user=newcomer, added_by=actor, active=True).exists()


def _team_add_post(g: Grid, client: Client, newcomer: User) -> Any:
    return client.post(
        reverse("enrollment:care_team_add", kwargs={"patient_id": g.world.alice.pk}),
        {"user": str(newcomer.uuid)},
    )


CASES.update(
    {
        "episode.discharge": Case(
            _an_enrolled_patient, _discharge_by, _discharged, _discharge_post
        ),
        "episode.reenroll": Case(_a_discharged_patient, _reenroll_by, _reenrolled, _reenroll_post),
        "care_team.manage": Case(_a_newcomer, _team_add_by, _team_added, _team_add_post),
        "adt_message.resolve": Case(
            _held,
            lambda g, actor, message: adt_services.adt_message_dismiss(
                actor=actor, message=message, reason="Not our patient"
            ),
            _dismissed,
            lambda g, client, message: client.post(
                reverse("adt:dismiss", kwargs={"message_id": message.pk}),
                {"reason": "Not our patient", "version": message.version},
            ),
        ),
        "note.write": Case(_visit_prepare, _visit_by, _visit_written, _visit_post),
        "note.sign": Case(_visit_prepare, _note_sign_by, _note_signed, _note_sign_post),
        "note.cosign": Case(_awaiting_cosign, _cosign_by, _cosigned, _cosign_post),
        "note.addend": Case(_signed_note, _addend_by, _addended, _addend_post),
        "note.void": Case(_signed_note, _note_void_by, _voided(VisitNote), _note_void_post),
    }
)
for _action in RAW:
    if _action.startswith("assessment_domain."):
        CASES[_action] = Case(
            _draft, _section_by(_action), _section_written(_action), _section_post(_action)
        )


# --- bereavement follow-up of the family (episodes/bereavement.py) ------------------------------


def _family(g: Grid, action: str) -> Any:
    """Alice's family in follow-up, with one fresh planned contact due (each user records
    their own, so that the follow-up stays open for the next)."""
    from pallio.episodes.models import BereavementContact, BereavementFollowUp
    from pallio.episodes.tests.bereavement_samples import bereaved

    follow_up = bereaved(g.world)
    BereavementFollowUp.objects.filter(pk=follow_up.pk).update(status="open")
    sequence = 100 + BereavementContact.objects.filter(follow_up=follow_up).count()
    return BereavementContact.objects.create(
        program=follow_up.program,
        patient=follow_up.patient,
        follow_up=follow_up,
        sequence=sequence,
        label="Extra call",
        planned_kind="call",
        due_on=_today(g),
    )


def _contact_by(g: Grid, actor: User, contact: Any) -> None:
    from pallio.episodes.bereavement import bereavement_contact_record

    bereavement_contact_record(
        actor=actor,
        contact=contact,
        caregiver=g.world.alice.healthcare_agents.get(),
        done_on=_today(g),
        kind="call",
        outcome="reached",
    )


def _contact_done(g: Grid, actor: User, contact: Any) -> bool:
    from pallio.episodes.models import BereavementContact

    return BereavementContact.objects.filter(pk=contact.pk, done_by=actor).exists()


def _contact_post(g: Grid, client: Client, contact: Any) -> Any:
    return client.post(
        reverse(
            "bereavement:contact",
            kwargs={"follow_up_id": contact.follow_up_id, "contact_id": contact.pk},
        ),
        {
            "caregiver": str(g.world.alice.healthcare_agents.get().pk),
            "done_on": _today(g).isoformat(),
            "kind": "call",
            "outcome": "reached",
        },
    )


def _screen_by(g: Grid, actor: User, contact: Any) -> None:
    from pallio.episodes.bereavement import bereavement_screen_record

    bereavement_screen_record(
        actor=actor, follow_up=contact.follow_up, answers={"unexpected": True}
    )


def _screened(g: Grid, actor: User, contact: Any) -> bool:
    from pallio.episodes.models import BereavementFollowUp

    return BereavementFollowUp.objects.filter(pk=contact.follow_up_id, screened_by=actor).exists()


def _screen_post(g: Grid, client: Client, contact: Any) -> Any:
    return client.post(
        reverse("bereavement:screen", kwargs={"follow_up_id": contact.follow_up_id}),
        {"screen-unexpected": "on"},
    )


def _refer_by(g: Grid, actor: User, contact: Any) -> None:
    from pallio.episodes.bereavement import bereavement_refer

    bereavement_refer(
        actor=actor,
        follow_up=contact.follow_up,
        caregiver=g.world.alice.healthcare_agents.get(),
        service="counselling",
        referred_to="Riverside grief counselling",
        referred_on=_today(g),
    )


def _referred(g: Grid, actor: User, contact: Any) -> bool:
    from pallio.episodes.models import BereavementReferral

    return BereavementReferral.objects.filter(
        follow_up_id=contact.follow_up_id, referred_by=actor
    ).exists()


def _refer_post(g: Grid, client: Client, contact: Any) -> Any:
    return client.post(
        reverse("bereavement:refer", kwargs={"follow_up_id": contact.follow_up_id}),
        {
            "refer-caregiver": str(g.world.alice.healthcare_agents.get().pk),
            "refer-service": "counselling",
            "refer-referred_to": "Riverside grief counselling",
            "refer-referred_on": _today(g).isoformat(),
        },
    )


CASES.update(
    {
        "bereavement.record": Case(_family, _contact_by, _contact_done, _contact_post),
        "bereavement.screen": Case(_family, _screen_by, _screened, _screen_post),
        "bereavement.refer": Case(_family, _refer_by, _referred, _refer_post),
    }
)


# --- hospice referrals ------------------------------------------------------------------------


def _no_open_hospice_referral(g: Grid, _: str) -> None:
    HospiceReferral.objects.filter(patient=g.world.alice, status__in=["sent", "accepted"]).update(
        status="declined", declined_reason="Closed by the test"
    )


def _hospice_refer_by(g: Grid, actor: User, _: Any) -> None:
    hospice.hospice_referral_send(
        actor=actor,
        patient=g.world.alice,
        agency_name="Bayside Hospice",
        referred_on=clock.today_in(g.world.riverside.timezone),
    )


def _hospice_refer_post(g: Grid, client: Client, _: Any) -> Any:
    return client.post(
        reverse("hospice:refer", kwargs={"patient_id": g.world.alice.pk}),
        {
            "agency_name": "Bayside Hospice",
            "referred_on": clock.today_in(g.world.riverside.timezone).isoformat(),
        },
    )


def _a_hospice_referral(g: Grid, action: str) -> HospiceReferral:
    _no_open_hospice_referral(g, action)
    return hospice.hospice_referral_send(
        actor=g.world.navigator,
        patient=g.world.alice,
        agency_name="Bayside Hospice",
        referred_on=clock.today_in(g.world.riverside.timezone),
    )


def _hospice_accept_by(g: Grid, actor: User, referral: HospiceReferral) -> None:
    hospice.hospice_referral_status_set(
        actor=actor,
        referral=referral,
        status="accepted",
        occurred_on=referral.referred_on,
        expected_version=referral.version,
    )


def _hospice_accept_post(g: Grid, client: Client, referral: HospiceReferral) -> Any:
    prefix = f"r{referral.pk.hex[:8]}"
    return client.post(
        reverse(
            "hospice:status",
            kwargs={"patient_id": g.world.alice.pk, "hospice_referral_id": referral.pk},
        ),
        {
            f"{prefix}-version": referral.version,
            f"{prefix}-status": "accepted",
            f"{prefix}-occurred_on": referral.referred_on.isoformat(),
        },
    )


CASES.update(
    {
        "hospice.refer": Case(
            _no_open_hospice_referral,
            _hospice_refer_by,
            lambda g, actor, _: HospiceReferral.objects.filter(referred_by=actor).exists(),
            _hospice_refer_post,
        ),
        "hospice.update": Case(
            _a_hospice_referral,
            _hospice_accept_by,
            lambda g, actor, referral: HospiceReferral.objects.filter(
                pk=referral.pk, status="accepted"
            ).exists(),
            _hospice_accept_post,
        ),
    }
)


# --- coordination orders ----------------------------------------------------------------------


def _bay_oxygen(g: Grid, _: str) -> Any:
    from pallio.coordination.models import Agency

    return Agency.objects.get_or_create(
        program=g.world.riverside, kind="oxygen_supplier", name="Bay Oxygen"
    )[0]


def _oxygen_order_by(g: Grid, actor: User, agency: Any) -> None:
    from pallio.coordination import services as coordination

    coordination.order_create(
        actor=actor,
        patient=g.world.alice,
        kind="equipment",
        item="oxygen_concentrator",
        agency=agency,
        requested_on=_today(g),
    )


def _oxygen_order_post(g: Grid, client: Client, agency: Any) -> Any:
    return client.post(
        reverse("coordination:order_add", kwargs={"patient_id": g.world.alice.pk}),
        {
            "item": "equipment:oxygen_concentrator",
            "agency": str(agency.pk),
            "requested_on": _today(g).isoformat(),
        },
    )


def _oxygen_ordered(g: Grid, actor: User, _: Any) -> bool:
    from pallio.coordination.models import CoordinationOrder

    return CoordinationOrder.objects.filter(requested_by=actor).exists()


CASES["coordination.order"] = Case(
    _bay_oxygen, _oxygen_order_by, _oxygen_ordered, _oxygen_order_post
)


# --- scheduled visits (visits/services/scheduling.py) --------------------------------------------


def _slot(g: Grid, days: int = 2) -> tuple[Any, Any]:
    """A free hour for the physician: each booking of the walk takes the next one."""
    from pallio.visits.models import ScheduledVisit

    n = ScheduledVisit.objects.count()
    start = (clock.now() + timedelta(days=days, hours=n)).replace(second=0, microsecond=0)
    return start, start + timedelta(minutes=45)


def _a_home(g: Grid, _: str) -> Any:
    from pallio.visits.models import Place
    from pallio.visits.services.scheduling import place_save_home

    return Place.objects.filter(patient=g.world.alice).first() or place_save_home(
        actor=g.world.navigator,
        patient=g.world.alice,
        setting="home",
        name="Home",
        line="12 Elm Street",
        city="Cambridge",
    )


def _book_by(g: Grid, actor: User, home: Any) -> None:
    from pallio.visits.services.scheduling import scheduled_visit_book

    starts, ends = _slot(g)
    scheduled_visit_book(
        actor=actor,
        patient=g.world.alice,
        clinician=g.world.physician,
        setting="home",
        place=home,
        kind="follow_up",
        starts_at=starts,
        ends_at=ends,
    )


def _booked(g: Grid, actor: User, home: Any) -> bool:
    from pallio.visits.models import ScheduledVisit

    return ScheduledVisit.objects.filter(booked_by=actor).exists()


def _book_post(g: Grid, client: Client, home: Any) -> Any:
    zone = ZoneInfo(g.world.riverside.timezone)
    starts, ends = _slot(g)
    return client.post(
        reverse("visits:book", kwargs={"patient_id": g.world.alice.pk}),
        {
            "clinician": str(g.world.physician.uuid),
            "setting": "home",
            "place": str(home.pk),
            "kind": "follow_up",
            "priority": "routine",
            "starts_at": starts.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": ends.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        },
    )


def _a_booked_visit(g: Grid, _: str) -> Any:
    from pallio.visits.services.scheduling import scheduled_visit_book

    starts, ends = _slot(g)
    return scheduled_visit_book(
        actor=g.world.navigator,
        patient=g.world.alice,
        clinician=g.world.physician,
        setting="telehealth",
        kind="follow_up",
        starts_at=starts,
        ends_at=ends,
    )


def _a_started_visit(g: Grid, _: str) -> Any:
    from pallio.visits.models import ScheduledVisit

    n = ScheduledVisit.objects.count()
    starts = clock.now() - timedelta(hours=n + 1)
    return ScheduledVisit.objects.create(
        program=g.world.riverside,
        patient=g.world.alice,
        clinician=g.world.physician,
        discipline="physician",
        kind="follow_up",
        setting="telehealth",
        mode="video",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
    )


def _status_is(status: str) -> Callable[[Grid, User, Any], bool]:
    def check(g: Grid, actor: User, visit: Any) -> bool:
        visit.refresh_from_db()
        return bool(visit.status == status)

    return check


CASES.update(
    {
        "schedule.book": Case(_a_home, _book_by, _booked, _book_post),
        "schedule.cancel": Case(
            _a_booked_visit,
            lambda g, actor, visit: visit_scheduling.scheduled_visit_cancel(
                actor=actor, visit=visit, reason="Admitted to hospital"
            ),
            _status_is("cancelled"),
            lambda g, client, visit: client.post(
                reverse("visits:cancel", kwargs={"scheduled_visit_id": visit.pk}),
                {"version": visit.version, "reason": "Admitted to hospital"},
            ),
        ),
        "schedule.no_show": Case(
            _a_started_visit,
            lambda g, actor, visit: visit_scheduling.scheduled_visit_no_show(
                actor=actor, visit=visit
            ),
            _status_is("no_show"),
            lambda g, client, visit: client.post(
                reverse("visits:no_show", kwargs={"scheduled_visit_id": visit.pk}),
                {"version": visit.version},
            ),
        ),
    }
)


# --- the home-visit day plan (visits/services/day_plan.py) ---------------------------------------


def _a_planned_day(g: Grid, _: str) -> Any:
    """A home visit of the physician three days ahead at 14:00, the office set: planning the
    day moves it to the morning."""
    from pallio.visits.models import ScheduledVisit
    from pallio.visits.tests.day_plan_helpers import OFFICE, set_office

    set_office(g.world)
    zone = ZoneInfo(g.world.riverside.timezone)
    day = clock.now().astimezone(zone).date() + timedelta(days=3)
    visit = ScheduledVisit.objects.filter(clinician=g.world.physician, setting="home").first()
    if visit is None:
        visit = visit_scheduling.scheduled_visit_book(
            actor=g.world.navigator,
            patient=g.world.alice,
            clinician=g.world.physician,
            setting="home",
            place=_a_home(g, ""),
            kind="follow_up",
            starts_at=datetime.combine(day, time(14), zone),
            ends_at=datetime.combine(day, time(14, 45), zone),
        )
        visit.place.latitude, visit.place.longitude = OFFICE["latitude"] + 0.02, OFFICE["longitude"]
        visit.place.save()
    return day


def _plan_order(g: Grid, day: Any) -> list[str]:
    from pallio.visits.services import day_plan

    return day_plan._plan(g.world.physician, day, None).order


def _plan_apply_by(g: Grid, actor: User, day: Any) -> None:
    from pallio.visits.services import day_plan

    day_plan.day_plan_apply(
        actor=actor, clinician=g.world.physician, day=day, order=_plan_order(g, day)
    )


def _plan_applied(g: Grid, actor: User, day: Any) -> bool:
    from pallio.audit.models import AuditEvent

    return AuditEvent.objects.filter(event="day_plan.apply", user_id=actor.pk).exists()


def _plan_apply_post(g: Grid, client: Client, day: Any) -> Any:
    return client.post(
        reverse("visits:day_plan_apply", kwargs={"clinician_id": g.world.physician.uuid}),
        {"date": day.isoformat(), "order": ",".join(_plan_order(g, day))},
    )


CASES["schedule.plan_colleague_day"] = Case(
    _a_planned_day, _plan_apply_by, _plan_applied, _plan_apply_post
)


# --- secure messages (messaging/services.py) ---------------------------------------------------


def _a_portal_thread(g: Grid, _: str) -> Any:
    """A thread alice started from her portal account, waiting for the team."""
    from pallio.messaging.services import thread_start_portal
    from pallio.portal.tests.factories import patient_account

    user = User.objects.filter(username="alice.portal").first() or patient_account(g.world.alice)
    return thread_start_portal(
        actor=user, patient_id=g.world.alice.pk, subject="A question", body="Is it normal?"
    ).thread


def _message_reply_by(g: Grid, actor: User, thread: Any) -> None:
    from pallio.messaging.services import message_send_staff

    message_send_staff(actor=actor, thread=thread, body="It is; we will call you.")


def _message_replied(g: Grid, actor: User, thread: Any) -> bool:
    return bool(thread.messages.filter(author=actor).exists())


def _message_reply_post(g: Grid, client: Client, thread: Any) -> Any:
    return client.post(
        reverse("messaging:thread", kwargs={"thread_id": thread.pk}),
        {"body": "It is; we will call you."},
    )


CASES["message.reply"] = Case(
    _a_portal_thread, _message_reply_by, _message_replied, _message_reply_post
)


# --- portal invitations (portal/invitations.py) --------------------------------------------------


def _a_family_member(g: Grid, _: str) -> HealthcareAgent:
    from pallio.portal.tests.helpers import family_member

    found = HealthcareAgent.objects.filter(patient=g.world.alice, name="Andrew Anders").first()
    return found or family_member(g.world.alice)


def _portal_invite_by(g: Grid, actor: User, agent: HealthcareAgent) -> None:
    from pallio.portal.invitations import portal_invitation_create
    from pallio.portal.tests.helpers import link_for

    portal_invitation_create(
        actor=actor,
        patient=g.world.alice,
        email=f"{actor.username}@example.net",
        person=agent,
        scopes=["diary"],
        link_for=link_for,
    )


def _portal_invite_post(g: Grid, client: Client, agent: HealthcareAgent) -> Any:
    return client.post(
        reverse("portal_team:invite", kwargs={"patient_id": g.world.alice.pk}),
        {
            "who": str(agent.pk),
            "email": f"{_user_of(client).username}@example.net",
            "scopes": ["diary"],
            "language": "en",
        },
    )


def _portal_invited(g: Grid, actor: User, _: Any) -> bool:
    from pallio.portal.models import PortalInvitation

    return PortalInvitation.objects.filter(invited_by=actor).exists()


CASES["portal.manage"] = Case(
    _a_family_member, _portal_invite_by, _portal_invited, _portal_invite_post
)


def test_every_action_of_the_matrix_is_walked():
    assert set(RAW) == set(CASES) | NOT_YET_PERFORMED
    assert not set(CASES) & NOT_YET_PERFORMED


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(CASES))
def test_every_role_and_discipline_through_the_service(grid, action):
    case = CASES[action]
    problems = []
    for user in grid.users:
        stage = case.prepare(grid, action)
        allowed = expected(action, user.role, user.discipline)
        who = f"{user.role}/{user.discipline}"
        try:
            case.service(grid, user, stage)
        except PrivilegeDenied as exc:
            if allowed:
                problems.append(f"{who}: refused ({exc})")
            elif not str(exc).startswith(("A ", "An ")) or " may not " not in str(exc):
                problems.append(f"{who}: unclear message {exc}")
        else:
            if not allowed:
                problems.append(f"{who}: allowed, the matrix says no")
        if case.written(grid, user, stage) != allowed:
            problems.append(f"{who}: written={not allowed}, expected {allowed}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(CASES))
def test_every_role_and_discipline_through_http(grid, action):
    case = CASES[action]
    assert case.http is not None
    problems = []
    for user in grid.users:
        stage = case.prepare(grid, action)
        allowed = expected(action, user.role, user.discipline)
        who = f"{user.role}/{user.discipline}"
        response = case.http(grid, login(Client(), user), stage)
        status = response.status_code
        if allowed and status not in (201, 302):
            problems.append(f"{who}: {status}, expected success")
        if not allowed:
            if status != 403:
                problems.append(f"{who}: {status}, expected 403")
            elif user.role not in NO_PATIENT_ROLES and " may not " not in response.content.decode():
                problems.append(f"{who}: 403 without the plain message")
        if case.written(grid, user, stage) != allowed:
            problems.append(f"{who}: written={not allowed}, expected {allowed}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(NOT_YET_PERFORMED))
def test_actions_awaiting_their_service_follow_the_matrix(world, action):
    for role in ROLES:
        for discipline in DISCIPLINES:
            user = User(program=world.riverside, role=role, discipline=discipline)
            assert privileges.can(user, action) == expected(action, role, discipline), (
                action,
                role,
                discipline,
            )
