"""List pages cost a fixed number of queries whatever their length (DESIGN rule 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.acp.services import code_status_change
from pallio.assessments.services import ReportInput, phase_record, report_evaluate, report_submit
from pallio.assessments.tests.helpers import esas
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.episodes.services import care_team_add
from pallio.referrals import services
from pallio.referrals.models import Referral
from pallio.visits.models import Visit
from tests.support.personas import make_patient
from tests.support.queries import prepared_statements


def add_referrals(program, count: int, offset: int = 0) -> None:
    for n in range(count):
        services.referral_create(
            actor=None,
            program=program,
            source="provider",
            data=services.ReferralInput(
                given_name=f"Given{n + offset}",
                family_name=f"Family{n + offset}",
                birth_date=date(1940, 1, 1) + timedelta(days=n + offset),
                diagnosis_system=ICD10CM,
                diagnosis_code="I50.9",
                urgency=["urgent", "soon", "routine"][n % 3],
                referrer_name="Dr. Who",
                referrer_email="who@example.org",
                consent_to_contact=True,
            ),
        )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_referral_queue_query_count_does_not_grow(world, as_user):
    client = as_user(world.coordinator)
    url = reverse("referrals:queue")
    add_referrals(world.riverside, 3)
    few = queries_for(client, url)
    add_referrals(world.riverside, 22, offset=100)
    many = queries_for(client, url)
    assert few == many, f"{few} queries for 3 referrals, {many} for 25"


@pytest.mark.django_db
def test_the_referral_queue_counts_its_open_list_once_and_a_filtered_list_apart(world, as_user):
    # The header's "N open" is the default list's own count: the page does not count the
    # same referrals twice. A filtered list is counted for itself.
    client = as_user(world.coordinator)
    url = reverse("referrals:queue")
    add_referrals(world.riverside, 27)  # one page of 25, and a second
    open_total = Referral.objects.filter(
        program=world.riverside, status__in=["new", "in_review", "on_hold"]
    ).count()
    assert open_total > 25

    def shown(query: str) -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url + query)
        assert response.status_code == 200
        counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
        return response.content.decode(), counts

    html, counts = shown("")
    assert f"<strong>{open_total}</strong> open" in html
    assert f"Page 1 of {-(-open_total // 25)}" in html
    assert len(counts) == 2  # open, and past their first-contact date
    html, counts = shown("?source=self")  # none of them came from the patient
    assert f"<strong>{open_total}</strong> open" in html
    assert "Page 1 of" not in html and 'data-testid="queue-row"' not in html
    assert len(counts) == 3


@pytest.mark.django_db
def test_caseload_query_count_does_not_grow(world, as_user):
    client = as_user(world.navigator)
    url = reverse("episodes:caseload")
    few = queries_for(client, url)
    for n in range(15):
        patient = make_patient(
            world.riverside, f"Pat{n}", f"Case{n}", date(1950, 1, 1 + n), team=(world.navigator,)
        )
        task_create(
            actor=None,
            patient=patient,
            kind=TaskKind.FOLLOW_UP,
            title="Call",
            due=clock.today_in(world.riverside.timezone),
        )
        # What each row shows beside the patient: code status, phase, alerts, last visit.
        code_status_change(
            actor=world.physician,
            patient=patient,
            status=["full_code", "dnr", "dnr_dni"][n % 3],
            effective_date=clock.today_in(world.riverside.timezone),
            expected_current_id=None,
        )
        phase_record(actor=world.navigator, patient=patient, phase="stable", contact="visit")
        Visit.objects.create(
            program=world.riverside,
            patient=patient,
            clinician=world.navigator,
            discipline="nurse_navigator",
            setting="home",
            mode="in_person",
            started_at=clock.now() - timedelta(days=n),
            reason="Review",
        )
        if n % 4 == 0:
            report, _ = report_submit(
                actor=world.navigator,
                patient=patient,
                data=ReportInput("esas-r", esas(pain=9), "patient", "call"),
            )
            report_evaluate(report_id=report.pk)
    many = queries_for(client, url)
    assert few == many, f"{few} queries for 1 patient, {many} for 16"
    assert b"open alert" in client.get(url).content


# The chart's queries for a signed-in clinician, whatever the size of the record:
CHART_QUERIES = [
    "the session",
    "the user",
    "the user's program (the time zone of the request)",
    "the patient, access-checked, with whether the user is on the care team",
    "every section of the chart at once (core.read_together)",
    "the one audit event, patient.chart, naming the referrals shown (one INSERT)",
    "who is on call now (the 24/7 line's card)",
]


def page_queries(client, url: str) -> list[str]:
    """A patient page's statements, answered 200, with its one audit row."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum(s.startswith('INSERT INTO "audit_auditevent"') for s in sql) == 1, sql
    return sql


