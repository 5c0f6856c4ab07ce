"""Shared pieces of the security suite: sample data, row counts, response bodies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.http import HttpResponseBase

from pallio.careplans.models import Task
from pallio.episodes.models import BreakGlassGrant, CareTeamMember, EpisodeOfCare
from pallio.patients.models import Patient
from pallio.referrals.models import Attachment, Referral
from pallio.referrals.services import ReferralInput, referral_create
from tests.support.pdfs import clean_pdf

# A well-formed one-page PDF with no active content.
SMALL_PDF = clean_pdf()

REFERRED_GIVEN = "Rosalind"
REFERRED_FAMILY = "Quennell"
REFERRED_BORN = date(1944, 7, 19)


def referral_input(**overrides: Any) -> ReferralInput:
    values: dict[str, Any] = {
        "given_name": REFERRED_GIVEN,
        "family_name": REFERRED_FAMILY,
        "birth_date": REFERRED_BORN,
        "diagnosis_system": "http://hl7.org/fhir/sid/icd-10-cm",
        "diagnosis_code": "C34.90",
        "phone": "617-555-0199",
        "referrer_name": "Dr Referrer",
        "referrer_email": "referrer@example.org",
        "consent_to_contact": True,
    }
    values.update(overrides)
    return ReferralInput(**values)


def riverside_referral(world: Any, *, with_attachment: bool = True) -> Referral:
    attachments = (
        [SimpleUploadedFile("letter.pdf", SMALL_PDF, content_type="application/pdf")]
        if with_attachment
        else []
    )
    referral, _ = referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=referral_input(),
        attachments=attachments,
    )
    return referral


TRACKED_MODELS = (
    Referral,
    Patient,
    EpisodeOfCare,
    Task,
    CareTeamMember,
    BreakGlassGrant,
    Attachment,
)


@cache
def _counting_sql(counted: tuple[type[models.Model], ...]) -> str:
    """One SELECT of each model's row count through its default manager, side by side (a walk
    counts rows before and after every request: one round trip instead of one a model)."""
    parts = []
    for model in counted:
        query = (
            model._default_manager.order_by()
            .annotate(n=models.Func(models.F("pk"), function="COUNT"))
            .values("n")
            .query
        )
        sql, params = query.sql_with_params()
        assert not params, params
        parts.append(f"({sql})")
    return "SELECT " + ", ".join(parts)


def counts_of(counted: Iterable[type[models.Model]]) -> dict[str, int]:
    """Each model's row count, by model name, in one query."""
    counted = tuple(counted)
    with connection.cursor() as cursor:
        cursor.execute(_counting_sql(counted))
        row = cursor.fetchone()
    return {model.__name__: int(n) for model, n in zip(counted, row, strict=True)}


def row_counts() -> dict[str, int]:
    return counts_of(TRACKED_MODELS)


def body_of(response: HttpResponseBase) -> str:
    """The body of any response. The test client closes the response itself once the content
    is read; closing it again would end the test's database connection on PostgreSQL."""
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        data = response.content  # type: ignore[attr-defined]
    return data.decode("utf-8", errors="replace")


def birth_date_forms(born: date) -> list[str]:
    """The ways a page might print a birth date."""
    return [
        born.isoformat(),
        f"{born.day} {born:%b %Y}",
        f"{born:%B} {born.day}, {born.year}",
        f"{born:%m/%d/%Y}",
    ]
