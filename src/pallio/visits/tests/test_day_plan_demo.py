"""The demo's home-visit days: the office is set, and two clinicians each have a weekday of
home visits on the map that the day plan puts in order (shown under `make run`)."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from pallio.programs.demo import demo_load
from pallio.programs.models import Program
from pallio.visits.models import ScheduledVisit
from pallio.visits.services import day_plan

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_home_visit_day_for_two_clinicians_with_a_real_plan(db):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    demo_load(patients=40, seed=7)
    program = Program.objects.get(slug="demo")
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
