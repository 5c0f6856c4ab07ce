"""Reads of referrals: access-checked, audited, with a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_read, audit_record
from pallio.core import access, params
from pallio.core.read_together import Rows, read_together
from pallio.referrals.models import (
    OPEN_STATUSES,
    Attachment,
    Referral,
    ReferralMedication,
    Setting,
    Source,
    Status,
    Urgency,
)

QUEUE_PAGE_SIZE = 25
# Sorts the queue may use: by medical need then waiting time (the default), or by a due date.
QUEUE_SORTS = {
    "need": ("urgency_rank", "received_at"),
    "waiting": ("received_at",),
    "due": ("first_contact_due", "urgency_rank"),
    "-received": ("-received_at",),
}
QUEUE_SORT_CHOICES = [
    ("need", "Medical need, then waiting time"),
    ("waiting", "Longest waiting"),
    ("due", "First contact due"),
    ("-received", "Newest"),
]


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"
    source: str = ""
    urgency: str = ""
    setting: str = ""
    sort: str = "need"

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        """The queue's filters; BadQuery naming each value that is not on offer."""
        data = params.parse(QueueQuery, query)
        return cls(
            status=data["status"],
            source=data["source"],
            urgency=data["urgency"],
            setting=data["setting"],
            sort=data["sort"],
        )


class QueueQuery(params.QueryForm):
    status = params.ChoiceParam(
        label="Status", initial="open", choices=[("open", "Open"), ("all", "All"), *Status.choices]
    )
    source = params.ChoiceParam(label="Source", choices=Source.choices)
    urgency = params.ChoiceParam(label="Urgency", choices=Urgency.choices)
    setting = params.ChoiceParam(label="Preferred setting", choices=Setting.choices)
    sort = params.ChoiceParam(label="Sort", initial="need", choices=QUEUE_SORT_CHOICES)
    page = params.PageParam()


def referral_queue_for(user: Any, filters: QueueFilters) -> QuerySet[Referral]:
    if not access.has_perm(user, "referral.view"):
        return Referral.objects.none()
    qs = Referral.objects.filter(program_id=user.program_id)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.setting:
        qs = qs.filter(preferred_setting=filters.setting)
    return qs.select_related("patient").order_by(*QUEUE_SORTS[filters.sort], "id")


def referral_queue_page_for(
    user: Any, filters: QueueFilters, page: Any, *, open_total: int | None = None
) -> Page[Referral]:
    """One page of the queue. `open_total`, the count of open referrals the page's header
    shows (open_referral_counts), is the list's own count when the queue shows every open
    referral: it is not counted a second time."""
    paginator = Paginator(referral_queue_for(user, filters), QUEUE_PAGE_SIZE)
    every_open = filters.status == "open" and not (
        filters.source or filters.urgency or filters.setting
    )
    if open_total is not None and every_open:
        paginator.count = open_total
    result = paginator.get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event="referral.queue",
        detail={"referrals": [r.reference for r in result.object_list]},
    )
    return result


def referral_get_for(user: Any, referral_id: Any, *, audit: bool = True) -> Referral:
    """The referral, if `user` may triage referrals of its program; 404 otherwise."""
    try:
        rid = referral_id if isinstance(referral_id, uuid.UUID) else uuid.UUID(str(referral_id))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such referral") from None
    if not access.has_perm(user, "referral.view"):
        raise Http404("No such referral")
    referral = (
        Referral.objects.select_related("program", "patient", "decided_by", "entered_by")
        .filter(pk=rid, program_id=user.program_id)
        .first()
    )
    if referral is None:
        raise Http404("No such referral")
    if audit:
        audit_read(actor=user, patient=referral.patient, target=referral, event="referral.read")
    return referral


def open_referral_counts(user: Any, *, today: Any) -> dict[str, int]:
    """How many referrals are open, and how many of those are past their first-contact date.

    Two counts, each answered from a partial index on open referrals.
    """
    if not access.has_perm(user, "referral.view"):
        return {"open": 0, "overdue": 0}
    open_referrals = Referral.objects.filter(program_id=user.program_id, status__in=OPEN_STATUSES)
    return {
        "open": open_referrals.count(),
        "overdue": open_referrals.filter(first_contact_due__lt=today).count(),
    }


