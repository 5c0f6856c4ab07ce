"""The patient's timeline: every kind of event in plain words, newest first, filtered by kind
and dates, for the patient's team only, audited, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.patients.chart_sections import chart_notes_of, chart_plan_of, chart_summaries_of
from pallio.patients.tests.timeline_records import one_of_each, summary_for, visit_with_note
from pallio.patients.timeline import SOURCES, TimelineKind, timeline_events

pytestmark = pytest.mark.django_db


def timeline_url(patient, query: str = "") -> str:
    url = reverse("patients:timeline", kwargs={"patient_id": patient.pk})
    return f"{url}?{query}" if query else url


def kinds_shown(body: str) -> set[str]:
    return set(re.findall(r'data-testid="timeline-event" data-kind="([a-z_]+)"', body))


PLAIN_WORDS = [
    "Referral received (provider)",
    "Referral decided: accepted",
    "Enrolled in the program",
    "Enrollment ended",
    "recorded",
    "Main score",
    "Comprehensive assessment signed",
    "Phase of care: unstable",
    "Goals-of-care conversation signed",
    "overall focus: Comfort-focused",
    "Code status changed to DNR (do not resuscitate) (was Full code)",
    "Code status Full code marked entered in error",
    "Visit: Nurse navigator, home, in person",
    "Visit note signed: Nurse visit note",
    "Addendum to a visit note: Nurse visit note",
    "Visit note co-signed: Nurse visit note",
    "Visit note signed: Nurse visit note (awaiting co-signature)",
    "Visit marked entered in error",
    "Visit summary sent to Referring clinician (Dr Rita Referrer)",
    "Visit summary to Referring clinician (Dr Rita Referrer) could not be sent",
    "Mailbox unavailable",
    "Alert raised:",
    "Alert resolved:",
    "Problem added: Cancer pain",
    "Goal added: Pain under 4 most days",
    "Goal changed: Pain under 3 most days",
    "Intervention added: Titrate long-acting morphine",
    "Goal reviewed: partly met",
    "Admitted to hospital: Mercy General",
    "Left hospital: Mercy General",
    "Discussed at the team meeting: North team",
]


def test_every_kind_appears_in_plain_words(world, as_user):
    one_of_each(world)
    response = as_user(world.navigator).get(timeline_url(world.alice))
    assert response.status_code == 200
    body = response.content.decode()
    missing = [words for words in PLAIN_WORDS if words not in body]
    assert not missing, missing
    assert kinds_shown(body) == set(TimelineKind.values)
    for label in TimelineKind.labels:
        assert str(label) in body
    # Never an internal key on the page.
    for key in ("nurse_navigator", "in_person", "partly_met", "full_code", "awaiting_cosign"):
        assert key not in body, key
    # Who did it, in words.
    assert "Nina Navigator" in body and "Dana Director" in body


def test_events_are_newest_first(world):
    one_of_each(world)
    events = timeline_events(world.navigator, world.alice).events
    times = [e.at for e in events]
    assert times == sorted(times, reverse=True)


def test_entered_in_error_records_are_struck_through_and_labelled(world, as_user):
    records = one_of_each(world)
    events = timeline_events(world.navigator, world.alice).events
    wrong_note_signed = [
        e for e in events if e.title.startswith("Visit note signed") and e.entered_in_error
    ]
    assert len(wrong_note_signed) == 1
    assert wrong_note_signed[0].error_note == (
        "Entered in error by Nina Navigator: Documented on the wrong patient"
    )
    struck_code = [e for e in events if e.title == "Code status recorded: Full code"]
    assert struck_code and struck_code[0].entered_in_error
    assert "Recorded on the wrong patient" in struck_code[0].error_note
    body = as_user(world.navigator).get(timeline_url(world.alice)).content.decode()
    assert body.count("text-decoration-line-through") >= 3
    assert "entered in error</span>" in body
    assert records["wrong_note"].entered_in_error_reason in body


def test_filter_by_kind(world, as_user):
    one_of_each(world)
    client = as_user(world.navigator)
    body = client.get(timeline_url(world.alice, "kind=visit&kind=plan")).content.decode()
    assert kinds_shown(body) == {"visit", "plan"}
    assert 'value="visit" id="kind-visit" checked' in body
    assert "Showing visits and notes, care plan changes." in body
    body = client.get(timeline_url(world.alice, "kind=summary")).content.decode()
    assert kinds_shown(body) == {"summary"}


def test_reading_one_kind_reads_only_its_tables(world):
    page = timeline_events(world.navigator, world.alice, kinds=["plan"])
    assert page.tables_read == [
        "careplans.HistoricalProblem",
        "careplans.HistoricalGoal",
        "careplans.HistoricalIntervention",
        "careplans.GoalReview",
    ]


def test_date_range(world, as_user):
    one_of_each(world)
    today = clock.today_in(world.riverside.timezone)
    since = today - timedelta(days=31)
    until = today - timedelta(days=25)
    body = (
        as_user(world.navigator)
        .get(timeline_url(world.alice, f"since={since}&until={until}"))
        .content.decode()
    )
    # The hospital stay (30 to 26 days ago) only; the referral came 40 days ago.
    assert "Admitted to hospital: Mercy General" in body
    assert "Left hospital: Mercy General" in body
    assert "Referral received" not in body
    assert "Visit note signed" not in body
    assert kinds_shown(body) == {"hospital"}


@pytest.mark.parametrize(
    "query, message",
    [
        ("kind=visits", "Choose among"),
        ("kind=visit&kind=x'--", "Choose among"),
        ("since=2026-02-30", "Enter a real date"),
        ("until=yesterday", "Enter a real date"),
        ("since=2026-03-10&until=2026-03-01", "The end of the period comes before its start."),
        ("page=0", "Page numbers are whole numbers"),
        ("page=abc", "Page numbers are whole numbers"),
    ],
)
def test_bad_filters_answer_400_in_plain_words(world, as_user, query, message):
    response = as_user(world.navigator).get(timeline_url(world.alice, query))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_pages_cut_the_same_list(world):
    """A page of N is cut from at most page * N + 1 rows of each table: the pages joined end
    to end are the whole timeline, in order, with none lost or repeated."""
    one_of_each(world)
    whole = timeline_events(world.navigator, world.alice, page_size=1000).events
    joined = []
    number = 1
    while True:
        page = timeline_events(world.navigator, world.alice, page=number, page_size=4)
        joined.extend(page.events)
        if not page.has_next:
            break
        number += 1
    assert [(e.at, e.title) for e in joined] == [(e.at, e.title) for e in whole]
    assert number == -(-len(whole) // 4)


def test_pagination_links_keep_the_filters(world, as_user, monkeypatch):
    one_of_each(world)
    monkeypatch.setattr("pallio.patients.timeline.PAGE_SIZE", 3)
    client = as_user(world.navigator)
    body = client.get(timeline_url(world.alice, "kind=visit")).content.decode()
    assert "?kind=visit&amp;page=2" in body and "Older events" in body
    body = client.get(timeline_url(world.alice, "kind=visit&page=2")).content.decode()
    assert "Newer events" in body and kinds_shown(body) == {"visit"}


def test_other_program_and_not_on_team_get_404(world, as_user, client):
    one_of_each(world)
    assert as_user(world.hillside_nurse).get(timeline_url(world.alice)).status_code == 404
    assert as_user(world.social_worker).get(timeline_url(world.alice)).status_code == 404
    assert as_user(world.navigator).get(timeline_url(world.hana)).status_code == 404


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(timeline_url(world.alice))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_reading_the_timeline_is_audited(world, as_user):
    as_user(world.physician).get(timeline_url(world.alice, "kind=visit"))
    event = AuditEvent.objects.filter(event="patient.timeline").get()
    assert event.patient_id == world.alice.pk
    assert event.user_id == world.physician.pk
    assert event.action == "read"


def test_refused_read_is_not_audited_as_a_read(world, as_user):
    as_user(world.hillside_nurse).get(timeline_url(world.alice))
    assert not AuditEvent.objects.filter(event="patient.timeline").exists()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def add_many(world, n: int) -> None:
    for day in range(n):
        visit, note = visit_with_note(world, world.alice, days_ago=day + 5)
        summary_for(visit, note, sent=bool(day % 2))


def test_timeline_query_count_does_not_grow_with_the_record(world, as_user):
    client = as_user(world.navigator)
    url = timeline_url(world.alice)
    one_of_each(world)
    few = queries_for(client, url)
    add_many(world, 30)
    many = queries_for(client, url)
    assert few == many, f"{few} queries before, {many} after adding 30 visits, notes, summaries"
    assert len(timeline_events(world.navigator, world.alice).tables_read) == len(SOURCES)


def test_the_timeline_reads_each_table_once_whatever_the_number_of_events(world):
    one_of_each(world)
    assert world.alice.program.timezone  # read with the patient, before the timeline

    def reads() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = timeline_events(world.navigator, world.alice)
        assert page.events
        return len(ctx.captured_queries)

    assert reads() == len(SOURCES)
    add_many(world, 60)
    assert reads() == len(SOURCES)
    with CaptureQueriesContext(connection) as ctx:
        timeline_events(world.navigator, world.alice, kinds=["visit", "summary"], page=3)
    assert len(ctx.captured_queries) == 4  # visits, notes, addenda, summaries sent


def test_chart_shows_the_plan_notes_and_summaries(world, as_user):
    one_of_each(world)
    body = as_user(world.navigator).get(reverse("patients:chart", args=[world.alice.pk]))
    text = body.content.decode()
    assert "Care plan" in text and "Active problems: <strong>1</strong>" in text
    assert "Active goals: <strong>1</strong>" in text
    assert "Next review:" in text and "Open the care plan" in text
    assert "Latest visit notes" in text and "Nurse visit note" in text
    assert "By Nina Navigator" in text and ">Signed<" in text
    assert "Summaries sent" in text and ">Sent<" in text and ">Failed<" in text
    assert "Mailbox unavailable" in text
    assert "Entered in error by Nina Navigator: Documented on the wrong patient" in text
    assert "Open the timeline" in text
    # The plan page is mounted: the chart links to it.
    assert f"/plans/{world.alice.pk}/" in text


def test_chart_lists_the_latest_five_notes_only(world, as_user):
    for day in range(7):
        visit_with_note(world, world.alice, days_ago=day + 1, signed=day % 2 == 0)
    text = as_user(world.navigator).get(reverse("patients:chart", args=[world.alice.pk]))
    assert text.content.decode().count("Nurse visit note · visit of") == 5


def test_chart_query_count_does_not_grow_with_notes_plans_and_summaries(world, as_user):
    client = as_user(world.navigator)
    url = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    one_of_each(world)
    few = queries_for(client, url)
    add_many(world, 12)
    many = queries_for(client, url)
    assert few == many, f"{few} queries before, {many} after adding notes and summaries"


def test_links_fall_back_to_the_timeline_while_the_pages_are_missing(world):
    records = one_of_each(world)
    events = timeline_events(world.navigator, world.alice).events
    base = f"/patients/{world.alice.pk}/timeline/"
    links = {e.title: e.link for e in events}
    assert links["Problem added: Cancer pain"] in (
        f"{base}?kind=plan",
        f"/plans/{world.alice.pk}/history/",
    )
    conversation = records["conversation"]
    assert links["Goals-of-care conversation signed"] == (
        f"/acp/{world.alice.pk}/conversations/{conversation.pk}/"
    )


@pytest.mark.urls("pallio.patients.tests.merged_urls")
def test_links_go_to_the_care_plan_note_summary_and_meeting_pages_once_mounted(world):
    records = one_of_each(world)
    alice = world.alice.pk
    events = timeline_events(world.navigator, world.alice).events
    links = {e.title: e.link for e in events}
    note = records["note"]
    assert links["Problem added: Cancer pain"] == f"/plans/{alice}/history/"
    assert links["Goal reviewed: partly met"] == f"/plans/{alice}/history/"
    assert links["Visit: Nurse navigator, home, in person"] == f"/visits/patients/{alice}/"
    assert links["Addendum to a visit note: Nurse visit note"] == f"/visits/notes/{note.pk}/"
    sent = next(e for e in events if e.title.startswith("Visit summary sent"))
    assert sent.link == f"/summaries/{alice}/visits/{records['visit'].pk}/"
    meeting = records["idt_item"].meeting
    assert links["Discussed at the team meeting: North team"] == f"/team-meetings/{meeting.pk}/"
    glance = chart_plan_of(world.alice)
    assert glance is not None and glance.url == f"/plans/{alice}/"
    assert chart_notes_of(world.alice)[0].chart_link.startswith("/visits/notes/")
    assert chart_summaries_of(world.alice)[0].chart_link.startswith(f"/summaries/{alice}/visits/")


def test_a_page_past_the_end_says_there_is_nothing_older(world, as_user):
    body = as_user(world.navigator).get(timeline_url(world.alice, "page=99999")).content.decode()
    assert "No older events." in body and "Newer events" in body
