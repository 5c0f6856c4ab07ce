"""Enrollment, the care team, and break-the-glass access."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from pallio.accounts.models import User
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import access, clock, privileges
from pallio.core.codes import Discipline
from pallio.episodes.models import (
    BreakGlassGrant,
    CareTeamLeadChange,
    CareTeamMember,
    EpisodeOfCare,
    ReportingCadence,
)


@transaction.atomic
def episode_open(
    *,
    actor: Any,
    patient: Any,
    referral: Any = None,
    team: Sequence[Any] = (),
    first_visit_due: date,
    lead: Any = None,
) -> EpisodeOfCare:
    existing = patient.episodes.filter(status=EpisodeOfCare.Status.ACTIVE).first()
    if existing is not None:
        raise ValidationError("This patient is already enrolled.")
    if patient.deceased_at is not None:
        raise ValidationError("This patient has died and cannot be enrolled.")
    if team:
        lead = care_team_check(program_id=patient.program_id, team=team, lead=lead)
    episode = EpisodeOfCare.objects.create(
        program_id=patient.program_id,
        patient=patient,
        referral=referral,
        start=clock.now(),
        first_visit_due=first_visit_due,
        reporting_cadence=patient.program.setting("default_reporting_cadence"),
    )
    for member in team:
        care_team_add(actor=actor, episode=episode, user=member, is_lead=member == lead)
    audit_record(
        actor=actor, action=Action.CREATE, event="episode.open", patient=patient, target=episode
    )
    return episode


# --- the care team ----------------------------------------------------------------------------
#
# Every rule about who is on a patient's team lives here, for the referral acceptance, the
# enrolment again, the chart's care-team page and the JSON API alike: which roles may join,
# the lead is on the team, the suggested team, a member is not added twice, the lead is not
# ended without a successor. Membership grants access to the chart (core/access.py), so every
# change is audited.

# The roles whose members care for patients on a team. The intake coordinator and the medical
# director reach every patient of the program already; the director also sees patients on a
# team. The privacy officer never reaches a chart.
CARE_TEAM_ROLES = frozenset({access.ROLE_CLINICIAN, access.ROLE_DIRECTOR, access.ROLE_ON_CALL})
_ROLE_WORDS = "a care-team clinician, the medical director or an on-call clinician"


def care_team_candidates(program_id: Any) -> QuerySet[Any]:
    """The staff of the program who may join a care team, by name."""
    return User.objects.filter(
        program_id=program_id, is_active=True, role__in=CARE_TEAM_ROLES
    ).order_by("last_name", "first_name", "pk")


def care_team_refusal(user: Any, *, program_id: Any) -> str | None:
    """Why `user` may not join a care team of `program_id`, in plain words; None when they
    may. Another program's staff get the same answer as an unknown id."""
    if user is None or getattr(user, "program_id", None) != program_id:
        return "Choose care team members from this program."
    if not user.is_active:
        return f"{user.display_name}'s account is not active: they cannot join a care team."
    if user.role not in CARE_TEAM_ROLES:
        noun = privileges.ROLE_NOUNS.get(user.role, "member of staff")
        article = "an" if noun[:1] in "aeiou" else "a"
        return (
            f"{user.display_name} cannot join a care team: {article} {noun} does not care "
            f"for patients on a team. Choose {_ROLE_WORDS}."
        )
    return None


def care_team_default_lead(team: Sequence[Any]) -> Any:
    """The nurse navigator leads and owns the first contact (CLINICAL.md section 1); without
    one, the first member chosen."""
    return next((u for u in team if u.discipline == Discipline.NURSE_NAVIGATOR), None) or (
        team[0] if team else None
    )


def care_team_check(*, program_id: Any, team: Sequence[Any], lead: Any = None) -> Any:
    """Check a team chosen at enrollment (accepting a referral, enrolling again) and answer
    its lead: the one named, who must be on it, or the default. Refuses with the problem
    under the field it is about."""
    if not team:
        raise ValidationError({"team": ["Choose at least one member of the care team."]})
    problems = list(
        dict.fromkeys(
            message
            for member in team
            if (message := care_team_refusal(member, program_id=program_id)) is not None
        )
    )
    if problems:
        raise ValidationError({"team": problems})
    if lead is None:
        return care_team_default_lead(team)
    if lead not in team:
        raise ValidationError({"lead": ["The lead must be one of the chosen team members."]})
    return lead


