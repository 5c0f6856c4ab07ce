"""A page's combined read compiled once and run with each record's ids (core.compiled_reads,
ADR 0013): the same rows as compiling it afresh, one query, and a builder that breaks the
rule is caught rather than read wrongly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock, compiled_reads
from pallio.core.compiled_reads import CompiledReadMismatch, read_compiled
from pallio.core.read_together import Rows, Total, read_together
from pallio.patients.chart_sections import chart_parts
from pallio.patients.models import Coverage, Patient
from pallio.patients.services import coverage_set
from tests.test_query_counts import full_record


@pytest.fixture(autouse=True)
def no_plans():
    compiled_reads.forget_plans()
    yield
    compiled_reads.forget_plans()


def _plan(key: str):
    return next(v for k, v in compiled_reads._plans.items() if k[0] == key)


def _seen(rows: dict) -> dict:
    """Every part as the page would see it: each row's values, or the count."""

    def values(obj):
        return {k: v for k, v in obj.__dict__.items() if not k.startswith("_")}

    return {
        name: value if isinstance(value, int) else [values(o) for o in value]
        for name, value in rows.items()
    }


def _ids(patient) -> dict:
    return {"pk": patient.pk, "program_id": patient.program_id}


@pytest.mark.django_db
def test_the_chart_compiled_once_reads_each_patient_as_compiled_afresh(world):
    big = full_record(world, team=(world.social_worker,))
    small = world.alice
    seen = {}
    for patient in (big, small, big):
        rows = read_compiled("test.chart", chart_parts, **_ids(patient))
        assert _seen(rows) == _seen(read_together(chart_parts(patient)))
        seen[patient.pk] = rows
    plan = _plan("test.chart")
    assert plan is not None
    # The patient's id and the program's are the parameters, wherever the parts use them.
    assert {name for _, name, _ in plan.slots} == {"pk", "program_id"}
    # Each patient gets their own record, not the first one's.
    open_tasks = Task.objects.filter(patient_id=big.pk, status="open").count()
    assert len(seen[big.pk]["tasks"]) == min(open_tasks, 20) > 6
    assert [t.pk for t in seen[small.pk]["tasks"]] == list(
        Task.objects.filter(patient_id=small.pk, status="open").values_list("pk", flat=True)
    )
    assert seen[big.pk]["assessments_open_alert_count"] > 0
    assert seen[small.pk]["assessments_open_alert_count"] == 0
    assert [r.patient_id for r in seen[big.pk]["referrals_enrollment"]] == [big.pk]


@pytest.mark.django_db
def test_the_chart_read_together_holds_what_each_query_alone_returns(world):
    # Every value of every section, read in one statement and turned back from its JSON
    # form (dates and times, UUIDs, decimals, JSON, nulls), equals the value the driver
    # returns for the section's own query.
    big = full_record(world, team=(world.social_worker, world.oncall, world.director))
    parts = chart_parts(big)
    together = _seen(read_together(parts))
    alone = _seen(
        {
            name: part.queryset.count() if isinstance(part, Total) else list(part.queryset)
            for name, part in parts.items()
        }
    )
    assert together == alone
    kinds = {
        type(value).__name__
        for rows in together.values()
        if isinstance(rows, list)
        for row in rows
        for value in row.values()
    }
    assert {"datetime", "date", "UUID", "dict", "bool", "int", "str", "NoneType"} <= kinds


@pytest.mark.django_db
def test_after_the_first_call_a_patient_costs_one_query_of_the_same_sql(world):
    big = full_record(world)
    read_compiled("test.chart", chart_parts, **_ids(big))
    statements = []
    for patient in (world.alice, world.bob):
        with CaptureQueriesContext(connection) as ctx:
            read_compiled("test.chart", chart_parts, **_ids(patient))
        assert len(ctx.captured_queries) == 1
        statements.append(ctx.captured_queries[0]["sql"])
    # The same text every time (PostgreSQL keeps it prepared): only the parameters change.
    assert statements[0].count("SELECT") == statements[1].count("SELECT") > 30


def _tasks_due_by_now(ids):
    return {"due": Total(Task.objects.filter(patient_id=ids.pk, due__lte=clock.now().date()))}


