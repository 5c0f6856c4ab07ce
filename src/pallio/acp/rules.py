"""Consistency checks on advance care planning, declared as data (DESIGN rule 8).

Each rule reads the facts gathered for one patient and says whether the plan contradicts
itself. A patient for whom any rule holds is put on the program's review list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pallio.acp.models import CodeStatusValue, GoalFocus, PortableOrder, TreatmentChoice

# Code statuses that refuse resuscitation, and those that also refuse intubation. Comfort-focused
# care forgoes both (CLINICAL.md section 8 lists code status and portable orders as the records
# that must agree).
NO_CPR = frozenset({CodeStatusValue.DNR, CodeStatusValue.DNR_DNI, CodeStatusValue.COMFORT})
NO_INTUBATION = frozenset({CodeStatusValue.DNR_DNI, CodeStatusValue.COMFORT})


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
    code_status_effective: date | None = None
    resuscitation_choice: str | None = None
    ventilation_choice: str | None = None
    # The current portable medical order (POLST/MOLST): not superseded, not in error.
    order_cpr: str | None = None
    order_interventions: str | None = None
    order_effective: date | None = None


def _refuses_but_wants(f: AcpFacts) -> bool:
    return (f.code_status in NO_CPR and f.resuscitation_choice == TreatmentChoice.WANTS) or (
        f.code_status in NO_INTUBATION and f.ventilation_choice == TreatmentChoice.WANTS
    )


def _order_disagrees_with_code_status(f: AcpFacts) -> bool:
    if f.order_cpr is None or f.code_status is None:
        return False
    return (
        (f.order_cpr == PortableOrder.Cpr.ATTEMPT and f.code_status in NO_CPR)
        or (
            f.order_cpr == PortableOrder.Cpr.DO_NOT_ATTEMPT
            and f.code_status == CodeStatusValue.FULL_CODE
        )
        # Full treatment on the order includes intubation and mechanical ventilation.
        or (
            f.order_interventions == PortableOrder.Interventions.FULL
            and f.code_status in NO_INTUBATION
        )
    )


def _order_newer_and_disagrees(f: AcpFacts) -> bool:
    if f.order_effective is None or f.code_status_effective is None:
        return False
    return f.order_effective > f.code_status_effective and _order_disagrees_with_code_status(f)


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
    ConsistencyRule(
        id="dnr-but-wants-cpr-or-ventilation",
        title="Code status refuses resuscitation or intubation, but a treatment preference "
        "wants it",
        advice="Talk with the patient or agent about CPR and ventilation, then update the code "
        "status or the treatment preference.",
        applies=_refuses_but_wants,
    ),
    ConsistencyRule(
        id="order-attempts-cpr-without-full-code",
        title="The current POLST/MOLST says attempt CPR, but the code status is DNR or not "
        "recorded",
        advice="Check the signed order with the patient or agent and record the code status "
        "that matches it.",
        applies=lambda f: (
            f.order_cpr == PortableOrder.Cpr.ATTEMPT
            and (f.code_status is None or f.code_status in NO_CPR)
        ),
    ),
    ConsistencyRule(
        id="order-newer-than-code-status-disagrees",
        title="A POLST/MOLST signed after the code status disagrees with it",
        advice="The order is the later decision: confirm it and update the code status, or "
        "record why the code status stands.",
        applies=_order_newer_and_disagrees,
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}


def rules_failing(facts: AcpFacts) -> list[ConsistencyRule]:
    return [rule for rule in RULES if rule.applies(facts)]