@pytest.mark.django_db
def test_chart_query_count_does_not_grow_with_team_and_tasks(world, as_user):
    client = as_user(world.navigator)
    small = world.alice  # a team of two and nothing else yet
    big = full_record(world, team=(world.social_worker, world.oncall, world.director))
    for n in range(8):
        task_create(
            actor=None,
            patient=big,
            kind=TaskKind.FOLLOW_UP,
            title=f"Task {n}",
            due=clock.today_in(world.riverside.timezone),
            assigned_to=world.physician,
        )
    for patient in (small, big):
        url = reverse("patients:chart", kwargs={"patient_id": patient.pk})
        queries = page_queries(client, url)
        assert len(queries) == len(CHART_QUERIES), "\n".join(queries)


# The goals-of-care page's queries for a clinician on the team, whatever the size of the record:
ACP_PAGE_QUERIES = [
    "the session",
    "the user",
    "the user's program (the time zone of the request)",
    "the patient, access-checked",
    "the one audit event, acp.read (one INSERT)",
    "the header and every record of the page at once (core.compiled_reads)",
    "whether the user is on the care team (who may change the code status)",
    "who is on call now (the 24/7 line's card)",
]


@pytest.mark.django_db
def test_goals_of_care_page_reads_its_records_in_one_query(world, as_user):
    client = as_user(world.navigator)
    big = full_record(world, team=(world.social_worker,))
    for patient in (world.alice, big):
        url = reverse("acp:patient", kwargs={"patient_id": patient.pk})
        sql = page_queries(client, url)
        assert len(sql) == len(ACP_PAGE_QUERIES), "\n".join(sql)
    response = client.get(url)
    # The header's badges come from that read, as the chart shows them.
    from pallio.assessments.models import Alert

    open_alerts = Alert.objects.filter(patient=big).exclude(status="resolved").count()
    assert open_alerts
    assert f'data-testid="alerts">{open_alerts} open</dd>' in response.content.decode()
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": big.pk})).content.decode()
    for badge in ("code-status", "allergies"):
        assert _badge(response.content.decode(), badge) == _badge(chart, badge)
    assert "Penicillin" in _badge(chart, "allergies")


# The symptom trends page's queries for a clinician on the team, whatever the size of the record:
TRENDS_PAGE_QUERIES = [
    "the session",
    "the user",
    "the user's program (the time zone of the request)",
    "the patient, access-checked",
    "the one audit event, assessments.trends (one INSERT)",
    "the ESAS-r series (plain values, up to 500 reports)",
    "the PPS series",
    "the AKPS series",
    "the report table, open alerts, phases, enrollment and instruments at once (compiled)",
    "who is on call now (the 24/7 line's card)",
]


@pytest.mark.django_db
def test_symptom_trends_page_reads_its_records_in_a_fixed_number_of_queries(world, as_user):
    client = as_user(world.navigator)
    big = full_record(world, team=(world.social_worker,))
    for patient in (world.alice, big):
        url = reverse("assessments:trends", kwargs={"patient_id": patient.pk})
        sql = page_queries(client, url)
        assert len(sql) == len(TRENDS_PAGE_QUERIES), "\n".join(sql)
    response = client.get(url)
    # What the one read brought is on the page: the big record's reports, alerts and phase.
    body = response.content.decode()
    assert body.count('data-testid="report-row"') == min(
        20, big.symptom_reports.filter(entered_in_error=False).count()
    )
    assert body.count('data-testid="patient-alert"') == min(
        20, big.alerts.exclude(status="resolved").count()
    )
    assert body.count('data-testid="report-row"') and body.count('data-testid="patient-alert"')