def care_team_people(
    *, program_id: Any, ids: Sequence[Any], lead: Any = None
) -> tuple[list[Any], Any]:
    """Staff ids (User.uuid) sent by the API as people of the program, in the order sent,
    and the lead among them; whether they may join is care_team_check's answer. An unknown
    id and one of another program get the same refusal."""
    found = {u.uuid: u for u in User.objects.filter(program_id=program_id, uuid__in=set(ids))}
    if set(found) != set(ids):
        raise ValidationError({"team": ["Choose care team members from this program."]})
    team = [found[key] for key in dict.fromkeys(ids)]
    if lead is None:
        return team, None
    if lead not in found:
        raise ValidationError({"lead": ["The lead must be one of the chosen team members."]})
    return team, found[lead]


def care_team_suggest(program: Any, staff: Sequence[Any]) -> tuple[list[Any], Any]:
    """The team a coordinator is offered when accepting a referral, and its lead: one person
    per default discipline of the program, a care-team clinician before the medical director
    or an on-call clinician, then the one with the smallest caseload (`staff` annotated with
    `caseload`)."""
    chosen = []
    for discipline in program.setting("default_team_disciplines"):
        options = [u for u in staff if u.discipline == discipline and u.role in CARE_TEAM_ROLES]
        if options:
            chosen.append(min(options, key=lambda u: (u.role != access.ROLE_CLINICIAN, u.caseload)))
    return chosen, care_team_default_lead(chosen)


def care_team_of(episode: EpisodeOfCare) -> QuerySet[CareTeamMember]:
    """The episode's current members, the lead first."""
    return (
        episode.team.filter(active=True)
        .select_related("user")
        .order_by("-is_lead", "discipline", "created_at")
    )


@transaction.atomic
def care_team_add(
    *, actor: Any, episode: EpisodeOfCare, user: Any, is_lead: bool = False
) -> CareTeamMember:
    """Put `user` on the episode's team (enrollment, an alert taken by its discipline):
    someone already on it stays as they are. The chart and the API add through
    care_team_member_add, which refuses a second membership and needs the privilege."""
    refusal = care_team_refusal(user, program_id=episode.program_id)
    if refusal is not None:
        raise ValidationError(refusal)
    existing = episode.team.filter(user=user, active=True).first()
    if existing is not None:
        return existing
    return _member_create(actor=actor, episode=episode, user=user, is_lead=is_lead)


def _member_create(
    *, actor: Any, episode: EpisodeOfCare, user: Any, is_lead: bool
) -> CareTeamMember:
    member = CareTeamMember.objects.create(
        episode=episode,
        patient_id=episode.patient_id,
        user=user,
        discipline=user.discipline,
        is_lead=is_lead,
        added_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="careteam.add",
        patient=episode.patient,
        target=member,
        detail={"user": str(user.uuid), "lead": is_lead},
    )
    if is_lead:
        _lead_recorded(actor=actor, episode=episode, before=None, after=user)
    return member


