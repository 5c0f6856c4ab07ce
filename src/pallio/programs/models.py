"""The program (tenant): every row of PHI belongs to one."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models

from pallio.core.codes import DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES
from pallio.core.models import TimeStampedModel

# Every program setting, with its default. A program overrides any of them in `settings`.
DEFAULT_PROGRAM_SETTINGS: dict[str, Any] = {
    # First contact due, in days after the referral, by urgency. Urgent: same or next day
    # (PCOC benchmark 1, CLINICAL.md section 4).
    "first_contact_days": {"urgent": 1, "soon": 3, "routine": 7},
    # Advanced cancer: first palliative visit within 8 weeks of diagnosis (CLINICAL.md 1).
    "advanced_cancer_weeks": 8,
    "serious_illness_icd10_prefixes": DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES,
    # Disciplines placed on a new care team on acceptance.
    "default_team_disciplines": ["physician", "nurse_navigator", "social_worker"],
    # Advance care planning worklists: enrolled longer than this many days without a
    # documented goals-of-care conversation, a named agent or treatment preferences.
    "acp_worklist_days": 14,
    # Assessment sections by age. Adolescents and young adults are ages 15 to 39 (National
    # Cancer Institute, "Adolescents and Young Adults with Cancer"); children are younger.
    "child_max_age": 14,
    "young_adult_ages": [15, 39],
    # The portal (portal/confidential.py): a patient aged within this band (youngest, oldest)
    # is an adolescent, with a confidential space their parents' and other caregivers'
    # accounts do not see. Program policy (state law on minors' consent varies); Pallio's
    # default: 12 to 17.
    "portal_adolescent_ages": [12, 17],
    # Days past a patient's expected symptom report (weekly: 7, every 2 weeks: 14) before the
    # missing-report alert is raised. Pallio's default: one day's grace.
    "missing_report_grace_days": 1,
    # An unstable phase of care older than this many days raises an alert (PCOC benchmark 2:
    # unstable phases should last 3 days or less, CLINICAL.md sections 3 and 4).
    "unstable_phase_alert_days": 3,
    # A user refused this many times (pages naming patients they may not see, wrong or
    # throttled authenticator codes, throttled sign-ins) within this many minutes raises a
    # security alert to the privacy officer (SECURITY.md 10 and 13; ASVS 7.2, 16.3).
    "denials_alert_threshold": 20,
    "denials_alert_window_minutes": 10,
    # Alert escalation. Program policy, not a clinical threshold: an alert nobody has
    # acknowledged this many minutes after its due time goes to the patient's team lead,
    # and this many minutes after that to the on-call clinician: the user named here (a
    # username), else the program's user with the on-call role.
    "alert_escalate_to_lead_minutes": 0,
    "alert_escalate_to_on_call_minutes": 60,
    "alert_on_call_username": "",
    # Clinical privileges the program narrows (core/privileges.py): an action mapped to the
    # roles and/or disciplines kept, e.g. {"code_status.change": {"disciplines":
    # ["physician", "nurse_practitioner"]}}. It can only remove from core/data/privileges.json.
    "clinical_privileges": {},
    # Uploaded PDFs with active content (script, actions, attached files, XFA, rich media):
    # "refuse" them, or "disarm" them, storing a rebuilt copy with the pages only.
    "pdf_active_content": "refuse",
    # Public referral forms: submissions per hour to each form from all senders together
    # (each sending address has its own, lower limit: PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR).
    "public_referrals_per_form_per_hour": 200,
    # Care plans: the next plan review is due this many days after the last one. Program
    # policy (Pallio's default: monthly), not a clinical threshold.
    "care_plan_review_days": 28,
    # The weekly team meeting lists hospice candidates by these thresholds (issue 9; CLINICAL.md
    # sections 2 and 5): PPI above 6, PaP group C, FAST stage 7 or more, PPS 40% or less and
    # falling.
    "idt_hospice_ppi_above": 6,
    "idt_hospice_pap_group": "C",
    "idt_hospice_fast_at_least": 7,
    "idt_hospice_pps_at_most": 40,
    # ...and only when it has fallen since the PPS before it ("PPS <= 40 falling", issue 14;
    # CLINICAL.md section 5: "falling KPS/PPS"). False lists any PPS at or under the threshold.
    "idt_hospice_pps_must_fall": True,
    # The hospice eligibility aid counts hospital admissions and emergency visits in this many
    # months; this many or more support "more ED visits or admissions" (LCD L34538's decline
    # criteria, CLINICAL.md section 5; the count is SPICT's "2 or more unplanned admissions in
    # 6 months", section 7).
    "hospice_admissions_months": 6,
    "hospice_admissions_at_least": 2,
    # The medical director's view lists active patients not discussed at a team meeting
    # within this many days.
    "idt_not_discussed_days": 14,
    # Visit summaries must be sent within this many days of the visit; later ones are listed.
    "summary_due_days": 2,
    # The 24/7 line (issue 13). A call not called back within this many minutes pages the
    # second line, and this many minutes later the backup. Program policy; Pallio's default.
    "support_callback_minutes": 15,
    # Secure messages from the portal (messaging app): the team answers a message within this
    # many hours; a thread waiting longer is shown overdue in the team's inbox. Program
    # policy, not a clinical standard (an emergency is never left to this clock: the sender
    # is told to call at once). Pallio's default: one day.
    "message_answer_hours": 24,
    "support_backup_minutes": 15,
    # The day shift starts at this local time: the morning hand-off covers the calls since
    # the previous day's start.
    "support_day_shift_starts": "08:00",
    # Public holidays for the roster, from the `holidays` library: a country code and,
    # optionally, a subdivision (a US state).
    "support_holidays_country": "US",
    "support_holidays_subdivision": "MA",
    # Gaps in the on-call roster this many days ahead are flagged to the care coordinator.
    "support_roster_gap_days": 14,
    # Bereavement follow-up of the family (episodes/bereavement.py): the planned contacts,
    # each due a number of days or months after the day of death (program's time zone).
    # Program policy, not a clinical standard; Pallio's default: a condolence card in the
    # first week, then calls at 1, 3, 6 and 13 months. Kinds: card, call, visit, group.
    "bereavement_schedule": [
        {"label": "Condolence card", "kind": "card", "days": 7},
        {"label": "Call at 1 month", "kind": "call", "months": 1},
        {"label": "Call at 3 months", "kind": "call", "months": 3},
        {"label": "Call at 6 months", "kind": "call", "months": 6},
        {"label": "Call at 13 months", "kind": "call", "months": 13},
    ],
    # The bereavement worklist lists planned contacts due within this many days, and every
    # overdue one.
    "bereavement_worklist_days": 7,
    # Hospital messages (HL7 v2 ADT, `pallio adt listen`): the point-of-care codes (PV1-3.1)
    # of the hospitals' intensive care units, so that an admission or transfer there is
    # recorded as intensive care. Each hospital names its units; these are common codes.
    "adt_icu_units": ["ICU", "MICU", "SICU", "CCU", "CICU", "CVICU", "NICU", "PICU"],
    # How often a newly enrolled patient is expected to send a symptom report (weekly, every
    # two weeks, or none expected); the team changes it per patient on the chart.
    "default_reporting_cadence": "weekly",
    # Video visits: the program's video service address, with {room} where a fresh room name
    # goes (e.g. "https://video.example.org/join/{room}"). Empty: no video service is set, and
    # a video visit is booked without a link until one is.
    "video_url_template": "",
    # Clinicians' calendar feeds: what an event shows of the patient. "initials" (the
    # patient's initials and the setting), or "names_and_places" (the patient's name, the
    # place's address and a video visit's join link).
    "calendar_feed_detail": "initials",
    # Visit reminders (visits/reminders.py): sent this many hours before each booked visit
    # (an empty list sends none), to the patient and/or the main caregiver (the first related
    # person on the chart), by email and/or text message. Program policy; Pallio's default:
    # the day before and two hours before.
    "visit_reminder_hours": [24, 2],
    "visit_reminder_recipients": ["patient", "caregiver"],
    "visit_reminder_channels": ["email", "sms"],
    # The portal's symptom diary (portal/diary.py): the instruments patients and caregivers
    # answer there (instrument keys, the program's own or those shipped), and how the
    # diary reminder goes out when a diary is due at the episode's reporting cadence.
    "portal_diary_instruments": ["esas-r"],
    "diary_reminder_channels": ["email", "sms"],
    # The caregiver self check-in (portal/checkin.py, the caregiver needs screen): this many
    # needs named or more creates a task for the social worker. Program policy; the screen
    # has no validated cut-off. Pallio's default: 3 of its 6 needs.
    "caregiver_checkin_task_at_least": 3,
    # The home-visit day plan (visits/services/day_plan.py): the office each clinician's day
    # starts and ends at ({"name", "address", "latitude", "longitude"}; empty until the program
    # sets it), the working day, and how travel is estimated: the straight line times a road
    # factor (roads are longer than the straight line), at an average speed.
    "day_plan_office": {},
    "day_plan_day_starts": "08:00",
    "day_plan_day_ends": "17:00",
    "day_plan_road_factor": 1.3,
    "day_plan_speed_kmh": 40,
    # The program's own words in its letters: the paragraph of each letter that is program
    # policy. Pallio fills in the reference, dates, reasons and the phone number around it.
    "letter_texts": {
        "received": "Our intake team reviews every referral by medical need. We will contact "
        "you if we need more information.",
        "accepted": "Our team will contact the patient and family. We will send you a "
        "summary after each visit.",
        "declined": "If the patient's situation changes, please refer again or call us.",
        "info_request": "Please reply to this message or call us, quoting the reference.",
        "redirected": "They are better placed to help.",
        "summary_intro": "Your patient was seen by our palliative care team. This letter "
        "summarizes the visit and our plan.",
    },
}


def letter_text(program: Program, kind: str) -> str:
    """The program's wording of the letter `kind`, or Pallio's when it has none of its own."""
    texts = program.setting("letter_texts")
    if isinstance(texts, dict) and isinstance(texts.get(kind), str) and texts[kind].strip():
        return str(texts[kind])
    return str(DEFAULT_PROGRAM_SETTINGS["letter_texts"][kind])


BEREAVEMENT_CONTACT_KINDS = ("card", "call", "visit", "group")


def bereavement_schedule_problems(value: Any) -> list[str]:
    """What is wrong with a ``bereavement_schedule`` setting, in plain words (empty when it
    is usable): a list of 1 to 20 contacts, each with a label, a kind, and either days
    (0 to 800) or months (0 to 26) after the day of death."""
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        return ["The bereavement schedule must list between 1 and 20 contacts."]
    problems = []
    for n, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or set(entry) - {"label", "kind", "days", "months"}:
            problems.append(f"Contact {n}: give only a label, a kind, and days or months.")
            continue
        label = entry.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            problems.append(f"Contact {n}: give a label of at most 100 characters.")
        if entry.get("kind") not in BEREAVEMENT_CONTACT_KINDS:
            problems.append(f"Contact {n}: the kind must be card, call, visit or group.")
        offsets = [k for k in ("days", "months") if k in entry]
        if len(offsets) != 1:
            problems.append(f"Contact {n}: give either days or months after the death.")
            continue
        amount, limit = entry[offsets[0]], 800 if offsets[0] == "days" else 26
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= limit:
            problems.append(f"Contact {n}: {offsets[0]} must be a whole number from 0 to {limit}.")
    return problems


def bereavement_worklist_days_problems(value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60:
        return ["The bereavement worklist window must be a whole number of days from 0 to 60."]
    return []


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone")


class Program(TimeStampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def setting(self, key: str) -> Any:
        if key in self.settings:
            return self.settings[key]
        return DEFAULT_PROGRAM_SETTINGS[key]
