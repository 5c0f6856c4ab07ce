"""Template tags that put enrollment, discharge and death on the chart."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.core import privileges
from pallio.episodes.models import DeathRecord


def death_record_rows(patient: Any) -> Any:
    return DeathRecord.objects.filter(patient_id=patient.pk).select_related("recorded_by")


register = template.Library()


@register.inclusion_tag("episodes/_chart_enrollment.html")
def enrollment_chart_section(
    patient: Any, episodes: list[Any], user: Any, today: Any, chart: Any = None
) -> dict[str, Any]:
    """The chart's enrollment card: the current episode, earlier ones with their discharge
    reasons, the death when there is one, and the actions the user may take (the chart gives
    the death record it has read with the rest)."""
    death = (
        next(iter(chart["episodes_death"]), None) if chart else death_record_rows(patient).first()
    )
    open_episode = next((e for e in episodes if e.status != "finished"), None)
    return {
        "patient": patient,
        "episodes": episodes,
        "active_episode": open_episode,
        "death": death,
        "today": today,
        "can_discharge": open_episode is not None
        and death is None
        and privileges.can(user, "episode.discharge"),
        "can_record_death": death is None and privileges.can(user, "death.record"),
        "can_reenroll": open_episode is None
        and bool(episodes)
        and death is None
        and patient.deceased_at is None
        and privileges.can(user, "episode.reenroll"),
    }
