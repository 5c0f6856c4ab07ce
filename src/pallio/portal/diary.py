"""The symptom diary in the portal: the patient, or a caregiver on their behalf, answers the
instruments the program chose for the portal (ESAS-r by default).

A diary is a symptom report like any other: it goes through the same domain code as a report
taken at a visit or sent through the API (assessments.services.report_record), so it is
checked, scored and judged by the same alert rules. Only the check of who may send it differs:
here it is the portal access to the patient with the diary scope, looked up afresh on every
submission, never a clinical privilege.

A diary answered in part is kept and judged on what was answered (a pain of 10 with one blank
item still alerts); a value out of range, an unknown item or a crafted instrument changes
nothing and gets a plain message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pallio.assessments import instruments as inst
from pallio.assessments.models import Channel, Instrument, Respondent, SymptomReport
from pallio.assessments.services import ReportInput, instrument_for_program, report_record
from pallio.assessments.services.reports import report_findings, rules_for
from pallio.portal.access import portal_access_get
from pallio.portal.models import PortalAccess, PortalScope

HISTORY_LENGTH = 20


def diary_instruments(program: Any) -> list[Instrument]:
    """The instruments the program answers in the portal, in its order (the program's own
    version of each when it has one). A key the program does not have is left out."""
    found = []
    for key in program.setting("portal_diary_instruments"):
        instrument = instrument_for_program(program, str(key))
        if instrument is not None:
            found.append(instrument)
    return found


def diary_instrument(program: Any, key: str) -> Instrument | None:
    """One of the program's diary instruments by key, or None (not one of them)."""
    return next((i for i in diary_instruments(program) if i.key == key), None)


@dataclass
class DiaryItem:
    """One question of the diary page: a 0-10 (or other) choice with its end words."""

    link_id: str
    text: str
    choices: list[tuple[str, str]]
    low: str = ""
    high: str = ""
    required: bool = False
    kind: str = "integer"


def diary_items(instrument: Instrument) -> list[DiaryItem]:
    """What the diary page asks for an instrument: each scored item with the choices to tap.
    Free-text items are left out of the portal's diary."""
    spec = inst.spec_of(instrument.questionnaire)
    items = []
    for item in spec.items:
        if item.type == "integer" and item.minimum is not None and item.maximum is not None:
            low, high = int(item.minimum), int(item.maximum)
            if high - low > 20:
                continue
            choices = [(str(n), str(n)) for n in range(low, high + 1)]
            kind = "integer"
        elif item.type == "choice" and not item.repeats:
            choices = [(o.code, o.display or o.code) for o in item.options]
            kind = "choice"
        else:
            continue
        items.append(
            DiaryItem(
                link_id=item.link_id,
                text=item.text,
                choices=choices,
                low=item.anchor_low,
                high=item.anchor_high,
                required=item.required,
                kind=kind,
            )
        )
    return items


@dataclass
class DiaryOutcome:
    report: SymptomReport
    created: bool
    # Whether an answer is one the alert rules act on: the team is told, and the page shows
    # the 24/7 number at once. The alert itself is raised by the alert worker, from the
    # report, by the same rules.
    alerting: bool
    unanswered: list[str] = field(default_factory=list)


def _portal_errors(instrument: Instrument, exc: ValidationError) -> dict[str, list[str]]:
    """The domain's findings in the portal's plain, translated words, by item."""
    spec = inst.spec_of(instrument.questionnaire)
    errors: dict[str, list[str]] = {}
    for name in getattr(exc, "message_dict", {"answers": []}):
        item = spec.item(name)
        if item is None:
            if name == "answers":
                errors["answers"] = [_("Answer at least one question before you send it.")]
            else:
                errors["answers"] = [_("Something in the form was not right. Nothing was saved.")]
        elif item.type in {"string", "text"}:
            errors[name] = [_("Keep this under 2000 characters of plain text.")]
        elif item.minimum is not None and item.maximum is not None:
            errors[name] = [
                _("Choose one number from %(low)s to %(high)s.")
                % {"low": f"{item.minimum:g}", "high": f"{item.maximum:g}"}
            ]
        else:
            errors[name] = [_("Choose one of the answers shown.")]
    return errors


def _alerting(program: Any, instrument: Instrument, report: SymptomReport) -> bool:
    """Whether the program's alert rules fire for this report (the rules' own code; rules
    that compare with the previous report are asked about it)."""
    from pallio.assessments.services.reports import _previous_scores

    fired = report_findings(
        rules_for(program),
        instrument_key=instrument.key,
        spec=inst.spec_of(instrument.questionnaire),
        scores=report.scores,
        previous_of=lambda: _previous_scores(report),
    )
    return bool(fired)


def respondent_of(access: PortalAccess) -> str:
    return Respondent.PATIENT if access.is_patient else Respondent.CAREGIVER


def diary_submit(
    *,
    user: Any,
    patient_id: uuid.UUID,
    instrument_key: str,
    answers: dict[str, Any],
    idempotency_key: str = "",
    answered_at: datetime | None = None,
) -> DiaryOutcome:
    """Record a diary for the patient from a portal account with the diary scope; returns
    the report and whether the alert rules act on it. PermissionDenied (audited) for an
    account without that access; ValidationError, in the portal's words, for bad answers.
    Either way nothing is written but the refusal's audit entry (so the access is checked
    outside the report's transaction)."""
    access = portal_access_get(user, patient_id, PortalScope.DIARY)
    patient = access.patient
    instrument = diary_instrument(access.program, str(instrument_key)[:60])
    if instrument is None:
        raise ValidationError({"answers": [_("This questionnaire is not in your diary.")]})
    name = (user.get_full_name() or user.username)[:200]
    data = ReportInput(
        instrument_key=instrument.key,
        answers=answers,
        respondent=respondent_of(access),
        channel=Channel.PORTAL,
        respondent_name=name,
        answered_at=answered_at,
    )
    key = f"portal:{access.pk}:{idempotency_key[:60]}" if idempotency_key else ""
    try:
        report, created = report_record(actor=user, patient=patient, data=data, idempotency_key=key)
    except ValidationError as exc:
        raise ValidationError(_portal_errors(instrument, exc)) from None
    return DiaryOutcome(
        report=report,
        created=created,
        alerting=_alerting(access.program, instrument, report),
        unanswered=list(report.unanswered or []),
    )


def diary_history(access: PortalAccess, *, limit: int = HISTORY_LENGTH) -> list[SymptomReport]:
    """The patient's diaries sent through the portal, newest first (an access already
    checked for the diary scope)."""
    keys = list(access.program.setting("portal_diary_instruments"))
    return list(
        SymptomReport.objects.filter(
            patient_id=access.patient_id,
            channel=Channel.PORTAL,
            instrument_key__in=keys,
            entered_in_error=False,
        )
        .select_related("instrument", "entered_by")
        .order_by("-answered_at", "-created_at")[:limit]
    )


def answers_from_post(instrument: Instrument, post: Any) -> dict[str, Any]:
    """The answers a diary form sent, for the instrument's own items only (other fields are
    ignored); a blank is left out, so the diary is kept in part."""
    answers: dict[str, Any] = {}
    for item in diary_items(instrument):
        value = post.get(item.link_id, "")
        if isinstance(value, str) and value.strip():
            answers[item.link_id] = value.strip()[:40]
    return answers
