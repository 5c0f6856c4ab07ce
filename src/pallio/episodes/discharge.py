"""Leaving the program, and coming back: discharge with a coded reason, the final summary to
the referring clinician, and enrollment again as a new episode that keeps the history.

A discharge ends the episode (status, end, reason, note, who) and queues the final summary
to the referring clinician of the episode's referral, by the same letter path as the
referral's other letters (referrals/tasks.py): never to the patient. The care team's
memberships end with the episode, so the patient leaves their caseloads; after a death they
stay, for the death's own tasks and the family's follow-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.episodes.models import CareTeamMember, DeathRecord, DischargeReason, EpisodeOfCare

# A clock a minute fast on the device that typed the time is not "the future".
CLOCK_SKEW = timedelta(minutes=2)
# The reasons a person chooses on the discharge page; a death closes the episode itself.
CHOSEN_REASONS = [r for r in DischargeReason if r != DischargeReason.DEATH]


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _zone(episode: EpisodeOfCare) -> ZoneInfo:
    return ZoneInfo(episode.program.timezone)


def discharge_moment(on: date | datetime, zone: ZoneInfo) -> datetime:
    """When an episode discharged `on` a day ends: now for today, the end of the day before."""
    if isinstance(on, datetime):
        return on
    today = clock.today_in(str(zone))
    if on > today:
        return datetime.combine(on, time(0, 0), tzinfo=zone)  # refused as in the future
    if on == today:
        return clock.now()
    return datetime.combine(on, time(23, 59), tzinfo=zone)


@transaction.atomic
def episode_discharge(
    *, actor: Any, episode: EpisodeOfCare, reason: str, on: date | datetime, note: str = ""
) -> EpisodeOfCare:
    """Discharge the patient from the program with a coded reason (and words for it), and
    send the final summary to the referring clinician. `on` is the day (today: now) or the
    moment. A death is discharged by recording it (episodes/death.py)."""
    privilege_check(actor, "episode.discharge")
    if (
        reason == DischargeReason.DEATH
        and not DeathRecord.objects.filter(patient_id=episode.patient_id).exists()
    ):
        raise ValidationError(
            {"reason": ["Record the death on the chart: the enrollment ends with it."]}
        )
    return discharge_apply(actor=actor, episode=episode, reason=reason, on=on, note=note)


def discharge_apply(
    *, actor: Any, episode: EpisodeOfCare, reason: str, on: date | datetime, note: str = ""
) -> EpisodeOfCare:
    """The discharge itself, for a caller that has checked its own privilege (the death)."""
    locked = (
        EpisodeOfCare.objects.select_for_update(of=("self",))
        .select_related("program", "patient", "referral")
        .get(pk=episode.pk)
    )
    zone = _zone(locked)
    errors: Errors = {}
    if locked.status == EpisodeOfCare.Status.FINISHED:
        raise ValidationError("This enrollment has already ended.")
    check_choice(errors, "reason", reason, DischargeReason.values)
    note = note if isinstance(note, str) else ""
    check_text(errors, "note", note, 1000, required=reason == DischargeReason.OTHER)
    if not isinstance(on, date):
        errors.setdefault("on", []).append("Give the date of discharge.")
    else:
        when = discharge_moment(on, zone)
        if when > clock.now() + CLOCK_SKEW:
            errors.setdefault("on", []).append("The discharge date cannot be in the future.")
        elif when.astimezone(zone).date() < locked.start.astimezone(zone).date():
            errors.setdefault("on", []).append(
                "The discharge date is before the enrollment began "
                f"({locked.start.astimezone(zone):%d %b %Y})."
            )
    _raise(errors)
    when = max(discharge_moment(on, zone), locked.start)
    locked.status = EpisodeOfCare.Status.FINISHED
    locked.end = when
    locked.discharge_reason = reason
    locked.discharge_note = note.strip()
    locked.discharged_by = actor if getattr(actor, "pk", None) else None
    locked.updated_at = clock.now()
    locked.save(
        update_fields=[
            "status",
            "end",
            "discharge_reason",
            "discharge_note",
            "discharged_by",
            "updated_at",
        ]
    )
    if reason != DischargeReason.DEATH:
        from pallio.episodes.services import care_team_end

        for member in CareTeamMember.objects.filter(episode=locked, active=True):
            care_team_end(actor=actor, member=member)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.discharge",
        patient=locked.patient,
        target=locked,
        detail={"reason": reason, "end": when.isoformat()},
    )
    final_summary_queue(episode=locked)
    for name in ("status", "end", "discharge_reason", "discharge_note", "discharged_by_id"):
        setattr(episode, name, getattr(locked, name))
    return episode


def _referral_of(episode: EpisodeOfCare) -> Any:
    """The episode's referral, or (for an enrollment made again from the chart) the latest
    referral that enrolled the patient."""
    if episode.referral is not None:
        return episode.referral
    earlier = (
        EpisodeOfCare.objects.filter(patient_id=episode.patient_id, referral__isnull=False)
        .select_related("referral")
        .order_by("-start")
        .first()
    )
    return earlier.referral if earlier else None


def final_summary_queue(*, episode: EpisodeOfCare) -> Any:
    """The final summary letter to the referring clinician (never the patient), sent by the
    referral letters' worker once this commits. None when there is no one to write to."""
    from pallio.referrals.models import Letter
    from pallio.referrals.tasks import letter_enqueue
    from pallio.visits.models import Visit

    referral = _referral_of(episode)
    if referral is None or not referral.referrer_email:
        return None
    death = DeathRecord.objects.filter(patient_id=episode.patient_id).first()
    contacts = Visit.objects.filter(patient_id=episode.patient_id, entered_in_error=False).filter(
        started_at__gte=episode.start, started_at__lte=episode.end or clock.now()
    )
    zone = _zone(episode)
    with timezone.override(zone):
        body = render_to_string(
            "episodes/letters/discharged.txt",
            {
                "referral": referral,
                "program": episode.program,
                "episode": episode,
                "death": death if episode.discharge_reason == DischargeReason.DEATH else None,
                "contacts": contacts.count(),
            },
        )
    letter = Letter.objects.create(
        referral=referral,
        kind=Letter.Kind.DISCHARGED,
        to_email=referral.referrer_email,
        subject=f"Referral {referral.reference}: discharge summary",
        body=body,
    )
    letter_id = str(letter.pk)
    transaction.on_commit(lambda: letter_enqueue(letter_id))
    return letter


