"""The demo week of visits: signed notes by every discipline in several settings and modes,
a fellow's note awaiting co-signature, first contacts recorded, the same for a seed."""

from __future__ import annotations

import pytest

from pallio.accounts.models import User
from pallio.careplans.models import Task, TaskKind
from pallio.episodes.models import EpisodeOfCare
from pallio.programs.demo import demo_load
from pallio.visits.models import Visit, VisitNote

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_week_of_signed_notes_by_every_discipline(db):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    demo_load(patients=40, seed=7)
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
