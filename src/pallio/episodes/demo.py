"""The demo program's episodes of care: enrollment from an accepted referral, the care team,
and discharge for the episodes that ended."""

from __future__ import annotations

from datetime import datetime

from pallio.accounts.demo import _CORE
from pallio.accounts.models import User
from pallio.careplans.demo import TaskDemo
from pallio.core.codes import Diagnosis, Discipline
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Patient
from pallio.programs.demo_builder import _Batch
from pallio.referrals import clocks
from pallio.referrals.demo import ReferralDemo
from pallio.referrals.models import Referral


class EpisodeDemo(ReferralDemo, TaskDemo):
    """Builds an accepted referral's episode of care and care team."""

    def _episode(
        self,
        batch: _Batch,
        patient: Patient,
        referral: Referral,
        diagnosis: Diagnosis,
        band: str,
        *,
        end: datetime | None,
        died: bool,
    ) -> None:
        rng = self.rng
        assert referral.decided_at is not None
        start = referral.decided_at
        start_day = self._local_date(start)
        first_visit_due = clocks.first_contact_due(self.program, referral.urgency, start_day)
        deadline = referral.advanced_cancer_deadline
        if deadline and deadline > start_day:
            first_visit_due = min(first_visit_due, deadline)
        finished = end is not None
        episode = EpisodeOfCare(
            id=self._uuid(),
            program=self.program,
            patient=patient,
            referral=referral,
            status=EpisodeOfCare.Status.FINISHED if finished else EpisodeOfCare.Status.ACTIVE,
            start=start,
            end=end,
            first_visit_due=first_visit_due,
            created_at=start,
            updated_at=end or start,
        )
        batch.episodes.append(episode)
        if died and end is not None:
            patient.deceased_at = end

        disciplines: list[str] = list(_CORE)
        if rng.random() < 0.08 and self.staff.get(Discipline.NURSE_PRACTITIONER):
            disciplines[1] = Discipline.NURSE_PRACTITIONER
        extras = [
            (Discipline.CHAPLAIN, 0.25),
            (Discipline.DIETITIAN, 0.12 if diagnosis.group != "cancer" else 0.25),
            (Discipline.NURSE, 0.2),
            (Discipline.PHARMACIST, 0.1),
            (Discipline.CARE_COORDINATOR, 0.15),
            (Discipline.VOLUNTEER, 0.08),
            (Discipline.MUSIC_THERAPIST, 0.05),
            (Discipline.PATIENT_NAVIGATOR, 0.3 if diagnosis.group == "cancer" else 0.0),
            (
                Discipline.RESPIRATORY_THERAPIST,
                0.45 if diagnosis.group in ("copd", "als", "lung_disease") else 0.0,
            ),
            (Discipline.CHILD_LIFE, 0.85 if band == "child" else 0.0),
        ]
        disciplines += [d for d, p in extras if rng.random() < p]
        lead: User | None = None
        chosen: set[int] = set()
        for discipline in disciplines:
            member = self._pick(discipline)
            if member is None or member.pk in chosen:
                continue
            chosen.add(member.pk)
            is_lead = lead is None and discipline == Discipline.NURSE_NAVIGATOR
            if is_lead:
                lead = member
            batch.members.append(
                CareTeamMember(
                    id=self._uuid(),
                    episode=episode,
                    patient=patient,
                    user=member,
                    discipline=discipline,
                    is_lead=is_lead,
                    active=not finished,
                    ended_at=end,
                    created_at=start,
                    updated_at=end or start,
                )
            )

        self._episode_tasks(
            batch,
            patient=patient,
            episode=episode,
            referral=referral,
            lead=lead,
            start=start,
            first_visit_due=first_visit_due,
            finished=finished,
        )
