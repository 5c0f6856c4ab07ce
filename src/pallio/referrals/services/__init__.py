"""Every write to a referral, by concern: intake from any door (intake), triage and the
decision (decisions), and reconciling the referrer's medications (medications).
"""

from __future__ import annotations

from pallio.core.idempotency import IdempotencyConflict
from pallio.referrals.services.decisions import (
    referral_accept,
    referral_create_patient,
    referral_decline,
    referral_hold,
    referral_link_patient,
    referral_redirect,
    referral_resume,
    referral_start_review,
    referral_update_insurance,
)
from pallio.referrals.services.intake import (
    MAX_ATTACHMENTS,
    MAX_MEDICATIONS,
    OLDEST_BIRTH_DATE,
    ReferralInput,
    eligibility_for,
    referral_attachment_add,
    referral_create,
    referral_validate,
    referrer_verified,
)
from pallio.referrals.services.medications import (
    referral_medication_add_to_list,
    referral_medication_decline,
)

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_MEDICATIONS",
    "OLDEST_BIRTH_DATE",
    "IdempotencyConflict",
    "ReferralInput",
    "eligibility_for",
    "referral_accept",
    "referral_attachment_add",
    "referral_create",
    "referral_create_patient",
    "referral_decline",
    "referral_hold",
    "referral_link_patient",
    "referral_medication_add_to_list",
    "referral_medication_decline",
    "referral_redirect",
    "referral_resume",
    "referral_start_review",
    "referral_update_insurance",
    "referral_validate",
    "referrer_verified",
]
