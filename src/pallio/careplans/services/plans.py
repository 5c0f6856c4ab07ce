"""Every write to the care plan: problems, goals, interventions, goal reviews and plan
reviews."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import (
    PROBLEM_SYSTEM,
    CarePlan,
    Goal,
    GoalOutcome,
    GoalReview,
    Intervention,
    PlanDomain,
    Problem,
)
from pallio.careplans.services.common import _back_to, _raise
from pallio.core import clock
from pallio.core.codes import SNOMED, Discipline
from pallio.core.models import ConflictError, versioned_save
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text

CODE_SYSTEMS = (SNOMED, PROBLEM_SYSTEM)


# --- the care plan ---------------------------------------------------------------------------


@transaction.atomic
def care_plan_for_episode(*, actor: Any, episode: Any) -> CarePlan:
    """The episode's plan, opened on first use with its first review date."""
    plan = CarePlan.objects.filter(episode=episode).first()
    if plan is not None:
        return plan
    days = episode.program.setting("care_plan_review_days")
    plan = CarePlan.objects.create(
        program_id=episode.program_id,
        patient_id=episode.patient_id,
        episode=episode,
        review_due=clock.today_in(episode.program.timezone) + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="care_plan.create",
        patient_id=episode.patient_id,
        program=episode.program,
        target=plan,
    )
    return plan


def _check_code(errors: Errors, code_system: str, code: str, display: str) -> None:
    check_choice(errors, "code_system", code_system, CODE_SYSTEMS)
    check_text(errors, "code", code, 40, required=True)
    check_text(errors, "display", display, 200, required=True)
    # A SNOMED CT concept id is 6 to 18 digits; anything else cannot be one.
    if (
        code_system == SNOMED
        and code.strip()
        and not (code.strip().isdigit() and 6 <= len(code.strip()) <= 18)
    ):
        errors.setdefault("code", []).append("A SNOMED CT code is 6 to 18 digits.")


@transaction.atomic
def problem_add(
    *,
    actor: Any,
    plan: CarePlan,
    domain: str,
    code_system: str,
    code: str,
    display: str,
    detail: str = "",
) -> Problem:
    privilege_check(actor, "care_plan.edit")
    errors: Errors = {}
    check_choice(errors, "domain", domain, PlanDomain.values)
    _check_code(errors, code_system, code, display)
    check_text(errors, "detail", detail, 2000)
    _raise(errors)
    problem = Problem.objects.create(
        plan=plan,
        domain=domain,
        code_system=code_system,
        code=code.strip(),
        display=display.strip(),
        detail=detail.strip(),
        created_by=actor,
        updated_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="care_plan.problem.add",
        patient_id=plan.patient_id,
        program=plan.program,
        target=problem,
    )
    return problem


def _same_plan(plan: CarePlan, *records: Any) -> None:
    for record in records:
        if record is not None and record.plan_id != plan.pk:
            raise ValidationError("That entry belongs to another care plan.")


@transaction.atomic
def goal_add(
    *,
    actor: Any,
    plan: CarePlan,
    patient_words: str,
    target: str,
    review_date: date | None,
    problem: Problem | None = None,
    conversation: Any = None,
) -> Goal:
    privilege_check(actor, "care_plan.edit")
    errors: Errors = {}
    check_text(errors, "patient_words", patient_words, 1000, required=True)
    check_text(errors, "target", target, 300, required=True)
    if review_date is None:
        errors.setdefault("review_date", []).append("This field is required.")
    elif review_date < clock.today_in(plan.program.timezone):
        errors.setdefault("review_date", []).append("The review date cannot be in the past.")
    _check_conversation(errors, plan, conversation)
    _raise(errors)
    assert review_date is not None
    _same_plan(plan, problem)
    goal = Goal.objects.create(
        plan=plan,
        problem=problem,
        patient_words=patient_words.strip(),
        target=target.strip(),
        review_date=review_date,
        conversation=conversation,
        created_by=actor,
        updated_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="care_plan.goal.add",
        patient_id=plan.patient_id,
        program=plan.program,
        target=goal,
    )
    return goal


@transaction.atomic
def intervention_add(
    *,
    actor: Any,
    plan: CarePlan,
    description: str,
    discipline: str,
    problem: Problem | None = None,
    goal: Goal | None = None,
) -> Intervention:
    privilege_check(actor, "care_plan.edit")
    errors: Errors = {}
    check_text(errors, "description", description, 500, required=True)
    check_choice(errors, "discipline", discipline, Discipline.values)
    _raise(errors)
    _same_plan(plan, problem, goal)
    intervention = Intervention.objects.create(
        plan=plan,
        problem=problem,
        goal=goal,
        description=description.strip(),
        discipline=discipline,
        created_by=actor,
        updated_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="care_plan.intervention.add",
        patient_id=plan.patient_id,
        program=plan.program,
        target=intervention,
    )
    return intervention