# --- enrolling again -----------------------------------------------------------------------


@transaction.atomic
def episode_reenroll(
    *,
    actor: Any,
    patient: Any,
    team: Sequence[Any],
    first_visit_due: date,
    lead: Any = None,
    note: str = "",
) -> EpisodeOfCare:
    """Enroll a discharged patient again: a new episode with its team and a first-contact
    task; the earlier episodes, their plans and notes stay as they were."""
    from pallio.careplans.models import TaskKind
    from pallio.careplans.services import task_create
    from pallio.episodes.services import care_team_check, episode_open

    privilege_check(actor, "episode.reenroll")
    errors: Errors = {}
    if patient.deceased_at is not None:
        raise ValidationError("This patient has died and cannot be enrolled again.")
    if patient.episodes.exclude(status=EpisodeOfCare.Status.FINISHED).exists():
        raise ValidationError("This patient is already enrolled.")
    if not patient.episodes.exists():
        raise ValidationError("This patient was never enrolled: accept a referral instead.")
    note = note if isinstance(note, str) else ""
    check_text(errors, "note", note, 500)
    try:
        lead = care_team_check(program_id=patient.program_id, team=team, lead=lead)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    today = clock.today_in(patient.program.timezone)
    if not isinstance(first_visit_due, date):
        errors.setdefault("first_visit_due", []).append("Give the date of the first visit.")
    elif first_visit_due < today:
        errors.setdefault("first_visit_due", []).append("The first visit cannot be in the past.")
    elif first_visit_due > today + timedelta(days=90):
        errors.setdefault("first_visit_due", []).append(
            "Plan the first visit within the next 90 days."
        )
    _raise(errors)
    for member in CareTeamMember.objects.filter(patient=patient, active=True):
        from pallio.episodes.services import care_team_end

        care_team_end(actor=actor, member=member)
    episode = episode_open(
        actor=actor, patient=patient, team=team, first_visit_due=first_visit_due, lead=lead
    )
    task_create(
        actor=actor,
        patient=patient,
        episode=episode,
        kind=TaskKind.FIRST_CONTACT,
        title="First contact after enrolling again",
        detail=note.strip(),
        due=first_visit_due,
        discipline=lead.discipline,
        assigned_to=lead,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="episode.reenroll",
        patient=patient,
        target=episode,
        detail={"team": [str(m.pk) for m in team]},
    )
    return episode
