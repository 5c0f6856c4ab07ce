"""The portal's home page: what the patient sees in plain words, section by section as the
access allows; the downloads, audited; a fixed number of queries; English and Spanish."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import login

from pallio.audit.models import AuditEvent, Outcome
from pallio.portal.models import PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account
from pallio.portal.tests.home_factories import PATIENTS_WORDS, full_home, more_of_everything
from pallio.visits.models import ScheduledVisit

pytestmark = pytest.mark.django_db

# The page's queries: session, account, access, audit entry and one per section. Counted
# on a home with every section, and again with more of each: the number must not move.
HOME_QUERY_LIMIT = 16


def home_of(patient) -> str:
    return reverse("portal:patient_home", args=[patient.pk])


def test_the_patient_sees_every_section_in_plain_words(world):
    home = full_home(world)
    client = login(Client(), patient_account(world.alice))
    body = client.get(home_of(world.alice)).content.decode()
    # The team, with their roles in plain words; the 24/7 number.
    assert "Nina Navigator" in body and "Nurse who guides your care" in body
    assert "Phil Physician" in body and "Doctor" in body
    assert "nurse_navigator" not in body and "Palliative physician" not in body
    assert 'href="tel:+16175550100"' in body or 'href="tel:617-555-0100"' in body
    # Visits: the video visit with its link, the home visit.
    assert "Your next visits" in body
    assert home.video.join_url.startswith("https://video.example.org/join/")
    assert home.video.join_url in body and "Join the video visit" in body
    assert "At home" in body
    # Goals in the patient's own words; the advance directive's status.
    assert PATIENTS_WORDS in body
    assert "The team has the advance directive. They have not checked it yet." in body
    # The medicines, read only; the papers to download.
    assert "Senna" in body and "2 times a day" in body
    assert "<form" not in body.split('id="meds-h"')[1].split("</section>")[0]
    assert reverse("portal:summary_pdf", args=[world.alice.pk, home.summary.visit_id]) in body
    assert reverse("portal:document_download", args=[world.alice.pk, home.directive.pk]) in body


def test_a_caregiver_sees_only_the_sections_granted(world):
    full_home(world)
    client = login(Client(), caregiver_account(world.alice, "cousin", scopes=[PortalScope.DIARY]))
    body = client.get(home_of(world.alice)).content.decode()
    # The team and the 24/7 number always.
    assert "Your team" in body and "Call us any time" in body
    for hidden in ("Your next visits", "Your medicines", "Papers to download", PATIENTS_WORDS):
        assert hidden not in body
    visits_only = login(
        Client(), caregiver_account(world.alice, "niece", scopes=[PortalScope.VISITS])
    )
    body = visits_only.get(home_of(world.alice)).content.decode()
    assert "Your next visits" in body and "Your medicines" not in body


def test_a_cancelled_or_past_visit_is_not_listed(world):
    home = full_home(world)
    ScheduledVisit.objects.filter(pk=home.home_visit.pk).update(status="cancelled")
    body = login(Client(), patient_account(world.alice)).get(home_of(world.alice))
    assert "At home" not in body.content.decode()


def test_the_home_page_costs_a_fixed_number_of_queries(world):
    full_home(world)
    client = login(Client(), patient_account(world.alice))
    client.get(home_of(world.alice))
    with CaptureQueriesContext(connection) as few:
        assert client.get(home_of(world.alice)).status_code == 200
    more_of_everything(world, 3)
    with CaptureQueriesContext(connection) as more:
        assert client.get(home_of(world.alice)).status_code == 200
    assert len(more) == len(few) <= HOME_QUERY_LIMIT, [q["sql"] for q in more]


def test_a_visit_summary_downloads_as_a_pdf_and_is_audited(world):
    home = full_home(world)
    client = login(Client(), patient_account(world.alice))
    response = client.get(
        reverse("portal:summary_pdf", args=[world.alice.pk, home.summary.visit_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    event = AuditEvent.objects.get(event="portal.summary.download")
    assert (event.patient_id, event.role) == (world.alice.pk, "portal")


def test_a_directive_downloads_as_stored_and_is_audited(world):
    home = full_home(world)
    client = login(Client(), patient_account(world.alice))
    response = client.get(
        reverse("portal:document_download", args=[world.alice.pk, home.directive.pk])
    )
    assert response.status_code == 200
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    home.directive.file.open("rb")
    assert data == home.directive.file.read()
    assert AuditEvent.objects.filter(event="portal.document.download").count() == 1


def test_downloads_need_the_documents_scope_and_the_patients_own_papers(world):
    home = full_home(world)
    summary_url = reverse("portal:summary_pdf", args=[world.alice.pk, home.summary.visit_id])
    cousin = login(Client(), caregiver_account(world.alice, "cousin", scopes=[PortalScope.DIARY]))
    assert cousin.get(summary_url).status_code == 403
    denied = AuditEvent.objects.get(event="portal.denied")
    assert (denied.outcome, denied.detail["scope"]) == (Outcome.DENIED, "documents")
    # Alice's paper asked for through Bob's address: Bob's own portal account gets nothing.
    bob = login(Client(), patient_account(world.bob))
    crossed = reverse("portal:document_download", args=[world.bob.pk, home.directive.pk])
    assert bob.get(crossed).status_code == 404
    assert (
        bob.get(
            reverse("portal:summary_pdf", args=[world.bob.pk, home.summary.visit_id])
        ).status_code
        == 404
    )
    assert not AuditEvent.objects.filter(
        event__startswith="portal.", event__endswith="download"
    ).exists()


def test_spanish_from_the_browser_then_from_the_account(world):
    full_home(world)
    user = patient_account(world.alice)
    client = login(Client(), user)
    body = client.get(home_of(world.alice), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert '<html lang="es">' in body and "Su equipo" in body
    # A date in Spanish words, in the program's zone.
    assert " de diciembre de " in body or " de " in body.split('id="visits-h"')[1]
    # Choosing English is kept on the account and wins over the browser.
    response = client.post(
        reverse("set_language"), {"language": "en", "next": home_of(world.alice)}
    )
    assert response.status_code == 302 and response["Location"] == home_of(world.alice)
    user.refresh_from_db()
    assert user.language == "en"
    fresh = login(Client(), user)
    body = fresh.get(home_of(world.alice), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in body and "Your team" in body


def test_a_language_pallio_does_not_speak_changes_nothing(world):
    user = patient_account(world.alice)
    client = login(Client(), user)
    client.post(reverse("set_language"), {"language": "xx", "next": home_of(world.alice)})
    user.refresh_from_db()
    assert user.language == ""


def test_the_sign_in_page_and_staff_layout_speak_spanish(world):
    page = Client().get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="es")
    body = page.content.decode()
    assert "Iniciar sesión en Pallio" in body and "Contraseña" in body
    world.navigator.language = "es"
    world.navigator.save(update_fields=["language"])
    staff = login(Client(), world.navigator)
    body = staff.get(reverse("episodes:caseload")).content.decode()
    assert "Cerrar sesión" in body and "Menú" in body
