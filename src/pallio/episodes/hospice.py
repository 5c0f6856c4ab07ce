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

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.agenda import hospice_reasons, hospice_score_annotations
from pallio.core import access, clock, privileges
from pallio.core.codes import DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES, ICD10CM, diagnosis_lookup
from pallio.core.models import versioned_save
from pallio.core.validation import check_text
from pallio.episodes.models import (
    EpisodeOfCare,
    HospiceReferral,
    HospiceReferralEvent,
    HospiceReferralStatus,
    PackageDelivery,
)

WORKLIST_PAGE_SIZE = 50

# The scores the eligibility aid reads (assessments/instruments): performance (PPS, KPS,
# AKPS), NYHA class, FAST stage, and the prognostic indices the worklist reads.
FUNCTION_KEYS = ("pps", "karnofsky", "akps")
ELIGIBILITY_KEYS = (*FUNCTION_KEYS, "nyha", "fast", "ppi", "pap")
KEY_TITLES = {
    "pps": "PPS",
    "karnofsky": "Karnofsky (KPS)",
    "akps": "AKPS",
    "nyha": "NYHA class",
    "fast": "FAST stage",
    "ppi": "PPI",
    "pap": "PaP",
}

MET = "met"
MISSING = "missing"
UNKNOWN = "unknown"
STATUS_LABELS = {MET: "Met", MISSING: "Missing", UNKNOWN: "Unknown"}

# Disease groups of the LCD's disease-specific criteria, from the diagnosis groups Pallio
# already codes (core/codes.py, CLINICAL.md section 7).
DISEASE_GROUPS: dict[str, str] = {
    "cancer": "cancer",
    "heart_failure": "heart",
    "copd": "pulmonary",
    "lung_disease": "pulmonary",
    "dementia": "dementia",
    "liver": "liver",
    "kidney": "renal",
    "stroke": "stroke",
    "als": "als",
}
GROUP_TITLES = {
    "general": "Decline in clinical status (any diagnosis)",
    "cancer": "Cancer",
    "heart": "Heart disease",
    "pulmonary": "Pulmonary disease",
    "dementia": "Dementia",
    "liver": "Liver disease",
    "renal": "Renal disease",
    "stroke": "Stroke",
    "als": "ALS",
}
METASTATIC_PREFIXES = ("C77", "C78", "C79")  # secondary malignant neoplasm (CLINICAL.md 7)
NOT_STRUCTURED = "Not recorded as structured data in Pallio; read the notes."
NO_LABS = "Laboratory results are not recorded in Pallio."


# --- reading the record ---------------------------------------------------------------------


def hospital_stays_of(patient_id: Any, *, since: date) -> list[Any]:
    """The patient's hospital stays and emergency visits (episodes.HospitalStay) admitted on
    or after `since`, newest first, each with `admitted_on`, the day of admission in the
    program's time zone. The one place this module reads hospital stays."""
    from pallio.episodes.models import HospitalStay

    stays = list(
        HospitalStay.objects.filter(
            patient_id=patient_id, entered_in_error=False, admitted_at__date__gte=since
        )
        .select_related("program")
        .order_by("-admitted_at")
    )
    for stay in stays:
        stay.admitted_on = stay.admitted_at.astimezone(ZoneInfo(stay.program.timezone)).date()  # type: ignore[attr-defined]
    return stays


def _emergency_visits_of(patient_id: Any, *, since: datetime) -> list[Any]:
    from pallio.visits.models import Setting, Visit

    return list(
        Visit.objects.filter(
            patient_id=patient_id,
            entered_in_error=False,
            setting=Setting.EMERGENCY,
            started_at__gte=since,
        )
        .order_by("-started_at")
        .only("pk", "started_at", "setting")
    )


