"""The line's measures (issue 13, requirement 8), computed on a known set of calls."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.support.measures import line_measures, nearest_rank
from pallio.support.models import Call, CallEscalation, CallReason, Disposition
from pallio.support.tests.ops_samples import make_call


def local(text: str) -> datetime:
    """A Riverside time (New York, UTC-5 in November)."""
    return datetime.fromisoformat(text + "-05:00")


def known_calls(world) -> None:
    def call(at: str, reason: str, back: int | None, disposition: str = "") -> Call:
        received = local(at)
        return make_call(
            world,
            received_at=received,
            reason=reason,
            called_back_at=received + timedelta(minutes=back) if back is not None else None,
            disposition=disposition,
        )

    call("2026-11-24T02:00", CallReason.SYMPTOM, 5, Disposition.ADVICE)
    call("2026-11-24T02:30", CallReason.SYMPTOM, 10, Disposition.EMERGENCY)
    call("2026-11-24T03:00", CallReason.DEATH, 20, Disposition.PRONOUNCEMENT_VISIT)
    call("2026-11-23T22:00", CallReason.VISIT_REQUEST, 40, Disposition.NURSE_VISIT)
    escalated = call("2026-11-23T14:00", CallReason.MEDICATION, None)
    CallEscalation.objects.create(call=escalated, step="second_line", why="no_callback")
    CallEscalation.objects.create(call=escalated, step="backup", why="no_callback")
    wrong = call("2026-11-24T04:00", CallReason.SYMPTOM, 1, Disposition.EMERGENCY)
    Call.objects.filter(pk=wrong.pk).update(entered_in_error=True)
    call("2026-11-25T00:30", CallReason.SYMPTOM, 1, Disposition.EMERGENCY)  # after the period


@pytest.mark.django_db
def test_the_measures_of_a_known_set_of_calls(world):
    known_calls(world)
    m = line_measures(program=world.riverside, starts=date(2026, 11, 23), ends=date(2026, 11, 24))
    assert m.calls == 5
    assert dict(m.by_reason) == {
        "A symptom": 2,
        "Reporting a death": 1,
        "Asking for a visit": 1,
        "Medications or supplies": 1,
        "Caregiver support": 0,
        "Equipment": 0,
        "Information or other": 0,
    }
    assert {h: n for h, n in enumerate(m.by_hour) if n} == {2: 2, 3: 1, 14: 1, 22: 1}
    assert m.called_back == 4
    assert m.callback_median_minutes == 15  # of 5, 10, 20 and 40
    assert m.callback_p90_minutes == 40
    assert (m.with_disposition, m.resolved_without_ed) == (4, 3)
    assert m.resolved_without_ed_share == 0.75
    assert m.escalated_calls == 1
    assert m.escalations == [
        ("Backup paged", "Not called back in time", 1),
        ("Second line paged", "Not called back in time", 1),
    ]


def test_the_90th_percentile_is_a_time_some_callback_took():
    assert nearest_rank([5, 10, 20, 40], 0.9) == 40
    assert nearest_rank(list(range(1, 11)), 0.9) == 9
    assert nearest_rank([7], 0.9) == 7


@pytest.mark.django_db
def test_an_empty_period_says_so_rather_than_dividing_by_zero(world):
    m = line_measures(program=world.riverside, starts=date(2026, 1, 1), ends=date(2026, 1, 31))
    assert m.calls == 0 and m.callback_median_minutes is None
    assert m.resolved_without_ed_share is None


@pytest.mark.django_db
def test_the_measures_page_for_the_medical_director_and_coordinator_only(world):
    known_calls(world)
    url = reverse("support:measures") + "?from=2026-11-23&to=2026-11-24"
    with clock.frozen(local("2026-11-30T09:00")):
        for user in (world.director, world.coordinator):
            response = login_client(user).get(url)
            assert response.status_code == 200
            body = response.content.decode()
            assert "15 minutes" in body and "40 minutes" in body
            assert "75% (3 of 4 with a disposition)" in body
            assert 'id="line-measures-data"' in body and "chart.umd.js" in body
        for user in (world.physician, world.oncall, world.privacy):
            assert login_client(user).get(url).status_code == 403
        director = login_client(world.director)
        assert director.get(reverse("support:measures")).status_code == 200  # the last 30 days
        for bad in ("?from=2026-02-30", "?from=2026-11-24&to=2026-11-01", "?to=yesterday"):
            assert director.get(reverse("support:measures") + bad).status_code == 400
    periods = [e.detail["from"] for e in AuditEvent.objects.filter(event="support.measures")]
    assert periods.count("2026-11-23") == 2  # the director's and the coordinator's reads


def login_client(user) -> Client:
    from tests.support.personas import login

    return login(Client(), user)
