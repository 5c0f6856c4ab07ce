"""Last night's calls to the 24/7 line for the demo (`make run`): one call in every reason
category, triaged by its protocol, called back and disposed, and one expected death
reported by phone. Written through the services, so the demo obeys the same rules (and
leaves the same audit trail) as calls taken on the pages. Deterministic: the times are laid
out from the demo's anchor (the start of today in the program's time zone) and `rng`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pallio.accounts.models import User
from pallio.core import clock, privileges
from pallio.support import services
from pallio.support.models import CallReason


@dataclass(frozen=True)
class _NightCall:
    reason: str
    caller_kind: str
    story: str
    protocol: str
    answers: dict[str, str]
    red_flags: tuple[str, ...]
    disposition: str
    note: str


NIGHT: tuple[_NightCall, ...] = (
    _NightCall(
        CallReason.SYMPTOM,
        "caregiver",
        "Pain in her back much worse since supper; the as-needed dose helped a little.",
        "pain",
        {"where": "Lower back, the usual place", "prn-helped": "no", "sleep": "yes"},
        ("uncontrolled",),
        "nurse_visit",
        "Nurse visit arranged; used the as-needed order once more meanwhile.",
    ),
    _NightCall(
        CallReason.VISIT_REQUEST,
        "caregiver",
        "Wife cannot get him back into bed and asks for someone to come.",
        "falls",
        {"injury": "no", "head": "no", "get-up": "no"},
        ("repeat",),
        "nurse_visit",
        "Nurse visit tonight to help and to check for injury.",
    ),
    _NightCall(
        CallReason.MEDICATION,
        "patient",
        "Ran out of the laxative; no bowel movement for four days.",
        "constipation",
        {"last-bm": "Four days ago", "on-opioid": "yes", "wind": "yes"},
        (),
        "advice",
        "Advised per the bowel regimen on the orders; day team to renew the prescription.",
    ),
    _NightCall(
        CallReason.CAREGIVER,
        "caregiver",
        "Daughter exhausted and tearful; has not slept for two nights.",
        "caregiver-crisis",
        {"safe": "yes", "alone": "yes", "cope": "unsure", "thoughts": "no"},
        (),
        "advice",
        "Listened; respite options tomorrow with the social worker.",
    ),
    _NightCall(
        CallReason.EQUIPMENT,
        "facility",
        "Oxygen concentrator alarming at the nursing home.",
        "breathlessness",
        {"onset": "no", "at-rest": "no", "oxygen": "Concentrator alarming; spare cylinder in use"},
        (),
        "advice",
        "Spare cylinder in use; supplier called for the morning.",
    ),
    _NightCall(
        CallReason.INFORMATION,
        "caregiver",
        "Son asks when the nurse visits this week.",
        "",
        {},
        (),
        "advice",
        "Told the visit day; the day team will confirm the time.",
    ),
)


def _may_take_calls(user: Any) -> bool:
    return (
        privileges.can(user, "call.record")
        and privileges.can(user, "call.dispose")
        and privileges.can(user, "death.record")
    )


def _staff(program: Any, at: datetime) -> Any:
    """Whoever covers the line's first line at `at` (the roster demo's night nurse), else a
    program-wide clinician who may take calls (the medical director): an on-call clinician
    off shift reaches only their own patients."""
    from pallio.support.selectors import on_call_now

    covering = on_call_now(program=program, at=at)
    # A shift opens every patient of the program to the on-call role only (core/access.py).
    if covering is not None and covering.role == "on_call" and _may_take_calls(covering):
        return covering
    users = User.objects.filter(
        program=program, is_active=True, role__in=["medical_director", "intake_coordinator"]
    ).order_by("-role", "username")
    return next((u for u in users if _may_take_calls(u)), None)


def calls_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, night_end: datetime
) -> dict[str, int]:
    """Write last night's calls about `patients` (enrolled, alive), ending before
    `night_end` (the demo's anchor). Returns counts for the demo's summary."""
    actor = _staff(program, night_end - timedelta(minutes=1))
    alive = [p for p in patients if p.deceased_at is None]
    if actor is None or len(alive) < len(NIGHT) + 1:
        return {}
    chosen = rng.sample(alive, len(NIGHT) + 1)
    start = night_end - timedelta(hours=6)
    counts = {"calls": 0, "red_flags": 0, "deaths": 0}
    with clock.frozen(night_end - timedelta(minutes=1)):
        for i, (night, patient) in enumerate(zip(NIGHT, chosen, strict=False)):
            received = start + timedelta(minutes=40 * i + rng.randint(0, 20))
            call = services.call_record(
                actor=actor,
                data=services.CallInput(
                    caller_kind=night.caller_kind,
                    caller_name="" if night.caller_kind == "patient" else "Family member",
                    callback_number=f"617-555-01{10 + i:02d}",
                    received_at=received,
                    reason=night.reason,
                    story=night.story,
                    patient_id=patient.pk,
                ),
            )
            if night.protocol:
                services.call_triage_record(
                    actor=actor,
                    call=call,
                    expected_version=call.version,
                    data=services.TriageInput(
                        protocol_key=night.protocol,
                        answers=night.answers,
                        red_flags=list(night.red_flags),
                    ),
                )
            services.call_callback_record(
                actor=actor,
                call=call,
                expected_version=call.version,
                called_back_at=received + timedelta(minutes=rng.randint(3, 25)),
            )
            services.call_dispose(
                actor=actor,
                call=call,
                expected_version=call.version,
                disposition=night.disposition,
                disposition_at=received + timedelta(minutes=rng.randint(26, 50)),
                note=night.note,
            )
            counts["calls"] += 1
            counts["red_flags"] += int(call.red_flag)
        # The expected death, reported in the small hours; still open for the pronouncement.
        patient = chosen[-1]
        received = night_end - timedelta(minutes=rng.randint(20, 50))
        call = services.call_record(
            actor=actor,
            data=services.CallInput(
                caller_kind="caregiver",
                caller_name="Family member",
                callback_number="617-555-0199",
                received_at=received,
                reason=CallReason.DEATH,
                story="Her breathing stopped; the family was with her. It was expected.",
                patient_id=patient.pk,
            ),
        )
        services.call_triage_record(
            actor=actor,
            call=call,
            expected_version=call.version,
            data=services.TriageInput(
                protocol_key="expected-death",
                answers={"breathing": "yes", "expected": "yes", "present": "Husband and son"},
            ),
        )
        services.death_report_record(
            actor=actor,
            call=call,
            data=services.DeathInput(
                died_at=received - timedelta(minutes=15),
                place="home",
                present="Husband and son",
                needs=["pronouncement", "funeral_home"],
            ),
        )
        counts["calls"] += 1
        counts["deaths"] += 1
    return counts
