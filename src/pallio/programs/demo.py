"""The demo programs: a realistic palliative program to try Pallio with, and the data the
benchmarks measure.

``demo_load(patients=N, seed=S)`` writes the program "demo" (N patients, about 1.4 referrals
each unless told otherwise) and a small second program "demo-north", so that the separation
of programs shows. The same seed on the same day gives the same people, diagnoses, dates and
teams: everything comes from one ``random.Random(seed)`` and a Faker seeded with it, and the
timeline is laid out backwards from the start of the current day in the program's time zone.
The whole build reads that moment from the one clock (frozen there while it runs), so the
demo is the same at whatever hour of the day it is loaded.

Loading twice changes nothing: the program slug "demo" marks a loaded demo, and its
``settings`` keep the seed and sizes it was made with.

How it writes, and why not through the per-row services:

- Rows are created in bulk (``bulk_create`` in batches, each with its first history
  version), so that 10,000 patients and 50,000 referrals load in minutes on PostgreSQL. The
  values the services derive are derived by the same functions here (first-contact due
  date, the advanced-cancer deadline, eligibility, urgency rank), so a rule still lives once.
- The timeline is in the past (referrals over two years), which the services, stamping
  ``clock.now()``, cannot write; and no letters are queued, so no mail goes to the made-up
  referrers.
- The audit trail gets one event per program, ``demo.load`` (through ``audit_record``),
  naming the seed and the counts; the generated rows have no audit event each. The hash
  chain stays whole: ``pallio audit verify`` passes after a load.

Demo staff share one password and each has a TOTP authenticator whose secret is derived
from the seed and the username: fit for a demonstration only, so loading is refused when
``settings.PRODUCTION`` is on.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from faker import Faker
from simple_history.utils import bulk_create_with_history

from pallio.accounts.models import Role, User
from pallio.acp.demo import acp_demo_populate
from pallio.adt.demo import adt_demo_populate
from pallio.assessments.demo import assessments_demo_populate
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.demo import careplans_demo_populate
from pallio.careplans.idt_demo import idt_demo_populate
from pallio.careplans.models import Task, TaskKind
from pallio.core import clock
from pallio.core.codes import Diagnosis, Discipline, diagnosis_catalog
from pallio.episodes.bereavement_demo import bereavement_demo_populate
from pallio.episodes.hospice_demo import hospice_demo_populate
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.episodes.stays_demo import stays_demo_populate
from pallio.episodes.transitions_demo import transitions_demo_populate
from pallio.patients.models import (
    AdministrativeSex,
    AuthorizationStatus,
    Condition,
    Coverage,
    Patient,
    PayerType,
    Residence,
)
from pallio.programs.models import Program
from pallio.programs.services import program_create
from pallio.referrals import clocks
from pallio.referrals.models import (
    URGENCY_RANK,
    DeclineReason,
    Reason,
    Referral,
    Setting,
    Source,
    Status,
    Urgency,
)
from pallio.referrals.services import eligibility_for
from pallio.support.calls_demo import calls_demo_populate
from pallio.support.ops_demo import support_ops_demo_populate
from pallio.support.roster_demo import roster_demo_populate
from pallio.visits.demo import visits_demo_populate
from pallio.visits.summaries import summaries_held
from pallio.visits.summary_demo import summaries_demo_populate

DEMO_SLUG = "demo"
# Enrolled patients per program the demo's hospice transitions draw from (4 referred, 4 on
# the "consider a hospice conversation" worklist).
HOSPICE_DEMO_PATIENTS = 8
NORTH_SLUG = "demo-north"
DEMO_SLUGS = (DEMO_SLUG, NORTH_SLUG)
# One password for every demo account; it passes the password validators (12+ characters,
# not a common password).
DEMO_PASSWORD = "quiet-harbor-lantern"  # noqa: S105 (the published demo password)
BATCH = 1000
# Enrolled patients per program given goals-of-care records in the demo.
ACP_DEMO_PATIENTS = 40
# Enrolled patients per program with a week of documented visits in the demo.
VISITS_DEMO_PATIENTS = 24
# How many patients each extra clinician of a busy discipline stands for.
PATIENTS_PER_CLINICIAN = 250


class DemoRefused(Exception):
    """The demo cannot be loaded here (production mode)."""


@dataclass(frozen=True)
class DemoResult:
    created: bool
    seed: int
    patients: int
    referrals: int
    north_patients: int = 0


@dataclass(frozen=True)
class DemoLogin:
    username: str
    program: str
    role: str
    discipline: str
    totp_secret: str


def demo_totp_secret(seed: int, username: str) -> str:
    """A base32 TOTP secret that is the same for the same seed and username (demo only)."""
    digest = hashlib.sha256(f"pallio-demo-totp:{seed}:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def demo_marker() -> dict[str, Any] | None:
    """The seed and sizes the loaded demo was made with, or None when there is none."""
    program = Program.objects.filter(slug=DEMO_SLUG).first()
    if program is None:
        return None
    return {k: v for k, v in program.settings.items() if k.startswith("demo_")}


def demo_load(
    *,
    patients: int,
    seed: int,
    referrals: int | None = None,
    north_patients: int = 12,
    progress: bool = False,
) -> DemoResult:
    """Load the demo programs once. A second call changes nothing and says so
    (``created=False``, with the seed and sizes of the demo that is there)."""
    if settings.PRODUCTION:
        raise DemoRefused("The demo program is not loaded in production.")
    if patients < 1:
        raise ValueError("patients must be at least 1")
    marker = demo_marker()
    if marker is not None:
        return DemoResult(
            created=False,
            seed=int(marker.get("demo_seed", 0)),
            patients=int(marker.get("demo_patients", 0)),
            referrals=int(marker.get("demo_referrals", 0)),
        )
    wanted = referrals if referrals is not None else round(patients * 1.4)
    with transaction.atomic():
        main = _ProgramBuilder(
            spec=_DEMO_SPEC, seed=seed, patients=patients, referrals=wanted, progress=progress
        ).build()
        north = _ProgramBuilder(
            spec=_NORTH_SPEC,
            seed=seed,
            patients=north_patients,
            referrals=round(north_patients * 1.4),
            progress=False,
        ).build()
    return DemoResult(
        created=True, seed=seed, patients=main[0], referrals=main[1], north_patients=north[0]
    )


def demo_logins() -> list[DemoLogin]:
    """The named demo accounts, in the order they were made, with their TOTP secrets."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    rows: list[DemoLogin] = []
    for program in Program.objects.filter(slug__in=DEMO_SLUGS).order_by("slug"):
        names = list(program.settings.get("demo_logins", []))
        users = {u.username: u for u in User.objects.filter(program=program, username__in=names)}
        secrets = {
            a.user_id: decrypt(a.data["secret"])
            for a in Authenticator.objects.filter(
                user__in=users.values(), type=Authenticator.Type.TOTP
            )
        }
        for name in names:
            user = users.get(name)
            if user is None:
                continue
            rows.append(
                DemoLogin(
                    username=user.username,
                    program=program.slug,
                    role=user.get_role_display(),
                    discipline=user.get_discipline_display(),
                    totp_secret=secrets.get(user.pk, ""),
                )
            )
    return rows


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


