"""Reads of the team meetings, access-checked and audited.

Who reaches a team's meetings: the program-wide clinical roles (medical director, intake
coordinator, on-call clinician) and the team's own members; anyone else gets the same 404 as
for a meeting that does not exist. Within a meeting, each patient's item is shown only to
those who reach the patient (core/access.py): a member sees the items of the patients whose
care team they are on, the program-wide roles see them all. Every read is audited with the
patients it showed; each list costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import IdtAgendaItem, IdtAttendance, IdtDecision, IdtMeeting, IdtTeam
from pallio.core import access, clock

MEETINGS_PAGE_SIZE = 20
AGENDA_PAGE_SIZE = 25
NOT_DISCUSSED_PAGE_SIZE = 25


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such record") from None


def _program_wide(user: Any) -> bool:
    return getattr(user, "role", None) in access.PROGRAM_WIDE


def teams_for(user: Any) -> QuerySet[IdtTeam]:
    """The teams whose meetings `user` may open."""
    if not access.has_perm(user, "idt.view"):
        return IdtTeam.objects.none()
    teams = IdtTeam.objects.filter(program_id=user.program_id)
    if not _program_wide(user):
        teams = teams.filter(members=user)
    return teams.order_by("name")


def team_reachable(user: Any, team: IdtTeam) -> bool:
    if not access.has_perm(user, "idt.view") or team.program_id != user.program_id:
        return False
    return _program_wide(user) or team.members.filter(pk=user.pk).exists()


def team_get_for(user: Any, team_id: Any) -> IdtTeam:
    team = (
        teams_for(user)
        .filter(pk=_as_uuid(team_id))
        .select_related("program")
        .prefetch_related("members")
        .first()
    )
    if team is None:
        raise Http404("No such team")
    return team


def team_meetings_page(user: Any, team: IdtTeam, page: int) -> Page[Any]:
    """The team's meetings, newest first, with how many patients each agenda holds."""
    meetings = (
        IdtMeeting.objects.filter(team=team)
        .select_related("signed_by")
        .annotate(item_count=Count("items"))
        .order_by("-scheduled_for")
    )
    result: Page[Any] = Paginator(meetings, MEETINGS_PAGE_SIZE).get_page(page)
    result.object_list = list(result.object_list)
    return result


def meeting_get_for(user: Any, meeting_id: Any, *, for_update: bool = False) -> IdtMeeting:
    """The meeting, if `user` reaches its team; Http404 for missing and forbidden alike."""
    meetings = IdtMeeting.objects.filter(
        pk=_as_uuid(meeting_id), team__in=teams_for(user)
    ).select_related("team", "program", "signed_by")
    if for_update:
        meetings = meetings.select_for_update(of=("self",))
    meeting = meetings.first()
    if meeting is None:
        raise Http404("No such meeting")
    return meeting


def item_get_for(user: Any, meeting: IdtMeeting, item_id: Any) -> IdtAgendaItem:
    """An item of the meeting about a patient `user` reaches; Http404 otherwise."""
    item = (
        IdtAgendaItem.objects.filter(pk=_as_uuid(item_id), meeting=meeting)
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("patient", "episode", "meeting")
        .first()
    )
    if item is None:
        raise Http404("No such agenda item")
    return item


@dataclass
class MeetingView:
    meeting: IdtMeeting
    page: Page[Any] | None
    visible_count: int
    discussed_count: int
    hidden_count: int
    attendance: list[IdtAttendance]

    @property
    def items(self) -> list[IdtAgendaItem]:
        return list(self.page.object_list) if self.page is not None else []


def _visible_items(user: Any, meeting: IdtMeeting) -> QuerySet[IdtAgendaItem]:
    visible = access.patient_access_q(user, prefix="patient__")
    return IdtAgendaItem.objects.filter(meeting=meeting).filter(visible)


