"""The program settings form: every setting in plain words, grouped as people think of them.

The form only reads what was typed; programs/services.py decides whether it is usable, and its
problems are placed back next to the field they are about.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError

from pallio.core.codes import (
    DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES,
    Discipline,
    icd10_name,
)
from pallio.episodes.models import ReportingCadence
from pallio.programs import setting_checks
from pallio.programs.models import Program

GROUPS = tuple(DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES)

# (field, setting, help) for every whole-number setting shown, by section.
CLOCKS = (
    (
        "advanced_cancer_weeks",
        "Weeks from a diagnosis of advanced cancer to the first palliative visit",
        "Patients with advanced cancer should be seen within this many weeks of the diagnosis.",
    ),
    (
        "summary_due_days",
        "Days to send a visit summary",
        "Visit summaries not sent to the referring doctor within this many days of the visit "
        "are listed as late.",
    ),
    (
        "care_plan_review_days",
        "Days between care plan reviews",
        "The next review of a patient's care plan is due this many days after the last one.",
    ),
    (
        "acp_worklist_days",
        "Days before advance care planning is listed",
        "Patients enrolled longer than this without a goals-of-care conversation, a named "
        "agent or treatment preferences are listed.",
    ),
    (
        "idt_not_discussed_days",
        "Days before a patient not discussed at a team meeting is listed",
        "The medical director sees patients not discussed at a team meeting within this many days.",
    ),
    (
        "bereavement_worklist_days",
        "Days ahead on the bereavement worklist",
        "Planned contacts with bereaved families due within this many days are listed, with "
        "every overdue one.",
    ),
)
ALERTS = (
    (
        "missing_report_grace_days",
        "Days of grace for a missing symptom report",
        "Days past a patient's expected symptom report before the missing-report alert is raised.",
    ),
    (
        "unstable_phase_alert_days",
        "Days before an unstable phase raises an alert",
        "An unstable phase of care that lasts longer than this raises an alert.",
    ),
    (
        "alert_escalate_to_lead_minutes",
        "Minutes before an alert goes to the team lead",
        "An alert nobody has acknowledged this many minutes after it is due goes to the "
        "patient's team lead.",
    ),
    (
        "alert_escalate_to_on_call_minutes",
        "Minutes after that before it goes to the on-call clinician",
        "Counted from when the alert went to the team lead.",
    ),
    (
        "support_callback_minutes",
        "Minutes before an unanswered call goes to the second line",
        "A call to the 24/7 line not called back within this many minutes pages the second line.",
    ),
    (
        "message_answer_hours",
        "Hours to answer a message from the portal",
        "A message from a patient or family waiting longer than this is shown overdue in the "
        "team's inbox.",
    ),
    (
        "support_backup_minutes",
        "Minutes after that before it goes to the backup",
        "Counted from when the second line was paged.",
    ),
    (
        "denials_alert_threshold",
        "Refusals that raise a security alert",
        "A staff member refused this many times within the minutes below raises an alert to "
        "the privacy officer.",
    ),
    (
        "denials_alert_window_minutes",
        "Minutes in which refusals are counted",
        "The window for the count above.",
    ),
)

NUMBER_SETTINGS = {name for name, _, _ in CLOCKS + ALERTS} | {"child_max_age"}


def codes_parse(text: str) -> list[str]:
    """Codes as people type them: separated by commas, spaces or lines, with ranges of
    categories such as "C00-C96" (also with an en dash) written out."""
    text = re.sub(r"\s*[-\u2013]\s*", "-", text.upper())
    codes: list[str] = []
    for token in re.split(r"[,;\s]+", text):
        if not token:
            continue
        span = re.fullmatch(r"([A-Z])(\d\d)-\1?(\d\d)", token)
        if span and int(span.group(2)) < int(span.group(3)):
            letter = span.group(1)
            codes += [f"{letter}{n:02d}" for n in range(int(span.group(2)), int(span.group(3)) + 1)]
        else:
            codes.append(token)
    return list(dict.fromkeys(codes))


EN_DASH = "\u2013"


def _follows(previous: str, code: str) -> bool:
    """Whether `code` is the category right after `previous`, e.g. C35 after C34."""
    both = re.fullmatch(r"[A-Z]\d\d", previous) and re.fullmatch(r"[A-Z]\d\d", code)
    return bool(both) and code[0] == previous[0] and int(code[1:]) == int(previous[1:]) + 1


def codes_show(codes: list[str]) -> str:
    """Codes as people write them: runs of categories as one range, e.g. "C00-C96, I50"."""
    shown: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) > 2:
            shown.append(f"{run[0]}{EN_DASH}{run[-1]}")
        else:
            shown.extend(run)
        run.clear()

    for code in codes:
        if _follows(run[-1] if run else "", code):
            run.append(code)
            continue
        flush()
        run.append(code)
    flush()
    return ", ".join(shown)


def code_names(codes: list[str]) -> list[tuple[str, str]]:
    """(code, plain name) of each code of a set that has a name in the coded catalogue."""
    return [(code, name) for code in codes if (name := icd10_name(code))]


def _number(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, help_text=help_text, required=False)


class ProgramSettingsForm(forms.Form):
    """Every setting a program administrator changes from the program's pages."""

    name = forms.CharField(label="Program name", required=False, max_length=400)
    timezone = forms.CharField(
        label="Time zone",
        required=False,
        max_length=100,
        help_text="Where the program works, e.g. America/New_York. Dates and times on every "
        "page, letter and clock are shown in this zone.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=100,
        help_text="The 24/7 number shown in letters and on the referral poster.",
    )
    email = forms.CharField(label="Email address", required=False, max_length=300)
    first_contact_urgent = _number("Urgent", "Days from the referral (1: the next day).")
    first_contact_soon = _number("Soon", "Days from the referral.")
    first_contact_routine = _number("Routine", "Days from the referral.")
    child_max_age = _number(
        "Oldest age of a child", "Patients up to this age get the children's assessment sections."
    )
    young_adult_from = _number("Young adults from age", "")
    young_adult_to = _number("Young adults up to age", "")
    default_reporting_cadence = forms.ChoiceField(
        label="Symptom reports expected from a new patient",
        choices=ReportingCadence.choices,
        help_text="The team can change it for each patient on the chart.",
    )
    default_team_disciplines = forms.MultipleChoiceField(
        label="Disciplines suggested for a new care team",
        choices=Discipline.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    alert_on_call_username = forms.ChoiceField(
        label="On-call clinician for unacknowledged alerts",
        required=False,
        help_text="Unacknowledged alerts go to this person; if none is chosen, to the "
        "program's staff member with the on-call role.",
    )

    video_url_template = forms.CharField(
        label="Video service address for video visits",
        required=False,
        max_length=300,
        help_text="The address of your video service, starting with https://, with the word "
        "room in curly brackets where each visit's room name goes. Leave empty if you have none.",
    )

    calendar_feed_detail = forms.ChoiceField(
        label="What clinicians' calendar feeds show",
        choices=[
            ("initials", "The patient's initials and the setting only"),
            ("names_and_places", "The patient's name, the address, and the video visit link"),
        ],
        help_text="A calendar feed puts a clinician's visits in the calendar app on their "
        "phone. Names and addresses then sit in that app, outside Pallio.",
    )

    visit_reminder_hours = forms.CharField(
        label="Reminder times, in hours before the visit",
        required=False,
        max_length=100,
        help_text="Whole numbers of hours separated by commas, such as 24, 2 (the day before "
        "and two hours before). At most 4, up to 168 (a week). Leave empty to send no reminders.",
    )
    visit_reminder_recipients = forms.MultipleChoiceField(
        label="Who receives visit reminders",
        choices=list(setting_checks.REMINDER_RECIPIENTS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The main caregiver is the first family member or other related person on "
        "the patient's chart. Nothing is ever sent about a patient who has died.",
    )
    visit_reminder_channels = forms.MultipleChoiceField(
        label="How visit reminders are sent",
        choices=list(setting_checks.REMINDER_CHANNELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each goes to the email address or phone number on the chart. A reminder "
        "says when, where (never a home address) and who is coming, and a video visit's link.",
    )
    day_plan_office_name = forms.CharField(
        label="Office name",
        required=False,
        max_length=120,
        help_text="Each clinician's home-visit day starts and ends here.",
    )
    day_plan_office_line = forms.CharField(
        label="Office street address", required=False, max_length=200
    )
    day_plan_office_city = forms.CharField(label="Office city", required=False, max_length=100)
    day_plan_office_postal_code = forms.CharField(
        label="Office postal code", required=False, max_length=20
    )
    day_plan_office_latitude = forms.DecimalField(
        label="Office latitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        help_text="Leave the latitude and longitude empty to find the address in the "
        "program's local list of addresses.",
    )
    day_plan_office_longitude = forms.DecimalField(
        label="Office longitude", required=False, max_digits=9, decimal_places=6
    )
    day_plan_day_starts = forms.CharField(
        label="Home-visit day starts at", max_length=5, help_text="A time such as 08:00."
    )
    day_plan_day_ends = forms.CharField(
        label="Home-visit day ends at", max_length=5, help_text="A time such as 17:00."
    )
    day_plan_road_factor = forms.DecimalField(
        label="Road factor",
        max_digits=4,
        decimal_places=2,
        help_text="How much longer the road is than the straight line, from 1 to 3 (1.3 is "
        "typical in a town).",
    )
    day_plan_speed_kmh = forms.DecimalField(
        label="Average driving speed (km/h)", max_digits=5, decimal_places=1
    )

    def __init__(self, *args: Any, program: Program, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        for name, label, help_text in CLOCKS + ALERTS:
            self.fields[name] = _number(label, help_text)
        on_call = self.fields["alert_on_call_username"]
        assert isinstance(on_call, forms.ChoiceField)
        on_call.choices = [
            ("", "The program's on-call role"),
            *[(u.username, f"{u.display_name}") for u in staff],
        ]
        for group in GROUPS:
            # Each group is its own fieldset, named by the group (templates/programs).
            self.fields[f"accept_{group}"] = forms.BooleanField(label="Accepted", required=False)
            self.fields[f"codes_{group}"] = forms.CharField(
                label="ICD-10-CM codes",
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Separate codes with commas; a range of categories such as C00\u2013C96 "
                "counts each one.",
            )
        for kind, label in setting_checks.LETTER_KINDS.items():
            self.fields[f"letter_{kind}"] = forms.CharField(
                label=label,
                required=False,
                max_length=4000,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if not self.is_bound:
            self.initial = self.initial_from(program)

    @staticmethod
    def initial_from(program: Program) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": program.name,
            "timezone": program.timezone,
            "phone": program.phone,
            "email": program.email,
            "default_reporting_cadence": program.setting("default_reporting_cadence"),
            "default_team_disciplines": program.setting("default_team_disciplines"),
            "alert_on_call_username": program.setting("alert_on_call_username"),
            "video_url_template": program.setting("video_url_template"),
            "calendar_feed_detail": program.setting("calendar_feed_detail"),
            "visit_reminder_hours": ", ".join(
                str(h) for h in program.setting("visit_reminder_hours")
            ),
            "visit_reminder_recipients": program.setting("visit_reminder_recipients"),
            "visit_reminder_channels": program.setting("visit_reminder_channels"),
            "day_plan_day_starts": program.setting("day_plan_day_starts"),
            "day_plan_day_ends": program.setting("day_plan_day_ends"),
            "day_plan_road_factor": program.setting("day_plan_road_factor"),
            "day_plan_speed_kmh": program.setting("day_plan_speed_kmh"),
        }
        office = program.setting("day_plan_office") or {}
        initial["day_plan_office_name"] = office.get("name", "")
        initial["day_plan_office_latitude"] = office.get("latitude")
        initial["day_plan_office_longitude"] = office.get("longitude")
        for part, value in zip(
            ("line", "city", "postal_code"), office.get("address", "").split(" | "), strict=False
        ):
            initial[f"day_plan_office_{part}"] = value
        for key in NUMBER_SETTINGS:
            initial[key] = program.setting(key)
        for urgency, days in program.setting("first_contact_days").items():
            initial[f"first_contact_{urgency}"] = days
        initial["young_adult_from"], initial["young_adult_to"] = program.setting("young_adult_ages")
        sets = program.setting("serious_illness_icd10_prefixes")
        for group in GROUPS:
            initial[f"accept_{group}"] = group in sets
            initial[f"codes_{group}"] = codes_show(sets.get(group, []))
        texts = program.setting("letter_texts")
        defaults = setting_checks.DEFAULT_PROGRAM_SETTINGS["letter_texts"]
        for kind in setting_checks.LETTER_KINDS:
            initial[f"letter_{kind}"] = texts.get(kind, defaults[kind])
        return initial

    def clean_visit_reminder_hours(self) -> list[int]:
        text = self.cleaned_data["visit_reminder_hours"]
        tokens = [t for t in re.split(r"[,;\s]+", text) if t]
        if not all(t.isdigit() and len(t) <= 6 for t in tokens):
            raise ValidationError(
                "Write whole numbers of hours separated by commas, such as 24, 2."
            )
        return [int(t) for t in tokens]

    def changes(self) -> dict[str, Any]:
        """The typed values as the service takes them."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            key: data[key]
            for key in ("name", "timezone", "phone", "email", "alert_on_call_username")
        }
        changes["default_reporting_cadence"] = data["default_reporting_cadence"]
        changes["video_url_template"] = data["video_url_template"].strip()
        changes["calendar_feed_detail"] = data["calendar_feed_detail"]
        changes["visit_reminder_hours"] = data["visit_reminder_hours"]
        changes["visit_reminder_recipients"] = list(data["visit_reminder_recipients"])
        changes["visit_reminder_channels"] = list(data["visit_reminder_channels"])
        changes["default_team_disciplines"] = list(data["default_team_disciplines"])
        changes.update(self.day_plan_changes())
        for key in NUMBER_SETTINGS:
            changes[key] = data[key]
        changes["first_contact_days"] = {
            u: data[f"first_contact_{u}"] for u in ("urgent", "soon", "routine")
        }
        changes["young_adult_ages"] = [data["young_adult_from"], data["young_adult_to"]]
        changes["serious_illness_icd10_prefixes"] = {
            group: codes_parse(data[f"codes_{group}"])
            for group in GROUPS
            if data[f"accept_{group}"]
        }
        changes["letter_texts"] = {
            kind: data[f"letter_{kind}"].strip() for kind in setting_checks.LETTER_KINDS
        }
        return changes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("day_plan_office_latitude"), data.get("day_plan_office_longitude")
        if (lat is None) != (lon is None):
            self.add_error("day_plan_office_longitude", "Give both the latitude and the longitude.")
        parts = [
            data.get(f"day_plan_office_{p}", "").strip() for p in ("line", "city", "postal_code")
        ]
        named = bool(data.get("day_plan_office_name", "").strip())
        if (any(parts) or lat is not None) and not named:
            self.add_error("day_plan_office_name", "Give the office a name.")
        if named and lat is None and lon is None:
            from pallio.visits.geo import geocode

            found = (
                geocode(line=parts[0], city=parts[1], postal_code=parts[2]) if any(parts) else None
            )
            if found is None:
                self.add_error(
                    "day_plan_office_line",
                    "This address is not in the program's list of addresses. Check it, or "
                    "enter the office's latitude and longitude.",
                )
            else:
                data["day_plan_office_latitude"], data["day_plan_office_longitude"] = found
        return data

    def day_plan_changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        office: dict[str, Any] = {}
        if data.get("day_plan_office_name", "").strip():
            parts = [data[f"day_plan_office_{p}"].strip() for p in ("line", "city", "postal_code")]
            office = {
                "name": data["day_plan_office_name"].strip(),
                "address": " | ".join(parts) if any(parts) else "",
                "latitude": round(float(data["day_plan_office_latitude"]), 6),
                "longitude": round(float(data["day_plan_office_longitude"]), 6),
            }

        def number(key: str) -> Any:
            value = data.get(key)
            return None if value is None else (int(value) if value == int(value) else float(value))

        return {
            "day_plan_office": office,
            "day_plan_day_starts": data["day_plan_day_starts"].strip(),
            "day_plan_day_ends": data["day_plan_day_ends"].strip(),
            "day_plan_road_factor": number("day_plan_road_factor"),
            "day_plan_speed_kmh": number("day_plan_speed_kmh"),
        }

    def place_errors(self, error: ValidationError) -> None:
        """Put the service's problems next to the fields they are about."""
        changes = self.changes()
        for key, messages in error.message_dict.items():
            if key == "serious_illness_icd10_prefixes":
                for group, codes in changes[key].items():
                    for message in setting_checks.serious_illness_problems({group: codes}):
                        self.add_error(f"codes_{group}", message)
            elif key == "letter_texts":
                for kind, text in changes[key].items():
                    for message in setting_checks.letter_texts_problems({kind: text}):
                        self.add_error(f"letter_{kind}", message)
            else:
                target = FIELD_OF.get(key, key)
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)


# A setting shown as several fields: its problems go next to the first.
FIELD_OF = {
    "first_contact_days": "first_contact_urgent",
    "young_adult_ages": "young_adult_from",
    "day_plan_office": "day_plan_office_name",
}

TIME_ZONES = sorted(available_timezones())