_CLINICIAN = Role.CLINICIAN
_DEMO_SPEC = _ProgramSpec(
    slug=DEMO_SLUG,
    name="Riverbend Palliative Care (demo)",
    timezone="America/New_York",
    state="MA",
    phone="+16175550100",
    area_code="617",
    named_staff=(
        _StaffSpec("coordinator", Role.INTAKE_COORDINATOR, Discipline.CARE_COORDINATOR),
        _StaffSpec("director", Role.MEDICAL_DIRECTOR, Discipline.PHYSICIAN),
        _StaffSpec("oncall", Role.ON_CALL, Discipline.NURSE_PRACTITIONER),
        _StaffSpec("privacy", Role.PRIVACY_OFFICER, Discipline.ADMINISTRATION),
        _StaffSpec("programadmin", Role.PROGRAM_ADMIN, Discipline.ADMINISTRATION),
        _StaffSpec("navigator", _CLINICIAN, Discipline.NURSE_NAVIGATOR),
        _StaffSpec("physician", _CLINICIAN, Discipline.PHYSICIAN),
        _StaffSpec("socialworker", _CLINICIAN, Discipline.SOCIAL_WORKER),
        _StaffSpec("np", _CLINICIAN, Discipline.NURSE_PRACTITIONER),
        _StaffSpec("nurse", _CLINICIAN, Discipline.NURSE),
        _StaffSpec("chaplain", _CLINICIAN, Discipline.CHAPLAIN),
        _StaffSpec("dietitian", _CLINICIAN, Discipline.DIETITIAN),
        _StaffSpec("pharmacist", _CLINICIAN, Discipline.PHARMACIST),
        _StaffSpec("respiratory", _CLINICIAN, Discipline.RESPIRATORY_THERAPIST),
        _StaffSpec("carecoordinator", _CLINICIAN, Discipline.CARE_COORDINATOR),
        _StaffSpec("patientnavigator", _CLINICIAN, Discipline.PATIENT_NAVIGATOR),
        _StaffSpec("musictherapist", _CLINICIAN, Discipline.MUSIC_THERAPIST),
        _StaffSpec("childlife", _CLINICIAN, Discipline.CHILD_LIFE),
        _StaffSpec("volunteer", _CLINICIAN, Discipline.VOLUNTEER),
        _StaffSpec("admin", _CLINICIAN, Discipline.ADMINISTRATION),
        _StaffSpec("fellow", _CLINICIAN, Discipline.PHYSICIAN, "fellow", "physician"),
    ),
    scale_staff=True,
)
_NORTH_SPEC = _ProgramSpec(
    slug=NORTH_SLUG,
    name="North Valley Supportive Care (demo)",
    timezone="America/Chicago",
    state="MN",
    phone="+16125550100",
    area_code="612",
    named_staff=(
        _StaffSpec("north-coordinator", Role.INTAKE_COORDINATOR, Discipline.CARE_COORDINATOR),
        _StaffSpec("north-navigator", _CLINICIAN, Discipline.NURSE_NAVIGATOR),
        _StaffSpec("north-physician", _CLINICIAN, Discipline.PHYSICIAN),
        _StaffSpec("north-socialworker", _CLINICIAN, Discipline.SOCIAL_WORKER),
        _StaffSpec("north-chaplain", _CLINICIAN, Discipline.CHAPLAIN),
    ),
    scale_staff=False,
    seed_salt="north",
    min_per_discipline=0,
)

_CREDENTIALS = {
    Discipline.PHYSICIAN: ("MD", "DO"),
    Discipline.NURSE_PRACTITIONER: ("NP", "PA-C"),
    Discipline.NURSE: ("RN",),
    Discipline.NURSE_NAVIGATOR: ("RN, BSN",),
    Discipline.SOCIAL_WORKER: ("LCSW", "LICSW"),
    Discipline.CHAPLAIN: ("MDiv, BCC",),
    Discipline.DIETITIAN: ("RD",),
    Discipline.PHARMACIST: ("PharmD",),
    Discipline.RESPIRATORY_THERAPIST: ("RRT",),
    Discipline.MUSIC_THERAPIST: ("MT-BC",),
    Discipline.CHILD_LIFE: ("CCLS",),
}
# The disciplines on most teams (docs: nurse navigator + physician + social worker).
_CORE = (Discipline.NURSE_NAVIGATOR, Discipline.PHYSICIAN, Discipline.SOCIAL_WORKER)

# Which diagnosis groups each age band is referred with, and how often.
_GROUPS_BY_AGE: dict[str, list[tuple[str, int]]] = {
    "child": [("cancer", 45), ("pediatric_complex", 30), ("neurological", 25)],
    "young": [
        ("cancer", 55),
        ("neurological", 15),
        ("pediatric_complex", 10),
        ("als", 5),
        ("liver", 5),
        ("kidney", 5),
        ("heart_failure", 5),
    ],
    "adult": [
        ("cancer", 45),
        ("heart_failure", 12),
        ("copd", 8),
        ("liver", 7),
        ("kidney", 7),
        ("als", 5),
        ("lung_disease", 4),
        ("parkinsons", 3),
        ("neurological", 4),
        ("dementia", 2),
        ("stroke", 3),
    ],
    "old": [
        ("cancer", 38),
        ("heart_failure", 15),
        ("copd", 12),
        ("dementia", 12),
        ("kidney", 7),
        ("parkinsons", 5),
        ("lung_disease", 3),
        ("stroke", 3),
        ("als", 1),
        ("liver", 2),
    ],
}
# Cancers seen in children (ICD-10-CM codes of the catalog).
_CHILD_CANCERS = {"C91.00", "C92.00", "C71.9", "C40.20", "C74.90", "C83.30"}
_YOUNG_CANCERS = _CHILD_CANCERS | {"C50.911", "C50.912", "C18.9", "C43.9", "C78.00", "C79.51"}
_HEME_CANCERS = {"C90.00", "C92.00", "C91.00", "C83.30"}

