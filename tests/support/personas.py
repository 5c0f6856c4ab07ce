"""Two programs and a named person per role, for tests that read like the rule they check.

Riverside is the program under test; Hillside's data must stay invisible to Riverside's staff.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import import_module
from typing import Any

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import Client

from pallio.accounts.middleware import LOGIN_AT_SESSION_KEY, SEEN_AT_SESSION_KEY
from pallio.accounts.models import Role, User
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.episodes.services import episode_open
from pallio.patients.services import PatientIdentity, condition_add, patient_create
from pallio.programs.models import Program
from pallio.programs.services import program_create
from pallio.support.models import Line, Shift

PASSWORD = "correct horse battery staple"


def make_staff(
    program: Program, username: str, role: str, discipline: str, first: str, last: str
) -> User:
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        program=program,
        role=role,
        discipline=discipline,
        email=f"{username}@example.org",
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def make_patient(
    program: Program,
    given: str,
    family: str,
    born: date,
    phone: str = "",
    team: tuple[User, ...] = (),
) -> Any:
    patient = patient_create(
        actor=None,
        program=program,
        identity=PatientIdentity(
            given_name=given, family_name=family, birth_date=born, phone=phone
        ),
    )
    condition_add(
        actor=None,
        patient=patient,
        system=ICD10CM,
        code="C34.90",
        display="Malignant neoplasm of unspecified part of unspecified bronchus or lung",
        advanced=True,
        is_primary=True,
    )
    if team:
        episode = episode_open(
            actor=None,
            patient=patient,
            team=team,
            first_visit_due=clock.now().date() + timedelta(days=3),
            lead=team[0],
        )
        task_create(
            actor=None,
            patient=patient,
            episode=episode,
            kind=TaskKind.FIRST_CONTACT,
            title="First contact",
            due=clock.now().date() + timedelta(days=1),
            assigned_to=team[0],
        )
    return patient


@dataclass
class World:
    riverside: Program
    hillside: Program
    coordinator: User
    director: User
    oncall: User
    navigator: User
    physician: User
    social_worker: User
    privacy: User
    hillside_coordinator: User
    hillside_nurse: User
    alice: Any  # Riverside patient, team: navigator + physician
    bob: Any  # Riverside patient with no team
    hana: Any  # Hillside patient
    # Owen's on-call shift: it covers every moment a test may freeze the clock at, so the
    # on-call role reaches the whole program as before; tests of access off shift cancel it.
    oncall_shift: Any = None

    @property
    def riverside_staff(self) -> list[User]:
        return [
            self.coordinator,
            self.director,
            self.oncall,
            self.navigator,
            self.physician,
            self.social_worker,
            self.privacy,
        ]


def build_world() -> World:
    riverside = program_create(
        name="Riverside Palliative Care",
        slug="riverside",
        timezone="America/New_York",
        phone="617-555-0100",
    )
    hillside = program_create(
        name="Hillside Supportive Care", slug="hillside", timezone="America/Chicago"
    )
    coordinator = make_staff(
        riverside, "cora", Role.INTAKE_COORDINATOR, "care_coordinator", "Cora", "Coordinator"
    )
    director = make_staff(riverside, "dana", Role.MEDICAL_DIRECTOR, "physician", "Dana", "Director")
    oncall = make_staff(riverside, "owen", Role.ON_CALL, "nurse_practitioner", "Owen", "Oncall")
    navigator = make_staff(
        riverside, "nina", Role.CLINICIAN, "nurse_navigator", "Nina", "Navigator"
    )
    physician = make_staff(riverside, "phil", Role.CLINICIAN, "physician", "Phil", "Physician")
    social_worker = make_staff(riverside, "sam", Role.CLINICIAN, "social_worker", "Sam", "Social")
    privacy = make_staff(
        riverside, "priya", Role.PRIVACY_OFFICER, "administration", "Priya", "Privacy"
    )
    hillside_coordinator = make_staff(
        hillside, "hal", Role.INTAKE_COORDINATOR, "care_coordinator", "Hal", "Hill"
    )
    hillside_nurse = make_staff(hillside, "hope", Role.CLINICIAN, "nurse", "Hope", "Hill")
    alice = make_patient(
        riverside, "Alice", "Anders", date(1950, 4, 12), "+16175550111", team=(navigator, physician)
    )
    bob = make_patient(riverside, "Bob", "Brown", date(1961, 9, 3), "+16175550122")
    hana = make_patient(
        hillside, "Hana", "Hill", date(1948, 1, 30), "+13125550133", team=(hillside_nurse,)
    )
    oncall_shift = Shift.objects.create(
        program=riverside,
        line=Line.BACKUP,
        user=oncall,
        starts_at=datetime(2000, 1, 1, tzinfo=UTC),
        ends_at=datetime(2100, 1, 1, tzinfo=UTC),
        source=Shift.Source.MANUAL,
        note="Test world: on call throughout",
    )
    return World(
        riverside,
        hillside,
        coordinator,
        director,
        oncall,
        navigator,
        physician,
        social_worker,
        privacy,
        hillside_coordinator,
        hillside_nurse,
        alice,
        bob,
        hana,
        oncall_shift,
    )


def login(client: Client, user: User) -> Client:
    """Sign `user` in as if they had passed the password and the authenticator code.

    The session is written as the sign-in pages leave it: Django's user, backend and password
    hash, allauth's two methods, the session's clocks (accounts.signals). It is written
    directly, in one row: the suite signs people in thousands of times, and Django's `login`
    also renews the key and writes the sign-in's audit event, lockout log and last sign-in,
    which the sign-in's own tests check through the pages (tests/security/test_audit.py and
    test_authentication.py, tests/e2e).
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = time.time()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LOGIN_AT_SESSION_KEY] = now
    store[SEEN_AT_SESSION_KEY] = now
    store[AUTHENTICATION_METHODS_SESSION_KEY + "_user"] = str(user.pk)
    store[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "username": user.username},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client


def add_to_team(
    world: World,
    username: str,
    discipline: str,
    first: str,
    last: str,
    role: str = Role.CLINICIAN,
    patient: Any = None,
) -> User:
    """A Riverside staff member on `patient`'s (by default alice's) active care team, e.g. the
    volunteer who visits alice: they reach her chart, which is what makes their clinical
    privileges (core/privileges.py) matter."""
    from pallio.episodes.services import care_team_add

    user = make_staff(world.riverside, username, role, discipline, first, last)
    patient = patient or world.alice
    care_team_add(actor=None, episode=patient.episodes.get(status="active"), user=user)
    return user
