"""The demo's hospice transitions (issue 14): a few enrolled patients referred to hospice
agencies (one waiting for an answer, one accepted, one admitted and so discharged to hospice,
one declined with the agency's reason), and a few whose latest prognostic scores put them on
the "consider a hospice conversation" worklist. Written through the services, so every row
is audited and every package built like a real one."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from pallio.accounts.models import User
from pallio.core import clock, privileges
from pallio.episodes import hospice
from pallio.episodes.models import EpisodeOfCare

AGENCIES = (
    ("Harborview Hospice", "617-555-0140"),
    ("Bayside Home Hospice", "617-555-0141"),
    ("Riverbend Hospice House", "617-555-0142"),
)
DECLINED_REASONS = (
    "Outside our service area",
    "No home hospice nurse available in that town this month",
)
# Scores past the program's default thresholds: PPI 7.5, FAST 7b, PPS 30% after 50%.
PPI_HIGH = {
    "pps": "10-20",
    "oral-intake": "severe",
    "edema": "yes",
    "dyspnea": "no",
    "delirium": "no",
}


def _staff_who_may(program: Any, action: str) -> User | None:
    logins = set(program.settings.get("demo_logins") or [])
    staff = User.objects.filter(program=program, is_active=True).order_by("username")
    for user in staff:
        if (not logins or user.username in logins) and privileges.can(user, action):
            return user
    return None


def _day_after_start(episode: EpisodeOfCare, zone: ZoneInfo, wanted: date) -> date:
    return max(wanted, episode.start.astimezone(zone).date())


@transaction.atomic
def hospice_demo_populate(
    *, program: Any, patients: list[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Refer the first four enrolled `patients` and put the next four on the worklist.
    Returns counts for the demo's summary line."""
    from pallio.assessments import services as assessments

    coordinator = _staff_who_may(program, "hospice.refer")
    scorer = _staff_who_may(program, "symptom_report.record")
    if coordinator is None or len(patients) < 2:
        return {}
    zone = ZoneInfo(program.timezone)
    referred, candidates = patients[:4], patients[4:8]
    counts = {"hospice_referrals": 0, "hospice_admitted": 0, "hospice_candidates": 0}
    outcomes = ("sent", "accepted", "admitted", "declined")
    for patient, outcome in zip(referred, outcomes, strict=False):
        episode = patient.episodes.filter(status=EpisodeOfCare.Status.ACTIVE).first()
        if episode is None:
            continue
        name, phone = AGENCIES[rng.randrange(len(AGENCIES))]
        referred_on = _day_after_start(episode, zone, today - timedelta(days=rng.randint(3, 6)))
        referral = hospice.hospice_referral_send(
            actor=coordinator,
            patient=patient,
            agency_name=name,
            agency_phone=phone,
            referred_on=referred_on,
            note="Family agrees to a hospice visit; please call the daughter first.",
        )
        counts["hospice_referrals"] += 1
        answered_on = min(today, referred_on + timedelta(days=1))
        if outcome in ("accepted", "admitted"):
            referral = hospice.hospice_referral_status_set(
                actor=coordinator,
                referral=referral,
                status="accepted",
                occurred_on=answered_on,
                expected_version=referral.version,
            )
        if outcome == "admitted":
            hospice.hospice_referral_status_set(
                actor=coordinator,
                referral=referral,
                status="admitted",
                occurred_on=min(today, answered_on + timedelta(days=1)),
                expected_version=referral.version,
            )
            counts["hospice_admitted"] += 1
        if outcome == "declined":
            hospice.hospice_referral_status_set(
                actor=coordinator,
                referral=referral,
                status="declined",
                occurred_on=answered_on,
                reason=DECLINED_REASONS[rng.randrange(len(DECLINED_REASONS))],
                expected_version=referral.version,
            )
    if scorer is not None:
        assessments.instruments_sync_shipped()
        # Each score with how many days ago it was taken: a PPS counts when low and falling.
        scores: tuple[list[tuple[str, dict[str, str], int]], ...] = (
            [("ppi", PPI_HIGH, 0)],
            [("fast", {"fast": "7b"}, 0)],
            [("pps", {"pps": "50"}, 14), ("pps", {"pps": "30"}, 0)],
            [("ppi", PPI_HIGH, 0), ("pps", {"pps": "40"}, 0)],
        )
        for patient, reports in zip(candidates, scores, strict=False):
            for key, answers, days_ago in reports:
                made, _ = assessments.report_submit(
                    actor=scorer,
                    patient=patient,
                    data=assessments.ReportInput(
                        key,
                        answers,
                        "clinician",
                        "visit",
                        answered_at=clock.now() - timedelta(days=days_ago),
                    ),
                )
                # Judged now, as the rest of the demo's reports are (no worker runs here).
                assessments.report_evaluate(report_id=made.pk)
            counts["hospice_candidates"] += 1
    return counts
