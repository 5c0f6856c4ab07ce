"""The caregiver self check-in: a caregiver answers the caregiver needs screen shipped with
Pallio (assessments/instruments/caregiver-needs.json) for themselves, from the portal.

It is recorded like any other report of that screen (assessments.services.report_record,
respondent "family caregiver", channel "portal"), so the team sees it where it sees the
screens it takes itself. When the caregiver names as many needs as the program's setting
(`caregiver_checkin_task_at_least`, Pallio's default 3 of 6; the screen has no validated
cut-off, so this is program policy), a task goes to the patient's social worker, and the
page shows the support services from the program's directory (coordination.Agency).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pallio.assessments.models import Channel, Instrument, Respondent, SymptomReport
from pallio.assessments.services import ReportInput, instrument_for_program, report_record
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.codes import Discipline
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.portal.access import portal_access_get
from pallio.portal.diary import _portal_errors
from pallio.portal.models import PortalAccess

CHECKIN_INSTRUMENT = "caregiver-needs"
CHECKIN_SCALE = "needs"
# The social worker is asked to call within this many days of a check-in naming many needs
# (Pallio's default, program policy).
TASK_DUE_DAYS = 3
# The kinds of the program's directory shown to a caregiver (coordination/data/catalog.json).
SUPPORT_KINDS = ("support_group", "counselling", "financial_aid", "home_aide", "meals", "transport")

# The support kinds in the family's words and language (the staff catalogue is English only).
SUPPORT_KIND_LABELS = {
    "support_group": gettext_lazy("Support group"),
    "counselling": gettext_lazy("Counseling"),
    "financial_aid": gettext_lazy("Help with money"),
    "home_aide": gettext_lazy("Help at home"),
    "meals": gettext_lazy("Meals"),
    "transport": gettext_lazy("Rides"),
}


@dataclass
class CheckinOutcome:
    report: SymptomReport
    needs: int
    task: Task | None


def checkin_instrument(program: Any) -> Instrument | None:
    return instrument_for_program(program, CHECKIN_INSTRUMENT)


def caregiver_access(user: Any, patient_id: uuid.UUID) -> PortalAccess:
    """The caregiver's active access to the patient; the patient's own account has no
    caregiver check-in (PermissionDenied, audited by portal_access_get for other refusals)."""
    access = portal_access_get(user, patient_id)
    if access.is_patient:
        raise PermissionDenied
    return access


def support_resources(program: Any) -> list[Any]:
    """The program's active support services for families, by kind then name."""
    from pallio.coordination.models import Agency

    order = {kind: n for n, kind in enumerate(SUPPORT_KINDS)}
    rows: list[Any] = list(
        Agency.objects.filter(program=program, active=True, kind__in=SUPPORT_KINDS)
    )
    for row in rows:
        row.kind_label = SUPPORT_KIND_LABELS.get(row.kind) or row.get_kind_display()
    return sorted(rows, key=lambda a: (order.get(a.kind, 99), a.name.lower()))


def _social_worker(patient: Any) -> Any:
    member = (
        CareTeamMember.objects.filter(
            patient=patient, active=True, discipline=Discipline.SOCIAL_WORKER
        )
        .select_related("user")
        .order_by("-is_lead", "created_at")
        .first()
    )
    return member.user if member is not None else None


def checkin_submit(
    *, user: Any, patient_id: uuid.UUID, answers: dict[str, Any], idempotency_key: str = ""
) -> CheckinOutcome:
    """Record a caregiver's check-in; a high score creates a task for the social worker.
    ValidationError (in the portal's words) for bad answers, with nothing written."""
    access = caregiver_access(user, patient_id)  # a refusal's audit entry is kept
    with transaction.atomic():
        return _checkin_record(user, access, answers, idempotency_key)


def _checkin_record(
    user: Any, access: PortalAccess, answers: dict[str, Any], idempotency_key: str
) -> CheckinOutcome:
    program, patient = access.program, access.patient
    instrument = checkin_instrument(program)
    if instrument is None:
        raise ValidationError({"answers": [_("The check-in is not available.")]})
    data = ReportInput(
        instrument_key=instrument.key,
        answers=answers,
        respondent=Respondent.CAREGIVER,
        channel=Channel.PORTAL,
        respondent_name=(user.get_full_name() or user.username)[:200],
    )
    key = f"checkin:{access.pk}:{idempotency_key[:60]}" if idempotency_key else ""
    try:
        report, created = report_record(actor=user, patient=patient, data=data, idempotency_key=key)
    except ValidationError as exc:
        raise ValidationError(_portal_errors(instrument, exc)) from None
    scores = report.scores or {}
    needs = scores.get("scales", {}).get(CHECKIN_SCALE)
    if needs is None:
        needs = scores.get("answered_sums", {}).get(CHECKIN_SCALE, 0)
    needs = int(needs or 0)
    task = None
    if created and needs >= int(program.setting("caregiver_checkin_task_at_least")):
        episode = EpisodeOfCare.objects.filter(
            patient=patient, status=EpisodeOfCare.Status.ACTIVE
        ).first()
        who = data.respondent_name
        task = task_create(
            actor=None,
            patient=patient,
            episode=episode,
            kind=TaskKind.FOLLOW_UP,
            title=f"Caregiver check-in: {who} named {needs} needs; call them"[:200],
            detail="Sent from the portal by the caregiver. See the caregiver needs screen.",
            due=clock.today_in(program.timezone) + timedelta(days=TASK_DUE_DAYS),
            discipline=Discipline.SOCIAL_WORKER,
            assigned_to=_social_worker(patient),
        )
    if created:
        audit_record(
            actor=user,
            action=Action.CREATE,
            event="caregiver_checkin.submit",
            patient=patient,
            program=program,
            target=report,
            detail={"needs": needs, "task": bool(task)},
        )
    return CheckinOutcome(report=report, needs=needs, task=task)
