"""Reads of the bereavement follow-up, access-checked and audited: each family follows its
patient's rule (core/access.py); lists cost a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.episodes.bereavement import related_person_model
from pallio.episodes.models import BereavementContact, BereavementFollowUp

WORKLIST_PAGE_SIZE = 50


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such follow-up") from None


def _family_prefetch(prefix: str) -> Prefetch:
    agents = related_person_model().objects.filter(entered_in_error=False)
    return Prefetch(f"{prefix}healthcare_agents", queryset=agents, to_attr="family")


def follow_ups_for(user: Any) -> QuerySet[BereavementFollowUp]:
    return BereavementFollowUp.objects.filter(program_id=user.program_id).filter(
        access.patient_access_q(user, prefix="patient__")
    )


def follow_up_get_for(user: Any, follow_up_id: Any) -> BereavementFollowUp:
    """The follow-up, or 404 alike for a missing one and one the user may not reach."""
    follow_up = (
        follow_ups_for(user)
        .select_related("patient", "program", "screened_by")
        .prefetch_related(_family_prefetch("patient__"))
        .filter(pk=_uuid(follow_up_id))
        .first()
    )
    if follow_up is None:
        raise Http404("No such follow-up")
    return follow_up


def contact_get_for(user: Any, follow_up: BereavementFollowUp, contact_id: Any) -> Any:
    contact = follow_up.contacts.filter(pk=_uuid(contact_id)).first()
    if contact is None:
        raise Http404("No such contact")
    contact.follow_up = follow_up
    return contact


@dataclass
class FollowUpView:
    follow_up: BereavementFollowUp
    contacts: list[BereavementContact]
    referrals: list[Any]
    next_contact: BereavementContact | None
    today: date


def follow_up_view_for(user: Any, follow_up: BereavementFollowUp) -> FollowUpView:
    """The follow-up page: its contacts and referrals, audited as one read."""
    contacts = list(follow_up.contacts.select_related("caregiver", "done_by"))
    referrals = list(follow_up.referrals.select_related("caregiver", "referred_by"))
    audit_record(
        actor=user,
        action=Action.READ,
        event="bereavement.view",
        patient=follow_up.patient,
        target=follow_up,
    )
    due = [c for c in contacts if c.status == BereavementContact.Status.DUE]
    return FollowUpView(
        follow_up=follow_up,
        contacts=contacts,
        referrals=referrals,
        next_contact=due[0] if due else None,
        today=clock.today_in(follow_up.program.timezone),
    )


def worklist_page_for(user: Any, page: Any) -> Page[Any]:
    """The planned contacts due within the program's window, and every overdue one, of the
    open follow-ups the user reaches: overdue first (earliest due first), in four queries
    whatever the length (count, page, family members, audit)."""
    program = user.program
    today = clock.today_in(program.timezone)
    until = today + timedelta(days=int(program.setting("bereavement_worklist_days")))
    contacts = (
        BereavementContact.objects.filter(
            program_id=user.program_id,
            status=BereavementContact.Status.DUE,
            follow_up__status=BereavementFollowUp.Status.OPEN,
            due_on__lte=until,
        )
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("patient", "follow_up")
        .prefetch_related(_family_prefetch("patient__"))
        .order_by("due_on", "patient__family_name", "patient__given_name", "id")
    )
    result: Page[Any] = Paginator(contacts, WORKLIST_PAGE_SIZE).get_page(page)
    rows = list(result.object_list)
    for row in rows:
        row.overdue = row.due_on < today
    result.object_list = rows
    audit_record(
        actor=user,
        action=Action.READ,
        event="bereavement.worklist",
        detail={"patients": sorted({str(row.patient_id) for row in rows})},
    )
    return result