def agenda_page_of(user: Any, meeting: IdtMeeting, item: IdtAgendaItem) -> int:
    """The page of the agenda on which `item` is shown to `user`."""
    before = _visible_items(user, meeting).filter(position__lt=item.position).count()
    return before // AGENDA_PAGE_SIZE + 1


def meeting_view_for(
    user: Any, meeting: IdtMeeting, *, event: str, page: int | None = 1
) -> MeetingView:
    """One page of the agenda items `user` may see (with decisions and their tasks and plan
    entries; none when `page` is None), how many they see and how many of those were
    discussed, how many are hidden from them, and the attendance. The read is audited once
    with the patients shown: the page's, or for the minutes (page None), every patient the
    minutes may name. A fixed number of queries whatever the agenda's length."""
    visible_items = _visible_items(user, meeting)
    counts = visible_items.aggregate(
        shown=Count("id"), discussed=Count("id", filter=Q(discussed_at__isnull=False))
    )
    total = IdtAgendaItem.objects.filter(meeting=meeting).count()
    result: Page[Any] | None = None
    if page is not None:
        ordered = (
            visible_items.select_related("patient", "discussed_by")
            .prefetch_related(
                Prefetch(
                    "decisions",
                    queryset=IdtDecision.objects.select_related(
                        "decided_by", "task__assigned_to", "intervention", "goal"
                    ),
                )
            )
            .order_by("position")
        )
        paginator = Paginator(ordered, AGENDA_PAGE_SIZE)
        paginator.count = counts["shown"]  # already counted above
        result = paginator.get_page(page)
        result.object_list = list(result.object_list)
        shown = [str(item.patient_id) for item in result.object_list]
    else:
        shown = [
            str(pk)
            for pk in visible_items.order_by("position").values_list("patient_id", flat=True)
        ]
    attendance = list(
        IdtAttendance.objects.filter(meeting=meeting)
        .select_related("user")
        .order_by("discipline", "user__last_name", "user__first_name")
    )
    audit_record(
        actor=user,
        action=Action.READ,
        event=event,
        program=meeting.program,
        target=meeting,
        detail={"patients": shown},
    )
    return MeetingView(
        meeting,
        result,
        counts["shown"],
        counts["discussed"],
        total - counts["shown"],
        attendance,
    )


def not_discussed_page(user: Any, page: int) -> tuple[Page[Any], int]:
    """Active patients `user` reaches who were not discussed at any team meeting in the
    program's ``idt_not_discussed_days`` (the medical director's view), longest first:
    never discussed, then the oldest discussion. Returns (page, days)."""
    episode_model = apps.get_model("episodes", "EpisodeOfCare")
    patient_model = apps.get_model("patients", "Patient")
    program = user.program
    days = int(program.setting("idt_not_discussed_days"))
    cutoff = clock.now() - timedelta(days=days)
    last_discussed = (
        IdtAgendaItem.objects.filter(patient_id=OuterRef("pk"), discussed_at__isnull=False)
        .values("patient_id")
        .annotate(last=Max("discussed_at"))
        .values("last")[:1]
    )
    active = episode_model.objects.filter(patient_id=OuterRef("pk"), status="active")
    patients = (
        access.visible_patients(user, patient_model.objects.filter(entered_in_error=False))
        .filter(program_id=user.program_id, deceased_at__isnull=True)
        .annotate(
            enrolled_since=Subquery(active.order_by("-start").values("start")[:1]),
            last_discussed=Subquery(last_discussed),
        )
        .filter(enrolled_since__isnull=False)
        .filter(Q(last_discussed__isnull=True) | Q(last_discussed__lt=cutoff))
        .order_by(F("last_discussed").asc(nulls_first=True), "family_name", "given_name", "id")
    )
    result: Page[Any] = Paginator(patients, NOT_DISCUSSED_PAGE_SIZE).get_page(page)
    result.object_list = list(result.object_list)
    audit_record(
        actor=user,
        action=Action.READ,
        event="idt.not_discussed.view",
        program=program,
        detail={"patients": [str(p.pk) for p in result.object_list]},
    )
    return result, days
