"""Every read of a patient goes through here: access-checked and audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from pallio.audit.services import audit_read
from pallio.core import access
from pallio.core.compiled_reads import read_compiled
from pallio.core.read_together import Rows
from pallio.patients.models import Condition, Coverage, Patient


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such patient") from None


def patient_get_for(
    user: Any,
    patient_id: Any,
    *,
    event: str = "patient.read",
    audit: bool = True,
    reader_facts: bool = False,
) -> Patient:
    """The patient, if `user` may see them; Http404 for missing and forbidden alike.
    With `reader_facts`, the row also says whether the user is on the care team, for a
    page that only reads (a write may change it: then ask again)."""
    pid = _as_uuid(patient_id)
    patients = access.visible_patients(user, Patient.objects.select_related("program"))
    if reader_facts:
        patients = access.with_reader_facts(user, patients)
    patient = patients.filter(pk=pid, entered_in_error=False).first()
    if patient is None:
        raise Http404("No such patient")
    if audit:
        audit_read(actor=user, patient=patient, event=event)
    return patient


def patient_exists_in_program(user: Any, patient_id: Any) -> Patient | None:
    """For break-the-glass: the patient of the user's own program, without access to PHI."""
    pid = _as_uuid(patient_id)
    return Patient.objects.filter(
        pk=pid, program_id=user.program_id, entered_in_error=False
    ).first()


def _birth_date_of(word: str) -> Any:
    """A date of birth typed as 1950-04-12, 04/12/1950 or 12.04.1950 (day first with dots),
    or None."""
    from datetime import datetime

    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(word, pattern).date()
        except ValueError:
            continue
    return None


def _word_q(word: str) -> Q:
    """What one typed word may match: a name, the record number, a date of birth (or its
    year), or part of the phone number (at least 3 digits; stored in E.164)."""
    q = Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(mrn__iexact=word)
    born = _birth_date_of(word)
    if born is not None:
        q |= Q(birth_date=born)
    digits = "".join(c for c in word if c.isdigit())
    if word.isdigit() and len(word) == 4 and 1880 <= int(word) <= 2100:
        q |= Q(birth_date__year=int(word))
    if born is None and len(digits) >= 3 and len(digits) >= len(word) - 4:
        q |= Q(phone__contains=digits)
    return q


def patient_search_for(user: Any, text: str, *, limit: int = 25) -> QuerySet[Patient]:
    """Patients the user may see matching every word typed: by name, record number, date of
    birth or phone (the 24/7 line finds the caller's patient in a few keystrokes)."""
    words = [w for w in text.split() if w][:4]
    qs = access.visible_patients(user, Patient.objects.filter(entered_in_error=False))
    for word in words:
        qs = qs.filter(_word_q(word))
    return qs.prefetch_related(
        Prefetch("conditions", queryset=Condition.objects.filter(entered_in_error=False))
    ).order_by("family_name", "given_name")[:limit]


def duplicate_candidates(
    *,
    program_id: Any,
    given_name: str,
    family_name: str,
    birth_date: Any,
    phone: str = "",
    sex: str = "",
    limit: int = 5,
    exclude_id: Any = None,
) -> list[tuple[Patient, Any]]:
    """Possible duplicates of a referred person in one program, best first.

    Blocking fetches the patients born on the referral's date of birth or on any date it
    could be a slip for (`matching.blocking_birth_dates`), and the patients with the same
    phone; `matching.match` then scores each. Those are the only pairs the matcher can
    score as candidates, so no name-only block is needed. Nothing is merged here.
    Only called for users entitled to triage referrals (program-wide roles).
    """
    from pallio.patients import matching

    if birth_date is None and not phone:
        return []
    pool = Patient.objects.filter(program_id=program_id, entered_in_error=False)
    if exclude_id:
        pool = pool.exclude(pk=exclude_id)
    fetched: dict[Any, Patient] = {}
    if birth_date is not None:
        by_birth = pool.filter(birth_date__in=matching.blocking_birth_dates(birth_date))
        fetched.update((p.pk, p) for p in by_birth[:1000])
    digits = matching.normalize_phone(phone)
    if len(digits) >= 7:
        # A care home's main line can be shared by many residents: fetch a bounded number.
        for patient in pool.filter(phone__endswith=digits[-7:])[:300]:
            fetched.setdefault(patient.pk, patient)
    probe = matching.Person(given_name, family_name, birth_date, phone, sex=sex)
    scored = []
    for patient in fetched.values():
        result = matching.match(
            probe,
            matching.Person(
                patient.given_name,
                patient.family_name,
                patient.birth_date,
                patient.phone,
                middle_name=patient.middle_name,
                sex=patient.sex,
            ),
        )
        if result.score >= matching.MATCH_THRESHOLD:
            scored.append((patient, result))
    scored.sort(key=lambda pair: (-pair[1].score, pair[0].family_name, pair[0].given_name))
    return scored[:limit]


