"""The 24/7 line's measures for a period (issue 13, requirement 8).

Calls by reason category and by hour of the day (the program's local time), time to callback
(median and 90th percentile, of the calls called back), the share of calls with a
disposition resolved without the emergency department or 911, and escalations by step and
cause. Calls entered in error are left out. Figures about the program, never a patient: the
page is for the program-wide roles (medical director, coordinator).

The 90th percentile is the nearest-rank one: the smallest time at least 90% of the callbacks
took no longer than, so it is always a time some callback actually took.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.support.models import Call, CallEscalation, CallReason, Disposition


@dataclass
class LineMeasures:
    starts: date
    ends: date  # inclusive
    calls: int
    by_reason: list[tuple[str, int]]
    by_hour: list[int]  # 24 counts, hour 0 to 23 local time
    called_back: int
    callback_median_minutes: float | None
    callback_p90_minutes: float | None
    with_disposition: int
    resolved_without_ed: int
    escalated_calls: int
    escalations: list[tuple[str, str, int]]  # step label, cause label, count

    @property
    def resolved_without_ed_share(self) -> float | None:
        if not self.with_disposition:
            return None
        return self.resolved_without_ed / self.with_disposition

    @property
    def hour_rows(self) -> list[tuple[str, int]]:
        return [(f"{h:02d}:00", count) for h, count in enumerate(self.by_hour)]

    def chart_data(self) -> dict[str, Any]:
        return {
            "hours": {"labels": [f"{h:02d}" for h in range(24)], "values": self.by_hour},
            "reasons": {
                "labels": [label for label, _ in self.by_reason],
                "values": [count for _, count in self.by_reason],
            },
        }


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def line_measures(*, program: Any, starts: date, ends: date) -> LineMeasures:
    """The measures of the calls received from `starts` to `ends`, both days included."""
    zone = ZoneInfo(program.timezone)
    first = datetime.combine(starts, time(0), tzinfo=zone)
    after = datetime.combine(ends + timedelta(days=1), time(0), tzinfo=zone)
    calls = Call.objects.filter(
        program=program, entered_in_error=False, received_at__gte=first, received_at__lt=after
    )
    rows = list(calls.values_list("received_at", "reason", "called_back_at", "disposition"))
    reasons = Counter(reason for _, reason, _, _ in rows)
    hours = Counter(received.astimezone(zone).hour for received, _, _, _ in rows)
    waits = [
        (back - received).total_seconds() / 60
        for received, _, back, _ in rows
        if back is not None and back >= received
    ]
    dispositions = [d for _, _, _, d in rows if d]
    steps = Counter(
        CallEscalation.objects.filter(call__in=calls).values_list("step", "why").order_by()
    )
    escalated = CallEscalation.objects.filter(call__in=calls).values("call_id").distinct().count()
    step_labels = dict(CallEscalation.Step.choices)
    why_labels = dict(CallEscalation.Why.choices)
    return LineMeasures(
        starts=starts,
        ends=ends,
        calls=len(rows),
        by_reason=[(label, reasons.get(value, 0)) for value, label in CallReason.choices],
        by_hour=[hours.get(h, 0) for h in range(24)],
        called_back=len(waits),
        callback_median_minutes=statistics.median(waits) if waits else None,
        callback_p90_minutes=nearest_rank(waits, 0.9) if waits else None,
        with_disposition=len(dispositions),
        resolved_without_ed=sum(1 for d in dispositions if d != Disposition.EMERGENCY),
        escalated_calls=escalated,
        escalations=[
            (step_labels.get(step, step), why_labels.get(why, why), count)
            for (step, why), count in sorted(steps.items())
        ],
    )


def line_measures_for(user: Any, *, starts: date, ends: date) -> LineMeasures:
    """The measures of the user's program; the read is audited."""
    measures = line_measures(program=user.program, starts=starts, ends=ends)
    audit_record(
        actor=user,
        action=Action.READ,
        event="support.measures",
        detail={"from": starts.isoformat(), "to": ends.isoformat()},
    )
    return measures
