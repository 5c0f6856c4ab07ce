"""The demo program's population: each patient's story (in review, on hold, declined,
redirected, enrolled, discharged) drawn in turn, with the referrals and episodes it calls
for, and the referrals of people never enrolled."""

from __future__ import annotations

from datetime import timedelta

from pallio.episodes.demo import EpisodeDemo
from pallio.patients.models import Condition, Coverage, Patient, PayerType, Residence
from pallio.programs.demo_builder import BATCH, _Batch, _weighted
from pallio.referrals.demo import _UNLINKED_SHOWCASE
from pallio.referrals.models import Source, Status

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


class PopulationDemo(EpisodeDemo):
    """Draws the patients and their referrals and episodes, in batches."""

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
        # A child of a few months was referred after birth, with the first weeks at home.
        lived = (self.today - birth_date).days
        days_ago = min(days_ago, max(0, lived - 14))
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
        if i >= len(_SHOWCASE) and rng.random() < 0.15 and days_ago + 60 < min(730, lived - 14):
            earlier_at = max(earlier_at, self._received_at(min(729, lived - 14)))
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
