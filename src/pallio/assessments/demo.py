"""Demo symptom monitoring for `make run`: weekly ESAS-r reports since enrollment (at most two
years) with believable trajectories, some PHQ-4 and Distress Thermometer screens, PPS or AKPS
falling toward death, phase-of-care histories, signed comprehensive assessments, opioids on
the medication list, and the open alerts all of this raises.

The history is written in bulk (tens of thousands of reports in a second or two) and marked
evaluated, as the worker would have left it. Each living patient's latest reports are then
judged by the same service the worker calls (services.report_evaluate), and the medication
list by the bowel-regimen check, so the alerts and their follow-up tasks are the real thing.
Every row created here takes its id from the caller's random generator, so a seed gives the
same demo every time.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from simple_history.utils import bulk_create_with_history

from pallio.accounts.models import User
from pallio.assessments import instruments as inst
from pallio.assessments.models import (
    Alert,
    Assessment,
    AssessmentSection,
    Channel,
    Instrument,
    Phase,
    PhaseOfCare,
    Respondent,
    SymptomReport,
)
from pallio.assessments.services import (
    DOMAIN_OWNERS,
    domains_for,
    missing_reports_check,
    report_evaluate,
    rules_for,
    unstable_phases_check,
)
from pallio.careplans.models import Task
from pallio.core import clock, privileges
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.medications.allergies import allergy_none_known_record, allergy_record
from pallio.medications.models import MedicationStatement
from pallio.medications.services import MedicationInput, bowel_regimen_check, medication_add

HISTORY = timedelta(weeks=104)
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
# Symptom profiles: how strongly each item tends to bother a patient (0-1).
PROFILES: tuple[dict[str, float], ...] = (
    {"pain": 0.9, "tiredness": 0.7, "appetite": 0.5, "depression": 0.3, "anxiety": 0.4},
    {"dyspnea": 0.9, "anxiety": 0.7, "tiredness": 0.8, "drowsiness": 0.3},
    {"nausea": 0.8, "appetite": 0.9, "tiredness": 0.6, "pain": 0.4},
    {"tiredness": 0.9, "drowsiness": 0.6, "depression": 0.6, "wellbeing": 0.7},
    {"pain": 0.6, "anxiety": 0.8, "depression": 0.7, "tiredness": 0.5},
)
OPIOIDS = (
    ("morphine", "15", "4", "oral"),
    ("oxycodone", "10", "4", "oral"),
    ("hydromorphone", "2", "4", "oral"),
    ("fentanyl-transdermal", "25", None, "transdermal"),
    ("oxycodone", "5", "3", "oral"),
)
BOWEL = (("senna", "17.2", "1", "oral"), ("polyethylene-glycol", "17", "1", "oral"))
# Allergies a palliative program meets often: (substance, kind, risk, reaction).
ALLERGIES = (
    ("Penicillin", "medication", "high", "Hives and swelling of the lips"),
    ("Codeine", "medication", "low", "Severe nausea and vomiting"),
    ("Latex", "environment", "high", "Rash and wheezing"),
)
NARRATIVES = {
    "physical": "Symptoms reviewed with the ESAS-r; pain and fatigue lead.",
    "psychological": "Low mood at times; coping with support from family.",
    "social": "Lives with family; transport to appointments is a strain.",
    "spiritual": "Finds meaning in faith community; would welcome chaplain visits.",
    "cultural": "Prefers family present for important conversations.",
    "caregiver": "Main caregiver tired; respite discussed.",
    "ethical_legal": "Healthcare agent named; advance directive on file.",
    "end_of_life": "Prefers to be at home; hospice discussed as an option later.",
    "pediatric": "Parents and siblings involved; school liaison arranged.",
    "young_adult": "Work and relationships matter most; peer support offered.",
}


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


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


@dataclass
class _Course:
    """One enrolled patient's story."""

    patient: Any
    episode: EpisodeOfCare
    start: datetime
    end: datetime
    died: bool
    living: bool
    shape: str  # improving | steady | worsening | dying
    profile: dict[str, float]

    def level(self, when: datetime) -> float:
        """Overall symptom burden (0-1) at `when`."""
        weeks_in = (when - self.episode.start).total_seconds() / 604800
        weeks_left = (self.end - when).total_seconds() / 604800
        if self.shape == "improving":
            return 0.3 + 0.5 * math.exp(-max(weeks_in, 0) / 4)
        if self.shape == "worsening":
            rise = max(0.0, 1 - weeks_left / 3)
            return 0.4 + 0.1 * math.exp(-max(weeks_in, 0) / 6) + 0.6 * rise
        if self.shape == "dying":
            rise = max(0.0, 1 - weeks_left / 10) ** 1.5
            return 0.35 + 0.6 * rise
        return 0.45


