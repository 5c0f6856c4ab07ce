"""Hospice: the eligibility aid, the "consider a hospice conversation" worklist, and the
referral to a hospice agency with its hand-off package (issue 14, requirements 4 and 5).

The eligibility aid shows which Medicare criteria (CLINICAL.md section 5, after LCD L34538)
the record supports, which it shows unmet, and which it does not hold, each with the record
it was read from. It never certifies: a physician decides. The worklist lists the patients
whose latest prognostic scores pass the program's thresholds, by the team meeting's own rule
(careplans/agenda.py), so both lists always agree.

A referral names the agency (a typed name until the program keeps a directory of
organizations), sends the hand-off package (a PDF and a FHIR R4 Bundle, fixed as sent), and
tracks the agency's answer: sent, accepted, admitted (the episode ends: discharged to
hospice) or declined with a reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.agenda import hospice_reasons, hospice_score_annotations
from pallio.core import access, clock, privileges
from pallio.core.models import versioned_save
from pallio.core.read_together import Rows, read_together
from pallio.core.validation import check_text
from pallio.episodes.hospice_eligibility import (
    DISEASE_GROUPS,
    ELIGIBILITY_KEYS,
    FUNCTION_KEYS,
    GROUP_TITLES,
    KEY_TITLES,
    MET,
    METASTATIC_PREFIXES,
    MISSING,
    NO_LABS,
    NOT_STRUCTURED,
    STATUS_LABELS,
    UNKNOWN,
    Criterion,
    Eligibility,
    hospice_eligibility,
    hospital_stays_of,
    latest_reports,
)
from pallio.episodes.models import (
    EpisodeOfCare,
    HospiceReferral,
    HospiceReferralEvent,
    HospiceReferralStatus,
    PackageDelivery,
)

WORKLIST_PAGE_SIZE = 50


# --- the worklist ---------------------------------------------------------------------------


def _open_or_done_referral() -> Exists:
    return Exists(
        HospiceReferral.objects.filter(
            patient_id=OuterRef("patient_id"),
            status__in=[
                HospiceReferralStatus.SENT,
                HospiceReferralStatus.ACCEPTED,
                HospiceReferralStatus.ADMITTED,
            ],
        )
    )


def hospice_worklist_for(user: Any, page: Any) -> Page[Any]:
    """The patients the user may reach whose latest scores pass the program's hospice
    thresholds (PPI, PaP group, FAST, PPS low and falling), not already referred or admitted
    to hospice: "consider a hospice conversation". A fixed number of queries whatever its length."""
    program = user.program
    zone = ZoneInfo(program.timezone)
    # A generous filter in the database (any PaP at all: its group is read from the report),
    # then the exact rule, the team meeting's, on what it returns.
    loose = (
        Q(ppi_score__gt=float(program.setting("idt_hospice_ppi_above")))
        | Q(fast_score__gte=float(program.setting("idt_hospice_fast_at_least")))
        | Q(pps_score__lte=float(program.setting("idt_hospice_pps_at_most")))
        | Q(pap_score__isnull=False)
    )
    rows: Any = (
        EpisodeOfCare.objects.filter(
            program_id=user.program_id,
            status=EpisodeOfCare.Status.ACTIVE,
            patient__entered_in_error=False,
            patient__deceased_at__isnull=True,
        )
        .filter(access.patient_access_q(user, prefix="patient__"))
        .exclude(_open_or_done_referral())
        .annotate(**hospice_score_annotations())
        .filter(loose)
        .select_related("patient")
        .order_by("patient__family_name", "patient__given_name", "patient_id")
    )
    found = []
    for row in rows:
        row.reasons = hospice_reasons(row, program, zone)
        if row.reasons:
            row.pps_falling = (
                row.pps_score is not None
                and row.pps_before is not None
                and row.pps_score < row.pps_before
            )
            found.append(row)
    result: Page[Any] = Paginator(found, WORKLIST_PAGE_SIZE).get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event="hospice.worklist",
        program=program,
        detail={"patients": [str(r.patient_id) for r in result.object_list]},
    )
    return result


# --- the referral ---------------------------------------------------------------------------


def _active_episode(patient: Any, *, lock: bool = False) -> EpisodeOfCare | None:
    episodes = EpisodeOfCare.objects.filter(
        patient_id=patient.pk, status=EpisodeOfCare.Status.ACTIVE
    )
    if lock:
        episodes = episodes.select_for_update()
    return episodes.order_by("-start").first()


def _check_day(errors: dict[str, list[str]], name: str, value: Any, *, today: date) -> None:
    if not isinstance(value, date):
        errors.setdefault(name, []).append("Give a date.")
    elif value > today:
        errors.setdefault(name, []).append("The date cannot be in the future.")


@transaction.atomic
def hospice_referral_send(
    *,
    actor: Any,
    patient: Any,
    agency_name: str,
    referred_on: date,
    agency_phone: str = "",
    agency_email: str = "",
    note: str = "",
) -> HospiceReferral:
    """Refer an enrolled patient to a hospice agency and send the hand-off package: it is
    built now from the record and kept as sent (PDF content and FHIR R4 Bundle), and, when
    the agency's email is given, emailed to it by the background worker once this commits."""
    from pallio.episodes import hospice_package

    privileges.privilege_check(actor, "hospice.refer")
    if patient.program_id != actor.program_id:
        raise ValidationError("No such patient.")
    zone = ZoneInfo(patient.program.timezone)
    today = clock.today_in(patient.program.timezone)
    agency_name, agency_phone, note = agency_name.strip(), agency_phone.strip(), note.strip()
    agency_email = agency_email.strip()
    errors: dict[str, list[str]] = {}
    check_text(errors, "agency_name", agency_name, 200, required=True)
    check_text(errors, "agency_phone", agency_phone, 40)
    check_text(errors, "note", note, 500)
    if agency_email:
        try:
            validate_email(agency_email)
        except ValidationError:
            errors.setdefault("agency_email", []).append(
                "Enter the agency's email address, such as intake@hospice.example.org."
            )
    _check_day(errors, "referred_on", referred_on, today=today)
    if errors:
        raise ValidationError(errors)
    episode = _active_episode(patient, lock=True)
    if episode is None:
        raise ValidationError(
            "The patient is not enrolled in the program (discharged or never admitted): "
            "only an enrolled patient can be referred to hospice."
        )
    if referred_on < episode.start.astimezone(zone).date():
        raise ValidationError(
            {"referred_on": ["The referral cannot be dated before the patient's enrollment."]}
        )
    open_referral = (
        HospiceReferral.objects.filter(patient_id=patient.pk)
        .filter(status__in=[HospiceReferralStatus.SENT, HospiceReferralStatus.ACCEPTED])
        .first()
    )
    if open_referral is not None:
        raise ValidationError(
            f"The patient is already referred to {open_referral.agency_name} "
            f"({open_referral.get_status_display().lower()}): record its answer first."
        )
    referral = HospiceReferral(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        agency_name=agency_name,
        agency_phone=agency_phone,
        agency_email=agency_email,
        package_delivery=PackageDelivery.QUEUED if agency_email else PackageDelivery.NOT_EMAILED,
        referred_on=referred_on,
        status_on=referred_on,
        note=note,
        referred_by=actor,
    )
    referral.package = hospice_package.package_content(
        patient=patient, episode=episode, referral=referral, sender=actor
    )
    referral.package_bundle = hospice_package.package_bundle(
        patient=patient, episode=episode, referral=referral
    )
    referral.save()
    HospiceReferralEvent.objects.create(
        referral=referral,
        status=HospiceReferralStatus.SENT,
        occurred_on=referred_on,
        recorded_by=actor,
        note=note,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="hospice.refer",
        patient=patient,
        target=referral,
        detail={"agency": agency_name[:200], "emailed": bool(agency_email)},
    )
    if agency_email:
        _package_enqueue_on_commit(referral.pk)
    return referral


