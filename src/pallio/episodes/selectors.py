"""The caseload: the patients a clinician cares for, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from pallio.accounts.models import User
from pallio.acp.models import CodeStatus, CodeStatusValue
from pallio.acp.rules import NO_CPR
from pallio.assessments.models import Alert, Phase, PhaseOfCare
from pallio.assessments.selectors import symptom_burden_sparklines
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task
from pallio.core import access
from pallio.episodes.models import CareTeamMember
from pallio.patients.models import Condition, Patient
from pallio.visits.models import Visit

CASELOAD_PAGE_SIZE = 50


def caseload_owner_for(user: Any, owner_uuid: Any = None) -> Any:
    """Whose caseload `user` may open: their own, or anyone's in the program for directors."""
    if owner_uuid in (None, "", str(getattr(user, "uuid", ""))):
        return user
    if not access.has_perm(user, "caseload.view_others"):
        raise Http404("No such caseload")
    owner = (
        User.objects.filter(uuid=owner_uuid, program_id=user.program_id).first()
        if (_is_uuid(owner_uuid))
        else None
    )
    if owner is None:
        raise Http404("No such caseload")
    return owner


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _caseload_annotations() -> dict[str, Any]:
    """What each caseload row shows beside the patient, as correlated subqueries of the one
    list query: the next open task, the last visit, the current code status and phase of
    care, and the number of alerts not yet resolved."""
    pk = OuterRef("pk")
    next_open_task = Task.objects.filter(patient=pk, status=Task.Status.OPEN).order_by("due", "id")
    code_status = CodeStatus.objects.filter(patient=pk, entered_in_error=False).order_by(
        "-created_at", "-id"
    )
    phase = PhaseOfCare.objects.filter(patient=pk).order_by("-recorded_at", "-id")
    open_alerts = (
        Alert.objects.filter(patient=pk)
        .exclude(status=Alert.Status.RESOLVED)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_visit = Visit.objects.filter(patient=pk, entered_in_error=False).order_by("-started_at")
    return {
        "next_task_due": Subquery(next_open_task.values("due")[:1]),
        "next_task_title": Subquery(next_open_task.values("title")[:1]),
        "code_status_value": Subquery(code_status.values("status")[:1]),
        "phase_value": Subquery(phase.values("phase")[:1]),
        "open_alert_count": Coalesce(Subquery(open_alerts, output_field=IntegerField()), 0),
        "last_visit_at": Subquery(last_visit.values("started_at")[:1]),
    }


def _code_status_words(value: str | None) -> str:
    """ "Full code", "DNR", "DNR/DNI", "Comfort-focused care"; "Not documented" when none."""
    if not value:
        return "Not documented"
    label = str(CodeStatusValue(value).label) if value in CodeStatusValue.values else value
    return label.split(" (")[0]


def _alert_words(count: int) -> str:
    if not count:
        return "None open"
    return f"{count} open alert{'' if count == 1 else 's'}"


def caseload_page_for(user: Any, owner: Any, page: Any, *, text: str = "") -> Page[Any]:
    membership = CareTeamMember.objects.filter(patient=OuterRef("pk"), user=owner, active=True)
    # Membership as EXISTS (not a join) so that the page needs no DISTINCT or GROUP BY.
    patients = (
        Patient.objects.filter(program_id=user.program_id, entered_in_error=False)
        .filter(Exists(membership))
        .filter(access.patient_access_q(user))
        .annotate(
            team_discipline=Subquery(membership.values("discipline")[:1]),
            **_caseload_annotations(),
        )
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.filter(entered_in_error=False)),
        )
        .order_by("family_name", "given_name", "id")
    )
    if text:
        patients = patients.filter(Q(family_name__icontains=text) | Q(given_name__icontains=text))
    result: Page[Any] = Paginator(patients, CASELOAD_PAGE_SIZE).get_page(page)
    rows = list(result.object_list)
    # One query for every row's symptom-burden sparkline.
    burden = symptom_burden_sparklines([p.pk for p in rows])
    for row in rows:
        row.symptom_burden = burden.get(row.pk, [])
        row.code_status_words = _code_status_words(row.code_status_value)
        row.code_status_refuses_cpr = row.code_status_value in NO_CPR
        row.phase_words = (
            str(Phase(row.phase_value).label) if row.phase_value in Phase.values else ""
        )
        row.open_alert_words = _alert_words(row.open_alert_count)
    result.object_list = rows
    audit_record(
        actor=user,
        action=Action.READ,
        event="caseload.view",
        detail={"owner": owner.get_username(), "patients": [str(p.pk) for p in result.object_list]},
    )
    return result


