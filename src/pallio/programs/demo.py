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

Each domain builds its own rows in its own app. The first part, drawn from the one random
stream patient by patient, is a chain of builder classes on the shared state of
``programs/demo_builder.py``: staff (accounts/demo.py), people (patients/demo.py), referrals
(referrals/demo.py), the first tasks of an episode (careplans/demo.py, written through the
careplans services) and episodes with their care teams (episodes/demo.py);
``programs/demo_population.py`` draws each patient's story with them. The later parts
(symptom monitoring, planning records, care plans, visits and the rest) are functions in
their apps, called from here in order.

Demo staff share one password and each has a TOTP authenticator whose secret is derived
from the seed and the username: fit for a demonstration only, so loading is refused when
``settings.PRODUCTION`` is on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from pallio.accounts.demo import _CLINICIAN
from pallio.accounts.demo import DEMO_PASSWORD as DEMO_PASSWORD
from pallio.accounts.demo import demo_totp_secret as demo_totp_secret
from pallio.accounts.models import Role, User
from pallio.acp.demo import acp_demo_populate
from pallio.adt.demo import adt_demo_populate
from pallio.assessments.demo import assessments_demo_populate
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.demo import careplans_demo_populate
from pallio.careplans.idt_demo import idt_demo_populate
from pallio.coordination.demo import coordination_demo_populate
from pallio.core import clock
from pallio.core.codes import Discipline
from pallio.episodes.bereavement_demo import bereavement_demo_populate
from pallio.episodes.hospice_demo import hospice_demo_populate
from pallio.episodes.stays_demo import stays_demo_populate
from pallio.episodes.transitions_demo import transitions_demo_populate
from pallio.messaging.demo import messaging_demo_populate
from pallio.patients.models import Patient
from pallio.portal.access_demo import portal_demo_populate, portal_demo_populate_spanish
from pallio.portal.diary_demo import diary_demo_populate
from pallio.programs.demo_builder import _ProgramSpec, _StaffSpec
from pallio.programs.demo_population import PopulationDemo
from pallio.programs.models import Program
from pallio.programs.services import program_create
from pallio.support.calls_demo import calls_demo_populate
from pallio.support.ops_demo import support_ops_demo_populate
from pallio.support.roster_demo import roster_demo_populate
from pallio.visits.demo import visits_demo_populate
from pallio.visits.schedule_demo import schedule_demo_populate
from pallio.visits.summaries import summaries_held
from pallio.visits.summary_demo import summaries_demo_populate

DEMO_SLUG = "demo"
# Enrolled patients per program the demo's hospice transitions draw from (4 referred, 4 on
# the "consider a hospice conversation" worklist).
HOSPICE_DEMO_PATIENTS = 8
NORTH_SLUG = "demo-north"
DEMO_SLUGS = (DEMO_SLUG, NORTH_SLUG)
# Enrolled patients per program given goals-of-care records in the demo.
ACP_DEMO_PATIENTS = 40
# Enrolled patients per program with a week of documented visits in the demo.
VISITS_DEMO_PATIENTS = 24


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


class _ProgramBuilder(PopulationDemo):
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
        # The program's directory of agencies and the orders and referrals out arranged for a
        # few enrolled patients (some delivered, some waiting, one not confirmed in time).
        coordination_demo_populate(
            program=self.program,
            patients=self._enrolled_now(HOSPICE_DEMO_PATIENTS + 6)[HOSPICE_DEMO_PATIENTS:],
            rng=random.Random(f"pallio-demo-coordination:{self.seed}:{self.spec.slug}"),
            today=self.today,
        )
        # Symptom diaries sent from the portal (one severe) and a caregiver's check-in.
        diary_demo_populate(
            program=self.program,
            patients=self._enrolled_now(HOSPICE_DEMO_PATIENTS + 9)[HOSPICE_DEMO_PATIENTS + 6 :],
            rng=random.Random(f"pallio-demo-diary:{self.seed}:{self.spec.slug}"),
            now=clock.now(),
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
        # A week of booked visits in every setting, from today; last, so that only patients
        # still enrolled after the deaths and discharges above are booked.
        schedule_demo_populate(
            program=self.program,
            patients=self._enrolled_now(ACP_DEMO_PATIENTS),
            rng=random.Random(f"pallio-demo-schedule:{self.seed}:{self.spec.slug}"),
            today=self.today,
        )
        # Secure messages from the portal: one answered by the nurse navigator, others
        # awaiting an answer; after the deaths and discharges, so only enrolled patients write.
        messaging_demo_populate(
            program=self.program, patients=self._enrolled_now(ACP_DEMO_PATIENTS)
        )
        # The portal: one enrolled patient's own login, a caregiver's, and a removed caregiver;
        # and a Spanish-speaking family (a Spanish-speaking patient where there is one).
        if self.spec.slug == DEMO_SLUG:
            enrolled = self._enrolled_now(ACP_DEMO_PATIENTS)
            if enrolled:
                portal_demo_populate(program=self.program, patient=enrolled[0])
            if len(enrolled) > 1:
                spanish = [p for p in enrolled[1:] if p.language == "Spanish"]
                portal_demo_populate_spanish(
                    program=self.program, patient=(spanish or enrolled[1:])[0]
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
