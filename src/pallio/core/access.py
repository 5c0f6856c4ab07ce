"""Who may reach what. The one place access is decided.

A staff member reaches a patient of their own program when they are on the patient's active
care team, hold a program-wide role (intake coordinator, medical director), hold the on-call
role and are on a shift of the on-call roster right now, or hold an unexpired
break-the-glass grant. An on-call clinician off shift reaches only their own care-team
patients (issue 13: "while on shift, audited as such, and not after the shift ends").
Everyone else gets the same 404 as for a patient that does not exist, so ids leak nothing.

Every view declares its rule with ``public_view`` or ``staff_view``; a test walks the URL
list and fails on any view without one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.http import HttpRequest, HttpResponseBase

from pallio.core import clock

ROLE_INTAKE = "intake_coordinator"
ROLE_DIRECTOR = "medical_director"
ROLE_ON_CALL = "on_call"
ROLE_CLINICIAN = "clinician"
ROLE_PRIVACY = "privacy_officer"
ROLE_ADMIN = "program_admin"
PROGRAM_WIDE = frozenset({ROLE_INTAKE, ROLE_DIRECTOR})
CLINICAL_ROLES = frozenset({ROLE_CLINICIAN, ROLE_INTAKE, ROLE_DIRECTOR, ROLE_ON_CALL})

# Non-object permissions by role. Object access (a given patient) is decided below.
PERMISSIONS: dict[str, frozenset[str]] = {
    "referral.view": frozenset({ROLE_INTAKE, ROLE_DIRECTOR, ROLE_ON_CALL}),
    "referral.triage": frozenset({ROLE_INTAKE, ROLE_DIRECTOR}),
    "referral.create": CLINICAL_ROLES,
    "patient.search": CLINICAL_ROLES,
    "patient.break_glass": frozenset({ROLE_CLINICIAN, ROLE_ON_CALL}),
    "caseload.view": CLINICAL_ROLES,
    "caseload.view_others": frozenset({ROLE_INTAKE, ROLE_DIRECTOR}),
    "audit.view": frozenset({ROLE_PRIVACY}),
    # Running the program from its own pages (issue 10): its settings and its staff. The
    # program administrator reaches no patient; these permissions name no patient either.
    "program.manage": frozenset({ROLE_ADMIN}),
    "staff.manage": frozenset({ROLE_ADMIN}),
    # Goals of care and advance care planning: object access is still the patient's rule.
    "acp.view": CLINICAL_ROLES,
    "acp.record": CLINICAL_ROLES,
    # What a care-team member may do to the clinical record once there (code status, orders,
    # medications, signatures) is decided by discipline in core/privileges.py.
    "acp.worklist": CLINICAL_ROLES,
    # Hospital and emergency stays (episodes): object access is the patient's rule; who may
    # record or strike one is decided by discipline in core/privileges.py (stay.*).
    "stay.view": CLINICAL_ROLES,
    "stay.record": CLINICAL_ROLES,
    # Assessments, symptom reports, alerts, medications: object access is the patient's rule.
    "assessment.view": CLINICAL_ROLES,
    "assessment.record": CLINICAL_ROLES,
    "alert.worklist": CLINICAL_ROLES,
    "instrument.manage": frozenset({ROLE_DIRECTOR}),
    # Visits and their notes: who writes, signs or co-signs is decided by discipline in
    # core/privileges.py; object access is still the patient's rule.
    "visit.view": CLINICAL_ROLES,
    "visit.document": CLINICAL_ROLES,
    "note_template.manage": frozenset({ROLE_DIRECTOR}),
    "medication.view": CLINICAL_ROLES,
    "medication.record": CLINICAL_ROLES,
    # The care plan and the task list: object access is the patient's rule; what may be
    # changed on the plan is decided by discipline in core/privileges.py (care_plan.*).
    "care_plan.view": CLINICAL_ROLES,
    "task.worklist": CLINICAL_ROLES,
    # The weekly team meetings: a team's members and the program-wide roles (careplans).
    "idt.view": CLINICAL_ROLES,
    # The 24/7 line: which calls a user sees follows the patient's rule (support/selectors.py);
    # what they may do on a call is a clinical privilege (call.record, call.dispose, ...).
    "support.calls": CLINICAL_ROLES,
    "support.protocols": frozenset({ROLE_DIRECTOR}),
    # The 24/7 line: escalated calls and the morning hand-off for the clinical staff (each
    # call still follows its patient's rule); the line's measures for program-wide roles.
    "support.escalations": CLINICAL_ROLES,
    "support.handoff": CLINICAL_ROLES,
    "support.measures": frozenset({ROLE_INTAKE, ROLE_DIRECTOR}),
    # The on-call roster (support app): everyone clinical sees who is on call; the care
    # coordinator and the medical director edit it.
    "roster.view": CLINICAL_ROLES,
    "roster.manage": frozenset({ROLE_INTAKE, ROLE_DIRECTOR}),
    # Bereavement follow-up of the family (episodes/bereavement.py): each family follows its
    # patient's rule; who records a contact, a screen or a referral is a clinical privilege.
    "bereavement.view": CLINICAL_ROLES,
    # Hospital messages (HL7 v2 ADT) held for review name people who may not be patients of
    # the program yet: only the program-wide roles see the queue (adt app).
    "adt.review": frozenset({ROLE_INTAKE, ROLE_DIRECTOR}),
    # Hospice: the eligibility aid and referrals follow the patient's rule; who may refer is a
    # clinical privilege (hospice.refer, hospice.update). The worklist lists reachable patients.
    "hospice.view": CLINICAL_ROLES,
    "hospice.worklist": CLINICAL_ROLES,
    # Coordination of services (coordination app): a patient's orders follow the patient's
    # rule; who may order is a clinical privilege (coordination.order). The program's
    # directory of agencies names no patient: those who arrange services keep it (by
    # discipline, coordination/services.py), and so does the program administrator.
    "coordination.view": CLINICAL_ROLES,
    "coordination.worklist": CLINICAL_ROLES,
    "directory.view": CLINICAL_ROLES | {ROLE_ADMIN},
    "directory.manage": frozenset({ROLE_ADMIN}),
    # Secure messages from the portal (messaging app): each thread follows its patient's rule;
    # who may answer is a clinical privilege (message.reply).
    "message.view": CLINICAL_ROLES,
}

# What access_reason answers for an on-call clinician reaching a patient through their shift;
# the audit trail records it with every read they make that way.
ON_CALL_SHIFT = "on_call_shift"


def _current_shifts(user: Any) -> QuerySet[Any]:
    """The user's on-call shifts covering this moment (support app; read by name so core
    stays below it). Backed by the (user, starts_at, ends_at) index."""
    shift = apps.get_model("support", "Shift")
    now = clock.now()
    return shift.objects.filter(
        user_id=user.pk,
        program_id=user.program_id,
        cancelled=False,
        starts_at__lte=now,
        ends_at__gt=now,
    )


def on_shift(user: Any) -> bool:
    """Whether `user` holds the on-call role and covers a line of the roster right now."""
    if getattr(user, "role", None) != ROLE_ON_CALL or getattr(user, "program_id", None) is None:
        return False
    return _current_shifts(user).exists()


def has_perm(user: Any, perm: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if getattr(user, "program_id", None) is None:
        return False
    return user.role in PERMISSIONS[perm]


def patient_access_q(user: Any, *, prefix: str = "", program_on_row: bool = False) -> Q:
    """A filter on Patient (or on a model reaching it through `prefix`) for `user`.

    `program_on_row`: the model keeps its patient's program in its own `program_id` (set
    from the patient when the row is made; a patient never changes program), so the program
    is checked there, without joining the patients."""
    if not getattr(user, "is_authenticated", False) or user.program_id is None:
        return Q(pk__in=[])
    program_q = Q(**{f"{'' if program_on_row else prefix}program_id": user.program_id})
    if user.role in PROGRAM_WIDE:
        return program_q
    if user.role not in CLINICAL_ROLES:
        return Q(pk__in=[])
    member = apps.get_model("episodes", "CareTeamMember")
    grant = apps.get_model("episodes", "BreakGlassGrant")
    # prefix "" filters Patient itself; "patient__" filters a model with a `patient` key.
    patient_ref = OuterRef("pk" if prefix == "" else prefix.removesuffix("__") + "_id")
    on_team = Exists(member.objects.filter(user_id=user.pk, active=True, patient_id=patient_ref))
    glass = Exists(
        grant.objects.filter(user_id=user.pk, patient_id=patient_ref, expires_at__gt=clock.now())
    )
    if user.role == ROLE_ON_CALL:
        # Every patient of the program while on shift, in the same query (no extra round trip).
        return program_q & Q(on_team | glass | Exists(_current_shifts(user)))
    return program_q & (on_team | glass)


def visible_patients(user: Any, queryset: QuerySet[Any] | None = None) -> QuerySet[Any]:
    patients = queryset if queryset is not None else apps.get_model("patients", "Patient").objects
    return patients.filter(patient_access_q(user))


def can_access_patient(user: Any, patient: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if patient.program_id != user.program_id:
        return False
    if user.role in PROGRAM_WIDE:
        return True
    if user.role not in CLINICAL_ROLES:
        return False
    return access_reason(user, patient) is not None


def with_reader_facts(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Patients annotated with whether `user` is on their active care team, so that
    access_reason (the chart's banner, the audit row) asks nothing more of the database
    for a member of the team. Only what the rows say for this very user is trusted, and only
    on a page that reads: a write (a discharge) can take the user off the team."""
    member = apps.get_model("episodes", "CareTeamMember")
    return queryset.annotate(
        reader_on_team=Exists(
            member.objects.filter(user_id=user.pk, patient_id=OuterRef("pk"), active=True)
        ),
        reader_id=Value(user.pk, output_field=IntegerField()),
    )


