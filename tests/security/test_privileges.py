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
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pallio.accounts.models import Role, User
from pallio.acp import services as acp
from pallio.acp.models import CodeStatus, GoalsOfCareConversation, Hospitalization, PortableOrder
from pallio.assessments import services as assessments
from pallio.assessments.models import Assessment, AssessmentSection, PhaseOfCare, SymptomReport
from pallio.assessments.tests.helpers import esas
from pallio.core import clock, privileges
from pallio.core.codes import Discipline
from pallio.core.privileges import DATA_FILE, PrivilegeDenied
from pallio.episodes.services import care_team_add
from pallio.medications import services as medications
from pallio.medications.models import MedicationStatement
from pallio.support.models import Line, Shift
from tests.support.personas import login, make_patient

ROLES = [r.value for r in Role]
DISCIPLINES = list(Discipline.values)
RAW = json.loads(DATA_FILE.read_text("utf-8"))["actions"]
# Actions defined ahead of the service that will perform them (notes come with the visit
# notes; a medication change with the dose-change form). Checked through `can` below.
NOT_YET_PERFORMED = {
    "medication.change",
    "note.sign",
    "note.cosign",
    "note.write",
    "note.addend",
    "note.void",
    "care_plan.edit",
    "care_plan.review",
    "care_plan.void",
    "idt.run",
    "idt.sign",
    "call.record",
    "call.dispose",
    "death.record",
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
        episode = patient.episodes.get(status="active")
        for user in self.users:
            if user.role == Role.CLINICIAN:  # program-wide roles reach every patient
                care_team_add(actor=None, episode=episode, user=user)


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


def _a_stay(g: Grid, _: str) -> Hospitalization:
    return acp.hospitalization_record(
        actor=g.world.physician,
        patient=g.world.alice,
        admitted_on=_today(g) - timedelta(days=9),
        facility="Riverside General",
    )


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
    for domain in assessments.domains_for(g.world.alice, clock.now().date()):
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


CASES: dict[str, Case] = {
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
        _a_stay, _void_by, _voided(Hospitalization), _void_post("hospitalization")
    ),
    "symptom_report.record": Case(
        lambda g, a: None, _report_by, _new_rows(SymptomReport), _report_api
    ),
    "phase.record": Case(lambda g, a: None, _phase_by, _new_rows(PhaseOfCare), _phase_post),
    "assessment.sign": Case(
        _complete_draft, _assessment_sign_by, _assessment_signed, _assessment_sign_post
    ),
}
for _action in RAW:
    if _action.startswith("assessment_domain."):
        CASES[_action] = Case(
            _draft, _section_by(_action), _section_written(_action), _section_post(_action)
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
            elif user.role != Role.PRIVACY_OFFICER and " may not " not in response.content.decode():
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
