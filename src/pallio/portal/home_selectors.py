"""What the portal's home page shows a patient or caregiver, in plain words.

Each section is read only when the access allows its scope: the team and the 24/7 number
always; visits with "visits"; medications with "medications"; goals of care, the advance
directive, visit summaries and directive documents with "documents". Every section costs one
query whatever the number of rows, so the page costs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pallio.acp.models import AdvanceDirectiveDocument, DirectiveKind, GoalsOfCareConversation
from pallio.core import clock, phones
from pallio.core.codes import Discipline
from pallio.episodes.models import CareTeamMember
from pallio.medications.models import MedicationStatement
from pallio.portal.models import PortalAccess, PortalScope
from pallio.visits.models import Mode, ScheduledVisit, Setting, VisitSummary

# How many rows each list shows: the next visits, the newest summaries and documents.
UPCOMING_VISITS = 10
SUMMARIES_SHOWN = 10

# The team's roles as a family would say them.
ROLE_WORDS: dict[str, Any] = {
    Discipline.PHYSICIAN: _("Doctor"),
    Discipline.NURSE_PRACTITIONER: _("Nurse practitioner"),
    Discipline.NURSE: _("Nurse"),
    Discipline.NURSE_NAVIGATOR: _("Nurse who guides your care"),
    Discipline.SOCIAL_WORKER: _("Social worker"),
    Discipline.CHAPLAIN: _("Chaplain, for spiritual care"),
    Discipline.DIETITIAN: _("Dietitian, for food and eating"),
    Discipline.PHARMACIST: _("Pharmacist, for medicines"),
    Discipline.RESPIRATORY_THERAPIST: _("Breathing therapist"),
    Discipline.CARE_COORDINATOR: _("Care coordinator"),
    Discipline.PATIENT_NAVIGATOR: _("Patient guide"),
    Discipline.MUSIC_THERAPIST: _("Music therapist"),
    Discipline.CHILD_LIFE: _("Child-life specialist, for children in the family"),
    Discipline.VOLUNTEER: _("Volunteer"),
    Discipline.ADMINISTRATION: _("Office staff"),
}

WHERE_WORDS: dict[str, Any] = {
    Setting.HOME: _("At home"),
    Setting.NURSING_HOME: _("At the nursing home"),
    Setting.ASSISTED_LIVING: _("At the assisted living home"),
    Setting.RETIREMENT_COMMUNITY: _("At the retirement community"),
    Setting.HOSPITAL: _("At the hospital"),
}

DIRECTIVE_WORDS: dict[str, Any] = {
    DirectiveKind.LIVING_WILL: _("Living will"),
    DirectiveKind.HEALTHCARE_POA: _("Health care power of attorney"),
    DirectiveKind.PORTABLE_ORDER: _("Medical orders form (POLST or MOLST)"),
    DirectiveKind.OTHER: _("Advance directive"),
}


@dataclass(frozen=True)
class TeamRow:
    name: str
    role: Any
    leads: bool


@dataclass(frozen=True)
class VisitRow:
    visit_id: Any
    starts_at: datetime
    ends_at: datetime
    who: Any
    where: Any
    video: bool
    join_url: str


@dataclass(frozen=True)
class MedicationRow:
    name: str
    dose: str
    how_often: str
    as_needed: bool
    note: str


@dataclass(frozen=True)
class DocumentRow:
    document_id: Any
    title: Any
    dated: Any
    checked: bool


def _team(access: PortalAccess) -> list[TeamRow]:
    members = (
        CareTeamMember.objects.filter(patient_id=access.patient_id, active=True)
        .exclude(episode__status="finished")
        .select_related("user")
        .order_by("-is_lead", "discipline", "user__last_name")
    )
    return [
        TeamRow(
            name=m.user.get_full_name() or m.user.username,
            role=ROLE_WORDS.get(m.discipline, _("Team member")),
            leads=m.is_lead,
        )
        for m in members
    ]


def _where(visit: ScheduledVisit) -> Any:
    if visit.mode == Mode.VIDEO or visit.setting == Setting.TELEHEALTH:
        return _("By video")
    if visit.mode == Mode.TELEPHONE:
        return _("By phone")
    if visit.setting in WHERE_WORDS:
        return WHERE_WORDS[visit.setting]
    if visit.place is not None:
        return visit.place.name
    return _("At the clinic")


def _visits(access: PortalAccess) -> list[VisitRow]:
    rows = (
        ScheduledVisit.objects.filter(
            patient_id=access.patient_id,
            status=ScheduledVisit.Status.BOOKED,
            ends_at__gte=clock.now(),
        )
        .select_related("place")
        .order_by("starts_at")[:UPCOMING_VISITS]
    )
    return [
        VisitRow(
            visit_id=v.pk,
            starts_at=v.starts_at,
            ends_at=v.ends_at,
            who=ROLE_WORDS.get(v.discipline, _("Team member")),
            where=_where(v),
            video=v.mode == Mode.VIDEO,
            join_url=v.join_url if v.mode == Mode.VIDEO else "",
        )
        for v in rows
    ]


def _number(value: Decimal) -> str:
    """A number in the page's language (17,2 in Spanish), without trailing zeros."""
    whole = value == value.to_integral_value()
    return formats.number_format(int(value) if whole else value.normalize(), use_l10n=True)


