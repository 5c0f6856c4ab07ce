"""Reads of the care plan and tasks. Every read that reaches a patient goes through
``patient_get_for`` first (core access rules); these functions take an already-checked
patient or plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pallio.careplans.models import CarePlan, Goal, Intervention, Problem


def plan_changes_between(
    *, patient: Any, since: datetime, until: datetime, by: Any = None
) -> list[dict[str, str]]:
    """The problems, goals and interventions added or changed on the patient's plans in a
    period (by one person, if named), as [{"kind", "id", "summary"}], oldest first. A visit
    note records these as the plan changes made in the visit."""
    changes: list[tuple[datetime, dict[str, str]]] = []
    plans = CarePlan.objects.filter(patient=patient)
    for kind, model, label in (
        ("problem", Problem, "display"),
        ("goal", Goal, "target"),
        ("intervention", Intervention, "description"),
    ):
        rows = model.objects.filter(plan__in=plans, updated_at__gte=since, updated_at__lte=until)
        if by is not None:
            rows = rows.filter(updated_by=by)
        for row in rows:
            verb = "Added" if row.version == 1 else "Changed"
            if row.entered_in_error:
                verb = "Marked entered in error"
            summary = f"{verb} {kind}: {getattr(row, label)}"
            changes.append((row.updated_at, {"kind": kind, "id": str(row.pk), "summary": summary}))
    changes.sort(key=lambda pair: pair[0])
    return [change for _, change in changes]