@transaction.atomic
def care_team_end(*, actor: Any, member: CareTeamMember) -> None:
    """Take someone off a team; their access to the patient ends at once. The row stays,
    with who ended it and when (a discharge ends the whole team this way)."""
    member.active = False
    member.ended_at = clock.now()
    member.ended_by = actor if getattr(actor, "pk", None) else None
    member.updated_at = member.ended_at
    member.save(update_fields=["active", "ended_at", "ended_by", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="careteam.end",
        patient=member.episode.patient,
        target=member,
        detail={"user": str(member.user.uuid), "was_lead": member.is_lead},
    )


def _lead_recorded(*, actor: Any, episode: EpisodeOfCare, before: Any, after: Any) -> None:
    CareTeamLeadChange.objects.create(
        episode=episode,
        patient_id=episode.patient_id,
        from_user=before,
        to_user=after,
        changed_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="careteam.lead",
        patient=episode.patient,
        target=episode,
        detail={
            "from": str(before.uuid) if before is not None else None,
            "to": str(after.uuid),
        },
    )


def _episode_for_change(actor: Any, episode: EpisodeOfCare) -> EpisodeOfCare:
    """The privilege first, then the episode locked: a change to a team whose enrollment has
    ended is refused (after a death the team stays on the record as it was)."""
    privileges.privilege_check(actor, "care_team.manage")
    locked = (
        EpisodeOfCare.objects.select_for_update(of=("self",))
        .select_related("patient", "program")
        .get(pk=episode.pk)
    )
    if locked.status == EpisodeOfCare.Status.FINISHED:
        raise ValidationError(
            "This enrollment has ended: its care team can no longer change. "
            "Enroll the patient again to form a new team."
        )
    return locked


@transaction.atomic
def care_team_member_add(
    *, actor: Any, episode: EpisodeOfCare, user: Any, make_lead: bool = False
) -> CareTeamMember:
    """Add a member to the team of an enrolled patient (the chart, the API); they reach the
    chart at once. `make_lead` makes them the lead in the same change."""
    locked = _episode_for_change(actor, episode)
    refusal = care_team_refusal(user, program_id=locked.program_id)
    if refusal is not None:
        raise ValidationError({"user": [refusal]})
    if locked.team.filter(user=user, active=True).exists():
        raise ValidationError({"user": [f"{user.display_name} is already on the care team."]})
    member = _member_create(actor=actor, episode=locked, user=user, is_lead=False)
    if make_lead:
        _lead_move(actor=actor, episode=locked, to=member)
    return member


def _lead_move(*, actor: Any, episode: EpisodeOfCare, to: CareTeamMember) -> None:
    current = episode.team.filter(active=True, is_lead=True).select_related("user").first()
    if current is not None:
        current.is_lead = False
        current.updated_at = clock.now()
        current.save(update_fields=["is_lead", "updated_at"])
    to.is_lead = True
    to.updated_at = clock.now()
    to.save(update_fields=["is_lead", "updated_at"])
    _lead_recorded(
        actor=actor, episode=episode, before=current.user if current else None, after=to.user
    )


def _active_member(episode: EpisodeOfCare, member: Any, field: str) -> CareTeamMember:
    """`member` as a current member of this episode's team (locked), or the refusal."""
    found = (
        CareTeamMember.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(episode=episode, pk=getattr(member, "pk", member), active=True)
        .first()
    )
    if found is None:
        raise ValidationError({field: ["Choose a current member of this care team."]})
    return found


@transaction.atomic
def care_team_lead_change(*, actor: Any, episode: EpisodeOfCare, member: Any) -> CareTeamMember:
    """Make a current member the team's lead; the change is kept (who, when, from whom to
    whom)."""
    locked = _episode_for_change(actor, episode)
    chosen = _active_member(locked, member, "lead")
    if chosen.is_lead:
        raise ValidationError({"lead": [f"{chosen.user.display_name} already leads the team."]})
    _lead_move(actor=actor, episode=locked, to=chosen)
    return chosen


@transaction.atomic
def care_team_member_end(
    *, actor: Any, episode: EpisodeOfCare, member: Any, new_lead: Any = None
) -> CareTeamMember:
    """End a membership: the person no longer reaches the chart (unless another rule lets
    them). The lead is ended only by naming another current member as the new lead."""
    locked = _episode_for_change(actor, episode)
    ending = _active_member(locked, member, "member")
    if ending.is_lead:
        if new_lead is None:
            raise ValidationError(
                {
                    "new_lead": [
                        f"{ending.user.display_name} leads the team: name the new lead "
                        "before ending their membership."
                    ]
                }
            )
        successor = _active_member(locked, new_lead, "new_lead")
        if successor.pk == ending.pk:
            raise ValidationError(
                {"new_lead": ["The new lead must be another member of the team."]}
            )
        _lead_move(actor=actor, episode=locked, to=successor)
        ending.refresh_from_db()
    care_team_end(actor=actor, member=ending)
    return ending


@transaction.atomic
def break_glass_grant(*, actor: Any, patient: Any, reason: str) -> BreakGlassGrant:
    """Emergency access: a reason is required, it expires, it is audited, and the patient's
    team is told (a review task for the team's lead)."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError("Say why you need emergency access (at least 10 characters).")
    if patient.program_id != actor.program_id:
        raise ValidationError("No such patient.")
    grant = BreakGlassGrant.objects.create(
        user=actor,
        patient=patient,
        reason=reason,
        expires_at=clock.now() + timedelta(minutes=settings.PALLIO_BREAK_GLASS_MINUTES),
    )
    audit_record(
        actor=actor,
        action=Action.EMERGENCY,
        event="patient.break_glass",
        patient=patient,
        target=grant,
        detail={"reason": reason[:300]},
    )
    lead = (
        CareTeamMember.objects.filter(patient=patient, active=True)
        .order_by("-is_lead")
        .select_related("user")
        .first()
    )
    task_create(
        actor=actor,
        patient=patient,
        kind=TaskKind.BREAK_GLASS_REVIEW,
        title=f"Review emergency access by {actor.display_name}",
        due=clock.today_in(patient.program.timezone),
        assigned_to=lead.user if lead else None,
        episode=lead.episode if lead else None,
    )
    return grant


@transaction.atomic
def episode_reporting_cadence_set(*, actor: Any, episode: EpisodeOfCare, cadence: str) -> None:
    """Set how often the team expects a symptom report (weekly, every 2 weeks, or none):
    the missing-report alert follows it."""
    if not access.has_perm(actor, "assessment.record"):
        raise PermissionDenied("Your role does not allow this.")
    if cadence not in ReportingCadence.values:
        raise ValidationError({"cadence": ["Choose how often reports are expected."]})
    if episode.status != EpisodeOfCare.Status.ACTIVE:
        raise ValidationError("The patient is not enrolled.")
    before = episode.reporting_cadence
    if before == cadence:
        return
    episode.reporting_cadence = cadence
    episode.updated_at = clock.now()
    episode.save(update_fields=["reporting_cadence", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.reporting_cadence",
        patient=episode.patient,
        target=episode,
        detail={"from": before, "to": cadence},
    )


@transaction.atomic
def episode_first_contact_record(
    *, actor: Any, episode: EpisodeOfCare, contact_at: datetime, how: str
) -> bool:
    """A visit or call was documented: the episode's first contact is the earliest one, so
    the time to first contact is recorded, and the first-contact task closes. Returns whether
    the first contact changed."""
    from pallio.careplans.services import first_contact_tasks_close

    locked = EpisodeOfCare.objects.select_for_update().get(pk=episode.pk)
    if locked.first_contact_at is not None and locked.first_contact_at <= contact_at:
        return False
    before = locked.first_contact_at
    locked.first_contact_at = contact_at
    locked.updated_at = clock.now()
    locked.save(update_fields=["first_contact_at", "updated_at"])
    episode.first_contact_at = contact_at
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.first_contact",
        patient=locked.patient,
        target=locked,
        detail={"how": how[:100], "earlier": before.isoformat() if before else None},
    )
    first_contact_tasks_close(
        actor=actor, episode=locked, contact_at=contact_at.astimezone(UTC), how=how
    )
    return True


@transaction.atomic
def patient_death_record(*, actor: Any, patient: Any, died_at: Any) -> None:
    """Record when a patient died (Patient.deceased_at), once: a second report of the same
    death keeps the first time; correcting it is a chart correction, not a new report."""
    from pallio.core.models import versioned_save

    if died_at > clock.now():
        raise ValidationError({"died_at": ["The time of death cannot be in the future."]})
    if died_at.date() < patient.birth_date:
        raise ValidationError({"died_at": ["The time of death is before the date of birth."]})
    if patient.deceased_at is not None:
        return
    patient.deceased_at = died_at
    versioned_save(patient, patient.version, ["deceased_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="patient.death_record",
        patient=patient,
        target=patient,
    )