def _package_enqueue_on_commit(referral_id: Any) -> None:
    from pallio.episodes.hospice_tasks import hospice_package_enqueue

    transaction.on_commit(lambda: hospice_package_enqueue(str(referral_id)))


@transaction.atomic
def hospice_package_resend(*, actor: Any, referral: HospiceReferral) -> HospiceReferral:
    """Email the hand-off package again after a failed delivery (the mail server was down,
    the address was wrong and has been corrected at the agency): queued for the worker."""
    privileges.privilege_check(actor, "hospice.refer")
    locked = HospiceReferral.objects.select_for_update().get(pk=referral.pk)
    if locked.program_id != actor.program_id:
        raise ValidationError("No such referral.")
    if locked.package_delivery != PackageDelivery.FAILED:
        raise ValidationError(
            "Only a package that could not be delivered can be sent again "
            f"(this one: {locked.get_package_delivery_display().lower()})."
        )
    if locked.patient.deceased_at is not None:
        raise ValidationError("The patient has died: the package is not sent.")
    locked.package_delivery = PackageDelivery.QUEUED
    locked.package_error = ""
    locked.updated_at = clock.now()
    locked.save(update_fields=["package_delivery", "package_error", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="hospice.package.resend",
        patient=locked.patient,
        target=locked,
    )
    _package_enqueue_on_commit(locked.pk)
    return locked


@transaction.atomic
def hospice_referral_status_set(
    *,
    actor: Any,
    referral: HospiceReferral,
    status: str,
    occurred_on: date,
    reason: str = "",
    expected_version: int | None,
) -> HospiceReferral:
    """Record the agency's answer. Admitted ends the patient's episode: discharged to
    hospice on the day of admission. Declined needs the reason."""
    privileges.privilege_check(actor, "hospice.update")
    if referral.program_id != actor.program_id:
        raise ValidationError("No such referral.")
    today = clock.today_in(referral.patient.program.timezone)
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if status not in HospiceReferralStatus.values or status == HospiceReferralStatus.SENT:
        errors.setdefault("status", []).append("Choose what the hospice answered.")
    _check_day(errors, "occurred_on", occurred_on, today=today)
    check_text(errors, "reason", reason, 500)
    if status == HospiceReferralStatus.DECLINED and not reason:
        errors.setdefault("reason", []).append("Say why the hospice declined the referral.")
    if errors:
        raise ValidationError(errors)
    if status not in referral.next_statuses:
        raise ValidationError(
            f"This referral is already {referral.get_status_display().lower()}: it cannot "
            f"become {HospiceReferralStatus(status).label.lower()}."
        )
    if occurred_on < referral.referred_on:
        raise ValidationError(
            {
                "occurred_on": [
                    f"The date cannot be before the referral ({referral.referred_on:%b %-d, %Y})."
                ]
            }
        )
    if occurred_on < referral.status_on:
        raise ValidationError(
            {
                "occurred_on": [
                    f"The date cannot be before the referral's last step "
                    f"({referral.status_on:%b %-d, %Y})."
                ]
            }
        )
    before = referral.status
    referral.status = status
    referral.status_on = occurred_on
    fields = ["status", "status_on"]
    if status == HospiceReferralStatus.DECLINED:
        referral.declined_reason = reason
        fields.append("declined_reason")
    if status == HospiceReferralStatus.ADMITTED:
        referral.admitted_on = occurred_on
        fields.append("admitted_on")
        _discharge_to_hospice(actor=actor, referral=referral, admitted_on=occurred_on)
    versioned_save(referral, expected_version, fields)
    HospiceReferralEvent.objects.create(
        referral=referral,
        status=status,
        occurred_on=occurred_on,
        recorded_by=actor,
        note=reason,
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event=f"hospice.{status}",
        patient=referral.patient,
        target=referral,
        detail={"from": before, "to": status, "on": occurred_on.isoformat()},
    )
    return referral


def _discharge_to_hospice(*, actor: Any, referral: HospiceReferral, admitted_on: date) -> None:
    """End the referral's episode on the day the hospice admitted the patient."""
    episode = EpisodeOfCare.objects.select_for_update().get(pk=referral.episode_id)
    if episode.status != EpisodeOfCare.Status.ACTIVE:
        raise ValidationError(
            "The patient's enrollment has already ended: the admission cannot discharge it."
        )
    zone = ZoneInfo(referral.patient.program.timezone)
    if admitted_on < episode.start.astimezone(zone).date():
        raise ValidationError(
            {"occurred_on": ["The admission cannot be before the patient's enrollment."]}
        )
    # The episode is discharged to hospice on the day of admission, through the discharge
    # service (reason, end of the care team's memberships, the final summary to the referrer).
    from pallio.episodes.discharge import discharge_apply
    from pallio.episodes.models import DischargeReason

    discharge_apply(
        actor=actor,
        episode=episode,
        reason=DischargeReason.HOSPICE,
        on=admitted_on,
        note=f"Admitted to {referral.agency_name}.",
    )


# --- reading referrals ----------------------------------------------------------------------


def referrals_of(patient: Any) -> list[HospiceReferral]:
    """The patient's hospice referrals, newest first, each with its steps: two queries."""
    return list(
        HospiceReferral.objects.filter(patient_id=patient.pk)
        .select_related("referred_by")
        .prefetch_related("events__recorded_by")
        .order_by("-referred_on", "-created_at")
    )


def hospice_status_annotations(patient_ref: str = "patient_id") -> dict[str, Any]:
    """The latest hospice referral of a row's patient as subqueries (no query of their own):
    ``hospice_status``, ``hospice_agency``, ``hospice_status_on``, ``hospice_referred_on``."""
    latest = HospiceReferral.objects.filter(patient_id=OuterRef(patient_ref)).order_by(
        "-referred_on", "-created_at"
    )
    return {
        "hospice_status": Subquery(latest.values("status")[:1]),
        "hospice_agency": Subquery(latest.values("agency_name")[:1]),
        "hospice_status_on": Subquery(latest.values("status_on")[:1]),
        "hospice_referred_on": Subquery(latest.values("referred_on")[:1]),
    }


def hospice_status_text(
    status: str | None, agency: str | None, status_on: Any, referred_on: Any
) -> str:
    """The patient's hospice status in plain words: none, referred to X on a date, admitted
    to X on a date, or declined."""
    if not status:
        return "No hospice referral"
    if status in (HospiceReferralStatus.SENT, HospiceReferralStatus.ACCEPTED):
        text = f"Referred to {agency} on {_long_day(referred_on)}"
        if status == HospiceReferralStatus.ACCEPTED:
            text += f"; accepted on {_long_day(status_on)}"
        return text
    if status == HospiceReferralStatus.ADMITTED:
        return f"Admitted to {agency} on {_long_day(status_on)}"
    return f"Declined by {agency} on {_long_day(status_on)}"


def _long_day(value: Any) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, date):
        return f"{value:%b} {value.day}, {value.year}"
    return ""