@dataclass(frozen=True)
class EnrollmentReferral:
    """A referral that led to the patient's enrollment, as the care team sees it on the chart."""

    referral: Referral
    attachments: list[Attachment]
    medications: list[ReferralMedication]

    @property
    def to_reconcile(self) -> list[ReferralMedication]:
        return [m for m in self.medications if m.decision is None]


def _enrollment_referrals(patient: Any) -> QuerySet[Referral]:
    return Referral.objects.filter(
        program_id=patient.program_id, patient_id=patient.pk, episode__patient_id=patient.pk
    )


def enrollment_referral_parts(patient: Any) -> dict[str, Rows]:
    """The referrals that led to `patient`'s enrollments with their attachments and listed
    medications (and any reconciliation decision), to be read together with a page's other
    reads; for a patient already access-checked."""
    referrals = _enrollment_referrals(patient)
    return {
        "referrals_enrollment": Rows(referrals.select_related("program").order_by("-received_at")),
        "referrals_attachments": Rows(
            Attachment.objects.filter(referral__in=referrals.values("pk")).order_by("created_at")
        ),
        "referrals_medications": Rows(
            ReferralMedication.objects.filter(referral__in=referrals.values("pk"))
            .select_related("reconciliation__decided_by", "reconciliation__medication")
            .order_by("position")
        ),
    }


def enrollment_referrals_for(
    user: Any, patient: Any, *, rows: dict[str, Any] | None = None, audit: bool = True
) -> list[EnrollmentReferral]:
    """The referrals that led to `patient`'s enrollments, newest first, with their attachments
    and the medications the referrer listed (and any reconciliation decision), for a user who
    may see the patient; Http404 otherwise. From `rows` read with enrollment_referral_parts,
    or read here in one query. Audited as one read when there is any, unless `audit` is False:
    the chart, which shows them as one of its sections, names them in its own read event."""
    if not access.can_access_patient(user, patient):
        raise Http404("No such patient")
    rows = rows if rows is not None else read_together(enrollment_referral_parts(patient))
    referrals = rows["referrals_enrollment"]
    if not referrals:
        # Nothing of a referral is shown: the chart's own read event is the whole record.
        return []
    attachments: dict[Any, list[Attachment]] = {}
    for attachment in rows["referrals_attachments"]:
        attachments.setdefault(attachment.referral_id, []).append(attachment)
    medications: dict[Any, list[ReferralMedication]] = {}
    for medication in rows["referrals_medications"]:
        medications.setdefault(medication.referral_id, []).append(medication)
    if audit:
        audit_record(
            actor=user,
            action=Action.READ,
            event="referral.chart_read",
            patient=patient,
            detail={"referrals": [r.reference for r in referrals]},
        )
    return [
        EnrollmentReferral(r, attachments.get(r.pk, []), medications.get(r.pk, []))
        for r in referrals
    ]


def enrollment_attachment_get_for(user: Any, referral_id: Any, attachment_id: Any) -> Attachment:
    """A file sent with a referral that led to an enrollment, for a user who may see the
    patient (the care team, program-wide roles, break-the-glass); Http404 otherwise."""
    try:
        item = (
            Attachment.objects.select_related(
                "referral__patient__program", "referral__program", "referral__episode"
            )
            .filter(pk=attachment_id, referral_id=referral_id, referral__episode__isnull=False)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        item = None
    patient = item.referral.patient if item is not None else None
    if item is None or patient is None or not access.can_access_patient(user, patient):
        raise Http404("No such file")
    if item.referral.episode.patient_id != patient.pk:
        raise Http404("No such file")
    return item


def referral_medication_get_for(user: Any, item_id: Any) -> ReferralMedication:
    """One medication a referrer listed, for a user who may see the enrolled patient; Http404
    for missing and forbidden alike. The caller audits what it does with it."""
    try:
        rid = item_id if isinstance(item_id, uuid.UUID) else uuid.UUID(str(item_id))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such medication") from None
    item = (
        ReferralMedication.objects.select_related(
            "referral__patient__program", "referral__episode", "reconciliation"
        )
        .filter(pk=rid, referral__episode__isnull=False)
        .first()
    )
    patient = item.referral.patient if item is not None else None
    if (
        item is None
        or patient is None
        or item.referral.episode.patient_id != patient.pk
        or not access.can_access_patient(user, patient)
    ):
        raise Http404("No such medication")
    return item
