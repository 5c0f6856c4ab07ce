"""The move of the old hospitalizations (acp) to hospital stays (episodes), run for real.

A database of its own (a file in the test's directory on SQLite, a database created for the
test and dropped after it on PostgreSQL) is migrated only as far as just before the move;
old rows are written with the models of that time, the move runs forward, then back.

The shared test database is left alone: rolling it back and forth re-rendered every app's
models dozens of times and took minutes; the move itself touches only these few tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("acp", "0001_initial"), ("episodes", "0004_hospital_stays")]
MOVE = ("acp", "0002_move_hospitalizations_to_episodes")


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = _executor()
    executor.migrate(targets)
    return _executor()


def _models_now(executor: MigrationExecutor):
    """The models as the database has them now: every app at its latest applied migration."""
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


@contextmanager
def _throwaway_database(shared: BaseDatabaseWrapper, tmp_path) -> Iterator[BaseDatabaseWrapper]:
    """A connection to a new, empty database of the same kind as the shared one."""
    if shared.vendor == "sqlite":
        throwaway = type(shared)(
            {**shared.settings_dict, "NAME": str(tmp_path / "move.sqlite3")}, alias=shared.alias
        )
        try:
            yield throwaway
        finally:
            throwaway.close()
        return
    name = f"test_pallio_move_{uuid.uuid4().hex[:12]}"
    with shared._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {shared.ops.quote_name(name)}")
    throwaway = type(shared)({**shared.settings_dict, "NAME": name}, alias=shared.alias)
    try:
        yield throwaway
    finally:
        throwaway.close()
        with shared._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {shared.ops.quote_name(name)}")


@pytest.fixture
def before_the_move(django_db_blocker, tmp_path):
    """A database of its own, migrated just to before the move, standing in as the default
    database for the test: the move reads and writes through the models' default managers,
    which go to the default database."""
    shared = connections["default"]
    with django_db_blocker.unblock(), _throwaway_database(shared, tmp_path) as throwaway:
        connections["default"] = throwaway
        try:
            yield _models_now(_migrate(BEFORE))
        finally:
            connections["default"] = shared


def _old_world(apps):
    program_model = apps.get_model("programs", "Program")
    patient_model = apps.get_model("patients", "Patient")
    user_model = apps.get_model("accounts", "User")
    episode_model = apps.get_model("episodes", "EpisodeOfCare")
    program = program_model.objects.create(
        name="Riverside Palliative Care", slug="riverside-old", timezone="America/New_York"
    )
    patient = patient_model.objects.create(
        program=program,
        mrn="R-1",
        given_name="Alice",
        family_name="Anders",
        birth_date=date(1950, 4, 12),
    )
    nurse = user_model.objects.create(
        username="nina-old", program=program, first_name="Nina", last_name="Navigator"
    )
    episode = episode_model.objects.create(
        program=program,
        patient=patient,
        start=datetime(2026, 1, 5, 14, 0, tzinfo=UTC),
        first_visit_due=date(2026, 1, 8),
    )
    return program, patient, nurse, episode


def _hospitalization(apps, **fields):
    old = apps.get_model("acp", "Hospitalization")
    return old.objects.create(id=uuid.uuid4(), **fields)


def test_old_hospitalizations_become_hospital_stays_with_one_movement(before_the_move):
    apps = before_the_move
    program, patient, nurse, episode = _old_world(apps)
    created = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)
    discharged = _hospitalization(
        apps,
        program=program,
        patient=patient,
        admitted_on=date(2026, 3, 2),
        discharged_on=date(2026, 3, 9),
        facility="Mercy General",
        reason="Pneumonia",
        source="Daughter, by phone",
        recorded_by=nurse,
        created_at=created,
        updated_at=created,
    )
    still_there = _hospitalization(
        apps,
        program=program,
        patient=patient,
        admitted_on=date(2026, 4, 20),
        facility="St. Luke's",
        recorded_by=nurse,
    )
    in_error = _hospitalization(
        apps,
        program=program,
        patient=patient,
        admitted_on=date(2025, 12, 1),
        discharged_on=date(2025, 12, 3),
        facility="Wrong patient's hospital",
        recorded_by=nurse,
        entered_in_error=True,
        entered_in_error_at=datetime(2025, 12, 4, 9, 0, tzinfo=UTC),
        entered_in_error_by=nurse,
        entered_in_error_reason="Another patient's stay",
    )

    executor = _migrate([MOVE])
    apps = _models_now(executor)
    stay_model = apps.get_model("episodes", "HospitalStay")
    movement_model = apps.get_model("episodes", "StayMovement")
    assert stay_model.objects.count() == 3

    # Noon in New York on the day: 17:00 UTC in winter time, 16:00 UTC in summer time.
    stay = stay_model.objects.get(pk=discharged.pk)
    assert stay.facility == "Mercy General"
    assert stay.kind == "inpatient"
    assert stay.admitted_at == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    assert stay.discharged_at == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert stay.reason == "Pneumonia"
    assert stay.source == "staff"
    assert stay.informant == "Daughter, by phone"
    assert stay.recorded_by_id == nurse.pk
    assert stay.program_id == program.pk and stay.patient_id == patient.pk
    assert stay.episode_id == episode.pk
    assert stay.created_at == created
    assert stay.entered_in_error is False
    movements = list(movement_model.objects.filter(stay_id=stay.pk))
    assert [(m.started_at, m.ended_at, m.unit) for m in movements] == [
        (stay.admitted_at, stay.discharged_at, "")
    ]

    stay = stay_model.objects.get(pk=still_there.pk)
    assert stay.facility == "St. Luke's"
    assert stay.admitted_at == datetime(2026, 4, 20, 16, 0, tzinfo=UTC)
    assert stay.discharged_at is None
    assert stay.episode_id == episode.pk
    movements = list(movement_model.objects.filter(stay_id=stay.pk))
    assert [(m.started_at, m.ended_at) for m in movements] == [(stay.admitted_at, None)]

    stay = stay_model.objects.get(pk=in_error.pk)
    assert stay.entered_in_error is True
    assert stay.entered_in_error_by_id == nurse.pk
    assert stay.entered_in_error_at == datetime(2025, 12, 4, 9, 0, tzinfo=UTC)
    assert stay.entered_in_error_reason == "Another patient's stay"
    # Admitted before the episode began: no episode.
    assert stay.episode_id is None
    assert movement_model.objects.filter(stay_id=stay.pk).count() == 1

    assert "acp_hospitalization" not in connection.introspection.table_names()

    # Back to just before the move: the old table holds the same rows, by day, and the
    # stays are gone so that moving forward again copies them once.
    executor = _migrate(BEFORE)
    apps = _models_now(executor)
    old = apps.get_model("acp", "Hospitalization")
    back = old.objects.get(pk=discharged.pk)
    assert (back.admitted_on, back.discharged_on) == (date(2026, 3, 2), date(2026, 3, 9))
    assert (back.facility, back.source, back.recorded_by_id) == (
        "Mercy General",
        "Daughter, by phone",
        nurse.pk,
    )
    assert old.objects.get(pk=still_there.pk).discharged_on is None
    assert old.objects.get(pk=in_error.pk).entered_in_error is True
    assert apps.get_model("episodes", "HospitalStay").objects.count() == 0
