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
