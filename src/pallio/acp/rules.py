"""Consistency checks on advance care planning, declared as data (DESIGN rule 8).

Each rule reads the facts gathered for one patient and says whether the plan contradicts
itself. A patient for whom any rule holds is put on the program's review list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pallio.acp.models import CodeStatusValue, GoalFocus, TreatmentChoice


@dataclass(frozen=True)
class AcpFacts:
    """What the rules look at, gathered for a patient in one query."""

    code_status: str | None
    latest_goal_focus: str | None  # of the latest signed conversation
    hospitalization_choice: str | None
    hospitalization_stated_on: date | None
    admitted_since_stated: bool  # a hospital admission on or after the stated preference
    place_of_death: str
    support_plan: str


@dataclass(frozen=True)
class ConsistencyRule:
    id: str
    title: str
    advice: str
    applies: Callable[[AcpFacts], bool]


RULES: tuple[ConsistencyRule, ...] = (
    ConsistencyRule(
        id="full-code-comfort-goals",
        title="Full code, but the latest conversation chose comfort-focused care",
        advice="Revisit code status with the patient or agent and record the outcome.",
        applies=lambda f: (
            f.code_status == CodeStatusValue.FULL_CODE and f.latest_goal_focus == GoalFocus.COMFORT
        ),
    ),
    ConsistencyRule(
        id="hospitalized-despite-preference",
        title="In hospital although the patient preferred to avoid hospital",
        advice="Review what led to the admission and how to honour the preference next time.",
        applies=lambda f: (
            f.hospitalization_choice == TreatmentChoice.DOES_NOT_WANT and f.admitted_since_stated
        ),
    ),
    ConsistencyRule(
        id="place-of-death-without-plan",
        title="A preferred place of death with no plan to support it",
        advice="Agree and record the plan (services, equipment, caregivers) that makes it work.",
        applies=lambda f: bool(f.place_of_death) and not f.support_plan.strip(),
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}


def rules_failing(facts: AcpFacts) -> list[ConsistencyRule]:
    return [rule for rule in RULES if rule.applies(facts)]
