"""The demo programs: deterministic, loaded once, covering every kind of thing, and usable
through the real sign-in with password and authenticator code."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from pallio.accounts.models import Role, User
from pallio.audit.models import AuditEvent
from pallio.audit.services import audit_verify
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.core.codes import Discipline
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Condition, Coverage, Patient, PayerType, Residence
from pallio.programs.demo import (
    DEMO_PASSWORD,
    DemoRefused,
    demo_load,
    demo_totp_secret,
)
from pallio.programs.models import Program
from pallio.referrals.models import OPEN_STATUSES, Referral, Source, Status

PATIENTS = 40
SEED = 7


def demo_digest() -> str:
    """A stable fingerprint of what a user would see: names, dates, codes, teams."""
    rows: list[list[str]] = []
    for model, fields, order in (
        (User, ["username", "first_name", "last_name", "role", "discipline"], "username"),
        (
            Patient,
            [
                "program__slug",
                "mrn",
                "given_name",
                "middle_name",
                "family_name",
                "birth_date",
                "sex",
                "residence",
                "address_line",
                "city",
                "deceased_at",
            ],
            "mrn",
        ),
        (Condition, ["patient__mrn", "code", "stage", "onset_date", "is_primary"], "id"),
        (Coverage, ["patient__mrn", "payer_type", "payer_name", "member_id"], "id"),
        (
            Referral,
            [
                "reference",
                "status",
                "source",
                "urgency",
                "received_at",
                "first_contact_due",
                "advanced_cancer_deadline",
                "diagnosis_code",
                "patient__mrn",
                "decided_at",
            ],
            "reference",
        ),
        (EpisodeOfCare, ["patient__mrn", "status", "start", "end", "first_visit_due"], "id"),
        (CareTeamMember, ["patient__mrn", "user__username", "discipline", "is_lead"], "id"),
        (Task, ["patient__mrn", "kind", "title", "due", "status"], "id"),
    ):
        for values in model._default_manager.order_by(order).values_list(*fields):
            rows.append([model.__name__, *(str(v) for v in values)])
    rows.sort()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def load_and_digest(seed: int) -> str:
    """Load into a transaction that is rolled back, so the next load starts afresh."""
    with transaction.atomic():
        demo_load(patients=PATIENTS, seed=seed)
        digest = demo_digest()
        transaction.set_rollback(True)
    return digest


@pytest.fixture
def demo(db):
    return demo_load(patients=PATIENTS, seed=SEED)


def demo_program() -> Program:
    return Program.objects.get(slug="demo")


@pytest.mark.django_db
def test_same_seed_gives_the_same_program_and_another_seed_another():
    with clock.frozen(datetime(2025, 3, 14, 15, 30, tzinfo=UTC)):
        first = load_and_digest(SEED)
        again = load_and_digest(SEED)
        other = load_and_digest(SEED + 1)
    assert first == again
    assert first != other


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model._default_manager.count()
        for model in (
            Program,
            User,
            Patient,
            Condition,
            Coverage,
            Referral,
            EpisodeOfCare,
            CareTeamMember,
            Task,
            AuditEvent,
        )
    }


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


def test_command_loads_the_demo_and_counts_what_it_wrote(db):
    out = io.StringIO()
    call_command("demo", patients=30, seed=3, no_progress=True, stdout=out)
    assert "Loaded the demo program: 30 patients" in out.getvalue()
    program = demo_program()
    assert program.patients.count() == 30
    assert program.referrals.count() == round(30 * 1.4)
    assert program.settings["demo_seed"] == 3


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


def test_logins_without_a_demo_says_to_load_one(db):
    with pytest.raises(CommandError, match="pallio demo"):
        call_command("demo", logins=True, stdout=io.StringIO())


def test_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(DemoRefused):
        demo_load(patients=5, seed=1)
    with pytest.raises(CommandError, match="production"):
        call_command("demo", patients=5, seed=1, stdout=io.StringIO())
    assert not Program.objects.filter(slug="demo").exists()


def test_generated_dates_are_in_the_past(demo):
    now = clock.now()
    assert not Referral.objects.filter(received_at__gt=now).exists()
    assert not EpisodeOfCare.objects.filter(start__gt=now).exists()
    born = Patient.objects.order_by("-birth_date").values_list("birth_date", flat=True).first()
    assert born is not None and born <= date.today()


def test_the_demo_monitors_symptoms_raises_alerts_and_lists_opioids(db):
    from pallio.assessments.models import Alert, PhaseOfCare, SymptomReport
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped
    from pallio.medications.models import MedicationStatement

    instruments_sync_shipped()  # a flush by an earlier test empties the migration's data
    alert_rules_sync_defaults()
    demo_load(patients=PATIENTS, seed=SEED)
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


def demo_counts() -> dict[str, int]:
    """What a user of the demo would count on its pages, by kind of record."""
    from pallio.acp.models import CodeStatus, GoalsOfCareConversation, PortableOrder
    from pallio.assessments.models import Alert, PhaseOfCare, SymptomReport
    from pallio.medications.models import MedicationStatement

    counts = {
        model.__name__: model._default_manager.count()
        for model in (
            Patient,
            Referral,
            EpisodeOfCare,
            CareTeamMember,
            Task,
            SymptomReport,
            Alert,
            PhaseOfCare,
            MedicationStatement,
            GoalsOfCareConversation,
            CodeStatus,
            PortableOrder,
        )
    }
    counts["superseded orders"] = PortableOrder.objects.filter(superseded_by__isnull=False).count()
    counts["open alerts"] = Alert.objects.filter(status=Alert.Status.OPEN).count()
    counts["open referrals"] = Referral.objects.filter(status__in=OPEN_STATUSES).count()
    return counts


@pytest.mark.django_db
def test_the_demo_is_the_same_at_every_hour_of_the_day():
    """Loaded at four hours of one day, the demo has the same records.

    (The hour once decided which random draws were made: at 01:25 and 04:25 UTC the demo
    had no superseded portable order, at 08:25 it had one.)
    """
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    seen: dict[str, tuple[dict[str, int], str]] = {}
    for hhmm in ("06:05", "09:25", "16:40", "04:55+1"):
        hour, minute = (int(part) for part in hhmm[:5].split(":"))
        day = 2 if hhmm.endswith("+1") else 1
        # 1 December in both demo programs' zones: 06:05 UTC is 01:05 in New York and
        # 00:05 in Chicago; 04:55 UTC on 2 December is 23:55 and 22:55.
        moment = datetime(2026, 12, day, hour, minute, tzinfo=UTC)
        with clock.frozen(moment), transaction.atomic():
            demo_load(patients=PATIENTS, seed=SEED)
            seen[hhmm] = (demo_counts(), demo_digest())
            transaction.set_rollback(True)
    first_counts, first_digest = seen["06:05"]
    assert first_counts["superseded orders"] >= 1
    assert first_counts["open alerts"] >= 1
    for hhmm, (counts, digest) in seen.items():
        assert counts == first_counts, hhmm
        assert digest == first_digest, hhmm


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