# --- the enrollment pages: discharge, a death, enrolling again ------------------------------


def enrollment_context_for(user: Any, patient_id: Any, *, audit: bool = True) -> dict[str, Any]:
    """The patient (access-checked: Http404 for missing and forbidden alike), the chart
    header, the episodes newest first, the death record and the preferred place of death."""
    from pallio.acp.models import PlacePreference
    from pallio.episodes.models import DeathRecord, EpisodeOfCare
    from pallio.patients.selectors import patient_get_for, patient_header_context

    patient = patient_get_for(user, patient_id, event="enrollment.read", audit=audit)
    episodes = list(
        EpisodeOfCare.objects.filter(patient=patient)
        .select_related("referral", "discharged_by")
        .order_by("-start")
    )
    preference = PlacePreference.objects.filter(patient=patient).first()
    return {
        **patient_header_context(user, patient),
        "episodes": episodes,
        "open_episode": next((e for e in episodes if e.status != "finished"), None),
        "death": DeathRecord.objects.filter(patient=patient).select_related("recorded_by").first(),
        "preferred_place_of_death": (
            preference.get_place_of_death_display()
            if preference and preference.place_of_death
            else ""
        ),
    }


def reenroll_candidates_for(user: Any) -> list[Any]:
    """The program's active clinical staff who can be put on a care team."""
    from pallio.episodes.services import care_team_candidates

    return list(care_team_candidates(user.program_id))


# --- the care team and its history ------------------------------------------------------------

CARE_TEAM_HISTORY_LIMIT = 100


@dataclass(frozen=True)
class CareTeamEvent:
    """One line of a care team's history, in plain words."""

    at: Any
    text: str
    by: str


def care_team_history_of(patient: Any) -> list[CareTeamEvent]:
    """Who joined and left the patient's care teams and who led them, newest first, over all
    the patient's enrollments (bounded; three queries)."""
    from pallio.episodes.models import CareTeamLeadChange, CareTeamMember

    events: list[CareTeamEvent] = []
    members = (
        CareTeamMember.objects.filter(patient=patient)
        .select_related("user", "added_by", "ended_by")
        .order_by("-created_at")[:CARE_TEAM_HISTORY_LIMIT]
    )
    for m in members:
        discipline = m.get_discipline_display().lower()
        events.append(
            CareTeamEvent(
                m.created_at,
                f"{m.user.display_name} joined the team ({discipline})",
                m.added_by.display_name if m.added_by else "",
            )
        )
        if m.ended_at is not None:
            events.append(
                CareTeamEvent(
                    m.ended_at,
                    f"{m.user.display_name} left the team ({discipline})",
                    m.ended_by.display_name if m.ended_by else "",
                )
            )
    changes = (
        CareTeamLeadChange.objects.filter(patient=patient)
        .select_related("from_user", "to_user", "changed_by")
        .order_by("-created_at")[:CARE_TEAM_HISTORY_LIMIT]
    )
    for c in changes:
        text = (
            f"Lead changed from {c.from_user.display_name} to {c.to_user.display_name}"
            if c.from_user
            else f"{c.to_user.display_name} became the lead"
        )
        events.append(
            CareTeamEvent(c.created_at, text, c.changed_by.display_name if c.changed_by else "")
        )
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:CARE_TEAM_HISTORY_LIMIT]


def care_team_context_for(user: Any, patient_id: Any, *, audit: bool = True) -> dict[str, Any]:
    """The care-team page: the patient (access-checked), the open enrollment's current team,
    the history, and the staff who could be added."""
    from pallio.episodes.services import care_team_candidates, care_team_of

    context = enrollment_context_for(user, patient_id, audit=audit)
    episode = context["open_episode"]
    members = list(care_team_of(episode)) if episode is not None else []
    on_team = {m.user_id for m in members}
    context.update(
        {
            "members": members,
            "lead": next((m for m in members if m.is_lead), None),
            "history": care_team_history_of(context["patient"]),
            "candidates": [u for u in care_team_candidates(user.program_id) if u.pk not in on_team],
        }
    )
    return context