def latest_reports(patient_id: Any, keys: tuple[str, ...], *, per_key: int) -> dict[str, list[Any]]:
    """The newest `per_key` scored reports of each instrument in `keys`, newest first: one
    query whatever the size of the record."""
    from pallio.assessments.models import SymptomReport

    rows = (
        SymptomReport.objects.filter(
            patient_id=patient_id,
            instrument_key__in=keys,
            entered_in_error=False,
            primary_score__isnull=False,
        )
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("instrument_key")],
                order_by=[F("answered_at").desc(), F("id").desc()],
            )
        )
        .filter(newest__lte=per_key)
        .select_related("instrument")
        .order_by("instrument_key", "newest")
    )
    found: dict[str, list[Any]] = {key: [] for key in keys}
    for row in rows:
        found[row.instrument_key].append(row)
    return found


# --- the eligibility aid --------------------------------------------------------------------


@dataclass
class Criterion:
    """One criterion of the LCD, what the record says of it, and where that was read."""

    group: str
    text: str
    status: str
    finding: str
    source: str = ""
    when: date | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Eligibility:
    groups: list[tuple[str, list[Criterion]]]
    prognosis_flags: list[str]
    diagnoses: list[Any]
    counts: dict[str, int] = field(default_factory=dict)


def _day(value: datetime | date | None, zone: ZoneInfo) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    return value


def _score_text(key: str, report: Any) -> str:
    value = report.primary_score
    if key == "nyha":
        return ("I", "II", "III", "IV")[int(value) - 1] if 1 <= value <= 4 else f"{value:g}"
    if key == "fast":
        return str(report.answers.get("fast", f"{value:g}"))
    if key in FUNCTION_KEYS:
        return f"{value:g}%"
    return f"{value:g}"


def _report_source(key: str, report: Any) -> str:
    return f"{KEY_TITLES[key]} report"


