"""The trend chart's dates are the report table's dates (the program's time zone), and no
symptom scored severe lately is hidden when the chart opens."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from pallio.assessments.services import ReportInput, report_submit
from pallio.assessments.tests.helpers import esas
from pallio.core import clock

NEW_YORK = ZoneInfo("America/New_York")  # Riverside's zone


def submit(world, at, **values):
    report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput("esas-r", esas(**values), "patient", "call", answered_at=at),
    )


def trends(world, as_user):
    response = as_user(world.navigator).get(
        reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    )
    assert response.status_code == 200
    return response


def test_a_late_evening_report_is_dated_the_same_day_on_the_chart_and_in_the_table(world, as_user):
    late = datetime(2026, 12, 2, 23, 30, tzinfo=NEW_YORK)  # 04:30 on 3 December in UTC
    assert late.astimezone(ZoneInfo("UTC")).day == 3
    with clock.frozen(late + timedelta(minutes=10)):
        submit(world, late, pain=4)
        report_submit(
            actor=world.navigator,
            patient=world.alice,
            data=ReportInput("pps", {"pps": "50"}, "clinician", "visit", answered_at=late),
        )
        response = trends(world, as_user)
    chart = response.context["chart_data"]
    assert chart["esas"]["dates"] == ["2 Dec 2026"]
    assert chart["esas"]["labels"] == ["2026-12-02T23:30:00-05:00"]
    assert chart["function"]["dates"] == ["2 Dec 2026"]
    assert chart["function"]["series"][0]["points"][0]["x"] == "2026-12-02T23:30:00-05:00"
    body = response.content.decode()
    assert "2 Dec 2026 23:30" in body  # the table's row
    assert "3 Dec 2026" not in body


def test_a_symptom_severe_in_a_recent_report_is_drawn_whatever_its_place(world, as_user):
    now = clock.now()
    # Anxiety was severe long ago, then mild; depression is severe in the last report but one.
    submit(world, now - timedelta(weeks=6), anxiety=9)
    for weeks, depression in ((5, 2), (4, 2), (3, 2), (2, 8), (1, 3)):
        submit(world, now - timedelta(weeks=weeks), anxiety=2, depression=depression)
    response = trends(world, as_user)
    series = {s["key"]: s for s in response.context["chart_data"]["esas"]["series"]}
    assert [k for k, s in series.items() if s["shown"]] == [
        "pain",
        "tiredness",
        "drowsiness",
        "depression",
    ]
    assert series["depression"]["severe"] and not series["anxiety"]["severe"]
    assert "always drawn: Depression" in response.content.decode()


def test_without_a_severe_symptom_the_chart_opens_on_its_first_three(world, as_user):
    submit(world, clock.now() - timedelta(days=1), pain=6, nausea=6)
    response = trends(world, as_user)
    shown = [s["key"] for s in response.context["chart_data"]["esas"]["series"] if s["shown"]]
    assert shown == ["pain", "tiredness", "drowsiness"]
    assert 'data-testid="severe-series"' not in response.content.decode()


def test_the_trends_page_costs_the_same_queries_for_one_report_or_many(world, as_user):
    # The report table reads its rows without what it does not show; a field it shows and
    # the query left out would cost one more query a row.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = clock.now()
    submit(world, now - timedelta(days=30), pain=3)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = trends(world, as_user)
        return len(captured), response

    one, _ = queries()
    for day in range(1, 8):
        submit(world, now - timedelta(days=day), pain=day, nausea=8)
        report_submit(
            actor=world.navigator,
            patient=world.alice,
            data=ReportInput("pps", {"pps": "60"}, "clinician", "visit", answered_at=now),
        )
    many, response = queries()
    assert many == one
    body = response.content.decode()
    assert body.count('data-testid="report-row"') == 15
    assert "Palliative Performance Scale" in body