@pytest.mark.django_db
def test_a_builder_that_reads_the_clock_is_caught_when_the_clock_moves(world):
    """Under a frozen clock both made-up compiles agree: the suite's check catches it."""
    start = clock.now()
    task_create(
        actor=None,
        patient=world.alice,
        kind=TaskKind.FOLLOW_UP,
        title="Call the daughter",
        due=(start + timedelta(days=3)).date(),
    )
    with clock.frozen(start):
        assert read_compiled("test.due", _tasks_due_by_now, pk=world.alice.pk)["due"] == 0
    with clock.frozen(start + timedelta(days=5)), pytest.raises(CompiledReadMismatch):
        read_compiled("test.due", _tasks_due_by_now, pk=world.alice.pk)


@pytest.mark.django_db
def test_a_builder_that_reads_the_running_clock_is_compiled_on_every_call(world):
    from django.utils import timezone

    def recent(ids):
        since = timezone.now() - timedelta(days=1)
        return {"tasks": Rows(Task.objects.filter(patient_id=ids.pk, created_at__gte=since))}

    expected = list(Task.objects.filter(patient_id=world.alice.pk))
    assert expected
    assert read_compiled("test.recent", recent, pk=world.alice.pk)["tasks"] == expected
    assert _plan("test.recent") is None
    assert read_compiled("test.recent", recent, pk=world.alice.pk)["tasks"] == expected


@pytest.mark.django_db
def test_a_value_used_other_than_as_a_parameter_is_compiled_on_every_call(world):
    def titled(ids):
        return {"tasks": Rows(Task.objects.filter(title=f"About {ids.pk}"))}

    task_create(
        actor=None,
        patient=world.alice,
        kind=TaskKind.FOLLOW_UP,
        title=f"About {world.alice.pk}",
        due=clock.now().date(),
    )
    for patient, expected in ((world.alice, 1), (world.bob, 0), (world.alice, 1)):
        assert len(read_compiled("test.titled", titled, pk=patient.pk)["tasks"]) == expected
    assert _plan("test.titled") is None


@pytest.mark.django_db
def test_a_builder_that_reads_what_it_was_not_given_fails_on_its_first_call(world):
    def by_name(ids):
        return {"p": Rows(Patient.objects.filter(family_name=ids.family_name))}

    with pytest.raises(AttributeError):
        read_compiled("test.name", by_name, pk=world.alice.pk)


@pytest.mark.django_db
def test_a_part_read_through_a_related_manager_is_compiled_on_every_call(world):
    def coverage(ids):
        return {"coverage": Rows(Patient(pk=ids.pk).coverages.all())}

    coverage_set(actor=world.coordinator, patient=world.bob, payer_type="medicare", member_id="9")
    assert read_compiled("test.cov", coverage, pk=world.alice.pk)["coverage"] == []
    assert _plan("test.cov") is None
    rows = read_compiled("test.cov", coverage, pk=world.bob.pk)["coverage"]
    assert [c.pk for c in rows] == [Coverage.objects.get(patient=world.bob).pk]


@pytest.mark.django_db
def test_a_builder_that_branches_on_a_value_is_caught(world):
    """The made-up values never take the branch: the suite's check sees the call's own SQL."""
    bob = world.bob

    def odd(ids):
        tasks = Task.objects.filter(patient_id=ids.pk)
        if ids.pk == bob.pk:
            tasks = tasks.filter(status="open")
        return {"tasks": Rows(tasks)}

    alices = list(Task.objects.filter(patient_id=world.alice.pk))
    assert read_compiled("test.odd", odd, pk=world.alice.pk)["tasks"] == alices
    with pytest.raises(CompiledReadMismatch):
        read_compiled("test.odd", odd, pk=bob.pk)


@pytest.mark.django_db
def test_a_plan_is_made_for_each_time_zone_a_page_is_shown_in(world):
    """Django writes the active zone into a `__date` lookup's SQL (the ACP page's facts)."""
    from django.utils import timezone

    from pallio.acp.selectors import acp_page_parts

    for zone in ("America/New_York", "Asia/Tokyo", "America/New_York"):
        with timezone.override(zone):
            rows = read_compiled("test.acp", acp_page_parts, pk=world.alice.pk)
            assert _seen(rows) == _seen(read_together(acp_page_parts(world.alice)))
    zones = sorted(k[3] for k, plan in compiled_reads._plans.items() if k[0] == "test.acp")
    assert zones == ["America/New_York", "Asia/Tokyo"]
