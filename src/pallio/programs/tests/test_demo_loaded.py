"""The loaded demo program, looked at from every side: loaded once for the module (each test
runs in a savepoint inside that load and leaves it as it found it)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from pallio.accounts.models import Role, User
from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped
from pallio.audit.models import AuditEvent
from pallio.audit.services import audit_verify
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.core.codes import Discipline
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Condition, Coverage, Patient, PayerType, Residence
from pallio.programs.demo import DEMO_PASSWORD, demo_load, demo_totp_secret
from pallio.programs.models import Program
from pallio.programs.tests.test_demo import PATIENTS, SEED, demo_program, table_counts
from pallio.referrals.models import OPEN_STATUSES, Referral, Source, Status


@pytest.fixture(scope="module")
def _loaded_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The demo, loaded once in a transaction that is rolled back after the module, with the
    same files and mail settings every test has (conftest's `_media_root`)."""
    files = tmp_path_factory.mktemp("demo")
    with (
        override_settings(
            MEDIA_ROOT=files / "uploads",
            PALLIO_AUDIT_CHECKPOINT_FILE=files / "audit-checkpoints.log",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        django_db_blocker.unblock(),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # Loaded with the clock standing still, as `make run` effectively does within
            # one instant: rows written together share their time.
            # A flush by an earlier test in this worker empties the migrations' data.
            instruments_sync_shipped()
            alert_rules_sync_defaults()
            with clock.frozen(clock.now()):
                loaded = demo_load(patients=PATIENTS, seed=SEED)
            yield loaded
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(_loaded_once: Any, db: None) -> Any:
    return _loaded_once


def test_loading_twice_adds_nothing_and_says_so(demo):
    before = table_counts()
    out = io.StringIO()
    call_command("demo", patients=PATIENTS, seed=SEED, stdout=out)
    assert "already loaded" in out.getvalue()
    assert "nothing changed" in out.getvalue()
    assert table_counts() == before
    # Asking for another size still changes nothing, and says how to start over.
    out = io.StringIO()
    call_command("demo", patients=PATIENTS * 2, seed=SEED + 1, stdout=out)
    assert "nothing changed" in out.getvalue()
    assert "empty database" in out.getvalue()
    assert table_counts() == before


def test_every_discipline_payer_status_source_and_residence_is_present(demo):
    program = demo_program()
    disciplines = set(User.objects.filter(program=program).values_list("discipline", flat=True))
    assert disciplines == set(Discipline.values)
    roles = set(User.objects.filter(program=program).values_list("role", flat=True))
    assert roles == set(Role.values)
    payers = set(
        Coverage.objects.filter(patient__program=program).values_list("payer_type", flat=True)
    )
    assert payers == set(PayerType.values)
    referrals = Referral.objects.filter(program=program)
    assert set(referrals.values_list("status", flat=True)) == set(Status.values)
    assert set(referrals.values_list("source", flat=True)) == set(Source.values)
    residences = set(Patient.objects.filter(program=program).values_list("residence", flat=True))
    assert residences == set(Residence.values)


def test_diagnoses_are_coded_and_cover_the_serious_illnesses(demo):
    conditions = Condition.objects.filter(patient__program__slug="demo", is_primary=True)
    codes = set(conditions.values_list("code", flat=True))
    assert any(code.startswith("C") for code in codes)  # cancer
    for prefix in ("I50", "J4", "G12.21", "G20", "N18"):  # HF, COPD, ALS, Parkinson's, kidney
        assert any(code.startswith(prefix) for code in codes), prefix
    assert codes & {"G30.9", "G30.1", "F01.50", "F03.90"}  # dementia
    assert conditions.filter(stage="Stage IV", advanced=True).exists()
    assert all(c.system.startswith("http") and c.display for c in conditions)


def test_ages_include_children_and_young_adults(demo):
    today = clock.today_in("America/New_York")
    ages = [
        (today - born).days // 365.25
        for born in Patient.objects.filter(program__slug="demo").values_list(
            "birth_date", flat=True
        )
    ]
    assert any(age < 18 for age in ages)
    assert any(18 <= age < 40 for age in ages)
    assert any(age >= 65 for age in ages)


def test_the_queue_has_overdue_referrals_and_cancer_deadlines(demo):
    today = clock.today_in("America/New_York")
    referrals = Referral.objects.filter(program__slug="demo")
    assert referrals.filter(status__in=OPEN_STATUSES, first_contact_due__lt=today).exists()
    assert referrals.exclude(advanced_cancer_deadline=None).exists()
    # Accepted referrals have an episode with a care team led by a nurse navigator and an
    # open first-contact task for the most recent ones.
    accepted = referrals.filter(status=Status.ACCEPTED)
    assert accepted.count() == EpisodeOfCare.objects.filter(referral__in=accepted).count()
    assert CareTeamMember.objects.filter(
        is_lead=True, discipline=Discipline.NURSE_NAVIGATOR, active=True
    ).exists()
    assert Task.objects.filter(kind="first_contact", status="open").exists()
    timeline = list(referrals.order_by("received_at").values_list("received_at", flat=True))
    assert (timeline[-1] - timeline[0]).days > 365


def test_a_second_program_holds_its_own_patients(demo):
    north = Program.objects.get(slug="demo-north")
    assert north.patients.exists()
    assert not Patient.objects.filter(program=north, referrals__program__slug="demo").exists()
    assert (
        not CareTeamMember.objects.filter(patient__program=north)
        .exclude(user__program=north)
        .exists()
    )


def test_the_audit_chain_verifies_after_loading(demo):
    checked, broken = audit_verify()
    assert broken is None
    assert checked >= 2  # one demo.load event per program
    assert AuditEvent.objects.filter(event="demo.load").count() == 2


def test_demo_password_passes_the_validators(demo):
    from django.contrib.auth.password_validation import validate_password

    for user in User.objects.filter(program__slug="demo")[:5]:
        validate_password(DEMO_PASSWORD, user)


@pytest.mark.parametrize(
    ("username", "start_page"),
    [("coordinator", "/referrals/"), ("navigator", "/caseload/"), ("north-coordinator", None)],
)
def test_demo_user_signs_in_with_password_and_authenticator_code(
    demo, client, username, start_page
):
    response = client.post("/accounts/login/", {"login": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/2fa/authenticate/")
    # Without the code nothing with patients in it opens.
    assert client.get("/referrals/").status_code == 302
    code = pyotp.TOTP(demo_totp_secret(SEED, username)).now()
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    if username == "coordinator":
        page = client.get("/referrals/")
        assert page.status_code == 200
        first_in_line = Referral.objects.filter(
            program__slug="demo", status__in=OPEN_STATUSES
        ).first()
        assert first_in_line is not None
        assert first_in_line.reference in page.content.decode()
    elif start_page:
        assert client.get(start_page).status_code == 200
    else:
        # A coordinator of the other program sees none of the demo program's referrals.
        page = client.get("/referrals/?status=all").content.decode()
        demo_refs = Referral.objects.filter(program__slug="demo").values_list(
            "reference", flat=True
        )
        assert not any(ref in page for ref in demo_refs)


def test_logins_lists_accounts_with_their_secrets(demo):
    out = io.StringIO()
    call_command("demo", logins=True, stdout=out)
    text = out.getvalue()
    for username in (
        "coordinator",
        "director",
        "oncall",
        "privacy",
        "programadmin",
        "navigator",
        "physician",
        "socialworker",
        "chaplain",
        "north-coordinator",
    ):
        assert username in text
        assert demo_totp_secret(SEED, username) in text
    assert DEMO_PASSWORD in text
    assert "pallio totp USERNAME" in text


def test_generated_dates_are_in_the_past(demo):
    now = clock.now()
    assert not Referral.objects.filter(received_at__gt=now).exists()
    assert not EpisodeOfCare.objects.filter(start__gt=now).exists()
    born = Patient.objects.order_by("-birth_date").values_list("birth_date", flat=True).first()
    assert born is not None and born <= date.today()


def test_the_demo_has_advance_care_plans_to_review(demo):
    from pallio.accounts.models import User
    from pallio.acp.models import GoalsOfCareConversation, HealthcareAgent, PortableOrder
    from pallio.acp.selectors import acp_review_page_for

    assert GoalsOfCareConversation.objects.filter(program__slug="demo").count() >= 10
    assert HealthcareAgent.objects.filter(patient__program__slug="demo").exists()
    assert PortableOrder.objects.filter(superseded_by__isnull=False).exists()
    director = User.objects.get(username="director")
    review = acp_review_page_for(director, 1)
    kinds = {rule.id for row in review.object_list for rule in row.rules}
    assert kinds == {
        "full-code-comfort-goals",
        "hospitalized-despite-preference",
        "place-of-death-without-plan",
    }


def test_a_changed_code_status_is_the_one_shown(demo):
    """Where the demo changed a patient's code status, the chart shows the later one."""
    from django.db.models import Count

    from pallio.acp.models import CodeStatus
    from pallio.acp.services.orders import current_code_status_of

    changed = Patient.objects.annotate(n=Count("code_statuses")).filter(n__gt=1)
    assert changed.exists()
    for patient in changed:
        history = list(CodeStatus.objects.filter(patient=patient).order_by("effective_date"))
        # Each entry was recorded after the one it replaced, never in the same instant.
        recorded = [entry.created_at for entry in history]
        assert recorded == sorted(set(recorded)), patient.mrn
        assert current_code_status_of(patient) == history[-1], patient.mrn


# --- what the care teams find in it ----------------------------------------------------------


def test_the_demo_monitors_symptoms_raises_alerts_and_lists_opioids(demo):
    from pallio.assessments.models import Alert, PhaseOfCare, SymptomReport
    from pallio.medications.models import MedicationStatement

    program = demo_program()
    reports = SymptomReport.objects.filter(program=program)
    assert reports.filter(instrument_key="esas-r").count() > PATIENTS
    assert {"esas-r", "pps"} <= set(reports.values_list("instrument_key", flat=True))
    assert not reports.filter(evaluated_at__isnull=True).exists()
    assert not reports.filter(answered_at__gt=clock.now()).exists()
    open_alerts = Alert.objects.filter(program=program, status=Alert.Status.OPEN)
    assert open_alerts.exists()
    assert all(a.task_id is not None for a in open_alerts)
    opioids = MedicationStatement.objects.filter(program=program, is_opioid=True)
    assert opioids.exists()
    assert open_alerts.filter(rule_key="opioid-no-bowel-regimen").exists()
    assert PhaseOfCare.objects.filter(program=program).exists()


def test_every_enrolled_demo_patient_has_a_care_plan(demo):
    """Across the domains, with goals linked to conversations, tasks for people and for
    discipline lists, reviews and history."""
    from django.db.models import Q

    from pallio.careplans.models import CarePlan, Goal, GoalReview, Intervention, Problem

    # Enrolled when the plans were made: still active, or discharged since by the demo's
    # deaths and discharges (those carry a discharge reason; older finished episodes do not).
    enrolled = (
        EpisodeOfCare.objects.filter(program__slug="demo")
        .filter(Q(status="active") | ~Q(discharge_reason=""))
        .count()
    )
    plans = CarePlan.objects.filter(program__slug="demo")
    assert enrolled and plans.count() == enrolled
    assert Problem.objects.filter(plan__in=plans).values("domain").distinct().count() >= 5
    assert Goal.objects.filter(plan__in=plans, conversation__isnull=False).exists()
    assert Intervention.objects.filter(plan__in=plans).values("discipline").distinct().count() >= 4
    tasks = Task.objects.filter(program__slug="demo", kind="care_plan")
    assert tasks.filter(assigned_to__isnull=True).exists()
    assert tasks.filter(assigned_to__isnull=False).exists()
    assert GoalReview.objects.filter(goal__plan__in=plans).exists()
    assert (
        Problem.history.filter(plan_id__in=plans.values("pk")).count()
        == Problem.objects.filter(plan__in=plans).count()
    )
    assert AuditEvent.objects.filter(event="demo.care_plans").exists()


# --- the week's visits, days on the road and cadences ----------------------------------------


def test_the_demo_has_a_week_of_signed_notes_by_every_discipline(demo):
    """Signed notes in several settings and modes, a fellow's note awaiting co-signature,
    first contacts recorded."""
    from pallio.careplans.models import TaskKind
    from pallio.visits.models import Visit, VisitNote

    notes = VisitNote.objects.filter(program__slug="demo")
    signed = notes.filter(status=VisitNote.Status.SIGNED)
    disciplines = set(signed.values_list("visit__discipline", flat=True))
    assert {
        "physician",
        "nurse_practitioner",
        "nurse",
        "nurse_navigator",
        "social_worker",
        "chaplain",
    } <= disciplines
    assert disciplines & {"dietitian", "pharmacist", "respiratory_therapist", "child_life"}
    visits = Visit.objects.filter(program__slug="demo")
    assert set(visits.values_list("mode", flat=True)) == {"in_person", "telephone", "video"}
    assert len(set(visits.values_list("setting", flat=True))) >= 4
    assert signed.filter(symptom_reports__isnull=False).exists()

    awaiting = notes.get(status=VisitNote.Status.AWAITING_COSIGN)
    fellow = User.objects.get(program__slug="demo", username="fellow")
    assert fellow.training_level == "fellow" and fellow.supervisor is not None
    assert awaiting.author == fellow and awaiting.supervisor == fellow.supervisor
    assert Task.objects.filter(
        kind=TaskKind.NOTE_COSIGN, assigned_to=fellow.supervisor, status="open"
    ).exists()

    reached = EpisodeOfCare.objects.filter(program__slug="demo", first_contact_at__isnull=False)
    assert reached.exists()
    assert all(e.first_contact_at and e.first_contact_at > e.start for e in reached)
    # Patients not reached yet keep their open (some overdue) first-contact task.
    assert Task.objects.filter(kind=TaskKind.FIRST_CONTACT, status="open").exists()


def test_the_demo_books_a_week_in_every_setting(demo):
    """Homes with access notes, an urgent visit each day, video links."""
    from pallio.visits.models import Place, ScheduledVisit, Setting

    visits = ScheduledVisit.objects.filter(program__slug="demo")
    assert set(visits.values_list("setting", flat=True)) == set(Setting.values)
    assert visits.filter(priority="urgent").count() == 7
    days = {v.starts_at.date() for v in visits}
    assert len(days) >= 7
    video = visits.filter(setting="telehealth")
    assert video and all(v.join_url.startswith("https://video.example.org/join/") for v in video)
    homes = Place.objects.filter(program__slug="demo", patient__isnull=False)
    assert homes.exclude(access_notes="").count() == homes.count() > 0
    assert all(h.latitude is not None for h in homes)


def test_the_demo_shows_sent_reminders_on_todays_visits(demo):
    from datetime import timedelta

    from pallio.visits.reminder_models import VisitReminder

    reminders = VisitReminder.objects.filter(program__slug="demo")
    assert reminders.exists()
    assert set(reminders.values_list("status", flat=True)) == {"sent"}
    assert set(reminders.values_list("hours_before", flat=True)) == {24}
    first = min(r.visit.starts_at for r in reminders)
    assert all(r.visit.starts_at - first < timedelta(days=1) for r in reminders)


def test_the_demo_has_a_home_visit_day_for_two_clinicians_with_a_real_plan(demo):
    """The office is set, and two clinicians each have a weekday of home visits on the map
    that the day plan puts in order."""
    from collections import Counter
    from zoneinfo import ZoneInfo

    from pallio.visits.models import ScheduledVisit
    from pallio.visits.services import day_plan

    program = demo_program()
    assert day_plan.office_of(program) is not None
    zone = ZoneInfo(program.timezone)
    rounds = ScheduledVisit.objects.filter(program=program, note="Home visit round")
    per_day = Counter((v.clinician_id, v.starts_at.astimezone(zone).date()) for v in rounds)
    assert len(per_day) == 2 and all(n == 4 for n in per_day.values())
    for (clinician_id, day), _count in per_day.items():
        assert day.weekday() < 5
        visit = rounds.filter(clinician_id=clinician_id).select_related("clinician").first()
        assert visit is not None
        clinician = visit.clinician
        plan = day_plan.day_plan_build(actor=clinician, clinician=clinician, day=day)
        assert not plan.problem
        assert {str(v.pk) for v in rounds.filter(clinician_id=clinician_id)} <= {
            str(r.visit.pk) for r in plan.rows
        } | {str(u.visit.pk) for u in plan.unfit}
        assert len(plan.rows) >= 3 and plan.total_km > 0 and plan.changes > 0


def test_the_demo_has_cadences_overdue_patients_and_same_day_suggestions(demo):
    """Every patient on the week's schedule has a cadence, a few have fallen overdue, and
    oncology infusions at the demo cancer center bring same-day visit suggestions, shown on
    the list of visits overdue."""
    from django.test import Client
    from django.urls import reverse
    from tests.support.personas import login

    from pallio.visits.cadence_models import ExternalAppointment, VisitCadence
    from pallio.visits.cadence_selectors import overdue_page_for, suggestions_of

    cadences = VisitCadence.objects.filter(program__slug="demo")
    assert cadences.count() > 10
    infusions = ExternalAppointment.objects.filter(program__slug="demo", kind="infusion")
    assert infusions.count() >= 3
    assert all(a.place and a.place.setting == "cancer_center" for a in infusions)
    director = (
        User.objects.filter(program__slug="demo", role="medical_director")
        .order_by("username")
        .first()
    )
    assert director is not None
    page = overdue_page_for(director)
    assert 3 <= page.paginator.count <= 10
    with_suggestion = [r for r in page.object_list if any(s.suggestion for s in r.statuses)]
    assert len(with_suggestion) >= 3
    patient = with_suggestion[0].patient
    place = suggestions_of(patient)[0].appointment.place
    assert place is not None and place.setting == "cancer_center"
    body = login(Client(), director).get(reverse("visits:overdue")).content.decode()
    assert "Book the same-day visit" in body