def _check_conversation(errors: Errors, plan: CarePlan, conversation: Any) -> None:
    """A goal comes from a signed goals-of-care conversation with the plan's own patient."""
    if conversation is None:
        return
    if conversation.patient_id != plan.patient_id:
        errors.setdefault("conversation", []).append("Choose a conversation with this patient.")
    elif conversation.status != "signed" or conversation.entered_in_error:
        errors.setdefault("conversation", []).append("Choose a signed conversation.")


def _assert_current(record: Any) -> None:
    if record.entered_in_error:
        raise ValidationError("This entry was marked entered in error and cannot be changed.")


def _stale(record: Any, expected_version: int) -> None:
    """Refuse before validating when the edit was made against an older version, so that the
    second of two editors is told about the first one's change whatever they typed."""
    if expected_version != record.version:
        raise ConflictError(
            "This entry was changed by someone else while you were editing. "
            "Their version is shown below; your text is kept in the form. "
            "Check it against theirs and save again."
        )


def _refresh_for_update(record: Any) -> Any:
    """The row as stored now, locked for the rest of the transaction."""
    return type(record).objects.select_for_update().get(pk=record.pk)


@transaction.atomic
def problem_update(
    *,
    actor: Any,
    problem: Problem,
    expected_version: int,
    domain: str,
    code_system: str,
    code: str,
    display: str,
    detail: str = "",
    status: str = Problem.Status.ACTIVE,
) -> Problem:
    """Change a problem; the prior version stays in its history."""
    privilege_check(actor, "care_plan.edit")
    current = _refresh_for_update(problem)
    _assert_current(current)
    _stale(current, expected_version)
    errors: Errors = {}
    check_choice(errors, "domain", domain, PlanDomain.values)
    _check_code(errors, code_system, code, display)
    check_text(errors, "detail", detail, 2000)
    check_choice(errors, "status", status, Problem.Status.values)
    _raise(errors)
    current.domain = domain
    current.code_system = code_system
    current.code = code.strip()
    current.display = display.strip()
    current.detail = detail.strip()
    current.status = status
    current.updated_by = actor
    versioned_save(
        current,
        expected_version,
        ["domain", "code_system", "code", "display", "detail", "status", "updated_by"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="care_plan.problem.update",
        patient_id=current.plan.patient_id,
        program=current.plan.program,
        target=current,
    )
    return _back_to(problem, current)


@transaction.atomic
def goal_update(
    *,
    actor: Any,
    goal: Goal,
    expected_version: int,
    patient_words: str,
    target: str,
    review_date: date | None,
    problem: Problem | None = None,
    conversation: Any = None,
) -> Goal:
    """Change a goal's words, target, review date or links; the prior version stays in its
    history. Progress is recorded with goal_review_record, not here."""
    privilege_check(actor, "care_plan.edit")
    current = _refresh_for_update(goal)
    _assert_current(current)
    _stale(current, expected_version)
    plan = current.plan
    errors: Errors = {}
    check_text(errors, "patient_words", patient_words, 1000, required=True)
    check_text(errors, "target", target, 300, required=True)
    if review_date is None:
        errors.setdefault("review_date", []).append("This field is required.")
    elif review_date < clock.today_in(plan.program.timezone) and review_date != current.review_date:
        errors.setdefault("review_date", []).append("The review date cannot be in the past.")
    _check_conversation(errors, plan, conversation)
    _raise(errors)
    assert review_date is not None
    _same_plan(plan, problem)
    current.patient_words = patient_words.strip()
    current.target = target.strip()
    current.review_date = review_date
    current.problem = problem
    current.conversation = conversation
    current.updated_by = actor
    versioned_save(
        current,
        expected_version,
        ["patient_words", "target", "review_date", "problem", "conversation", "updated_by"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="care_plan.goal.update",
        patient_id=plan.patient_id,
        program=plan.program,
        target=current,
    )
    return _back_to(goal, current)


@transaction.atomic
def intervention_update(
    *,
    actor: Any,
    intervention: Intervention,
    expected_version: int,
    description: str,
    discipline: str,
    problem: Problem | None = None,
    goal: Goal | None = None,
    status: str = Intervention.Status.ACTIVE,
) -> Intervention:
    privilege_check(actor, "care_plan.edit")
    current = _refresh_for_update(intervention)
    _assert_current(current)
    _stale(current, expected_version)
    errors: Errors = {}
    check_text(errors, "description", description, 500, required=True)
    check_choice(errors, "discipline", discipline, Discipline.values)
    check_choice(errors, "status", status, Intervention.Status.values)
    _raise(errors)
    plan = current.plan
    _same_plan(plan, problem, goal)
    current.description = description.strip()
    current.discipline = discipline
    current.problem = problem
    current.goal = goal
    current.status = status
    current.updated_by = actor
    versioned_save(
        current,
        expected_version,
        ["description", "discipline", "problem", "goal", "status", "updated_by"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="care_plan.intervention.update",
        patient_id=plan.patient_id,
        program=plan.program,
        target=current,
    )
    return _back_to(intervention, current)


# A goal met, or no longer relevant, is finished; partly met and not met keep it open.
FINAL_OUTCOMES = frozenset({GoalOutcome.MET, GoalOutcome.NO_LONGER_RELEVANT})


@transaction.atomic
def goal_review_record(
    *,
    actor: Any,
    goal: Goal,
    outcome: str,
    comment: str = "",
    next_review_date: date | None = None,
    expected_version: int | None = None,
) -> GoalReview:
    """Record progress on a goal, with who and when. A final outcome (met, no longer
    relevant) closes the goal; otherwise the goal stays active, with its next review date
    when one is given."""
    privilege_check(actor, "care_plan.review")
    current = _refresh_for_update(goal)
    _assert_current(current)
    if expected_version is not None:
        _stale(current, expected_version)
    if current.status == Goal.Status.CLOSED:
        raise ValidationError("This goal is closed; add a new goal instead.")
    plan = current.plan
    errors: Errors = {}
    check_choice(errors, "outcome", outcome, GoalOutcome.values)
    check_text(errors, "comment", comment, 2000)
    today = clock.today_in(plan.program.timezone)
    if next_review_date is not None and next_review_date < today:
        errors.setdefault("next_review_date", []).append(
            "The next review date cannot be in the past."
        )
    _raise(errors)
    review = GoalReview.objects.create(
        goal=current,
        outcome=outcome,
        comment=comment.strip(),
        reviewed_by=actor,
        reviewed_at=clock.now(),
    )
    current.latest_outcome = outcome
    current.updated_by = actor
    fields = ["latest_outcome", "updated_by"]
    if outcome in FINAL_OUTCOMES:
        current.status = Goal.Status.CLOSED
        fields.append("status")
    elif next_review_date is not None:
        current.review_date = next_review_date
        fields.append("review_date")
    versioned_save(current, current.version, fields)
    if goal is not current:
        goal.refresh_from_db()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="care_plan.goal.review",
        patient_id=plan.patient_id,
        program=plan.program,
        target=review,
        detail={"outcome": outcome, "goal": str(current.pk)},
    )
    return review


PlanItem = Problem | Goal | Intervention


@transaction.atomic
def plan_item_mark_entered_in_error(
    *, actor: Any, item: PlanItem, reason: str, expected_version: int | None = None
) -> PlanItem:
    """Mark a problem, goal or intervention as wrong, with who and why. It stays on record
    (and in the history), shown struck through, and can no longer be changed."""
    privilege_check(actor, "care_plan.void")
    current = _refresh_for_update(item)
    if current.entered_in_error:
        raise ValidationError("This entry is already marked entered in error.")
    if expected_version is not None:
        _stale(current, expected_version)
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    _raise(errors)
    current.entered_in_error = True
    current.entered_in_error_at = clock.now()
    current.entered_in_error_by = actor
    current.entered_in_error_reason = reason.strip()
    current.updated_by = actor
    versioned_save(
        current,
        current.version,
        [
            "entered_in_error",
            "entered_in_error_at",
            "entered_in_error_by",
            "entered_in_error_reason",
            "updated_by",
        ],
    )
    kind = type(current).__name__.lower()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event=f"care_plan.{kind}.entered_in_error",
        patient_id=current.plan.patient_id,
        program=current.plan.program,
        target=current,
        detail={"reason": current.entered_in_error_reason},
    )
    return _back_to(item, current)


@transaction.atomic
def care_plan_review_record(
    *, actor: Any, plan: CarePlan, expected_version: int | None = None
) -> CarePlan:
    """The team reviewed the whole plan: who and when, and the next review is due after the
    program's ``care_plan_review_days``."""
    privilege_check(actor, "care_plan.review")
    current = _refresh_for_update(plan)
    if expected_version is not None:
        _stale(current, expected_version)
    program = current.program
    current.last_reviewed_at = clock.now()
    current.last_reviewed_by = actor
    current.review_due = clock.today_in(program.timezone) + timedelta(
        days=program.setting("care_plan_review_days")
    )
    versioned_save(current, current.version, ["last_reviewed_at", "last_reviewed_by", "review_due"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="care_plan.review",
        patient_id=current.patient_id,
        program=program,
        target=current,
    )
    return _back_to(plan, current)


def care_plan_open_for(*, actor: Any, patient: Any) -> CarePlan:
    """The plan of the patient's active episode, opened on first use; refused (with a
    message) when the patient is not enrolled now, since only a current plan is changed."""
    from pallio.episodes.models import EpisodeOfCare

    episode = (
        EpisodeOfCare.objects.filter(patient_id=patient.pk, status="active")
        .select_related("program")
        .order_by("-start")
        .first()
    )
    if episode is None:
        raise ValidationError("This patient is not enrolled: there is no open care plan.")
    return care_plan_for_episode(actor=actor, episode=episode)
