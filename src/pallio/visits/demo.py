"""Demo visits for `make run`: the first contact of each sampled patient, then a week of
visits and calls by every discipline in different settings and modes, documented and signed
through the same services as the pages (so each signed note also asks for its summary), one
fellow's note awaiting its supervisor's co-signature, and one draft left on a worklist.

Rows the services create take their ids from the caller's random generator, and every time
is placed before the frozen clock, so a seed gives the same demo at any hour.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models

from pallio.accounts.models import User
from pallio.assessments.models import Alert, PhaseOfCare, SymptomReport
from pallio.assessments.services import ReportInput, report_evaluate, report_submit
from pallio.careplans.models import Task, TaskKind
from pallio.core import clock, privileges
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.episodes.services import care_team_add
from pallio.visits import services
from pallio.visits.models import Mode, NoteAddendum, Setting, Visit, VisitNote
from pallio.visits.selectors import note_template_for

# Who visits in the demo week, in this order each day (physician/NP, nurses, social work,
# chaplaincy, and the other disciplines).
WEEK_DISCIPLINES = (
    "nurse_navigator",
    "physician",
    "nurse",
    "social_worker",
    "nurse_practitioner",
    "chaplain",
    "dietitian",
    "pharmacist",
    "respiratory_therapist",
    "music_therapist",
    "child_life",
)
VISITS_PER_DAY = 3
ESAS_ITEMS = (
    "pain",
    "tiredness",
    "drowsiness",
    "nausea",
    "appetite",
    "dyspnea",
    "depression",
    "anxiety",
    "wellbeing",
)
SETTINGS_BY_MODE = {
    Mode.IN_PERSON: [
        Setting.HOME,
        Setting.HOME,
        Setting.CLINIC,
        Setting.HOSPITAL,
        Setting.CANCER_CENTER,
        Setting.NURSING_HOME,
        Setting.ASSISTED_LIVING,
        Setting.EMERGENCY,
    ],
    Mode.TELEPHONE: [Setting.HOME, Setting.NURSING_HOME],
    Mode.VIDEO: [Setting.HOME, Setting.ASSISTED_LIVING],
}
REASONS = {
    "physician": ["Pain and breathlessness review", "Follow-up after a hospital stay"],
    "nurse_practitioner": ["Medication review after a dose change", "Nausea follow-up"],
    "nurse": ["Symptom check and caregiver teaching", "Wound and skin review"],
    "nurse_navigator": ["Weekly symptom check", "Follow-up after an emergency visit"],
    "social_worker": ["Family meeting about care at home", "Help with insurance forms"],
    "chaplain": ["Spiritual support visit", "Asked for prayer before treatment"],
}
SECTION_TEXT = {
    "history": "Says the pain is better at night since the dose change; family present.",
    "symptoms": "Pain 4 of 10, breathless on stairs, appetite poor, sleeping better.",
    "examination": "Comfortable at rest, mild ankle swelling, chest clear.",
    "coping": "Worried about being a burden; daughter coping but tired.",
    "goals": "Wants to stay at home; comfort is the priority.",
    "assessment": "Symptoms controlled on the current plan; disease progressing slowly.",
    "plan": "Continue the current medicines; the nurse calls on Friday; review next week.",
    "follow_up": "Next visit in one week; 24/7 line for anything urgent.",
    "reason": "Planned follow-up.",
    "medicines": "Taking the medicines as prescribed; bowel regimen in place.",
    "caregiver": "Caregiver shown how to give the breakthrough dose.",
    "coordination": "Shower chair ordered; transport booked for the clinic visit.",
    "situation": "Patient and daughter seen together at home.",
    "practical": "Completed the disability benefit form with the daughter.",
    "planning": "Healthcare agent named; advance directive to be signed next week.",
    "support_given": "Counselling about changing roles in the family.",
    "spiritual": "Asks why this is happening; finds comfort in her faith community.",
    "strengths": "Her church choir and her grandchildren.",
    "culture": "Wishes her pastor to be called when she is nearing the end.",
    "care_given": "Listening and prayer; contacted her pastor with her permission.",
    "findings": "Reviewed with the patient and family.",
}


@contextmanager
def _ids_from(rng: random.Random, *model_classes: type[models.Model]) -> Iterator[None]:
    """Rows the services create for these models take ids from `rng` (determinism)."""
    fields = [m._meta.pk for m in model_classes]

    def next_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    for pk in fields:
        pk.__dict__["_get_default"] = next_id
    try:
        yield
    finally:
        for pk in fields:
            pk.__dict__.pop("_get_default", None)


def _writers(program: Any) -> dict[str, User]:
    """The first clinician of each discipline who may write notes (no trainees)."""
    writers: dict[str, User] = {}
    for user in User.objects.filter(
        program=program, is_active=True, role="clinician", training_level=""
    ).order_by("username"):
        if user.discipline not in writers and privileges.can(user, "note.write"):
            writers[user.discipline] = user
    return writers


def _on_team(actor: Any, episode: EpisodeOfCare, patient: Any) -> None:
    if not CareTeamMember.objects.filter(user=actor, patient=patient, active=True).exists():
        care_team_add(actor=None, episode=episode, user=actor)


def _content(actor: Any, patient: Any) -> dict[str, str]:
    template = note_template_for(patient.program, actor.discipline)
    return {
        s["key"]: SECTION_TEXT.get(s["key"], "Discussed with the patient.")
        for s in template.sections
    }


def visits_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Record first contacts and a week of visits for `patients` (already enrolled).

    Returns counts by kind for the demo command's summary line."""
    services.note_templates_sync_shipped()
    writers = _writers(program)
    episodes = {
        e.patient_id: e
        for e in EpisodeOfCare.objects.filter(
            patient__in=patients, status=EpisodeOfCare.Status.ACTIVE
        ).select_related("patient")
    }
    # Patients whose first-contact task is still open have not been reached yet: they stay
    # on the overdue list, and get no visits this week.
    waiting = set(
        Task.objects.filter(
            patient__in=patients, kind=TaskKind.FIRST_CONTACT, status=Task.Status.OPEN
        ).values_list("patient_id", flat=True)
    )
    reached_at = dict(
        Task.objects.filter(
            patient__in=patients, kind=TaskKind.FIRST_CONTACT, status=Task.Status.DONE
        ).values_list("patient_id", "completed_at")
    )
    patients = [p for p in patients if p.pk in episodes and p.pk not in waiting]
    if not writers or not patients:
        return {}
    zone = ZoneInfo(program.timezone)
    now = clock.now()
    today = min(today, clock.today_in(program.timezone))
    counts = dict.fromkeys(("first_contacts", "notes", "awaiting_cosign", "drafts"), 0)
    first_writer = writers.get("nurse_navigator") or next(iter(writers.values()))

    def at(day: date, hour: int, minute: int) -> datetime:
        moment = datetime.combine(day, time(hour, minute), tzinfo=zone)
        return min(moment, now - timedelta(minutes=30))

    with _ids_from(
        rng, Visit, VisitNote, NoteAddendum, Task, CareTeamMember, PhaseOfCare, SymptomReport, Alert
    ):
        # The first contact: the call that closed the first-contact task, or one a day or two
        # after enrollment, documented so that the time to first contact is recorded.
        for patient in patients:
            episode = episodes[patient.pk]
            if episode.first_contact_at is not None:
                continue
            called = reached_at.get(patient.pk) or episode.start + timedelta(
                hours=rng.randint(4, 60)
            )
            called = min(called, now - timedelta(hours=1))
            _on_team(first_writer, episode, patient)
            note = services.visit_document(
                actor=first_writer,
                patient=patient,
                setting=Setting.HOME,
                mode=Mode.TELEPHONE,
                started_at=called,
                reason="First contact after enrollment",
                content=_content(first_writer, patient),
            )
            services.note_sign(actor=first_writer, note=note, expected_version=note.version)
            counts["first_contacts"] += 1

        # A week of visits: each day a few disciplines in turn, so every one appears.
        turn = 0
        for days_ago in range(6, -1, -1):
            day = today - timedelta(days=days_ago)
            for slot in range(VISITS_PER_DAY):
                discipline = WEEK_DISCIPLINES[turn % len(WEEK_DISCIPLINES)]
                turn += 1
                actor = writers.get(discipline)
                if actor is None:
                    continue
                patient = rng.choice(patients)
                episode = episodes[patient.pk]
                mode = rng.choice([Mode.IN_PERSON, Mode.IN_PERSON, Mode.TELEPHONE, Mode.VIDEO])
                started = at(day, 9 + 3 * slot, rng.choice((0, 15, 30, 45)))
                if started <= episode.start:
                    continue
                _on_team(actor, episode, patient)
                note = services.visit_document(
                    actor=actor,
                    patient=patient,
                    setting=rng.choice(SETTINGS_BY_MODE[mode]),
                    mode=mode,
                    started_at=started,
                    reason=rng.choice(REASONS.get(discipline, ["Consultation asked by the team"])),
                    content=_content(actor, patient),
                )
                reports = []
                if discipline in ("nurse", "nurse_navigator", "physician"):
                    report, _ = report_submit(
                        actor=actor,
                        patient=patient,
                        data=ReportInput(
                            "esas-r",
                            {item: rng.randint(0, 7) for item in ESAS_ITEMS},
                            "patient",
                            "call" if mode == Mode.TELEPHONE else "visit",
                            answered_at=started + timedelta(minutes=10),
                        ),
                    )
                    # Judged now, as the worker would right after the visit.
                    report_evaluate(report_id=report.pk)
                    reports.append(report)
                is_last = days_ago == 0 and slot == VISITS_PER_DAY - 1
                if is_last and discipline in ("nurse", "nurse_navigator"):
                    counts["drafts"] += 1  # left unsigned, on the author's worklist
                    continue
                services.note_sign(
                    actor=actor,
                    note=note,
                    expected_version=note.version,
                    symptom_reports=[r for r in reports if r.answered_at <= now],
                    phase=rng.choice(["stable", "stable", "unstable", "deteriorating"])
                    if reports
                    else "",
                )
                counts["notes"] += 1

        # The fellow's note, signed and waiting for the supervisor's co-signature.
        fellow = (
            User.objects.filter(program=program, is_active=True, supervisor__isnull=False)
            .exclude(training_level="")
            .select_related("supervisor")
            .order_by("username")
            .first()
        )
        if fellow is not None and privileges.can(fellow, "note.sign"):
            patient = patients[0]
            episode = episodes[patient.pk]
            _on_team(fellow, episode, patient)
            _on_team(fellow.supervisor, episode, patient)
            note = services.visit_document(
                actor=fellow,
                patient=patient,
                setting=Setting.CLINIC,
                mode=Mode.IN_PERSON,
                started_at=at(today, 10, 0),
                reason="Pain review with the palliative medicine fellow",
                content=_content(fellow, patient),
            )
            services.note_sign(actor=fellow, note=note, expected_version=note.version)
            counts["awaiting_cosign"] += 1
    return counts