def patient_header_parts(patient: Patient) -> dict[str, Rows]:
    """The header's diagnoses and care team, to be read together with a page's other reads."""
    from django.apps import apps

    member_model = apps.get_model("episodes", "CareTeamMember")
    return {
        "conditions": Rows(Condition.objects.filter(patient_id=patient.pk, entered_in_error=False)),
        "team": Rows(
            member_model.objects.filter(patient_id=patient.pk, active=True)
            .select_related("user")
            .order_by("-is_lead", "discipline")
        ),
    }


def patient_header_context(
    user: Any, patient: Patient, rows: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What patients/_header.html needs on every page of a patient (already access-checked):
    diagnoses, care team, age, and why the user may look; from `rows` read with
    patient_header_parts, or read here."""
    from pallio.core import clock

    if rows is None:
        rows = read_compiled("patient.header", patient_header_parts, pk=patient.pk)
    today = clock.today_in(patient.program.timezone)
    return {
        "patient": patient,
        "conditions": rows["conditions"],
        "team": rows["team"],
        "age": patient.age_on(today),
        "today": today,
        "access_reason": access.access_reason(user, patient),
    }


def patient_chart_parts(patient: Patient) -> dict[str, Rows]:
    """The chart's header, episodes, open tasks, coverage and latest referrals."""
    from django.apps import apps

    episode_model = apps.get_model("episodes", "EpisodeOfCare")
    task_model = apps.get_model("careplans", "Task")
    referral_model = apps.get_model("referrals", "Referral")
    return {
        **patient_header_parts(patient),
        "episodes": Rows(
            episode_model.objects.filter(patient_id=patient.pk)
            .select_related("referral")
            .order_by("-start")
        ),
        "tasks": Rows(
            task_model.objects.filter(patient_id=patient.pk, status="open")
            .select_related("assigned_to")
            .order_by("due")[:20]
        ),
        # By the patient's id, not the related managers: the parts are a function of the
        # patient's ids alone (core.compiled_reads); the rows are given the patient below.
        "coverage": Rows(Coverage.objects.filter(patient_id=patient.pk, active=True)[:1]),
        "referrals": Rows(
            referral_model.objects.filter(patient_id=patient.pk).order_by("-received_at")[:5]
        ),
    }


def patient_chart_context(user: Any, patient: Patient, rows: dict[str, Any]) -> dict[str, Any]:
    """The chart's header and core facts from `rows` read with patient_chart_parts."""
    episodes = rows["episodes"]
    for row in (*rows["coverage"], *rows["referrals"]):
        row.patient = patient
    return {
        **patient_header_context(user, patient, rows),
        "coverage": next(iter(rows["coverage"]), None),
        "episodes": episodes,
        "active_episode": next((e for e in episodes if e.status == "active"), None),
        "tasks": rows["tasks"],
        "referrals": rows["referrals"],
    }


def patient_chart_for(user: Any, patient_id: Any) -> dict[str, Any]:
    """The patient's header, episodes, open tasks, coverage and latest referrals: the
    patient's query, one query for all the rest (compiled once, core.compiled_reads), and the
    audit row."""
    patient = patient_get_for(user, patient_id, event="patient.chart")
    rows = read_compiled("patient.chart_facts", patient_chart_parts, pk=patient.pk)
    return patient_chart_context(user, patient, rows)
