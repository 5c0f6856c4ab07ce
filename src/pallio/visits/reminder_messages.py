"""The words of a visit reminder, by email and by text message.

A reminder says when, where, who is coming (the discipline, never a name) and, for a video
visit, the join link; nothing else. It never names the patient, a diagnosis or the reason for
the visit. Where:

- a home-type place (home, nursing home, assisted living, retirement community) is named by its
  kind only ("At home"): the person reminded knows the address, and an address next to a visit
  time says who is ill and when the house is attended. Neither email nor text carries it;
- a place of the program (clinic, cancer center) is named, with its street address by email;
  a text message names it only (short, and read on a lock screen);
- an inpatient visit is "At the hospital, on the ward": the room is not sent;
- a video visit carries its join link in both (a text message is how most people join).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pallio.core import phones
from pallio.visits.models import Mode, Setting
from pallio.visits.reminder_models import VisitReminder

HOME_WORDS = {
    Setting.HOME: "At home",
    Setting.NURSING_HOME: "At the nursing home",
    Setting.ASSISTED_LIVING: "At the assisted living residence",
    Setting.RETIREMENT_COMMUNITY: "At the retirement community",
}


def _who(visit: Any) -> str:
    label = visit.get_discipline_display().lower()
    article = "an" if label[:1] in "aeiou" else "a"
    return f"{article} {label}"


def _where(visit: Any, *, full: bool) -> str:
    if visit.mode == Mode.VIDEO or visit.setting == Setting.TELEHEALTH:
        return "By video"
    if visit.setting in HOME_WORDS:
        return HOME_WORDS[Setting(visit.setting)]
    if visit.setting == Setting.HOSPITAL:
        return "At the hospital, on the ward"
    place = visit.place
    if place is None:
        return f"At the {Setting(visit.setting).label.lower()}"
    if full and place.address:
        return f"At {place.name}, {place.address}"
    return f"At {place.name}"


def _join(visit: Any) -> str:
    if visit.mode != Mode.VIDEO:
        return ""
    return visit.join_url or ""


def _phone(program: Any) -> str:
    return phones.phone_display(program.phone) if program.phone else ""


def reminder_email(reminder: VisitReminder) -> tuple[str, str]:
    """(subject, body) of the email."""
    visit = reminder.visit
    program = visit.program
    zone = ZoneInfo(program.timezone)
    start = reminder.visit_starts_at.astimezone(zone)
    end = visit.ends_at.astimezone(zone)
    subject = f"Reminder: a visit from {program.name} on {start.day} {start:%b %Y} at {start:%H:%M}"
    if reminder.recipient == VisitReminder.Recipient.CAREGIVER:
        opening = f"This is a reminder of a visit from {program.name} to the person you care for."
    else:
        opening = f"This is a reminder of your visit from {program.name}."
    lines = [
        "Hello,",
        "",
        opening,
        "",
        f"When: {start:%A} {start.day} {start:%B %Y}, {start:%H:%M} to {end:%H:%M}",
        f"Where: {_where(visit, full=True)}",
        f"Who is coming: {_who(visit)}",
    ]
    if visit.mode == Mode.VIDEO:
        link = _join(visit)
        lines.append(
            f"Join the video visit: {link}"
            if link
            else "Join the video visit: the team will tell you how to join."
        )
    phone = _phone(program)
    lines.append("")
    if phone:
        lines.append(f"To change or cancel the visit, call us at {phone}.")
    lines += ["If you feel worse, call us at any time, day or night.", "", program.name]
    return subject, "\n".join(lines) + "\n"


def reminder_sms(reminder: VisitReminder) -> str:
    """The text message: one short paragraph."""
    visit = reminder.visit
    program = visit.program
    start = reminder.visit_starts_at.astimezone(ZoneInfo(program.timezone))
    whose = "a visit" if reminder.recipient == VisitReminder.Recipient.CAREGIVER else "your visit"
    where = _where(visit, full=False)
    text = (
        f"{program.name}: reminder of {whose} {start:%a} {start.day} {start:%b} at "
        f"{start:%H:%M}. {where}, with {_who(visit)}."
    )
    if visit.mode == Mode.VIDEO:
        link = _join(visit)
        text += f" Join: {link}" if link else " The team will tell you how to join."
    phone = _phone(program)
    if phone:
        text += f" To change it, call {phone}."
    return text
