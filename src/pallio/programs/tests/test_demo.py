"""The demo programs: deterministic, loaded once, covering every kind of thing, and usable
through the real sign-in with password and authenticator code."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from pallio.accounts.models import User
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Condition, Coverage, Patient
from pallio.programs.demo import (
    DemoRefused,
    demo_load,
)
from pallio.programs.models import Program
from pallio.referrals.models import OPEN_STATUSES, Referral

PATIENTS = 40
SEED = 7
# The every-hour test loads the demo five times: a smaller demo whose seed still makes every
# kind of record, superseded portable orders among them (see the test's docstring).
HOURS_PATIENTS = 20
HOURS_SEED = 8


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


def load_and_digest(seed: int, patients: int = PATIENTS) -> str:
    """Load into a transaction that is rolled back, so the next load starts afresh."""
    with transaction.atomic():
        demo_load(patients=patients, seed=seed)
        digest = demo_digest()
        transaction.set_rollback(True)
    return digest


def demo_program() -> Program:
    return Program.objects.get(slug="demo")


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


def test_command_loads_the_demo_and_counts_what_it_wrote(db):
    out = io.StringIO()
    call_command("demo", patients=30, seed=3, no_progress=True, stdout=out)
    assert "Loaded the demo program: 30 patients" in out.getvalue()
    program = demo_program()
    assert program.patients.count() == 30
    assert program.referrals.count() == round(30 * 1.4)
    assert program.settings["demo_seed"] == 3


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
def test_the_demo_is_the_same_at_every_hour_of_the_day_and_for_a_seed():
    """Loaded at four hours of one day, the demo has the same records; another seed gives
    another program.

    (The hour once decided which random draws were made: at 01:25 and 04:25 UTC the demo
    had no superseded portable order, at 08:25 it had one.)

    The demo is loaded five times here, so it is a small one: 20 patients instead of 40 take
    about a third off each load. What is compared is the same, every record each load writes;
    the seed is one whose small demo still writes to every table the 40-patient demo of seed 7
    does and has every kind of record counted (asserted below), superseded portable orders
    included, the draw the hour once changed (seven of them, where seed 7 has one).
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
            demo_load(patients=HOURS_PATIENTS, seed=HOURS_SEED)
            seen[hhmm] = (demo_counts(), demo_digest())
            transaction.set_rollback(True)
    # Another seed, at the hour when it once enrolled a baby of a few months before birth
    # (a referral drawn further back than the child's age) and its first visit was refused as
    # "before birth".
    with clock.frozen(datetime(2026, 12, 1, 6, 5, tzinfo=UTC)):
        other = load_and_digest(HOURS_SEED + 2, patients=HOURS_PATIENTS)
    first_counts, first_digest = seen["06:05"]
    assert other != first_digest
    assert first_counts["superseded orders"] >= 1
    assert first_counts["open alerts"] >= 1
    assert all(first_counts.values()), first_counts
    for hhmm, (counts, digest) in seen.items():
        assert counts == first_counts, hhmm
        assert digest == first_digest, hhmm
