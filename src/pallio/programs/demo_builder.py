"""What every part of the demo program's builder shares: the program and staff specs, the
seeded random streams, ids and moments, and the batch of rows waiting to be written. Each
domain builds its own rows in its own app (accounts, patients, referrals, careplans,
episodes demo modules) on top of this; programs/demo.py puts them together."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from faker import Faker
from simple_history.utils import bulk_create_with_history

from pallio.accounts.models import User
from pallio.careplans.models import Task
from pallio.careplans.services import tasks_bulk_load
from pallio.core import clock
from pallio.core.codes import diagnosis_catalog
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Condition, Coverage, Patient
from pallio.programs.models import Program
from pallio.referrals.models import Referral

BATCH = 1000


# --- what the programs look like ----------------------------------------------------------


@dataclass(frozen=True)
class _StaffSpec:
    username: str
    role: str
    discipline: str
    # A trainee (TrainingLevel value) and the username of the supervisor who co-signs.
    training_level: str = ""
    supervisor: str = ""


@dataclass(frozen=True)
class _ProgramSpec:
    slug: str
    name: str
    timezone: str
    state: str
    phone: str
    area_code: str
    named_staff: tuple[_StaffSpec, ...]
    # Extra clinicians per discipline scale with the program's size when True.
    scale_staff: bool
    seed_salt: str = ""
    min_per_discipline: int = 2


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=1)[0]


@dataclass
class _Batch:
    """Rows waiting to be written, in foreign-key order."""

    patients: list[Patient] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    coverages: list[Coverage] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    episodes: list[EpisodeOfCare] = field(default_factory=list)
    members: list[CareTeamMember] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.patients) + len(self.referrals)

    def flush(self) -> None:
        for rows, model in (
            (self.patients, Patient),
            (self.conditions, Condition),
            (self.coverages, Coverage),
            (self.referrals, Referral),
            (self.episodes, EpisodeOfCare),
            (self.members, CareTeamMember),
        ):
            if rows:
                _bulk(model, rows)
                rows.clear()
        if self.tasks:
            for task in self.tasks:
                task._history_date = task.created_at  # type: ignore[attr-defined]
            tasks_bulk_load(self.tasks, batch_size=BATCH)
            self.tasks.clear()


def _bulk(model: type[models.Model], rows: list[Any]) -> None:
    for row in rows:
        # The first history version is dated when the row came to be, not today.
        row._history_date = row.created_at
    bulk_create_with_history(rows, model, batch_size=BATCH)


class _BuilderBase:
    """The builder's state and its small helpers (ids, references, moments)."""

    def __init__(
        self, *, spec: _ProgramSpec, seed: int, patients: int, referrals: int, progress: bool
    ) -> None:
        self.spec = spec
        self.seed = seed
        self.n_patients = patients
        self.n_referrals = referrals
        self.progress = progress
        salt = f":{spec.seed_salt}" if spec.seed_salt else ""
        self.rng = random.Random(f"pallio-demo:{seed}{salt}")
        self.fake = Faker(["en_US", "es_MX"])
        self.fake.seed_instance(f"pallio-demo-faker:{seed}{salt}")
        self.zone = ZoneInfo(spec.timezone)
        # The start of today in the program's zone: the hour of loading must not change
        # which random draws are made, so every generated moment lies before it.
        self.today = clock.now().astimezone(self.zone).date()
        self.anchor = datetime.combine(self.today, time(0, 0), tzinfo=self.zone)
        self.catalog = diagnosis_catalog()
        self.references: set[str] = set()
        self.program: Program
        self.staff: dict[str, list[User]] = {}
        self.weights: dict[str, list[float]] = {}
        self.deciders: list[User] = []
        self.coordinator: User | None = None
        self.mrn = 100000

    # ids and small helpers

    def _enrolled_now(self, limit: int) -> list[Any]:
        """The first `limit` patients (by record number) enrolled at this point of the demo:
        read again for each part, since earlier parts discharge some."""
        return list(
            Patient.objects.filter(program=self.program, episodes__status="active")
            .distinct()
            .order_by("mrn")[:limit]
        )

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _reference(self) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        while True:
            ref = "PAL-" + "".join(self.rng.choice(alphabet) for _ in range(8))
            if ref not in self.references:
                self.references.add(ref)
                return ref

    def _phone(self) -> str:
        return f"+1{self.spec.area_code}555{self.rng.randint(100, 199):04d}"

    def _received_at(self, days_ago: int) -> datetime:
        """A working-hours moment `days_ago` days back (API referrals come at any hour)."""
        day = self.today - timedelta(days=days_ago)
        moment = datetime.combine(day, time(8, 0), tzinfo=self.zone) + timedelta(
            minutes=self.rng.randint(0, 10 * 60)
        )
        if moment >= self.anchor:
            moment = self.anchor - timedelta(minutes=self.rng.randint(5, 240))
        return moment

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _later(self, moment: datetime, min_hours: int, max_hours: int) -> datetime:
        later = moment + timedelta(hours=self.rng.randint(min_hours, max_hours))
        return min(later, self.anchor - timedelta(minutes=1))
