"""A referral that enrolled a patient, with what the referrer said, listed and sent."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from tests.support.pdfs import clean_pdf

from pallio.core.codes import ICD10CM
from pallio.referrals import services

SUMMARY = (
    "Pain poorly controlled on oxycodone; two admissions this spring. Daughter is main caregiver."
)
MEDICATIONS = [
    "Oxycodone 10 mg PO q4h PRN pain",
    "Senna 8.6 mg at bedtime",
    "Lorazepam 0.5 mg PO at bedtime",
]
CLEAN_PDF = clean_pdf()


def referral_input(**overrides: Any) -> services.ReferralInput:
    values: dict[str, Any] = dict(
        given_name="Rosa",
        family_name="Referred",
        birth_date=date(1950, 6, 1),
        diagnosis_system=ICD10CM,
        diagnosis_code="C78.00",
        phone="617-555-0142",
        reasons=["symptoms", "caregiver_strain"],
        clinical_summary=SUMMARY,
        referrer_name="Dr. Osler",
        referrer_organization="Mercy Oncology",
        referrer_email="osler@example.org",
        consent_to_contact=True,
        medications=list(MEDICATIONS),
    )
    values.update(overrides)
    return services.ReferralInput(**values)


def enrolled_referral(
    world: Any, *, team: tuple[Any, ...] | None = None, accept: bool = True, **overrides: Any
) -> Any:
    """A provider referral with a letter attached, its patient created and (by default)
    accepted with the navigator and the physician on the team."""
    referral, _ = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=referral_input(**overrides),
        attachments=[SimpleUploadedFile("clinic letter.pdf", CLEAN_PDF, "application/pdf")],
    )
    referral = services.referral_create_patient(
        actor=world.coordinator, referral=referral, expected_version=referral.version
    )
    if accept:
        services.referral_accept(
            actor=world.coordinator,
            referral=referral,
            expected_version=referral.version,
            team=list(team or (world.navigator, world.physician)),
        )
        referral.refresh_from_db()
    return referral
