"""The demo program's patients: age, diagnosis and stage, payer, residence and the person's
names and contact details, drawn as a palliative program's population looks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pallio.accounts.demo import StaffDemo
from pallio.core.codes import Diagnosis
from pallio.patients.models import AdministrativeSex, PayerType, Residence
from pallio.programs.demo_builder import _weighted

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


class PatientDemo(StaffDemo):
    """Draws a patient's age band, diagnosis, payer, residence and person."""

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
