"""HL7 v2 ADT messages as hospitals send them: the demo, the tests and the benchmark build
theirs here (the listener only ever receives them)."""

from __future__ import annotations

from datetime import date


def adt_message(
    trigger: str = "A01",
    *,
    control_id: str = "MSG00001",
    record_number: str = "H123456",
    given: str = "Alice",
    family: str = "Anders",
    middle: str = "",
    born: date | None = date(1950, 4, 12),
    phone: str = "",
    sex: str = "F",
    patient_class: str = "I",
    unit: str = "5W",
    room: str = "512",
    facility: str = "Mercy General",
    visit_number: str = "V1001",
    admitted: str = "202603141030",
    discharged: str = "",
    disposition: str = "",
    sent: str = "202603141035",
    sender: str = "EPIC^MERCY",
) -> str:
    """One message, segments joined by CR (the HL7 segment separator)."""
    event_time = discharged if trigger == "A03" and discharged else admitted or sent
    fields = ["PV1", "1", patient_class, f"{unit}^{room}^1^{facility}"] + [""] * 45
    fields[19] = visit_number
    fields[36] = disposition
    fields[44] = admitted
    fields[45] = discharged
    segments = [
        f"MSH|^~\\&|{sender.replace('^', '|')}|PALLIO|RIVERSIDE|{sent}||"
        f"ADT^{trigger}^ADT_A01|{control_id}|P|2.5",
        f"EVN|{trigger}|{sent}|||| {event_time}".replace("| ", "|"),
        f"PID|1||{record_number}^^^MERCY^MR||{family}^{given}^{middle}||"
        f"{born.strftime('%Y%m%d') if born else ''}|{sex}|||||{phone}",
        "|".join(fields[:46]),
    ]
    return "\r".join(segments) + "\r"