_SUMMARIES = {
    "cancer": [
        "Progressive disease on treatment; pain and fatigue limit daily activities.",
        "New metastases on imaging; patient and family want to talk about goals of care.",
        "Poorly controlled pain and nausea; lives with spouse who is struggling.",
        "Recently diagnosed, weighing further treatment; needs symptom support.",
    ],
    "heart_failure": [
        "Three admissions in six months for decompensation; breathless on minimal exertion.",
        "Optimally treated heart failure, worsening fatigue and edema; asks about options.",
    ],
    "copd": [
        "Breathless at rest despite home oxygen; frequent exacerbations.",
        "Two admissions this winter; anxious about breathlessness at night.",
    ],
    "lung_disease": ["Progressive fibrosis on oxygen; declining function."],
    "dementia": [
        "Advanced dementia, eating less, recurrent infections; family unsure about next steps.",
        "Increasing agitation at night; caregiver exhausted.",
    ],
    "kidney": [
        "Considering stopping dialysis; wants to discuss what that would mean.",
        "Declining kidney function, not a dialysis candidate; itching and fatigue.",
    ],
    "parkinsons": ["Falls and swallowing problems; spouse is the only caregiver."],
    "als": ["Progressive weakness, now needing help with breathing decisions and nutrition."],
    "neurological": ["Complex neurological illness; family needs coordination across settings."],
    "liver": ["Decompensated cirrhosis with ascites; repeated paracentesis."],
    "stroke": ["Large stroke with poor intake; family meeting needed about feeding."],
    "pediatric_complex": ["Child with complex needs; parents and school need coordination."],
    "other": ["Referred for symptom support; diagnosis list incomplete."],
}
_HOLD_REQUESTS = [
    "The most recent clinic note and the imaging report.",
    "Current medication list and the name of the primary care clinician.",
    "Confirmation of insurance and the prior authorization number.",
    "A contact number for the patient's health care agent.",
]
_DECLINE_NOTES = {
    DeclineReason.OTHER: "Already followed by another palliative team.",
}
_RELATIONSHIPS = ["daughter", "son", "spouse", "partner", "sister", "brother", "mother", "father"]
_LANGUAGES = [
    ("English", 86),
    ("Spanish", 8),
    ("Portuguese", 2),
    ("Vietnamese", 1),
    ("Haitian Creole", 1),
    ("Chinese", 1),
    ("Russian", 1),
]
_FACILITY_WORDS = ["Maple", "Cedar", "Harbor", "Willow", "Oak", "Riverside", "Hillcrest"]
_FACILITY_KIND = {
    Residence.NURSING_HOME: "Nursing and Rehabilitation Center",
    Residence.ASSISTED_LIVING: "Assisted Living",
    Residence.RETIREMENT_COMMUNITY: "Retirement Community",
    Residence.HOSPITAL: "Medical Center",
    Residence.OTHER: "Group Home",
}
_PAYER_NAMES = {
    PayerType.MEDICARE: ["Medicare Part A/B"],
    PayerType.MEDICARE_ADVANTAGE: ["Humana Medicare Advantage", "Aetna Medicare", "UHC Medicare"],
    PayerType.MEDICAID: ["MassHealth", "State Medicaid"],
    PayerType.PRIVATE: ["Blue Cross Blue Shield", "Harvard Pilgrim", "Tufts Health Plan"],
    PayerType.VA: ["VA Community Care", "TRICARE"],
    PayerType.SELF_PAY: [""],
    PayerType.OTHER: ["Workers' compensation", "Charity care"],
}


# Patients whose story is fixed, so that even a small demo shows every kind of thing:
# (age band, diagnosis group, story, payer, residence, source).
_SHOWCASE: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("old", "cancer", "active", PayerType.MEDICARE, Residence.HOME, Source.PROVIDER),
    ("child", "cancer", "active", PayerType.MEDICAID, Residence.HOME, Source.PROVIDER),
    ("young", "cancer", "active", PayerType.PRIVATE, Residence.HOME, Source.HEALTH_PLAN),
    (
        "old",
        "heart_failure",
        "active",
        PayerType.MEDICARE_ADVANTAGE,
        Residence.ASSISTED_LIVING,
        Source.FAMILY,
    ),
    ("old", "copd", "on_hold", PayerType.VA, Residence.HOME, Source.PHONE),
    ("old", "dementia", "active", PayerType.MEDICAID, Residence.NURSING_HOME, Source.PROVIDER),
    (
        "old",
        "kidney",
        "discharged",
        PayerType.MEDICARE,
        Residence.RETIREMENT_COMMUNITY,
        Source.API,
    ),
    ("old", "parkinsons", "in_review", PayerType.OTHER, Residence.HOME, Source.SELF),
    ("adult", "als", "active", PayerType.PRIVATE, Residence.HOME, Source.SELF),
    ("adult", "liver", "declined", PayerType.SELF_PAY, Residence.OTHER, Source.PROVIDER),
    ("old", "cancer", "redirected", PayerType.MEDICARE, Residence.HOSPITAL, Source.PROVIDER),
    ("child", "pediatric_complex", "active", PayerType.PRIVATE, Residence.HOME, Source.FAMILY),
    ("young", "neurological", "in_review", PayerType.MEDICAID, Residence.HOME, Source.FAMILY),
)
# Referrals not (yet) linked to a patient record: the first ones cover every status.
_UNLINKED_SHOWCASE = (
    Status.NEW,
    Status.IN_REVIEW,
    Status.ON_HOLD,
    Status.DECLINED,
    Status.REDIRECTED,
    Status.NEW,
)


_TRAINEE_FIRST = ("Amara", "Daniel", "Keiko", "Mateo", "Priya", "Samuel")
_TRAINEE_LAST = ("Okafor", "Lindqvist", "Haddad", "Nguyen", "Castillo", "Brennan")


def _trainee_name(seed: int, username: str) -> tuple[str, str]:
    rng = random.Random(f"pallio-demo-trainee:{seed}:{username}")
    return rng.choice(_TRAINEE_FIRST), rng.choice(_TRAINEE_LAST)


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
            (self.tasks, Task),
        ):
            if rows:
                _bulk(model, rows)
                rows.clear()


def _bulk(model: type[models.Model], rows: list[Any]) -> None:
    for row in rows:
        # The first history version is dated when the row came to be, not today.
        row._history_date = row.created_at
    bulk_create_with_history(rows, model, batch_size=BATCH)


