"""The demo's night on the 24/7 line: every reason category, dispositions, one death."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pallio.core import clock
from pallio.support.models import Call, CallReason, DeathReport

pytestmark = pytest.mark.django_db


def test_the_demo_has_last_nights_calls_in_every_category_and_one_death():
    from pallio.programs.demo import demo_load

    with clock.frozen(datetime(2026, 3, 4, 15, 0, tzinfo=UTC)):
        demo_load(patients=40, seed=7)
    calls = Call.objects.filter(program__slug="demo")
    assert set(calls.values_list("reason", flat=True)) == set(CallReason.values)
    closed = calls.filter(status="closed")
    assert closed.count() == len(CallReason.values) - 1
    assert all(c.disposition and c.called_back_at and c.disposition_at for c in closed)
    assert calls.filter(red_flag=True).exists()
    death = DeathReport.objects.get(call__program__slug="demo")
    assert death.patient.deceased_at == death.died_at
    assert calls.get(reason="death").status == "open"
