"""The demo schedule: a week of booked visits from today across every setting, homes with
access notes, an urgent visit each day, video links, and the same schedule for a seed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pallio.programs.demo import demo_load
from pallio.visits.models import Place, ScheduledVisit, Setting

pytestmark = pytest.mark.django_db


def test_the_demo_books_a_week_in_every_setting(db):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    demo_load(patients=40, seed=7)
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


def test_the_demo_shows_sent_reminders_on_todays_visits(db):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped
    from pallio.visits.reminder_models import VisitReminder

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    demo_load(patients=40, seed=7)
    reminders = VisitReminder.objects.filter(program__slug="demo")
    assert reminders.exists()
    assert set(reminders.values_list("status", flat=True)) == {"sent"}
    assert set(reminders.values_list("hours_before", flat=True)) == {24}
    first = min(r.visit.starts_at for r in reminders)
    assert all(r.visit.starts_at - first < timedelta(days=1) for r in reminders)
