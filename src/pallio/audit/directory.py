"""The privacy officer's directory: find a patient or a staff member of the program by name
or record number, and read the trail of events about them, in plain words.

The privacy officer has no access to charts, so this reads the patient's identity (name, date
of birth, record number) only, and only in the officer's own program. Patients and staff are
read by model name so the audit app stays below the apps that record into it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404

from pallio.audit.events import event_description, role_names
from pallio.audit.models import AuditEvent
from pallio.core import params
from pallio.core.codes import Discipline

MIN_SEARCH_LENGTH = 2
SEARCH_WORDS = 4
SHORT_SEARCH_MESSAGE = (
    f"Type at least {MIN_SEARCH_LENGTH} characters: part of a name, or a whole record number."
)
STAFF_SHORT_SEARCH_MESSAGE = (
    f"Type at least {MIN_SEARCH_LENGTH} characters: part of a name, or a username."
)


class _DirectoryQuery(params.QueryForm):
    short_message = SHORT_SEARCH_MESSAGE
    page = params.PageParam()

    def clean_q(self) -> str:
        text = " ".join(str(self.cleaned_data.get("q") or "").split())
        if len(text) < MIN_SEARCH_LENGTH:
            raise forms.ValidationError(self.short_message)
        return text


class PatientDirectoryQuery(_DirectoryQuery):
    q = params.TextParam(label="Name or record number")


class StaffDirectoryQuery(_DirectoryQuery):
    short_message = STAFF_SHORT_SEARCH_MESSAGE
    q = params.TextParam(label="Name or username")


def _patient_model() -> Any:
    return apps.get_model("patients", "Patient")


def _as_uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404(f"No such {what}") from None


def patient_directory_search(user: Any, text: str) -> QuerySet[Any]:
    """Patients of the officer's program whose record number is `text`, or whose names hold
    every word typed (any case). Patients marked entered in error are included: their trail
    is still on the record."""
    words = text.split()[:SEARCH_WORDS]
    names = Q()
    for word in words:
        names &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(middle_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return (
        _patient_model()
        .objects.filter(program_id=user.program_id)
        .filter(Q(mrn__iexact=text) | names)
        .only(
            "id",
            "program_id",
            "mrn",
            "given_name",
            "middle_name",
            "family_name",
            "preferred_name",
            "birth_date",
            "entered_in_error",
        )
        .order_by("family_name", "given_name", "birth_date", "id")
    )


def staff_directory_search(user: Any, text: str) -> QuerySet[Any]:
    """Staff accounts of the officer's program (active or not) whose username is `text`, or
    whose names or username hold every word typed (any case)."""
    words = text.split()[:SEARCH_WORDS]
    names = Q()
    for word in words:
        names &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
        )
    return (
        get_user_model()
        .objects.filter(program_id=user.program_id)
        .filter(Q(username__iexact=text) | names)
        .order_by("last_name", "first_name", "username", "id")
    )


def patient_for_audit(user: Any, patient_id: Any) -> Any:
    """A patient of the officer's program (identity only); Http404 for any other."""
    pid = _as_uuid(patient_id, "patient")
    patient = _patient_model().objects.filter(pk=pid, program_id=user.program_id).first()
    if patient is None:
        raise Http404("No such patient")
    return patient


def staff_for_audit(user: Any, staff_id: Any) -> Any:
    """A staff account of the officer's program; Http404 for any other."""
    sid = _as_uuid(staff_id, "staff member")
    staff = get_user_model().objects.filter(uuid=sid, program_id=user.program_id).first()
    if staff is None:
        raise Http404("No such staff member")
    return staff


def events_about_patient(user: Any, patient: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(program_id=user.program_id, patient_id=patient.pk).order_by(
        "-at", "-id"
    )


def events_by_staff(user: Any, staff: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(program_id=user.program_id, user_id=staff.pk).order_by(
        "-at", "-id"
    )


def discipline_name(key: str) -> str:
    return str(dict(Discipline.choices).get(key, key.replace("_", " ").capitalize()))


@dataclass(frozen=True)
class EventRow:
    """One audit event as the privacy officer reads it."""

    at: datetime
    who: str
    username: str
    role: str
    patient_id: uuid.UUID | None
    patient_name: str
    patient_mrn: str
    patient_born: date | None
    # An id named by the event that is not a patient of this program (a refused address).
    patient_elsewhere: bool
    what: str
    action: str
    outcome: str
    denied: bool
    source_address: str


def event_rows(user: Any, events: Any) -> list[EventRow]:
    """The events with the names of their staff and patients and plain words for their role
    and meaning: two queries for the names, whatever the number of events."""
    events = list(events)
    user_ids = {e.user_id for e in events if e.user_id is not None}
    patient_ids = {e.patient_id for e in events if e.patient_id is not None}
    staff = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(pk__in=user_ids)
        .only("id", "username", "first_name", "last_name")
    }
    patients = {
        p.pk: p
        for p in _patient_model()
        .objects.filter(pk__in=patient_ids, program_id=user.program_id)
        .only("id", "program_id", "mrn", "given_name", "family_name", "birth_date")
    }
    roles = role_names()
    rows = []
    for e in events:
        account = staff.get(e.user_id)
        if account is not None:
            who = account.get_full_name() or account.username
        elif e.user_id is not None:
            who = e.username or "A removed account"
        else:
            who = e.username or "No signed-in user"
        patient = patients.get(e.patient_id)
        rows.append(
            EventRow(
                at=e.at,
                who=who,
                username=e.username,
                role=roles.get(e.role, "") if e.role else "",
                patient_id=e.patient_id if patient is not None else None,
                patient_name=patient.full_name if patient is not None else "",
                patient_mrn=patient.mrn if patient is not None else "",
                patient_born=patient.birth_date if patient is not None else None,
                patient_elsewhere=e.patient_id is not None and patient is None,
                what=event_description(e.event, e.detail),
                action=e.get_action_display(),
                outcome=e.get_outcome_display(),
                denied=e.outcome == "denied",
                source_address=e.source_address,
            )
        )
    return rows