def _on_team(user: Any, patient: Any) -> bool:
    known = patient.__dict__.get("reader_on_team")
    if known is not None and patient.__dict__.get("reader_id") == user.pk:
        return bool(known)
    member = apps.get_model("episodes", "CareTeamMember")
    return bool(member.objects.filter(user_id=user.pk, patient_id=patient.pk, active=True).exists())


def access_reason(user: Any, patient: Any) -> str | None:
    """Why `user` may see `patient`: 'team', 'program', 'on_call_shift', 'break_glass', or
    None."""
    if patient.program_id != user.program_id:
        return None
    if user.role in PROGRAM_WIDE:
        return "program"
    if _on_team(user, patient):
        return "team"
    if on_shift(user):
        return ON_CALL_SHIFT
    grant = apps.get_model("episodes", "BreakGlassGrant")
    if grant.objects.filter(
        user_id=user.pk, patient_id=patient.pk, expires_at__gt=clock.now()
    ).exists():
        return "break_glass"
    return None


F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def public_view(view: F) -> F:
    """Anyone may open this page (public referral forms, health check)."""
    view.access_rule = "public"  # type: ignore[attr-defined]
    return view


def staff_view(perm: str | None = None) -> Callable[[F], F]:
    """A signed-in staff member of a program; with `perm`, one whose role grants it."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(user, "program_id", None) is None:
                raise PermissionDenied
            if getattr(user, "kind", "staff") != "staff":  # a portal account
                raise PermissionDenied
            if perm is not None and not has_perm(user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.access_rule = f"staff:{perm or 'any'}"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