def hospice_chart_parts(patient: Any) -> dict[str, Rows]:
    """The chart's read of the hospice status, to be read with its other sections."""
    return {
        "hospice_latest": Rows(
            HospiceReferral.objects.filter(patient_id=patient.pk)
            .order_by("-referred_on", "-created_at")
            .only("status", "agency_name", "status_on", "referred_on")[:1]
        )
    }


def patient_hospice_status(patient: Any, rows: dict[str, Any] | None = None) -> str:
    """The hospice status of one patient (one query, none with `rows` read with
    hospice_chart_parts)."""
    rows = rows if rows is not None else read_together(hospice_chart_parts(patient))
    latest = next(iter(rows["hospice_latest"]), None)
    if latest is None:
        return hospice_status_text(None, None, None, None)
    return hospice_status_text(
        latest.status, latest.agency_name, latest.status_on, latest.referred_on
    )


# --- pages ----------------------------------------------------------------------------------


def hospice_page_for(user: Any, patient_id: Any, *, audit: bool = True) -> dict[str, Any]:
    """Everything the patient's hospice page shows, access-checked (Http404 for a patient out
    of reach) and audited as one read."""
    from pallio.acp.models import GoalsOfCareConversation
    from pallio.patients.selectors import patient_get_for, patient_header_context

    patient = patient_get_for(user, patient_id, event="hospice.view", audit=audit)
    today = clock.today_in(patient.program.timezone)
    referrals = referrals_of(patient)
    return {
        **patient_header_context(user, patient),
        "today": today,
        "eligibility": hospice_eligibility(patient, today=today),
        "episode": _active_episode(patient),
        "referrals": referrals,
        "open_referral": next((r for r in referrals if r.is_open), None),
        "goals": GoalsOfCareConversation.objects.filter(
            patient_id=patient.pk, status="signed", entered_in_error=False
        )
        .order_by("-held_at")
        .only("pk", "held_at", "goal_focus")
        .first(),
    }


