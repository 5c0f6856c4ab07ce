"""The demo's hospital messages, received through the same pipeline the MLLP listener uses
(`adt_receive`): admissions of enrolled patients (one to intensive care, one since
discharged to hospice), and the review queue's usual cases: someone who is not a patient, a
near match that needs a person to decide, a discharge whose admission never came, and a
message the hospital sent twice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.adt.builder import adt_message
from pallio.adt.services import adt_receive


def _at(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y%m%d%H%M")


def adt_demo_populate(
    *, program: Any, patients: list[Any], rng: random.Random, now: datetime
) -> dict[str, int]:
    """Receive the demo's messages for `program` (enrolled `patients`, five or more);
    returns how many ended in each status."""
    tz = ZoneInfo(program.timezone)
    chosen = rng.sample(patients, min(5, len(patients)))
    counts: dict[str, int] = {}
    sent: list[str] = []

    def person(patient: Any) -> dict[str, Any]:
        return {
            "given": patient.given_name,
            "family": patient.family_name,
            "born": patient.birth_date,
            "record_number": f"MG{rng.randrange(10**6):06d}",
            "sex": {"female": "F", "male": "M"}.get(patient.sex, "U"),
        }

    def send(n: int, trigger: str, who: dict[str, Any], admitted: datetime, **more: Any) -> None:
        sent.append(
            adt_message(
                trigger,
                control_id=f"DEMO-ADT-{n:03d}",
                visit_number=f"DEMO-V{n:03d}" if trigger == "A01" else more.pop("visit", ""),
                admitted=_at(admitted, tz),
                sent=_at(more.pop("sent", admitted), tz),
                **who,
                **more,
            )
        )

    if len(chosen) >= 1:
        # Admitted through the emergency department last night, now on a ward.
        send(1, "A01", person(chosen[0]), now - timedelta(hours=9), unit="4E", room="412")
    if len(chosen) >= 2:
        # Admitted yesterday, moved to the medical ICU this morning.
        who = person(chosen[1])
        admitted = now - timedelta(hours=30)
        send(2, "A01", who, admitted, unit="5W", room="518")
        send(
            3,
            "A02",
            who,
            admitted,
            unit="MICU",
            room="3",
            visit="DEMO-V002",
            sent=now - timedelta(hours=6),
        )
    if len(chosen) >= 3:
        # A short stay last week, discharged to hospice at home.
        who = person(chosen[2])
        admitted = now - timedelta(days=8)
        send(4, "A01", who, admitted, unit="6N", room="604")
        left = now - timedelta(days=5)
        send(
            5,
            "A03",
            who,
            admitted,
            unit="6N",
            visit="DEMO-V004",
            discharged=_at(left, tz),
            disposition="50",
            sent=left,
        )
    # Someone the program does not know: held for review.
    send(
        6,
        "A01",
        {
            "given": "Marguerite",
            "family": "Delacroix-Whitby",
            "born": datetime(1938, 6, 2).date(),
            "record_number": "MG771204",
            "sex": "F",
        },
        now - timedelta(hours=5),
        unit="4E",
    )
    if len(chosen) >= 4:
        # A patient's day and month of birth swapped: a near match a person must confirm.
        who = person(chosen[3])
        born = who["born"]
        if born.day <= 12 and born.day != born.month:
            who["born"] = born.replace(month=born.day, day=born.month)
        else:
            who["born"] = born + timedelta(days=1)
        send(7, "A01", who, now - timedelta(hours=3), patient_class="E", unit="ED", room="")
    if len(chosen) >= 5:
        # A patient's discharge whose admission never came: refused, waiting for review.
        send(
            8,
            "A03",
            person(chosen[4]),
            now - timedelta(days=2),
            unit="3S",
            discharged=_at(now - timedelta(hours=20), tz),
            disposition="01",
            visit="MGV-88",
            sent=now - timedelta(hours=20),
        )
    for text in sent:
        status = adt_receive(program=program, raw=text).message.status
        counts[status] = counts.get(status, 0) + 1
    if sent:
        # The hospital's interface engine resent its first message: acknowledged, not applied.
        status = adt_receive(program=program, raw=sent[0]).message.status
        counts[status] = counts.get(status, 0) + 1
    return counts
