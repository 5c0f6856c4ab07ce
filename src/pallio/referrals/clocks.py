"""The clocks every referral carries: time waiting, first contact due, and for advanced
cancer the 8-weeks-from-diagnosis deadline (CLINICAL.md sections 1 and 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pallio.core import clock


def first_contact_due(program: Any, urgency: str, received: date) -> date:
    days = int(program.setting("first_contact_days").get(urgency, 7))
    return received + timedelta(days=days)


def advanced_cancer_deadline(
    program: Any, *, group: str, advanced: bool, diagnosis_date: date | None
) -> date | None:
    if group != "cancer" or not advanced or diagnosis_date is None:
        return None
    return diagnosis_date + timedelta(weeks=int(program.setting("advanced_cancer_weeks")))


@dataclass(frozen=True)
class ReferralClocks:
    waiting: timedelta
    first_contact_due: date
    first_contact_overdue: bool
    first_contact_due_today: bool
    cancer_deadline: date | None
    cancer_deadline_overdue: bool
    cancer_days_left: int | None

    @property
    def waiting_label(self) -> str:
        hours = int(self.waiting.total_seconds() // 3600)
        if hours < 1:
            return "under an hour"
        if hours < 48:
            return f"{hours} h"
        return f"{hours // 24} days"

    @property
    def overdue(self) -> bool:
        return self.first_contact_overdue or self.cancer_deadline_overdue


def referral_clocks(referral: Any, *, today: date, now: datetime | None = None) -> ReferralClocks:
    now = now or clock.now()
    deadline = referral.advanced_cancer_deadline
    return ReferralClocks(
        waiting=max(now - referral.received_at, timedelta(0)),
        first_contact_due=referral.first_contact_due,
        first_contact_overdue=referral.is_open and referral.first_contact_due < today,
        first_contact_due_today=referral.is_open and referral.first_contact_due == today,
        cancer_deadline=deadline,
        cancer_deadline_overdue=bool(deadline and referral.is_open and deadline < today),
        cancer_days_left=(deadline - today).days if deadline else None,
    )
