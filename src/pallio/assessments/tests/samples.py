"""Sample objects for the project's URL-and-role access walk (tests/security)."""

from __future__ import annotations

from typing import Any


def riverside_alert(world: Any) -> str:
    """The id of an open alert of alice's (Riverside), made once per world."""
    from pallio.assessments.services import (
        ReportInput,
        alert_rules_sync_defaults,
        instruments_sync_shipped,
        report_evaluate,
        report_submit,
    )
    from pallio.assessments.tests.helpers import esas

    cached = getattr(world, "_sample_alert_id", None)
    if cached:
        return cached
    instruments_sync_shipped()
    alert_rules_sync_defaults()
    report, _ = report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput("esas-r", esas(pain=9), "patient", "call"),
    )
    [alert] = [a for a in report_evaluate(report_id=report.pk) if a.rule_key == "esas-severe"]
    world._sample_alert_id = str(alert.pk)
    return world._sample_alert_id