def _how_often(per_day: Decimal | None) -> str:
    """'2 times a day', in the page's language and number format."""
    if not per_day:
        return ""
    return ngettext("%(times)s time a day", "%(times)s times a day", int(per_day)) % {
        "times": _number(per_day)
    }


def _medications(access: PortalAccess) -> list[MedicationRow]:
    rows = MedicationStatement.objects.filter(
        patient_id=access.patient_id, status=MedicationStatement.Status.ACTIVE
    ).order_by("display")
    return [
        MedicationRow(
            name=m.display,
            dose=f"{_number(m.dose_amount)} {m.dose_unit}".strip() if m.dose_amount else "",
            how_often=_how_often(m.doses_per_day),
            as_needed=m.as_needed,
            note=m.note,
        )
        for m in rows
    ]


def _goals(access: PortalAccess) -> GoalsOfCareConversation | None:
    """The newest signed conversation: its `goals` are what the person said matters most."""
    return (
        GoalsOfCareConversation.objects.filter(
            patient_id=access.patient_id, status="signed", entered_in_error=False
        )
        .exclude(goals="")
        .only("id", "held_at", "goals")
        .order_by("-held_at")
        .first()
    )


def _directives(access: PortalAccess) -> list[DocumentRow]:
    rows = AdvanceDirectiveDocument.objects.filter(
        patient_id=access.patient_id, entered_in_error=False
    ).only("id", "kind", "document_date", "verified")
    return [
        DocumentRow(
            document_id=d.pk,
            title=DIRECTIVE_WORDS.get(d.kind, _("Advance directive")),
            dated=d.document_date,
            checked=d.verified,
        )
        for d in rows
    ]


def _summaries(access: PortalAccess) -> list[Any]:
    return list(
        VisitSummary.objects.filter(patient_id=access.patient_id)
        .select_related("visit")
        .only("id", "visit_id", "created_at", "visit__started_at")
        .order_by("-created_at")[:SUMMARIES_SHOWN]
    )


def directive_status(directives: list[DocumentRow]) -> Any:
    """The advance directive's status in one plain sentence."""
    if not directives:
        return _(
            "The team does not have an advance directive yet. "
            "Ask the team if you would like help to make one."
        )
    if any(d.checked for d in directives):
        return _("The team has the advance directive and has checked it.")
    return _("The team has the advance directive. They have not checked it yet.")


def portal_home_sections(access: PortalAccess) -> dict[str, Any]:
    """The sections of the home page this access may see (one query for each)."""
    program = access.program
    sections: dict[str, Any] = {
        "team": _team(access),
        "phone": program.phone,
        "phone_display": phones.phone_display(program.phone),
        "program_zone": program.timezone,
        "shows_visits": access.can(PortalScope.VISITS),
        "shows_medications": access.can(PortalScope.MEDICATIONS),
        "shows_documents": access.can(PortalScope.DOCUMENTS),
    }
    if sections["shows_visits"]:
        sections["visits"] = _visits(access)
    if sections["shows_medications"]:
        sections["medications"] = _medications(access)
    if sections["shows_documents"]:
        directives = _directives(access)
        sections.update(
            {
                "goals": _goals(access),
                "directives": directives,
                "directive_status": directive_status(directives),
                "summaries": _summaries(access),
            }
        )
    return sections
