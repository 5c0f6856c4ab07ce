"""The demo program's referrals: who referred and how, and each referral's path through
intake (in review, on hold, declined, redirected, accepted)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pallio.core.codes import Diagnosis
from pallio.patients.demo import PatientDemo
from pallio.patients.models import AuthorizationStatus, Patient, PayerType, Residence
from pallio.programs.demo_builder import _Batch, _weighted
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
_PAYER_NAMES = {
    PayerType.MEDICARE: ["Medicare Part A/B"],
    PayerType.MEDICARE_ADVANTAGE: ["Humana Medicare Advantage", "Aetna Medicare", "UHC Medicare"],
    PayerType.MEDICAID: ["MassHealth", "State Medicaid"],
    PayerType.PRIVATE: ["Blue Cross Blue Shield", "Harvard Pilgrim", "Tufts Health Plan"],
    PayerType.VA: ["VA Community Care", "TRICARE"],
    PayerType.SELF_PAY: [""],
    PayerType.OTHER: ["Workers' compensation", "Charity care"],
}
# Referrals not (yet) linked to a patient record: the first ones cover every status.
_UNLINKED_SHOWCASE = (
    Status.NEW,
    Status.IN_REVIEW,
    Status.ON_HOLD,
    Status.DECLINED,
    Status.REDIRECTED,
    Status.NEW,
)


class ReferralDemo(PatientDemo):
    """Builds referrals, for patients and for people never enrolled."""

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