class _ProgramBuilder:
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

    # building

    def build(self) -> tuple[int, int]:
        # Services the demo calls (code status dates, alert rules, due times) read the same
        # moment as the generator, so the rules judge the data as of the anchor.
        with clock.frozen(self.anchor):
            return self._build()

    def _build(self) -> tuple[int, int]:
        spec = self.spec
        self.program = program_create(
            name=spec.name,
            slug=spec.slug,
            timezone=spec.timezone,
            phone=spec.phone,
            email=f"palliative@{spec.slug}.example.org",
            settings={
                "demo_seed": self.seed,
                "demo_patients": self.n_patients,
                "demo_referrals": self.n_referrals,
                "demo_logins": [s.username for s in spec.named_staff],
            },
        )
        self._make_staff()
        made_patients, made_referrals = self._make_patients_and_referrals()
        assessments_demo_populate(
            program=self.program,
            patients=list(Patient.objects.filter(program=self.program).order_by("mrn")),
            rng=self.rng,
            today=self.today,
        )
        # Planning records are written through the acp services (audited, about half a
        # second a patient), so a sample of the enrolled patients gets them.
        acp_demo_populate(
            program=self.program,
            patients=self._enrolled_now(ACP_DEMO_PATIENTS),
            rng=random.Random(self.seed * 7919 + 1),
            today=self.today,
        )
        # Hospital stays after the planning records (an ICU stay is compared with the wishes
        # recorded there) and before the team meeting (its agenda lists recent stays).
        stays_demo_populate(
            program=self.program,
            patients=self._enrolled_now(ACP_DEMO_PATIENTS),
            rng=random.Random(f"pallio-demo-stays:{self.seed}:{self.spec.slug}"),
            today=self.today,
        )
        # Every enrolled patient gets a care plan (bulk, with history; after the goals-of-care
        # conversations above so that goals can link to them).
        careplans_demo_populate(
            program=self.program,
            patients=list(
                Patient.objects.filter(program=self.program, episodes__status="active")
                .distinct()
                .order_by("mrn")
            ),
            rng=random.Random(f"pallio-demo-careplans:{self.seed}:{self.spec.slug}"),
            today=self.today,
        )
        # A week of visits by every discipline, documented and signed through the services;
        # their summaries are then recorded as sent or failed (none queued to made-up
        # addresses).
        with summaries_held():
            visits_demo_populate(
                program=self.program,
                patients=list(
                    Patient.objects.filter(program=self.program, episodes__status="active")
                    .distinct()
                    .order_by("mrn")[:VISITS_DEMO_PATIENTS]
                ),
                # Per program: the rows it makes take their ids from it.
                rng=random.Random(f"pallio-demo-visits:{self.seed}:{self.spec.slug}"),
                today=self.today,
            )
        summaries_demo_populate(
            program=self.program,
            rng=random.Random(f"pallio-demo-summaries:{self.seed}:{self.spec.slug}"),
        )
        # The 24/7 line's on-call roster: a month of shifts from a weekly pattern, one swap.
        roster_demo_populate(program=self.program, today=self.today)
        # Last night's calls to the 24/7 line, through the support services.
        calls_demo_populate(
            program=self.program,
            patients=self._enrolled_now(ACP_DEMO_PATIENTS),
            rng=random.Random(self.seed * 7919 + 13),
            night_end=self.anchor,
        )
        # Deaths (at home, and in hospital against the wish to die at home) and discharges
        # with their reasons, through the services: each death closes the patient's work.
        transitions_demo_populate(
            program=self.program,
            patients=self._enrolled_now(ACP_DEMO_PATIENTS),
            rng=random.Random(self.seed * 7919 + 17),
            today=self.today,
        )
        # Hospice referrals (one admitted: discharged to hospice) and patients whose scores
        # call for a hospice conversation; before the team meeting, which lists them.
        hospice_demo_populate(
            program=self.program,
            patients=self._enrolled_now(HOSPICE_DEMO_PATIENTS),
            rng=random.Random(f"pallio-demo-hospice:{self.seed}:{self.spec.slug}"),
            today=self.today,
        )
        # The weekly team meeting reads the whole record (alerts, phases, plans, visits):
        # keep it after every other part of the demo.
        idt_demo_populate(
            program=self.program, rng=random.Random(self.seed * 7919 + 2), today=self.today
        )
        # The support line's escalation and morning hand-off read the roster and last night's
        # calls, so they come after both.
        support_ops_demo_populate(
            program=self.program, rng=random.Random(self.seed * 7919 + 13), today=self.today
        )
        # Bereaved families: the follow-ups of the recent deaths, some contacts made.
        bereavement_demo_populate(
            program=self.program, rng=random.Random(self.seed * 7919 + 17), today=self.today
        )
        # Hospital messages received over the day (HL7 v2 ADT), through the listener's own
        # pipeline: admissions and a discharge applied, and the review queue's usual cases.
        adt_demo_populate(
            program=self.program,
            patients=self._enrolled_now(ACP_DEMO_PATIENTS),
            rng=random.Random(self.seed * 7919 + 17),
            now=clock.now(),
        )
        audit_record(
            actor=None,
            action=Action.CREATE,
            event="demo.load",
            program=self.program,
            detail={
                "seed": self.seed,
                "patients": made_patients,
                "referrals": made_referrals,
                "note": "generated demo data; its rows carry no audit events of their own",
            },
        )
        return made_patients, made_referrals

    def _make_staff(self) -> None:
        spec = self.spec
        specs = list(spec.named_staff)
        if spec.scale_staff:
            for discipline in Discipline.values:
                core = discipline in _CORE
                wanted = (
                    max(3, self.n_patients // PATIENTS_PER_CLINICIAN)
                    if core
                    else max(spec.min_per_discipline, self.n_patients // 1000)
                )
                have = sum(
                    1
                    for s in specs
                    if s.discipline == discipline and s.role == _CLINICIAN and not s.training_level
                )
                base = next(
                    (
                        s.username
                        for s in spec.named_staff
                        if s.discipline == discipline
                        and s.role == _CLINICIAN
                        and not s.training_level
                    ),
                    discipline.replace("_", ""),
                )
                for k in range(have, wanted):
                    specs.append(_StaffSpec(f"{base}{k + 1}", _CLINICIAN, discipline))
        password = make_password(DEMO_PASSWORD)
        joined = self.anchor - timedelta(days=800)
        users = []
        for staff in specs:
            if staff.training_level:
                # Drawn apart, so that adding a trainee leaves everyone else's name as it was.
                first, last = _trainee_name(self.seed, staff.username)
                users.append(
                    User(
                        username=staff.username,
                        first_name=first,
                        last_name=last,
                        email=f"{staff.username}@{spec.slug}.example.org",
                        program=self.program,
                        role=staff.role,
                        discipline=staff.discipline,
                        training_level=staff.training_level,
                        credentials=_CREDENTIALS.get(Discipline(staff.discipline), ("",))[0],
                        password=password,
                        date_joined=joined,
                    )
                )
                continue
            female = self.rng.random() < 0.6
            first = (
                self.fake["en_US"].first_name_female()
                if female
                else self.fake["en_US"].first_name_male()
            )
            credentials = _CREDENTIALS.get(Discipline(staff.discipline), ("",))
            users.append(
                User(
                    username=staff.username,
                    first_name=first,
                    last_name=self.fake["en_US"].last_name(),
                    email=f"{staff.username}@{spec.slug}.example.org",
                    program=self.program,
                    role=staff.role,
                    discipline=staff.discipline,
                    credentials=self.rng.choice(credentials),
                    password=password,
                    date_joined=joined,
                )
            )
        User.objects.bulk_create(users, batch_size=BATCH)
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import encrypt

        saved = list(
            User.objects.filter(program=self.program, username__in=[s.username for s in specs])
        )
        by_name = {u.username: u for u in saved}
        for staff in specs:
            if staff.supervisor in by_name:
                by_name[staff.username].supervisor = by_name[staff.supervisor]
                by_name[staff.username].save(update_fields=["supervisor"])
        Authenticator.objects.bulk_create(
            Authenticator(
                user=by_name[s.username],
                type=Authenticator.Type.TOTP,
                data={"secret": encrypt(demo_totp_secret(self.seed, s.username))},
            )
            for s in specs
        )
        for staff in specs:
            user = by_name[staff.username]
            if staff.training_level:
                continue  # a trainee joins a team for the visits they document
            if staff.role == _CLINICIAN:
                self.staff.setdefault(staff.discipline, []).append(user)
            elif staff.role == Role.INTAKE_COORDINATOR:
                self.coordinator = user
                self.deciders.append(user)
            elif staff.role == Role.MEDICAL_DIRECTOR:
                self.deciders.append(user)
        # Caseloads are uneven, as in life: the k-th clinician of a discipline carries
        # about 1/k of the first one's load.
        self.weights = {
            d: [1.0 / (i + 1) for i in range(len(users_))] for d, users_ in self.staff.items()
        }
        if not self.deciders and self.coordinator is not None:
            self.deciders.append(self.coordinator)

    def _pick(self, discipline: str) -> User | None:
        people = self.staff.get(discipline)
        if not people:
            return None
        return self.rng.choices(people, weights=self.weights[discipline], k=1)[0]

    # people

    def _age_band(self) -> str:
        r = self.rng.random()
        if r < 0.03:
            return "child"
        if r < 0.10:
            return "young"
        if r < 0.30:
            return "adult"
        return "old"

    def _birth_date(self, band: str) -> date:
        if band == "child":
            years = self.rng.uniform(0.2, 17.9)
        elif band == "young":
            years = self.rng.uniform(18.1, 39.9)
        elif band == "adult":
            years = self.rng.uniform(40.1, 64.9)
        else:
            years = min(self.rng.triangular(65.1, 101, 78), 104)
        return self.today - timedelta(days=int(years * 365.25))

    def _diagnosis(self, band: str, group: str | None = None) -> Diagnosis:
        group = group or _weighted(self.rng, _GROUPS_BY_AGE[band])
        options = [d for d in self.catalog if d.group == group]
        if group == "cancer" and band == "child":
            options = [d for d in options if d.code in _CHILD_CANCERS]
        elif group == "cancer" and band == "young":
            options = [d for d in options if d.code in _YOUNG_CANCERS]
        return self.rng.choice(options)

    def _stage(self, diagnosis: Diagnosis, advanced: bool) -> str:
        if diagnosis.group == "cancer":
            if diagnosis.code in _HEME_CANCERS:
                return "Relapsed" if advanced else ""
            if advanced:
                return "Stage IV"
            return self.rng.choice(["Stage II", "Stage III", "Stage IIIB", "Stage IIIC"])
        if diagnosis.group == "heart_failure":
            return "NYHA class IV" if advanced else self.rng.choice(["NYHA class III"] * 3 + [""])
        if diagnosis.group == "dementia":
            return self.rng.choice(["FAST 6c", "FAST 6e", "FAST 7a", "FAST 7c"])
        return ""

    def _payer(self, band: str, age: int) -> str:
        if band == "child":
            pairs = [(PayerType.MEDICAID, 55), (PayerType.PRIVATE, 40), (PayerType.VA, 5)]
        elif age >= 65:
            pairs = [
                (PayerType.MEDICARE, 50),
                (PayerType.MEDICARE_ADVANTAGE, 30),
                (PayerType.VA, 7),
                (PayerType.MEDICAID, 6),
                (PayerType.PRIVATE, 5),
                (PayerType.OTHER, 2),
            ]
        else:
            pairs = [
                (PayerType.PRIVATE, 55),
                (PayerType.MEDICAID, 25),
                (PayerType.VA, 5),
                (PayerType.SELF_PAY, 7),
                (PayerType.MEDICARE, 5),
                (PayerType.OTHER, 3),
            ]
        return str(_weighted(self.rng, pairs))

    def _residence(self, band: str, group: str) -> str:
        if band in ("child", "young"):
            pairs = [(Residence.HOME, 90), (Residence.HOSPITAL, 8), (Residence.OTHER, 2)]
        elif group == "dementia":
            pairs = [
                (Residence.NURSING_HOME, 45),
                (Residence.HOME, 35),
                (Residence.ASSISTED_LIVING, 15),
                (Residence.HOSPITAL, 5),
            ]
        else:
            pairs = [
                (Residence.HOME, 68),
                (Residence.NURSING_HOME, 8),
                (Residence.ASSISTED_LIVING, 8),
                (Residence.RETIREMENT_COMMUNITY, 4),
                (Residence.HOSPITAL, 10),
                (Residence.OTHER, 2),
            ]
        return str(_weighted(self.rng, pairs))

    def _person(self, band: str, residence: str) -> dict[str, Any]:
        hispanic = self.rng.random() < 0.14
        fake = self.fake["es_MX"] if hispanic else self.fake["en_US"]
        sex = _weighted(
            self.rng,
            [
                (AdministrativeSex.FEMALE, 50),
                (AdministrativeSex.MALE, 49),
                (AdministrativeSex.OTHER, 1),
            ],
        )
        given = (
            fake.first_name_male() if sex == AdministrativeSex.MALE else fake.first_name_female()
        )
        family = fake.last_name()
        if hispanic and self.rng.random() < 0.4:
            family = f"{family}-{fake.last_name()}"
        language = (
            self.rng.choice(["Spanish", "Spanish", "English"])
            if hispanic
            else _weighted(self.rng, _LANGUAGES)
        )
        street = self.fake["en_US"].street_address()
        if residence in _FACILITY_KIND:
            street = (
                f"{self.rng.choice(_FACILITY_WORDS)} {_FACILITY_KIND[Residence(residence)]}, "
                f"{street}"
            )
        return {
            "given_name": given,
            "family_name": family,
            "middle_name": (
                (
                    fake.first_name_male()
                    if sex == AdministrativeSex.MALE
                    else fake.first_name_female()
                )
                if self.rng.random() < 0.3
                else ""
            ),
            "sex": sex,
            "phone": self._phone(),
            "email": (
                f"{given.lower()}.{self.rng.randint(10, 999)}@example.com".replace(" ", "")
                if band != "child" and self.rng.random() < 0.5
                else ""
            ),
            "address_line": street,
            "city": self.fake["en_US"].city(),
            "state": self.spec.state,
            "postal_code": self.fake["en_US"].postcode_in_state(self.spec.state),
            "language": language,
        }

    # referrals

    def _referrer(self, source: str, person: dict[str, Any]) -> dict[str, Any]:
        fake = self.fake["en_US"]
        city = person["city"]
        if source == Source.PROVIDER:
            org = self.rng.choice(
                [
                    f"{city} General Hospital",
                    f"{city} Cancer Center",
                    f"{city} Family Medicine",
                    f"{city} Heart Clinic",
                    f"Children's Hospital of {city}",
                ]
            )
            name = f"Dr. {fake.first_name()} {fake.last_name()}"
        elif source == Source.HEALTH_PLAN:
            org = self.rng.choice(_PAYER_NAMES[PayerType.PRIVATE]) + " care management"
            name = f"{fake.first_name()} {fake.last_name()}, RN"
        elif source == Source.API:
            org = f"{city} Health System"
            name = "Referral interface"
        elif source == Source.FAMILY:
            return {
                "referrer_name": f"{fake.first_name()} {person['family_name']}",
                "referrer_relationship": self.rng.choice(_RELATIONSHIPS),
                "referrer_phone": self._phone(),
                "referrer_email": "",
                "referrer_organization": "",
            }
        else:
            return {}
        slug = "".join(ch for ch in org.lower() if ch.isalnum())[:30]
        return {
            "referrer_name": name,
            "referrer_organization": org,
            "referrer_email": f"referrals@{slug}.example.org",
            "referrer_phone": self._phone(),
            "referrer_relationship": "",
        }

    def _source(self) -> str:
        return str(
            _weighted(
                self.rng,
                [
                    (Source.PROVIDER, 55),
                    (Source.HEALTH_PLAN, 8),
                    (Source.SELF, 6),
                    (Source.FAMILY, 10),
                    (Source.PHONE, 12),
                    (Source.API, 9),
                ],
            )
        )

    def _referral(
        self,
        *,
        person: dict[str, Any],
        birth_date: date,
        residence: str,
        diagnosis: Diagnosis,
        advanced: bool,
        payer: str,
        source: str,
        received_at: datetime,
        status: str,
        patient: Patient | None,
        cancer_recent: bool,
    ) -> Referral:
        rng = self.rng
        received_day = self._local_date(received_at)
        if diagnosis.group == "cancer" and advanced and cancer_recent:
            diagnosis_date = received_day - timedelta(days=rng.randint(3, 45))
        else:
            diagnosis_date = received_day - timedelta(days=rng.randint(30, 1500))
        diagnosis_date = max(diagnosis_date, birth_date + timedelta(days=30))
        diagnosis_date = min(diagnosis_date, received_day)
        urgency = str(
            _weighted(rng, [(Urgency.URGENT, 15), (Urgency.SOON, 30), (Urgency.ROUTINE, 55)])
        )
        eligible, note = eligibility_for(self.program, system=diagnosis.system, code=diagnosis.code)
        if residence == Residence.HOSPITAL:
            setting = Setting.HOSPITAL
        elif residence == Residence.HOME:
            setting = _weighted(
                rng,
                [
                    (Setting.HOME, 40),
                    (Setting.CLINIC, 35),
                    (Setting.TELEHEALTH, 15),
                    (Setting.NO_PREFERENCE, 10),
                ],
            )
        else:
            setting = Setting.HOME
        authorization = AuthorizationStatus.NOT_NEEDED
        if payer in (PayerType.PRIVATE, PayerType.MEDICARE_ADVANTAGE):
            authorization = _weighted(
                rng,
                [
                    (AuthorizationStatus.NOT_NEEDED, 40),
                    (AuthorizationStatus.NEEDED, 20),
                    (AuthorizationStatus.REQUESTED, 15),
                    (AuthorizationStatus.OBTAINED, 25),
                ],
            )
        referral = Referral(
            id=self._uuid(),
            program=self.program,
            reference=self._reference(),
            source=source,
            status=status,
            urgency=urgency,
            urgency_rank=URGENCY_RANK[Urgency(urgency)],
            received_at=received_at,
            first_contact_due=clocks.first_contact_due(self.program, urgency, received_day),
            advanced_cancer_deadline=clocks.advanced_cancer_deadline(
                self.program,
                group=diagnosis.group,
                advanced=advanced,
                diagnosis_date=diagnosis_date,
            ),
            patient=patient,
            given_name=person["given_name"],
            family_name=person["family_name"],
            birth_date=birth_date,
            sex=person["sex"],
            phone=person["phone"],
            email=person["email"],
            address_line=person["address_line"],
            city=person["city"],
            state=person["state"],
            postal_code=person["postal_code"],
            residence=residence,
            diagnosis_system=diagnosis.system,
            diagnosis_code=diagnosis.code,
            diagnosis_display=diagnosis.display,
            diagnosis_date=diagnosis_date,
            advanced_illness=advanced,
            reasons=rng.sample(Reason.values, k=rng.randint(1, 3)),
            preferred_setting=setting,
            clinical_summary=rng.choice(_SUMMARIES.get(diagnosis.group, _SUMMARIES["other"])),
            payer_type=payer,
            payer_name=rng.choice(_PAYER_NAMES[PayerType(payer)]) if payer else "",
            member_id=f"{rng.randint(10**8, 10**9 - 1)}" if payer and payer != "self_pay" else "",
            authorization=authorization,
            authorization_number=(
                f"AUTH-{rng.randint(100000, 999999)}"
                if authorization == AuthorizationStatus.OBTAINED
                else ""
            ),
            consent_to_contact=source != Source.PHONE or rng.random() < 0.7,
            eligible=eligible,
            eligibility_note=note,
            entered_by=self.coordinator if source == Source.PHONE else None,
            created_at=received_at,
            updated_at=received_at,
            **self._referrer(source, person),
        )
        if status != Status.NEW:
            referral.version = 2
            referral.updated_at = self._later(received_at, 1, 30)
        if status == Status.ON_HOLD:
            referral.information_requested = rng.choice(_HOLD_REQUESTS)
        elif status in (Status.ACCEPTED, Status.DECLINED, Status.REDIRECTED):
            referral.decided_at = self._later(received_at, 2, 24 * 6)
            referral.decided_by = rng.choice(self.deciders) if self.deciders else None
            referral.updated_at = referral.decided_at
            referral.version = 3
        if status == Status.DECLINED:
            reason = (
                DeclineReason.NOT_ELIGIBLE
                if not eligible
                else _weighted(
                    rng,
                    [
                        (DeclineReason.PATIENT_DECLINED, 35),
                        (DeclineReason.NO_CONTACT, 20),
                        (DeclineReason.OUTSIDE_AREA, 15),
                        (DeclineReason.DECEASED, 10),
                        (DeclineReason.DUPLICATE, 10),
                        (DeclineReason.OTHER, 10),
                    ],
                )
            )
            referral.decision_reason = reason
            referral.decision_note = _DECLINE_NOTES.get(reason, "")
        elif status == Status.REDIRECTED:
            city = person["city"]
            referral.redirected_to = (
                f"Pediatric palliative care, Children's Hospital of {city}"
                if birth_date > self.today - timedelta(days=18 * 365)
                else rng.choice(
                    [
                        f"Hospice of {city}",
                        f"{city} Home Health",
                        f"{city} Cancer Center supportive care clinic",
                    ]
                )
            )
        return referral

    # the main loop

    def _make_patients_and_referrals(self) -> tuple[int, int]:
        from tqdm import tqdm

        batch = _Batch()
        linked = 0
        bar = tqdm(
            total=self.n_patients,
            desc=f"{self.spec.slug}: patients",
            unit="patient",
            disable=not self.progress,
        )
        for i in range(self.n_patients):
            linked += self._one_patient(i, batch)
            bar.update(1)
            if len(batch) >= BATCH:
                batch.flush()
        batch.flush()
        bar.close()
        unlinked = max(self.n_referrals - linked, len(_UNLINKED_SHOWCASE))
        bar = tqdm(
            total=unlinked,
            desc=f"{self.spec.slug}: other referrals",
            unit="referral",
            disable=not self.progress,
        )
        for i in range(unlinked):
            self._one_unlinked_referral(i, batch)
            bar.update(1)
            if len(batch) >= BATCH:
                batch.flush()
        batch.flush()
        bar.close()
        return self.n_patients, linked + unlinked

    def _story(self) -> str:
        return str(
            _weighted(
                self.rng,
                [
                    ("active", 45),
                    ("discharged", 25),
                    ("in_review", 8),
                    ("on_hold", 5),
                    ("declined", 11),
                    ("redirected", 6),
                ],
            )
        )

    def _one_patient(self, i: int, batch: _Batch) -> int:
        rng = self.rng
        if i < len(_SHOWCASE):
            band, group, story, payer, residence, source = _SHOWCASE[i]
            diagnosis = self._diagnosis(band, group)
        else:
            band = self._age_band()
            diagnosis = self._diagnosis(band)
            story = self._story()
            payer = ""
            residence = self._residence(band, diagnosis.group)
            source = self._source()
        birth_date = self._birth_date(band)
        age = (self.today - birth_date).days // 365
        payer = payer or self._payer(band, age)
        advanced = diagnosis.advanced or (diagnosis.group == "cancer" and rng.random() < 0.55)
        if i == 0:
            advanced = True
        person = self._person(band, residence)

        # When the latest referral came in, by story.
        if story in ("in_review", "on_hold"):
            days_ago = rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 11, 15])
        elif story == "active":
            days_ago = min(int(rng.expovariate(1 / 110)), 700)
        else:
            days_ago = rng.randint(20, 725)
        if i == 0:
            days_ago = 3
        received_at = self._received_at(days_ago)

        self.mrn += 1
        created = self._later(received_at, 1, 20)
        patient = Patient(
            id=self._uuid(),
            program=self.program,
            mrn=f"P{self.mrn:06d}",
            given_name=person["given_name"],
            middle_name=person["middle_name"],
            family_name=person["family_name"],
            birth_date=birth_date,
            sex=person["sex"],
            phone=person["phone"],
            email=person["email"],
            address_line=person["address_line"],
            city=person["city"],
            state=person["state"],
            postal_code=person["postal_code"],
            residence=residence,
            language=person["language"],
            created_at=created,
            updated_at=created,
        )
        batch.patients.append(patient)
        referrals = 0

        # Some patients were referred before: declined then, or enrolled and discharged.
        earlier_at = received_at - timedelta(days=rng.randint(60, 400))
        if i >= len(_SHOWCASE) and rng.random() < 0.15 and days_ago + 60 < 730:
            earlier_at = max(earlier_at, self._received_at(729))
            earlier_status = rng.choice([Status.DECLINED, Status.REDIRECTED, Status.ACCEPTED])
            earlier = self._referral(
                person=person,
                birth_date=birth_date,
                residence=residence,
                diagnosis=diagnosis,
                advanced=False,
                payer=payer,
                source=self._source(),
                received_at=earlier_at,
                status=earlier_status,
                patient=patient,
                cancer_recent=False,
            )
            batch.referrals.append(earlier)
            referrals += 1
            patient.created_at = patient.updated_at = self._later(earlier_at, 1, 20)
            if earlier_status == Status.ACCEPTED:
                assert earlier.decided_at is not None
                end = min(
                    earlier.decided_at + timedelta(days=rng.randint(14, 50)),
                    received_at - timedelta(days=5),
                )
                self._episode(batch, patient, earlier, diagnosis, band, end=end, died=False)

        status = {
            "active": Status.ACCEPTED,
            "discharged": Status.ACCEPTED,
            "in_review": Status.IN_REVIEW,
            "on_hold": Status.ON_HOLD,
            "declined": Status.DECLINED,
            "redirected": Status.REDIRECTED,
        }[story]
        referral = self._referral(
            person=person,
            birth_date=birth_date,
            residence=residence,
            diagnosis=diagnosis,
            advanced=advanced,
            payer=payer,
            source=source,
            received_at=received_at,
            status=status,
            patient=patient,
            cancer_recent=rng.random() < 0.6 or i == 0,
        )
        batch.referrals.append(referral)
        referrals += 1

        onset = referral.diagnosis_date
        batch.conditions.append(
            Condition(
                id=self._uuid(),
                patient=patient,
                system=diagnosis.system,
                code=diagnosis.code,
                display=diagnosis.display,
                onset_date=onset,
                advanced=advanced,
                stage=self._stage(diagnosis, advanced),
                is_primary=True,
                created_at=created,
                updated_at=created,
            )
        )
        if band in ("adult", "old") and rng.random() < 0.4:
            other = rng.choice([d for d in self.catalog if d.group == "other"])
            if other.code != diagnosis.code:
                batch.conditions.append(
                    Condition(
                        id=self._uuid(),
                        patient=patient,
                        system=other.system,
                        code=other.code,
                        display=other.display,
                        onset_date=birth_date + timedelta(days=365 * max(age - 10, 1)),
                        created_at=created,
                        updated_at=created,
                    )
                )
        batch.coverages.append(
            Coverage(
                id=self._uuid(),
                patient=patient,
                payer_type=payer,
                payer_name=referral.payer_name,
                member_id=referral.member_id,
                authorization=referral.authorization,
                authorization_number=referral.authorization_number,
                created_at=created,
                updated_at=created,
            )
        )
        if story == "active":
            self._episode(batch, patient, referral, diagnosis, band, end=None, died=False)
        elif story == "discharged":
            assert referral.decided_at is not None
            end = self._later(referral.decided_at, 24 * 7, 24 * 200)
            self._episode(
                batch, patient, referral, diagnosis, band, end=end, died=rng.random() < 0.65
            )
        return referrals

    def _episode(
        self,
        batch: _Batch,
        patient: Patient,
        referral: Referral,
        diagnosis: Diagnosis,
        band: str,
        *,
        end: datetime | None,
        died: bool,
    ) -> None:
        rng = self.rng
        assert referral.decided_at is not None
        start = referral.decided_at
        start_day = self._local_date(start)
        first_visit_due = clocks.first_contact_due(self.program, referral.urgency, start_day)
        deadline = referral.advanced_cancer_deadline
        if deadline and deadline > start_day:
            first_visit_due = min(first_visit_due, deadline)
        finished = end is not None
        episode = EpisodeOfCare(
            id=self._uuid(),
            program=self.program,
            patient=patient,
            referral=referral,
            status=EpisodeOfCare.Status.FINISHED if finished else EpisodeOfCare.Status.ACTIVE,
            start=start,
            end=end,
            first_visit_due=first_visit_due,
            created_at=start,
            updated_at=end or start,
        )
        batch.episodes.append(episode)
        if died and end is not None:
            patient.deceased_at = end

        disciplines: list[str] = list(_CORE)
        if rng.random() < 0.08 and self.staff.get(Discipline.NURSE_PRACTITIONER):
            disciplines[1] = Discipline.NURSE_PRACTITIONER
        extras = [
            (Discipline.CHAPLAIN, 0.25),
            (Discipline.DIETITIAN, 0.12 if diagnosis.group != "cancer" else 0.25),
            (Discipline.NURSE, 0.2),
            (Discipline.PHARMACIST, 0.1),
            (Discipline.CARE_COORDINATOR, 0.15),
            (Discipline.VOLUNTEER, 0.08),
            (Discipline.MUSIC_THERAPIST, 0.05),
            (Discipline.PATIENT_NAVIGATOR, 0.3 if diagnosis.group == "cancer" else 0.0),
            (
                Discipline.RESPIRATORY_THERAPIST,
                0.45 if diagnosis.group in ("copd", "als", "lung_disease") else 0.0,
            ),
            (Discipline.CHILD_LIFE, 0.85 if band == "child" else 0.0),
        ]
        disciplines += [d for d, p in extras if rng.random() < p]
        lead: User | None = None
        chosen: set[int] = set()
        for discipline in disciplines:
            member = self._pick(discipline)
            if member is None or member.pk in chosen:
                continue
            chosen.add(member.pk)
            is_lead = lead is None and discipline == Discipline.NURSE_NAVIGATOR
            if is_lead:
                lead = member
            batch.members.append(
                CareTeamMember(
                    id=self._uuid(),
                    episode=episode,
                    patient=patient,
                    user=member,
                    discipline=discipline,
                    is_lead=is_lead,
                    active=not finished,
                    ended_at=end,
                    created_at=start,
                    updated_at=end or start,
                )
            )

        # The first-contact task: still open for recent enrollments (some of them overdue).
        due = max(min(referral.first_contact_due, first_visit_due), start_day)
        recent = (self.today - start_day).days <= 12 and not finished
        done = not recent or rng.random() < 0.3
        completed = self._later(start, 4, 24 * 4) if done else None
        batch.tasks.append(
            Task(
                id=self._uuid(),
                program=self.program,
                patient=patient,
                episode=episode,
                kind=TaskKind.FIRST_CONTACT,
                title="First contact with the patient and family",
                discipline=lead.discipline if lead else "",
                assigned_to=lead,
                due=due,
                status=Task.Status.DONE if done else Task.Status.OPEN,
                completed_at=completed,
                created_at=start,
                updated_at=completed or start,
                version=2 if done else 1,
            )
        )
        if not finished and rng.random() < 0.6:
            follow_up_due = self.today + timedelta(days=rng.randint(-4, 21))
            batch.tasks.append(
                Task(
                    id=self._uuid(),
                    program=self.program,
                    patient=patient,
                    episode=episode,
                    kind=TaskKind.FOLLOW_UP,
                    title=rng.choice(
                        [
                            "Symptom check by phone",
                            "Family meeting about goals of care",
                            "Review medications with the pharmacist",
                            "Home visit",
                            "Check equipment delivery",
                        ]
                    ),
                    discipline=lead.discipline if lead else "",
                    assigned_to=lead,
                    due=follow_up_due,
                    created_at=self._later(start, 24, 24 * 30),
                    updated_at=start,
                )
            )

    def _one_unlinked_referral(self, i: int, batch: _Batch) -> None:
        rng = self.rng
        if i < len(_UNLINKED_SHOWCASE):
            status = _UNLINKED_SHOWCASE[i]
        else:
            status = _weighted(
                rng,
                [
                    # Open referrals are the last days' arrivals; most are decided.
                    (Status.NEW, 2),
                    (Status.IN_REVIEW, 1),
                    (Status.ON_HOLD, 1),
                    (Status.DECLINED, 62),
                    (Status.REDIRECTED, 34),
                ],
            )
        band = self._age_band()
        diagnosis = self._diagnosis(band)
        if rng.random() < 0.05:
            diagnosis = rng.choice([d for d in self.catalog if d.group == "other"])
        birth_date = self._birth_date(band)
        age = (self.today - birth_date).days // 365
        residence = self._residence(band, diagnosis.group)
        person = self._person(band, residence)
        # Open referrals are recent; a share waits past its first-contact date (overdue).
        if status == Status.NEW:
            days_ago = 0 if i == 5 else rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 9, 12])
        elif status in (Status.IN_REVIEW, Status.ON_HOLD):
            days_ago = rng.randint(1, 20)
        else:
            days_ago = rng.randint(3, 729)
        if i == 0:
            days_ago = 10  # at least one overdue new referral
        payer = self._payer(band, age) if rng.random() < 0.8 else ""
        referral = self._referral(
            person=person,
            birth_date=birth_date,
            residence=residence,
            diagnosis=diagnosis,
            advanced=diagnosis.advanced or (diagnosis.group == "cancer" and rng.random() < 0.5),
            payer=payer,
            source=self._source(),
            received_at=self._received_at(days_ago),
            status=status,
            patient=None,
            cancer_recent=rng.random() < 0.6,
        )
        batch.referrals.append(referral)
