"""The demo's cadences (requirement 10): every patient on the week's schedule has a cadence,
a few have fallen overdue, and oncology infusions at the demo cancer center bring same-day
visit suggestions, shown on the list of visits overdue."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.accounts.models import User
from pallio.programs.demo import demo_load
from pallio.visits.cadence_models import ExternalAppointment, VisitCadence
from pallio.visits.cadence_selectors import overdue_page_for, suggestions_of

pytestmark = pytest.mark.django_db


def test_the_demo_has_cadences_overdue_patients_and_same_day_suggestions(db):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    demo_load(patients=40, seed=7)
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
