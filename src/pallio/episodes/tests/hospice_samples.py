"""Shared pieces of the hospice tests: a frozen clock, scored reports, a referral."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pallio.assessments import services as assessments
from pallio.assessments.models import SymptomReport
from pallio.core import clock
from pallio.episodes import hospice

# A Tuesday, mid-morning in Riverside's zone (America/New_York).
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)

PPI_7_5 = {
    "pps": "10-20",
    "oral-intake": "severe",
    "edema": "yes",
    "dyspnea": "no",
    "delirium": "no",
}
PPI_3_5 = {"pps": "60+", "oral-intake": "normal", "edema": "no", "dyspnea": "yes", "delirium": "no"}
PAP_C = {
    "dyspnea": "yes",
    "anorexia": "yes",
    "kps": "10-20",
    "cps": "1-2",
    "wbc": 12,
    "lymphocytes": 10,
}


def today(world: Any) -> date:
    return clock.today_in(world.riverside.timezone)


def report(world: Any, patient: Any, key: str, answers: dict[str, Any], days_ago: int = 0) -> Any:
    assessments.instruments_sync_shipped()
    made, _ = assessments.report_submit(
        actor=world.physician,
        patient=patient,
        data=assessments.ReportInput(key, answers, "clinician", "visit"),
    )
    if days_ago:
        SymptomReport.objects.filter(pk=made.pk).update(
            answered_at=clock.now() - timedelta(days=days_ago)
        )
    return made


def refer(
    world: Any, patient: Any = None, *, actor: Any = None, agency: str = "Bayside Hospice"
) -> Any:
    return hospice.hospice_referral_send(
        actor=actor or world.navigator,
        patient=patient or world.alice,
        agency_name=agency,
        agency_phone="617-555-0190",
        referred_on=today(world),
        note="Family would like a visit this week.",
    )