def referral_get_for(
    user: Any, patient_id: Any, referral_id: Any, *, lock: bool = False
) -> HospiceReferral:
    """The patient's hospice referral if the user may reach the patient; Http404 for a
    referral of another patient, of another program, or none."""
    from django.http import Http404

    from pallio.patients.selectors import patient_get_for

    patient = patient_get_for(user, patient_id, audit=False)
    referrals = HospiceReferral.objects.filter(patient_id=patient.pk, program_id=user.program_id)
    if lock:
        referrals = referrals.select_for_update()
    referral = referrals.filter(pk=referral_id).first()
    if referral is None:
        raise Http404("No such referral")
    referral.patient = patient
    return referral


__all__ = [
    "DISEASE_GROUPS",
    "ELIGIBILITY_KEYS",
    "FUNCTION_KEYS",
    "GROUP_TITLES",
    "KEY_TITLES",
    "MET",
    "METASTATIC_PREFIXES",
    "MISSING",
    "NOT_STRUCTURED",
    "NO_LABS",
    "STATUS_LABELS",
    "UNKNOWN",
    "WORKLIST_PAGE_SIZE",
    "Criterion",
    "Eligibility",
    "hospice_eligibility",
    "hospice_package_resend",
    "hospice_page_for",
    "hospice_referral_send",
    "hospice_referral_status_set",
    "hospice_status_annotations",
    "hospice_status_text",
    "hospice_worklist_for",
    "hospital_stays_of",
    "latest_reports",
    "patient_hospice_status",
    "referral_get_for",
    "referrals_of",
]