class _Populator:
    def __init__(self, program: Any, rng: random.Random, today: date) -> None:
        self.program = program
        self.rng = rng
        self.today = today
        self.now = clock.now().replace(second=0, microsecond=0)
        self.zone = ZoneInfo(program.timezone)
        self.instruments = {
            i.key: i
            for i in Instrument.objects.filter(program__isnull=True, active=True)
            if i.key in {"esas-r", "phq-4", "distress-thermometer", "pps", "akps"}
        }
        self.specs = {k: inst.spec_of(i.questionnaire) for k, i in self.instruments.items()}
        self.reports: list[SymptomReport] = []
        self.to_evaluate: list[Any] = []
        self.prescriber: User | None = None
        self.counts = {
            "symptom_reports": 0,
            "alerts": 0,
            "assessments": 0,
            "phases": 0,
            "opioid_patients": 0,
        }

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _moment(self, day: datetime) -> datetime:
        midnight = day.astimezone(self.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        moment = midnight + timedelta(minutes=self.rng.randint(9 * 60, 18 * 60))
        return min(moment, self.now - timedelta(minutes=self.rng.randint(5, 120)))

    # reports

    def _report(
        self, course: _Course, key: str, answers: dict[str, Any], when: datetime, *, last: bool
    ) -> None:
        spec = self.specs[key]
        result = inst.score(spec, answers)
        primary = spec.primary_scale
        near_end = course.died and (course.end - when) < timedelta(weeks=3)
        respondent = (
            Respondent.CAREGIVER
            if near_end and self.rng.random() < 0.7
            else self.rng.choice(
                [Respondent.PATIENT] * 6 + [Respondent.WITH_HELP, Respondent.CAREGIVER]
            )
        )
        pending = last and course.living
        report = SymptomReport(
            id=self._id(),
            program_id=self.program.pk,
            patient=course.patient,
            instrument=self.instruments[key],
            instrument_key=key,
            answers=answers,
            scores=result.as_json(),
            primary_score=result.scales.get(primary.name) if primary else None,
            respondent=respondent,
            channel=self.rng.choice([Channel.CALL, Channel.CALL, Channel.VISIT, Channel.PORTAL]),
            answered_at=when,
            evaluated_at=None if pending else when + timedelta(minutes=1),
            created_at=when,
            updated_at=when,
        )
        self.reports.append(report)
        if pending:
            self.to_evaluate.append(report.pk)

    def _esas(self, course: _Course) -> None:
        rng = self.rng
        weeks = int((course.end - course.start).days // 7)
        skip = 0.12 if course.shape != "dying" else 0.05
        when_list = [
            course.start + timedelta(weeks=w, days=rng.randint(0, 2)) for w in range(weeks)
        ]
        if course.living:
            # The latest report is recent, except for the few who have stopped answering.
            recent = course.end - timedelta(days=rng.randint(0, 5))
            if rng.random() < 0.08:
                recent = course.end - timedelta(days=rng.randint(9, 16))
                when_list = [w for w in when_list if w < recent]
            when_list.append(recent)
        when_list = [w for w in when_list if course.start <= w < course.end]
        kept = [
            w for i, w in enumerate(when_list) if i == len(when_list) - 1 or rng.random() > skip
        ]
        for index, day in enumerate(kept):
            when = self._moment(day)
            level = course.level(when)
            answers: dict[str, Any] = {}
            for item in ESAS_ITEMS:
                weight = course.profile.get(item, 0.2)
                answers[item] = _clamp(10 * weight * level + rng.gauss(0, 0.9), 0, 10)
            answers["wellbeing"] = _clamp(
                max(answers["wellbeing"], 10 * level - 1 + rng.gauss(0, 1)), 0, 10
            )
            self._report(course, "esas-r", answers, when, last=index == len(kept) - 1)

    def _function(self, course: _Course) -> None:
        """PPS (or AKPS) every four weeks: steady, then falling toward death."""
        key = "pps" if self.rng.random() < 0.7 else "akps"
        base = self.rng.choice([50, 60, 60, 70])
        when = course.start + timedelta(days=2)
        dates = []
        while when < course.end:
            dates.append(when)
            when += timedelta(weeks=4)
        if course.died:
            dates += [
                course.end - timedelta(days=d)
                for d in (12, 4)
                if course.end - timedelta(days=d) > course.start
            ]
        dates.sort()
        for index, day in enumerate(dates):
            moment = self._moment(day)
            weeks_left = (course.end - moment).days / 7
            level = float(base)
            if course.died:
                level = base - (base - 10) * max(0.0, 1 - weeks_left / 12) ** 1.3
            elif course.shape == "worsening" and weeks_left < 3:
                level = base - 20
            elif course.shape == "improving":
                level = min(80, base + 10 * min(1, (moment - course.start).days / 60))
            value = _clamp(level / 10 + self.rng.gauss(0, 0.3), 1, 10) * 10
            self._report(course, key, {key: str(value)}, moment, last=index == len(dates) - 1)

    def _screens(self, course: _Course) -> None:
        rng = self.rng
        phq_codes = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
        if rng.random() < 0.4:
            dates = [course.start + timedelta(weeks=w) for w in range(0, 105, 8)]
            dates = [d for d in dates if d < course.end]
            for index, day in enumerate(dates):
                when = self._moment(day + timedelta(days=1))
                mood = course.profile.get("depression", 0.2) * course.level(when)
                worry = course.profile.get("anxiety", 0.2) * course.level(when)
                phq_answers = {
                    "phq-1": phq_codes[_clamp(3 * mood + rng.gauss(0, 0.5), 0, 3)],
                    "phq-2": phq_codes[_clamp(3 * mood + rng.gauss(0, 0.5), 0, 3)],
                    "gad-1": phq_codes[_clamp(3 * worry + rng.gauss(0, 0.5), 0, 3)],
                    "gad-2": phq_codes[_clamp(3 * worry + rng.gauss(0, 0.5), 0, 3)],
                }
                self._report(course, "phq-4", phq_answers, when, last=index == len(dates) - 1)
        if rng.random() < 0.3:
            dates = [course.start + timedelta(weeks=w, days=3) for w in range(0, 105, 6)]
            dates = [d for d in dates if d < course.end]
            for index, day in enumerate(dates):
                when = self._moment(day)
                score = _clamp(8 * course.level(when) + rng.gauss(0, 1.2), 0, 10)
                problems = sorted(
                    rng.sample(["physical", "practical", "family", "emotional", "spiritual"], 2)
                )
                answers: dict[str, Any] = {
                    "score": score,
                    "problems": problems if score >= 4 else [],
                }
                self._report(
                    course, "distress-thermometer", answers, when, last=index == len(dates) - 1
                )

    # phases, assessments, medications

    def _phases(self, course: _Course) -> list[PhaseOfCare]:
        rows: list[PhaseOfCare] = []
        runs: list[tuple[str, datetime]] = [(str(Phase.UNSTABLE), course.start)]
        settle = course.start + timedelta(days=self.rng.randint(2, 6))
        if settle < course.end:
            runs.append((Phase.STABLE, settle))
        if course.died:
            for late_phase, days in ((Phase.DETERIORATING, 21), (Phase.TERMINAL, 3)):
                begin = course.end - timedelta(days=days)
                if begin > runs[-1][1]:
                    runs.append((str(late_phase), begin))
        elif course.shape == "worsening":
            begin = course.end - timedelta(days=self.rng.choice([2, 5, 9]))
            if begin > runs[-1][1]:
                runs.append((str(self.rng.choice([Phase.UNSTABLE, Phase.DETERIORATING])), begin))
        for index, (phase, begin) in enumerate(runs):
            finish = runs[index + 1][1] if index + 1 < len(runs) else course.end
            when = begin
            while when < finish:
                at = min(self._moment(when), finish - timedelta(minutes=1))
                rows.append(
                    PhaseOfCare(
                        id=self._id(),
                        program_id=self.program.pk,
                        patient=course.patient,
                        phase=phase,
                        recorded_at=at,
                        phase_started_at=self._moment(begin) if at >= begin else at,
                        contact=self.rng.choice([Channel.VISIT, Channel.CALL]),
                        created_at=at,
                        updated_at=at,
                    )
                )
                when += timedelta(weeks=4 if phase == Phase.STABLE else 1)
        for row in rows:
            row.phase_started_at = min(row.phase_started_at, row.recorded_at)
        return rows

    def _assessment(
        self, course: _Course, team: dict[str, list[User]], staff: dict[str, list[User]]
    ) -> tuple[Assessment | None, list[AssessmentSection]]:
        start = course.start + timedelta(days=self.rng.randint(1, 5))
        if start >= self.now - timedelta(days=1):
            return None, []
        signed = self.rng.random() < 0.8 or not course.living
        domains = domains_for(course.patient, start.date())
        if not signed:
            domains = domains[: self.rng.randint(2, 4)]

        def author_for(domain: str) -> User | None:
            owners = DOMAIN_OWNERS[domain]
            for discipline in sorted(owners):
                if team.get(discipline):
                    return team[discipline][0]
            for discipline in sorted(owners):
                if staff.get(discipline):
                    return staff[discipline][0]
            return None

        physician = author_for("physical")
        signed_at = min(start + timedelta(days=self.rng.randint(2, 10)), self.now)
        assessment = Assessment(
            id=self._id(),
            program_id=self.program.pk,
            patient=course.patient,
            status=Assessment.Status.SIGNED if signed else Assessment.Status.DRAFT,
            started_by=physician,
            signed_at=signed_at if signed else None,
            signed_by=physician if signed else None,
            created_at=start,
            updated_at=signed_at if signed else start,
            version=2 if signed else 1,
        )
        sections = [
            AssessmentSection(
                id=self._id(),
                assessment=assessment,
                domain=domain,
                findings={},
                narrative=NARRATIVES[domain],
                completed=True,
                author=author_for(domain),
                created_at=start,
                updated_at=start,
            )
            for domain in domains
        ]
        return assessment, sections

    def _allergies(self, course: _Course) -> None:
        """Allergies as a program's records hold them: some recorded, some answered "none",
        some not asked yet. Chosen from the record number so the demo's other draws do not
        move."""
        if not course.living or self.prescriber is None:
            return
        pick = int(hashlib.sha256(course.patient.mrn.encode()).hexdigest()[:6], 16) % 10
        if pick >= 7:
            return
        if pick >= 3:
            allergy_none_known_record(actor=self.prescriber, patient=course.patient)
            return
        substance, category, criticality, reaction = ALLERGIES[pick]
        allergy_record(
            actor=self.prescriber,
            patient=course.patient,
            substance=substance,
            category=category,
            criticality=criticality,
            reaction=reaction,
        )

    def _medications(self, course: _Course) -> None:
        rng = self.rng
        prescriber = self.prescriber
        if not course.living or rng.random() > 0.4 or prescriber is None:
            return
        key, dose, per_day, route = rng.choice(OPIOIDS)
        started = max(course.start.date(), self.today - timedelta(days=rng.randint(3, 120)))
        medication_add(
            actor=prescriber,
            patient=course.patient,
            data=MedicationInput(
                catalog_key=key,
                dose_amount=dose,
                doses_per_day=per_day,
                route=route,
                started_on=started,
            ),
        )
        self.counts["opioid_patients"] += 1
        if rng.random() < 0.7:
            bowel, dose, per_day, route = rng.choice(BOWEL)
            medication_add(
                actor=prescriber,
                patient=course.patient,
                data=MedicationInput(
                    catalog_key=bowel,
                    dose_amount=dose,
                    doses_per_day=per_day,
                    route=route,
                    started_on=started,
                ),
            )
        elif rng.random() < 0.5:
            medication_add(
                actor=prescriber,
                patient=course.patient,
                data=MedicationInput(free_text="Acetaminophen 500 mg", as_needed=True),
            )
        alert = bowel_regimen_check(patient=course.patient)
        if alert is not None:
            self.counts["alerts"] += 1

    # the whole program

    def run(self, patients: Sequence[Any]) -> dict[str, int]:
        if set(self.instruments) != {"esas-r", "phq-4", "distress-thermometer", "pps", "akps"}:
            return self.counts
        by_id = {p.pk: p for p in patients}
        episodes: dict[Any, EpisodeOfCare] = {}
        for episode in EpisodeOfCare.objects.filter(patient_id__in=list(by_id)).order_by(
            "patient__mrn", "start"
        ):
            episodes[episode.patient_id] = episode  # the latest enrollment
        team: dict[Any, dict[str, list[User]]] = {}
        for member in (
            CareTeamMember.objects.filter(patient_id__in=list(episodes), active=True)
            .select_related("user")
            .order_by("patient_id", "-is_lead", "user__username")
        ):
            team.setdefault(member.patient_id, {}).setdefault(member.discipline, []).append(
                member.user
            )
        staff: dict[str, list[User]] = {}
        for user in User.objects.filter(program=self.program, is_active=True).order_by("username"):
            staff.setdefault(user.discipline, []).append(user)
        # The medication list is kept by those the privilege matrix allows (a nurse, ...).
        self.prescriber = next(
            (u for users in staff.values() for u in users if privileges.can(u, "medication.add")),
            None,
        )

        phases: list[PhaseOfCare] = []
        assessments: list[Assessment] = []
        sections: list[AssessmentSection] = []
        courses: list[_Course] = []
        for patient in sorted(by_id.values(), key=lambda p: p.mrn):
            if patient.pk not in episodes:
                continue
            episode = episodes[patient.pk]
            died = patient.deceased_at is not None
            end = patient.deceased_at or episode.end or self.now
            end = min(end, self.now)
            start = max(episode.start, end - HISTORY)
            if end - start < timedelta(days=3):
                continue
            living = episode.status == EpisodeOfCare.Status.ACTIVE and not died
            if died:
                shape = "dying"
            else:
                shape = self.rng.choices(
                    ["improving", "steady", "worsening"], weights=[55, 25, 20], k=1
                )[0]
            course = _Course(
                patient=patient,
                episode=episode,
                start=start,
                end=end,
                died=died,
                living=living,
                shape=shape,
                profile=self.rng.choice(PROFILES),
            )
            courses.append(course)
            self._esas(course)
            self._function(course)
            self._screens(course)
            phases.extend(self._phases(course))
            if self.rng.random() < 0.45:
                assessment, rows = self._assessment(course, team.get(patient.pk, {}), staff)
                if assessment is not None:
                    assessments.append(assessment)
                    sections.extend(rows)

        SymptomReport.objects.bulk_create(self.reports, batch_size=1000)
        PhaseOfCare.objects.bulk_create(phases, batch_size=1000)
        for row in assessments:
            row._history_date = row.updated_at  # type: ignore[attr-defined]
        bulk_create_with_history(assessments, Assessment, batch_size=500)
        for section in sections:
            section._history_date = section.updated_at  # type: ignore[attr-defined]
        bulk_create_with_history(sections, AssessmentSection, batch_size=500)
        self.counts["symptom_reports"] = len(self.reports)
        self.counts["phases"] = len(phases)
        self.counts["assessments"] = sum(
            1 for a in assessments if a.status == Assessment.Status.SIGNED
        )

        rules = rules_for(self.program)
        with _ids_from(self.rng, Alert, Task, MedicationStatement):
            for report_id in self.to_evaluate:
                self.counts["alerts"] += len(report_evaluate(report_id=report_id, rules=rules))
            for course in courses:
                self._medications(course)
                self._allergies(course)
            self.counts["alerts"] += len(missing_reports_check(program=self.program))
            self.counts["alerts"] += len(unstable_phases_check(program=self.program))
        return self.counts


def assessments_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Give the program's enrolled `patients` their symptom monitoring history, and raise
    the alerts it calls for. Returns counts by kind, for the demo's summary."""
    return _Populator(program, rng, today).run(patients)