def _badge(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return html[start : html.index("</dd>", start)]


def full_record(world, team: tuple = ()):
    """A patient with a full chart: a referral (letter, medications listed) that enrolled them
    with a team of several, a care plan, tasks, symptom reports and open alerts,
    medications and allergies, goals of care with an agent, documents and a code status,
    coverage, a hospital stay, a hospice referral, equipment orders, and signed visit notes
    with their summaries."""
    from pallio.acp.tests.factories import full_plan
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped
    from pallio.careplans.tests.factories import plan_of
    from pallio.coordination import services as coordination
    from pallio.coordination.services import AgencyInput
    from pallio.episodes import hospice
    from pallio.episodes.tests.stay_helpers import a_stay
    from pallio.medications.allergies import allergy_record
    from pallio.medications.services import MedicationInput, medication_add
    from pallio.patients.services import coverage_set
    from pallio.referrals.tests.factories import enrolled_referral
    from pallio.visits.services import note_templates_sync_shipped
    from pallio.visits.tests.factories import signed

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    note_templates_sync_shipped()
    referral = enrolled_referral(world)
    patient = referral.patient
    episode = patient.episodes.get(status="active")
    today = clock.today_in(world.riverside.timezone)
    for member in team:
        care_team_add(actor=None, episode=episode, user=member)
    plan_of(world, patient=patient)
    full_plan(world, patient=patient)
    coverage_set(actor=world.coordinator, patient=patient, payer_type="medicare", member_id="1EG4")
    for n in range(6):
        task_create(
            actor=None,
            patient=patient,
            kind=TaskKind.FOLLOW_UP,
            title=f"Task {n}",
            due=today + timedelta(days=n - 2),
            assigned_to=[world.physician, world.navigator, None][n % 3],
        )
    for pain in (9, 8, 7):
        report, _ = report_submit(
            actor=world.navigator,
            patient=patient,
            data=ReportInput("esas-r", esas(pain=pain, dyspnea=8), "patient", "call"),
        )
        report_evaluate(report_id=report.pk)
    phase_record(actor=world.navigator, patient=patient, phase="unstable", contact="visit")
    for key, dose in (("oxycodone", "10"), ("morphine", "15")):
        medication_add(
            actor=world.physician,
            patient=patient,
            data=MedicationInput(
                catalog_key=key, dose_amount=dose, doses_per_day="4", route="oral"
            ),
        )
    medication_add(actor=world.physician, patient=patient, data=MedicationInput(free_text="Zzyx"))
    allergy_record(
        actor=world.physician, patient=patient, substance="Penicillin", criticality="high"
    )
    allergy_record(actor=world.physician, patient=patient, substance="Codeine")
    a_stay(
        actor=world.navigator,
        patient=patient,
        admitted_on=today - timedelta(days=20),
        discharged_on=today - timedelta(days=15),
    )
    a_stay(actor=world.navigator, patient=patient, admitted_on=today - timedelta(days=2))
    hospice.hospice_referral_send(
        actor=world.navigator,
        patient=patient,
        agency_name="Bayside Hospice",
        agency_phone="617-555-0190",
        referred_on=today,
        note="Family would like a visit this week.",
    )
    agency = coordination.agency_create(
        actor=world.coordinator,
        data=AgencyInput(kind="oxygen_supplier", name="Bay Oxygen", areas="Cambridge"),
    )
    for _ in range(2):
        coordination.order_create(
            actor=world.coordinator,
            patient=patient,
            kind="equipment",
            item="oxygen_concentrator",
            agency=agency,
            requested_on=today,
        )
    for _ in range(3):
        signed(world.navigator, patient)
    return patient


@pytest.mark.django_db
def test_postgresql_connections_compile_no_query_to_machine_code():
    """PostgreSQL's JIT spent 40-50 ms compiling the alert worklist's and the chart's
    queries, which run in 15 ms (docs/performance.md): the connection turns it off."""
    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db
def test_postgresql_plans_the_charts_one_query_once_and_nothing_else(world, as_user):
    """Planning took most of the chart's one query (6-9 ms planned, 2 ms run): the
    connection keeps that combined read prepared, so a second chart reuses the first one's
    plan. Other statements are planned each time: a generic plan cannot use a partial index
    whose condition is a parameter (the referral queue's counts went from 3 to 19 ms)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's here")

    client = as_user(world.navigator)
    # What an earlier test of this connection left prepared stays: only the chart's count.
    before = prepared_statements()
    for _ in range(3):
        assert client.get(reverse("patients:chart", args=[world.alice.pk])).status_code == 200
    prepared = prepared_statements() - before
    assert any("json_agg" in statement for statement in prepared), prepared
    assert not [s for s in prepared if "json_agg" not in s], prepared