def _disease_groups(conditions: list[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for condition in conditions:
        found = None
        if condition.system == ICD10CM:
            for name, prefixes in DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES.items():
                if any(condition.code.upper().startswith(p) for p in prefixes):
                    found = name
                    break
        else:
            known = diagnosis_lookup(condition.system, condition.code)
            found = known.group if known else None
        group = DISEASE_GROUPS.get(found or "")
        if group:
            groups.setdefault(group, []).append(condition)
    return groups


def _function_criteria(reports: dict[str, list[Any]], zone: ZoneInfo) -> list[Criterion]:
    """Baseline KPS or PPS below 70%, and whether it is falling (the newest performance
    score of PPS, KPS or AKPS, against the one before it of the same scale)."""
    newest = [(key, rows) for key, rows in reports.items() if key in FUNCTION_KEYS and rows]
    newest.sort(key=lambda kr: kr[1][0].answered_at, reverse=True)
    if not newest:
        return [
            Criterion("general", "KPS or PPS below 70%", UNKNOWN, "No PPS or KPS recorded."),
            Criterion("general", "KPS or PPS falling", UNKNOWN, "No PPS or KPS recorded."),
        ]
    key, rows = newest[0]
    latest = rows[0]
    when = _day(latest.answered_at, zone)
    below = latest.primary_score < 70
    found = [
        Criterion(
            "general",
            "KPS or PPS below 70%",
            MET if below else MISSING,
            f"{KEY_TITLES[key]} {_score_text(key, latest)}",
            _report_source(key, latest),
            when,
        )
    ]
    if len(rows) < 2:
        found.append(
            Criterion(
                "general",
                "KPS or PPS falling",
                UNKNOWN,
                f"One {KEY_TITLES[key]} recorded; a trend needs two.",
                _report_source(key, latest),
                when,
            )
        )
    else:
        before = rows[1]
        falling = latest.primary_score < before.primary_score
        found.append(
            Criterion(
                "general",
                "KPS or PPS falling",
                MET if falling else MISSING,
                f"{KEY_TITLES[key]} {_score_text(key, latest)}, "
                f"was {_score_text(key, before)} on {_day(before.answered_at, zone)}",
                _report_source(key, latest),
                when,
            )
        )
    return found


def _admission_criterion(
    program: Any, stays: list[Any], emergency: list[Any], zone: ZoneInfo
) -> Criterion:
    months = int(program.setting("hospice_admissions_months"))
    at_least = int(program.setting("hospice_admissions_at_least"))
    events = [(s.admitted_on, f"Hospital stay at {s.facility}") for s in stays] + [
        (_day(v.started_at, zone), "Emergency department visit") for v in emergency
    ]
    events.sort(key=lambda e: e[0] or date.min, reverse=True)
    text = f"{at_least} or more hospital admissions or emergency visits in {months} months"
    if not events:
        return Criterion("general", text, MISSING, "None recorded.", "Hospital stays and visits")
    newest_day, newest_what = events[0]
    count = len(events)
    return Criterion(
        "general",
        text,
        MET if count >= at_least else MISSING,
        f"{count} recorded",
        f"{newest_what} (latest)",
        newest_day,
    )


def _score_criterion(
    group: str,
    text: str,
    key: str,
    reports: dict[str, list[Any]],
    zone: ZoneInfo,
    passes: Any,
) -> Criterion:
    rows = reports.get(key) or []
    if not rows:
        return Criterion(group, text, UNKNOWN, f"No {KEY_TITLES[key]} recorded.")
    latest = rows[0]
    return Criterion(
        group,
        text,
        MET if passes(latest.primary_score) else MISSING,
        f"{KEY_TITLES[key]} {_score_text(key, latest)}",
        _report_source(key, latest),
        _day(latest.answered_at, zone),
    )


def _condition_source(condition: Any) -> str:
    return f"Diagnosis {condition.code} {condition.display}"[:200]


def _disease_criteria(
    group: str, conditions: list[Any], reports: dict[str, list[Any]], zone: ZoneInfo
) -> list[Criterion]:
    first = conditions[0]
    if group == "cancer":
        metastatic = [
            c
            for c in conditions
            if c.advanced
            or (c.system == ICD10CM and c.code.upper().startswith(METASTATIC_PREFIXES))
        ]
        shown = metastatic[0] if metastatic else first
        return [
            Criterion(
                group,
                "Metastatic at presentation, or progressed to metastatic disease",
                MET if metastatic else MISSING,
                "Advanced or metastatic disease recorded"
                if metastatic
                else "No metastatic disease recorded",
                _condition_source(shown),
                shown.onset_date,
            ),
            Criterion(
                group, "Decline despite therapy, or therapy declined", UNKNOWN, NOT_STRUCTURED
            ),
        ]
    if group == "heart":
        return [
            _score_criterion(group, "NYHA class IV", "nyha", reports, zone, lambda v: v >= 4),
            Criterion(group, "Optimally treated, or declines treatment", UNKNOWN, NOT_STRUCTURED),
            Criterion(group, "Ejection fraction 20% or less (supporting)", UNKNOWN, NO_LABS),
        ]
    if group == "pulmonary":
        return [
            Criterion(group, "Disabling dyspnea at rest (FEV1 below 30%)", UNKNOWN, NOT_STRUCTURED),
            Criterion(group, "Progression of the disease", UNKNOWN, NOT_STRUCTURED),
            Criterion(
                group,
                "Resting pO2 55 mmHg or less, SpO2 88% or less, or pCO2 50 or more",
                UNKNOWN,
                NO_LABS,
            ),
        ]
    if group == "dementia":
        return [
            _score_criterion(
                group, "FAST stage 7 or beyond", "fast", reports, zone, lambda v: v >= 7
            ),
            Criterion(
                group,
                "A complication in the last 12 months (aspiration pneumonia, pyelonephritis, "
                "septicemia, stage 3-4 ulcers, recurrent fever, weight loss over 10% or "
                "albumin below 2.5)",
                UNKNOWN,
                NOT_STRUCTURED,
            ),
        ]
    if group == "liver":
        return [
            Criterion(group, "INR above 1.5 and albumin below 2.5", UNKNOWN, NO_LABS),
            Criterion(group, "A complication of liver disease", UNKNOWN, NOT_STRUCTURED),
        ]
    if group == "renal":
        return [
            Criterion(group, "Stopping or not starting dialysis", UNKNOWN, NOT_STRUCTURED),
            Criterion(
                group,
                "Creatinine clearance below 10 (15 if diabetic) or creatinine above 8 "
                "(6 if diabetic)",
                UNKNOWN,
                NO_LABS,
            ),
        ]
    if group == "stroke":
        return [
            _score_criterion(group, "PPS 40% or less", "pps", reports, zone, lambda v: v <= 40),
            Criterion(group, "Poor nutritional intake", UNKNOWN, NOT_STRUCTURED),
        ]
    return [
        Criterion(
            group,
            "Breathing or nutrition criteria, with rapid progression",
            UNKNOWN,
            NOT_STRUCTURED,
        )
    ]


def hospice_eligibility(patient: Any, *, today: date) -> Eligibility:
    """What the record says of each Medicare hospice criterion for `patient` (already
    access-checked). Four queries whatever the size of the record."""
    zone = ZoneInfo(patient.program.timezone)
    program = patient.program
    conditions = list(
        patient.conditions.filter(entered_in_error=False).order_by("-is_primary", "display")
    )
    reports = latest_reports(patient.pk, ELIGIBILITY_KEYS, per_key=2)
    months = int(program.setting("hospice_admissions_months"))
    since = today - timedelta(days=round(months * 30.44))
    stays = hospital_stays_of(patient.pk, since=since)
    emergency = _emergency_visits_of(
        patient.pk, since=datetime.combine(since, time(0), tzinfo=zone)
    )

    general = [
        *_function_criteria(reports, zone),
        Criterion(
            "general",
            "Dependence in 2 or more activities of daily living",
            UNKNOWN,
            NOT_STRUCTURED,
        ),
        _admission_criterion(program, stays, emergency, zone),
        Criterion(
            "general",
            "Weight loss over 10% in 6 months",
            UNKNOWN,
            "Weight is not recorded in Pallio.",
        ),
        Criterion(
            "general",
            "Other decline: recurrent infections, dysphagia with aspiration, intractable "
            "symptoms, systolic blood pressure below 90",
            UNKNOWN,
            NOT_STRUCTURED,
        ),
    ]
    groups: list[tuple[str, list[Criterion]]] = [(GROUP_TITLES["general"], general)]
    for group, found in _disease_groups(conditions).items():
        groups.append((GROUP_TITLES[group], _disease_criteria(group, found, reports, zone)))

    # The prognosis flags, by the team meeting's rule and the program's thresholds.
    row = _ScoreRow(reports)
    return Eligibility(
        groups=groups,
        prognosis_flags=hospice_reasons(row, program, zone),
        diagnoses=conditions,
        counts={"stays": len(stays), "emergency": len(emergency)},
    )


class _ScoreRow:
    """The latest prognostic scores as the team meeting's rule reads them from a row."""

    def __init__(self, reports: dict[str, list[Any]]) -> None:
        for key in ("ppi", "pap", "fast", "pps"):
            newest = (reports.get(key) or [None])[0]
            setattr(self, f"{key}_score", newest.primary_score if newest else None)
            setattr(self, f"{key}_at", newest.answered_at if newest else None)
        pap = (reports.get("pap") or [None])[0]
        self.pap_scores = pap.scores if pap else None
        earlier = [r for r in (reports.get("pps") or [])[1:] if r.primary_score is not None]
        self.pps_before = earlier[0].primary_score if earlier else None


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


def patient_hospice_status(patient: Any) -> str:
    """The hospice status of one patient (one query)."""
    latest = (
        HospiceReferral.objects.filter(patient_id=patient.pk)
        .order_by("-referred_on", "-created_at")
        .only("status", "agency_name", "status_on", "referred_on")
        .first()
    )
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
