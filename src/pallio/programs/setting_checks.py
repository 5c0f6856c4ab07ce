"""What is wrong with a value for each program setting, in plain words.

Every change to a program's settings, from its own pages or the command line, is checked here
before anything is saved (programs/services.py). A check answers a list of problems, empty when
the value is usable; the words name the setting as a person would, never by its key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pallio.core import privileges
from pallio.core.codes import (
    DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES,
    ICD10CM,
    diagnosis_catalog,
    icd10_category_titles,
)
from pallio.programs.models import (
    DEFAULT_PROGRAM_SETTINGS,
    bereavement_schedule_problems,
    bereavement_worklist_days_problems,
)

Check = Callable[[Any], list[str]]

# The letters a program words itself (referrals/templates/referrals/letters/*.txt): the paragraph
# of each that is program policy. The reference, dates, reasons and phone stay filled in by Pallio.
LETTER_KINDS: dict[str, str] = {
    "received": "Referral received",
    "accepted": "Referral accepted",
    "declined": "Referral not accepted",
    "info_request": "More information needed",
    "redirected": "Referral passed on",
    "summary_intro": "Visit summary, opening",
}
LETTER_MAX_CHARACTERS = 1000


def _whole(words: str, low: int, high: int, unit: str = "") -> Check:
    def check(value: Any) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return [f"{words} must be a whole number{unit} from {low} to {high}."]
        return []

    return check


def first_contact_days_problems(value: Any) -> list[str]:
    if not isinstance(value, dict) or set(value) != {"urgent", "soon", "routine"}:
        return ["Give the days to first contact for urgent, soon and routine referrals."]
    problems = []
    for urgency in ("urgent", "soon", "routine"):
        problems += _whole(f"The days to first contact ({urgency})", 0, 90)(value[urgency])
    if not problems and not value["urgent"] <= value["soon"] <= value["routine"]:
        problems.append(
            "An urgent referral must be seen no later than a soon one, and a soon one no later "
            "than a routine one."
        )
    return problems


def young_adult_ages_problems(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
    ):
        return ["Give the youngest and the oldest age of young adults."]
    low, high = value
    if not 1 <= low <= high <= 120:
        return ["Young adults' ages must run from a lower to a higher age, between 1 and 120."]
    return []


def portal_adolescent_ages_problems(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
    ):
        return ["Give the youngest and the oldest age of adolescents in the portal."]
    low, high = value
    if not 0 <= low <= high <= 25:
        return ["Adolescents' ages must run from a lower to a higher age, between 0 and 25."]
    return []


# ICD-10-CM codes: a letter, two characters, then optionally a dot and up to four more.
ICD10_CODE = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")


@cache
def known_icd10_codes() -> frozenset[str]:
    """The ICD-10-CM codes and categories of the coded catalogue (core/data), with the categories
    of the default code sets: the codes a program may put in its serious-illness code sets."""
    known: set[str] = set()
    for diagnosis in diagnosis_catalog():
        if diagnosis.system == ICD10CM:
            known.add(diagnosis.code)
            known.add(diagnosis.code[:3])
    known.update(icd10_category_titles())
    for codes in DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES.values():
        known.update(codes)
    return frozenset(known)


def serious_illness_problems(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return ["Give the serious-illness code sets by group."]
    problems = []
    known = known_icd10_codes()
    for group, codes in value.items():
        words = str(group).replace("_", " ")
        if group not in DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES:
            problems.append(f"{words!r} is not a serious-illness group.")
            continue
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problems.append(f"{words.capitalize()}: give a list of ICD-10-CM codes.")
            continue
        if len(codes) > 200:
            problems.append(f"{words.capitalize()}: at most 200 codes.")
        for code in codes:
            if not ICD10_CODE.fullmatch(code):
                problems.append(f"{words.capitalize()}: {code[:20]!r} is not an ICD-10-CM code.")
            elif code not in known:
                problems.append(
                    f"{words.capitalize()}: {code} is not in the coded catalogue; choose a code "
                    "from the list."
                )
    return problems


def letter_texts_problems(value: Any) -> list[str]:
    if not isinstance(value, dict) or set(value) - set(LETTER_KINDS):
        return ["Give the letters' texts by letter."]
    problems = []
    for kind, text in value.items():
        name = LETTER_KINDS[kind]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{name}: write the text of this letter.")
        elif len(text) > LETTER_MAX_CHARACTERS:
            problems.append(f"{name}: keep the text under {LETTER_MAX_CHARACTERS} characters.")
        elif "\x00" in text:
            problems.append(f"{name}: the text contains a character that is not allowed.")
    return problems


def _choice(words: str, allowed: tuple[str, ...]) -> Check:
    def check(value: Any) -> list[str]:
        if value not in allowed:
            return [f"{words}: choose one of the options."]
        return []

    return check


def _disciplines(value: Any) -> list[str]:
    from pallio.core.codes import Discipline

    if not isinstance(value, list) or not set(value) <= set(Discipline.values):
        return ["Choose the disciplines of a new care team from the list."]
    return []


def _username(value: Any) -> list[str]:
    if not isinstance(value, str) or len(value) > 150:
        return ["Choose the on-call clinician from the list."]
    return []


def _icu_units(value: Any) -> list[str]:
    from pallio.adt.services import icu_units_problems

    return [p.removeprefix("adt_icu_units: ") for p in icu_units_problems(value)]


def _clock_time(value: Any) -> list[str]:
    if not isinstance(value, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        return ["The day shift's start must be a time such as 08:00."]
    return []


def _text(words: str, limit: int) -> Check:
    def check(value: Any) -> list[str]:
        if not isinstance(value, str) or len(value) > limit:
            return [f"{words} must be a text of at most {limit} characters."]
        return []

    return check


def video_url_template_problems(value: Any) -> list[str]:
    """Empty (no video service), or an https address of at most 300 characters with {room}."""
    if value == "":
        return []
    if (
        not isinstance(value, str)
        or len(value) > 300
        or not value.startswith("https://")
        or "{room}" not in value
        or any(c.isspace() for c in value)
    ):
        return [
            "The video service address must start with https://, have the word room in curly "
            "brackets where the room name goes, and be at most 300 characters."
        ]
    return []


REMINDER_RECIPIENTS = {"patient": "The patient", "caregiver": "The main caregiver"}
REMINDER_CHANNELS = {"email": "Email", "sms": "Text message"}
REMINDER_MAX_TIMES = 4
REMINDER_MAX_HOURS = 168


def visit_reminder_hours_problems(value: Any) -> list[str]:
    """At most 4 reminder times, each a whole number of hours from 1 to 168 (a week) before
    the visit, each once. An empty list sends no reminders."""
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in value
    ):
        return ["Give the reminder times as whole numbers of hours, such as 24, 2."]
    problems = []
    if len(value) > REMINDER_MAX_TIMES:
        problems.append(f"Give at most {REMINDER_MAX_TIMES} reminder times.")
    outside = [v for v in value if not 1 <= v <= REMINDER_MAX_HOURS]
    if outside:
        problems.append(
            f"A reminder is sent from 1 to {REMINDER_MAX_HOURS} hours (a week) before the "
            f"visit; {outside[0]} is not."
        )
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        problems.append(f"Give each reminder time once; {repeated[0]} hours is given twice.")
    return problems


def portal_diary_instruments_problems(value: Any) -> list[str]:
    """One to five instrument keys, each once (whether the program has each one is checked
    when the diary is shown: an instrument missing there is left out)."""
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= 5
        or not all(isinstance(v, str) and re.fullmatch(r"[a-z0-9-]{1,60}", v) for v in value)
        or len(set(value)) != len(value)
    ):
        return ["The diary's instruments: give one to five instrument keys, each once."]
    return []


def _subset(words: str, allowed: dict[str, str]) -> Check:
    def check(value: Any) -> list[str]:
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) for v in value)
            or not set(value) <= set(allowed)
            or len(set(value)) != len(value)
        ):
            return [f"{words}: choose from the list."]
        return []

    return check


def day_plan_office_problems(value: Any) -> list[str]:
    """Empty (not set yet), or a name of at most 120 characters, an address of at most 300,
    and a latitude and a longitude in range."""
    if value == {}:
        return []
    if not isinstance(value, dict) or set(value) - {"name", "address", "latitude", "longitude"}:
        return ["Give the office's name and where it is on the map."]
    problems = []
    name = value.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        problems.append("The office's name must be given, in at most 120 characters.")
    if not isinstance(value.get("address", ""), str) or len(value.get("address", "")) > 300:
        problems.append("The office's address must be at most 300 characters.")
    for key, limit in (("latitude", 90), ("longitude", 180)):
        number = value.get(key)
        if isinstance(number, bool) or not isinstance(number, int | float):
            problems.append(f"The office's {key} must be a number.")
        elif not -limit <= number <= limit:
            problems.append(f"The office's {key} must be from -{limit} to {limit}.")
    return problems


def _number_between(words: str, low: float, high: float, unit: str = "") -> Check:
    def check(value: Any) -> list[str]:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            return [f"{words} must be a number from {low:g} to {high:g}{unit}."]
        return []

    return check


def _day_time(words: str) -> Check:
    def check(value: Any) -> list[str]:
        if not isinstance(value, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
            return [f"{words} must be a time such as 08:00."]
        return []

    return check


def _yes_no(value: Any) -> list[str]:
    return [] if isinstance(value, bool) else ["Answer yes or no."]


CHECKS: dict[str, Check] = {
    "first_contact_days": first_contact_days_problems,
    "advanced_cancer_weeks": _whole("The weeks to a first visit in advanced cancer", 1, 52),
    "serious_illness_icd10_prefixes": serious_illness_problems,
    "default_team_disciplines": _disciplines,
    "default_reporting_cadence": _choice(
        "How often symptom reports are expected", ("weekly", "fortnightly", "none")
    ),
    "acp_worklist_days": _whole(
        "The days before a patient is listed for advance care planning", 1, 365
    ),
    "child_max_age": _whole("The oldest age of a child", 0, 21),
    "young_adult_ages": young_adult_ages_problems,
    "portal_adolescent_ages": portal_adolescent_ages_problems,
    "missing_report_grace_days": _whole("The days of grace for a missing symptom report", 0, 30),
    "unstable_phase_alert_days": _whole("The days before an unstable phase raises an alert", 1, 30),
    "denials_alert_threshold": _whole(
        "The number of refusals that raises a security alert", 1, 1000
    ),
    "denials_alert_window_minutes": _whole("The minutes in which refusals are counted", 1, 1440),
    "alert_escalate_to_lead_minutes": _whole(
        "The minutes before an alert goes to the team lead", 0, 1440
    ),
    "alert_escalate_to_on_call_minutes": _whole(
        "The minutes before an alert goes on call", 0, 1440
    ),
    "alert_on_call_username": _username,
    "clinical_privileges": privileges.override_problems,
    "pdf_active_content": _choice("Uploaded PDFs with active content", ("refuse", "disarm")),
    "public_referrals_per_form_per_hour": _whole(
        "The referrals each public form takes an hour", 1, 10000
    ),
    "care_plan_review_days": _whole("The days between care plan reviews", 1, 365),
    "idt_hospice_ppi_above": _whole("The PPI above which hospice is suggested", 0, 15),
    "idt_hospice_pap_group": _choice("The PaP group for hospice", ("A", "B", "C")),
    "idt_hospice_fast_at_least": _whole("The FAST stage for hospice", 1, 7),
    "idt_hospice_pps_at_most": _whole("The PPS for hospice", 0, 100),
    "idt_hospice_pps_must_fall": _yes_no,
    "hospice_admissions_months": _whole("The months in which hospital stays are counted", 1, 24),
    "hospice_admissions_at_least": _whole("The hospital stays that support hospice", 1, 20),
    "idt_not_discussed_days": _whole("The days before a patient not discussed is listed", 1, 365),
    "summary_due_days": _whole("The days within which a visit summary is sent", 0, 60),
    "support_callback_minutes": _whole(
        "The minutes before an unanswered call goes to the second line", 1, 240
    ),
    "message_answer_hours": _whole("The hours within which a message is answered", 1, 168),
    "support_backup_minutes": _whole("The minutes before it goes to the backup", 1, 240),
    "support_day_shift_starts": _clock_time,
    "support_holidays_country": _text("The country of the public holidays", 2),
    "support_holidays_subdivision": _text("The state of the public holidays", 10),
    "support_roster_gap_days": _whole("The days ahead in which roster gaps are flagged", 1, 90),
    "bereavement_schedule": bereavement_schedule_problems,
    "bereavement_worklist_days": bereavement_worklist_days_problems,
    "adt_icu_units": _icu_units,
    "letter_texts": letter_texts_problems,
    "video_url_template": video_url_template_problems,
    "calendar_feed_detail": _choice("What calendar feeds show", ("initials", "names_and_places")),
    "visit_reminder_hours": visit_reminder_hours_problems,
    "visit_reminder_recipients": _subset("Who receives visit reminders", REMINDER_RECIPIENTS),
    "visit_reminder_channels": _subset("How visit reminders are sent", REMINDER_CHANNELS),
    "portal_diary_instruments": portal_diary_instruments_problems,
    "diary_reminder_channels": _subset("How diary reminders are sent", REMINDER_CHANNELS),
    "caregiver_checkin_task_at_least": _whole("The caregiver check-in score for a task", 1, 6),
    "day_plan_office": day_plan_office_problems,
    "day_plan_day_starts": _day_time("The start of the home-visit day"),
    "day_plan_day_ends": _day_time("The end of the home-visit day"),
    "day_plan_road_factor": _number_between("The road factor", 1, 3),
    "day_plan_speed_kmh": _number_between("The average speed", 5, 130, " km/h"),
}


def setting_problems(key: str, value: Any) -> list[str]:
    """What is wrong with `value` for the program setting `key` (empty when usable)."""
    check = CHECKS.get(key)
    if check is None or key not in DEFAULT_PROGRAM_SETTINGS:
        return ["This is not a program setting."]
    return check(value)
