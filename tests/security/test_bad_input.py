"""Bad input through the referral forms (SECURITY.md 23-26 and the list of bad inputs).

The three doors in: the public provider form, the self-referral form and the staff phone form.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pallio.core import clock
from pallio.referrals.models import Attachment, Referral
from pallio.referrals.services import referral_create
from tests.security.helpers import SMALL_PDF, body_of, referral_input, row_counts
from tests.support.pdfs import ACTIVE_PDFS
from tests.support.personas import login

PROVIDER = reverse("referrals:provider", kwargs={"slug": "riverside"})
SELF = reverse("referrals:self", kwargs={"slug": "riverside"})
PHONE = reverse("referrals:phone")
DIAGNOSIS = "ICD-10-CM C34.90 · lung cancer"

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 10_000


def form_data(door: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "submission_token": secrets.token_urlsafe(24),
        "given_name": "Marguerite",
        "family_name": "Okafor",
        "birth_date": "1947-03-02",
        "sex": "female",
        "phone": "617-555-0142",
        "residence": "home",
        "diagnosis": DIAGNOSIS,
        "urgency": "routine",
        "preferred_setting": "no_preference",
        "consent_to_contact": "on",
    }
    if door == "provider":
        data |= {
            "referrer_type": "provider",
            "referrer_name": "Dr Ada Lovelace",
            "referrer_email": "ada@example.org",
        }
    elif door == "self":
        data |= {"referrer_type": "family", "referrer_name": "Tom Okafor"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


DOORS = ["provider", "self", "phone"]
URLS = {"provider": PROVIDER, "self": SELF, "phone": PHONE}


def client_for(door: str, world) -> Client:
    client = Client()
    if door == "phone":
        login(client, world.coordinator)
    return client


def post(door: str, world, client: Client | None = None, **overrides: Any):
    client = client or client_for(door, world)
    return client.post(URLS[door], form_data(door, **overrides))


def form_errors(response) -> dict[str, list[str]]:
    return {k: list(v) for k, v in response.context["form"].errors.items()}


# --- script in every text field --------------------------------------------------------------

TEXT_FIELDS = {
    "given_name": SCRIPT,
    "family_name": IMG,
    "address_line": SCRIPT,
    "city": IMG,
    "state": SCRIPT,
    "postal_code": "<script>",
    "clinical_summary": SCRIPT + IMG,
    "payer_name": SCRIPT,
    "member_id": IMG,
    "referrer_name": SCRIPT,
    "referrer_organization": IMG,
    "referrer_relationship": SCRIPT,
}


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
def test_script_is_stored_as_text_and_shown_escaped(world, door):
    fields = {k: v for k, v in TEXT_FIELDS.items() if k in _fields_of(door)}
    response = post(door, world, **fields)
    assert response.status_code == 302, form_errors(response)
    referral = Referral.objects.get(program=world.riverside, family_name=fields["family_name"])
    for name, value in fields.items():
        assert getattr(referral, name) == value.strip(), name

    coordinator = login(Client(), world.coordinator)
    for url in (
        reverse("referrals:detail", kwargs={"referral_id": referral.pk}),
        reverse("referrals:queue"),
    ):
        html = body_of(coordinator.get(url))
        assert "<script>alert" not in html, f"unescaped script on {url}"
        assert "<img src=x" not in html, f"unescaped tag on {url}"
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def _fields_of(door: str) -> set[str]:
    from pallio.referrals import forms

    form = {
        "provider": forms.ProviderReferralForm,
        "self": forms.SelfReferralForm,
        "phone": forms.PhoneReferralForm,
    }[door]
    return set(form.base_fields)


# --- SQL in the queue's filters and sort ----------------------------------------------------


def _queue_references(client: Client, query: str = "") -> list[str]:
    response = client.get(reverse("referrals:queue") + query)
    assert response.status_code == 200, query
    return re.findall(r"PAL-[A-Z0-9]{8}", body_of(response))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?sort=received_at;DROP TABLE referrals_referral",
        "?sort=-received_at%3BDROP%20TABLE%20referrals_referral--",
        "?sort=(CASE WHEN 1=1 THEN urgency_rank END)",
        "?sort=id",
        "?status=' OR 1=1--",
        "?status=open' UNION SELECT * FROM accounts_user--",
        "?source=provider%27%20OR%20%271%27%3D%271",
        "?urgency=urgent;DELETE FROM referrals_referral",
        "?setting=%00",
        "?page=1;DROP TABLE x",
        "?page=-1",
        "?page=99999999999999999999",
    ],
)
def test_sql_in_queue_filters_is_refused_with_a_message(world, query):
    for urgency in ("routine", "urgent", "soon"):
        referral_create(
            actor=None,
            program=world.riverside,
            source="provider",
            data=referral_input(urgency=urgency, given_name=f"Pat{urgency}"),
        )
    client = login(Client(), world.coordinator)
    assert len(_queue_references(client)) >= 3
    response = client.get(reverse("referrals:queue") + query)
    assert response.status_code == 400
    body = body_of(response)
    assert re.search(r"(Sort|Status|Source|Urgency|Preferred setting|Page): ", body), body
    assert not re.findall(r"PAL-[A-Z0-9]{8}", body), "no list the filters did not choose"
    assert Referral.objects.filter(program=world.riverside).count() == 3


# --- long strings, control characters, scripts of the world --------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("field", ["given_name", "family_name", "clinical_summary", "city"])
def test_very_long_strings_are_refused_with_a_message(world, door, field):
    before = row_counts()
    response = post(door, world, **{field: "A" * 10_000})
    assert response.status_code == 400
    errors = form_errors(response)
    assert field in errors and "characters" in " ".join(errors[field]), errors
    assert row_counts() == before


NAMES = {
    "nul": "Ann\x00e",
    "crlf": "Ann\r\nInjected: yes",
    "rtl": "Ann\u202efdp.exe",
    "emoji": "Ann 🌻",
    "homoglyph": "\u0410nne",  # a Cyrillic capital A
    "zero width": "An\u200bne",
}


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("kind", sorted(NAMES))
def test_odd_characters_in_names_are_kept_intact_or_refused_never_a_500(world, door, kind):
    name = NAMES[kind]
    before = row_counts()
    response = post(door, world, given_name=name)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        errors = form_errors(response)
        assert "given_name" in errors, errors
        assert row_counts() == before
        return
    referral = Referral.objects.get(program=world.riverside, family_name="Okafor")
    assert referral.given_name == name
    html = body_of(
        login(Client(), world.coordinator).get(
            reverse("referrals:detail", kwargs={"referral_id": referral.pk})
        )
    )
    assert name.replace("\r\n", "\n") in html.replace("\r\n", "\n")


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
def test_nul_bytes_are_refused(world, door):
    before = row_counts()
    response = post(door, world, family_name="Oka\x00for", clinical_summary="a\x00b")
    assert response.status_code == 400
    errors = form_errors(response)
    assert "family_name" in errors and "clinical_summary" in errors, errors
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    "given, family",
    [("Siobhán", "O'Brien"), ("Thị Lan", "Nguyễn-Smith"), ("花子", "山田"), ("José, Jr.", "Añez")],
)
def test_real_names_are_accepted(world, door, given, family):
    response = post(door, world, given_name=given, family_name=family)
    assert response.status_code == 302, form_errors(response)
    referral = Referral.objects.get(program=world.riverside, family_name=family)
    assert referral.given_name == given
    html = body_of(
        login(Client(), world.coordinator).get(
            reverse("referrals:detail", kwargs={"referral_id": referral.pk})
        )
    )
    assert family.replace("'", "&#x27;") in html


# --- impossible dates -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("kind", ["future", "feb30", "garbage", "year 1850"])
def test_impossible_birth_dates_are_refused_naming_the_field(world, door, kind):
    value = {
        "future": (clock.now().date() + timedelta(days=2)).isoformat(),
        "feb30": "1950-02-30",
        "garbage": "1950-13-45",
        "year 1850": "1850-01-01",
    }[kind]
    before = row_counts()
    response = post(door, world, birth_date=value)
    assert response.status_code == 400
    errors = form_errors(response)
    assert list(errors) == ["birth_date"], errors
    assert "Date of birth" in body_of(response)
    assert row_counts() == before


# --- double submission, honeypot, rate limit ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
def test_double_submission_makes_one_referral(world, door):
    client = client_for(door, world)
    data = form_data(door)
    first = client.post(URLS[door], data)
    second = client.post(URLS[door], data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Referral.objects.filter(program=world.riverside, family_name="Okafor").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["provider", "self"])
def test_honeypot_looks_like_success_and_saves_nothing(world, door):
    before = row_counts()
    response = post(door, world, website="http://spam.example")
    assert response.status_code == 302
    assert "/thanks/" in response["Location"]
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["provider", "self"])
def test_rate_limit_refuses_with_429_and_saves_nothing(world, door, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 2
    client = Client()
    for n in range(2):
        assert post(door, world, client, given_name=f"Try{n}").status_code == 302
    before = row_counts()
    response = post(door, world, client, given_name="Third")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "this referral was not saved" in body_of(response)
    assert row_counts() == before


# --- attachments ----------------------------------------------------------------------------

ONE_MB = 1024 * 1024
BAD_FILES = {
    "garbage named .pdf": ("notes.pdf", b"just some text, not a PDF at all\n" * 4),
    "exe renamed .pdf": ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200),
    "html with script": ("letter.html", b"<html><script>alert(1)</script></html>"),
    "html named .pdf": ("letter.pdf", b"<!DOCTYPE html><script>alert(1)</script>"),
    "svg with script": (
        "scan.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "pdf with javascript": ("form.pdf", ACTIVE_PDFS["JavaScript open action"][0]),
    "pdf with launch": ("launch.pdf", ACTIVE_PDFS["launch action"][0]),
    "oversize": ("big.pdf", SMALL_PDF + b"0" * ONE_MB),
    "path traversal": ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n"),
    "empty": ("empty.pdf", b""),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_attachments_are_refused_and_nothing_is_saved(world, kind, settings):
    settings.PALLIO_ATTACHMENT_MAX_BYTES = ONE_MB
    name, content = BAD_FILES[kind]
    before = row_counts()
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = Client().post(PROVIDER, {**form_data("provider"), "attachments": [upload]})
    assert response.status_code == 400
    body = body_of(response)
    messages = " ".join(" ".join(v) for v in form_errors(response).values())
    assert re.search(r"PDF, PNG or JPEG|refused|MB or smaller|empty|file", messages), messages
    assert "/etc/passwd" not in body
    assert row_counts() == before
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_traversal_in_a_valid_pdf_name_cannot_leave_the_upload_folder(world, settings):
    upload = SimpleUploadedFile("../../../etc/cron.d/x.pdf", SMALL_PDF)
    response = Client().post(PROVIDER, {**form_data("provider"), "attachments": [upload]})
    assert response.status_code == 302
    item = Attachment.objects.get()
    assert ".." not in item.file.name and ".." not in item.original_name
    assert "/" not in item.original_name
    stored = (settings.MEDIA_ROOT / item.file.name).resolve()
    assert stored.is_relative_to(settings.MEDIA_ROOT.resolve())


@pytest.mark.django_db
def test_a_small_pdf_is_stored_under_a_random_name_and_downloaded_as_an_attachment(world):
    upload = SimpleUploadedFile("Discharge letter.pdf", SMALL_PDF, content_type="application/pdf")
    response = Client().post(PROVIDER, {**form_data("provider"), "attachments": [upload]})
    assert response.status_code == 302
    item = Attachment.objects.get()
    assert re.fullmatch(r"referrals/\d{4}/\d{2}/[0-9a-f]{32}\.bin", item.file.name), item.file.name
    assert item.content_type == "application/pdf"
    coordinator = login(Client(), world.coordinator)
    download = coordinator.get(
        reverse(
            "referrals:attachment",
            kwargs={"referral_id": item.referral_id, "attachment_id": item.pk},
        )
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Discharge letter.pdf" in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == SMALL_PDF


# --- foreign ids, stale versions, CSRF ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action, data",
    [
        ("hold", {"information_requested": "Send the discharge summary please."}),
        ("decline", {"reason": "other", "note": "no"}),
        ("redirect", {"to": "Elsewhere Hospice", "note": ""}),
        ("resume", {}),
        ("new_patient", {}),
        ("insurance", {"payer_type": "medicare", "authorization": "not_needed"}),
    ],
)
def test_triage_on_another_programs_referral_is_404_and_changes_nothing(world, action, data):
    hillside, _ = referral_create(
        actor=None, program=world.hillside, source="provider", data=referral_input()
    )
    client = login(Client(), world.coordinator)
    before = row_counts()
    url = reverse(f"referrals:{action}", kwargs={"referral_id": hillside.pk})
    response = client.post(url, {"version": hillside.version, **data})
    assert response.status_code == 404
    assert "Quennell" not in body_of(response)
    after = Referral.objects.get(pk=hillside.pk)
    assert (after.status, after.version, after.patient_id) == (
        hillside.status,
        hillside.version,
        None,
    )
    assert row_counts() == before


@pytest.mark.django_db
def test_linking_a_referral_to_another_programs_patient_is_refused(world):
    referral, _ = referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    client = login(Client(), world.coordinator)
    before = row_counts()
    response = client.post(
        reverse("referrals:link", kwargs={"referral_id": referral.pk}),
        {"version": referral.version, "patient": str(world.hana.pk)},
    )
    assert response.status_code == 400
    assert "Choose one of the listed patients." in body_of(response)
    referral.refresh_from_db()
    assert referral.patient_id is None
    assert row_counts() == before


@pytest.mark.django_db
def test_a_stale_version_gets_a_conflict_and_changes_nothing(world):
    referral, _ = referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    client = login(Client(), world.coordinator)
    url = reverse("referrals:hold", kwargs={"referral_id": referral.pk})
    first = client.post(url, {"version": referral.version, "information_requested": "Labs?"})
    assert first.status_code == 302
    referral.refresh_from_db()
    state = (referral.status, referral.version, referral.information_requested)
    stale = client.post(
        reverse("referrals:insurance", kwargs={"referral_id": referral.pk}),
        {"version": referral.version - 1, "payer_type": "medicaid", "authorization": "needed"},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in body_of(stale)
    referral.refresh_from_db()
    assert (referral.status, referral.version, referral.information_requested) == state
    assert referral.payer_type != "medicaid"


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
def test_a_post_without_a_csrf_token_is_refused(world, door):
    client = Client(enforce_csrf_checks=True)
    if door == "phone":
        login(client, world.coordinator)
    before = row_counts()
    response = client.post(URLS[door], form_data(door))
    assert response.status_code == 403
    assert row_counts() == before


@pytest.mark.django_db
def test_triage_without_a_csrf_token_is_refused(world):
    referral, _ = referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    client = login(Client(enforce_csrf_checks=True), world.coordinator)
    response = client.post(
        reverse("referrals:hold", kwargs={"referral_id": referral.pk}),
        {"version": referral.version, "information_requested": "Labs?"},
    )
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == "new"
