"""The demo program's staff: named accounts and enough clinicians for the caseload, each
with a password and an authenticator secret derived from the seed."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password

from pallio.accounts.models import Role, User
from pallio.core.codes import Discipline
from pallio.programs.demo_builder import BATCH, _BuilderBase, _StaffSpec

# One password for every demo account; it passes the password validators (12+ characters,
# not a common password).
DEMO_PASSWORD = "quiet-harbor-lantern"  # noqa: S105 (the published demo password)
# How many patients each extra clinician of a busy discipline stands for.
PATIENTS_PER_CLINICIAN = 250


def demo_totp_secret(seed: int, username: str) -> str:
    """A base32 TOTP secret that is the same for the same seed and username (demo only)."""
    digest = hashlib.sha256(f"pallio-demo-totp:{seed}:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


_CLINICIAN = Role.CLINICIAN

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


_TRAINEE_FIRST = ("Amara", "Daniel", "Keiko", "Mateo", "Priya", "Samuel")
_TRAINEE_LAST = ("Okafor", "Lindqvist", "Haddad", "Nguyen", "Castillo", "Brennan")


def _trainee_name(seed: int, username: str) -> tuple[str, str]:
    rng = random.Random(f"pallio-demo-trainee:{seed}:{username}")
    return rng.choice(_TRAINEE_FIRST), rng.choice(_TRAINEE_LAST)


class StaffDemo(_BuilderBase):
    """Builds the program's staff, and picks a clinician of a discipline by caseload."""

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
