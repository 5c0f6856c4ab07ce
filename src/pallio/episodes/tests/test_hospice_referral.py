"""A hospice referral: sent with its hand-off package, tracked through accepted, admitted
(the episode ends: discharged to hospice) or declined with a reason; bad input changes
nothing and says why."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from pallio.acp.tests.factories import full_plan
from pallio.audit.models import AuditEvent
from pallio.core.models import ConflictError
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes import hospice
from pallio.episodes.hospice_package import render_package_pdf
from pallio.episodes.models import EpisodeOfCare, HospiceReferral, HospiceReferralEvent
from pallio.episodes.tests.hospice_samples import PPI_7_5, refer, report, today

pytestmark = pytest.mark.django_db


def answer(world, referral, status, *, days=0, reason="", actor=None, version=None):
    return hospice.hospice_referral_status_set(
        actor=actor or world.coordinator,
        referral=referral,
        status=status,
        occurred_on=referral.referred_on + timedelta(days=days),
        reason=reason,
        expected_version=referral.version if version is None else version,
    )


def test_a_referral_is_sent_with_its_package_and_audited(hworld):
    full_plan(hworld)
    report(hworld, hworld.alice, "ppi", PPI_7_5)
    referral = refer(hworld)
    assert referral.status == "sent" and referral.referred_by == hworld.navigator
    package = referral.package
    assert package["agency"]["name"] == "Bayside Hospice"
    assert package["code_status"]["status"] and package["portable_order"]["form"]
    assert package["agents"] and package["goals_of_care"] and package["scores"]
    assert {m["name"] for m in package["team"]} == {"Nina Navigator", "Phil Physician"}
    assert AuditEvent.objects.filter(event="hospice.refer", patient_id=hworld.alice.pk).exists()
    assert list(referral.events.values_list("status", flat=True)) == ["sent"]


def test_the_fhir_bundle_is_valid_r4_and_holds_every_part(hworld):
    full_plan(hworld)
    report(hworld, hworld.alice, "ppi", PPI_7_5)
    bundle = refer(hworld).package_bundle
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {
        "Patient",
        "Organization",
        "ServiceRequest",
        "Condition",
        "Goal",
        "Consent",
        "RelatedPerson",
        "Observation",
        "Practitioner",
        "CareTeam",
    } <= kinds


def test_the_package_pdf_renders_and_fetches_nothing(hworld):
    from pallio.acp.pdf import RefusingFetcher

    hworld.alice.address_line = "file:///etc/passwd <img src='http://169.254.169.254/'>"
    hworld.alice.save(update_fields=["address_line"])
    referral = refer(hworld)
    fetcher = RefusingFetcher()
    pdf = render_package_pdf(referral.package, fetcher=fetcher)
    assert pdf.startswith(b"%PDF") and fetcher.refused == []


def test_admitted_discharges_the_episode_to_hospice_on_that_day(hworld):
    referral = refer(hworld)
    referral = answer(hworld, referral, "accepted")
    referral = answer(hworld, referral, "admitted")
    episode = EpisodeOfCare.objects.get(pk=referral.episode_id)
    assert episode.status == "finished" and episode.end is not None
    assert episode.end.astimezone(ZoneInfo(hworld.riverside.timezone)).date() == today(hworld)
    assert referral.admitted_on == today(hworld)
    assert hospice.patient_hospice_status(hworld.alice) == (
        f"Admitted to Bayside Hospice on {today(hworld):%b} {today(hworld).day}, "
        f"{today(hworld).year}"
    )
    assert AuditEvent.objects.filter(event="episode.discharge").exists()
    assert list(referral.events.values_list("status", flat=True)) == [
        "sent",
        "accepted",
        "admitted",
    ]


def test_declined_needs_a_reason_and_changes_nothing_without_one(hworld):
    referral = refer(hworld)
    with pytest.raises(ValidationError) as refused:
        answer(hworld, referral, "declined")
    assert "Say why the hospice declined" in str(refused.value)
    referral.refresh_from_db()
    assert referral.status == "sent" and referral.events.count() == 1
    answer(hworld, referral, "declined", reason="Outside our service area")
    assert hospice.patient_hospice_status(hworld.alice).startswith("Declined by Bayside Hospice")


def test_an_admission_before_the_referral_is_refused(hworld):
    referral = refer(hworld)
    with pytest.raises(ValidationError) as refused:
        answer(hworld, referral, "admitted", days=-1)
    assert "cannot be before the referral" in str(refused.value)
    assert EpisodeOfCare.objects.get(pk=referral.episode_id).status == "active"
    assert HospiceReferralEvent.objects.count() == 1


def test_a_future_date_is_refused(hworld):
    referral = refer(hworld)
    with pytest.raises(ValidationError, match="future"):
        answer(hworld, referral, "accepted", days=2)


def test_a_discharged_patient_cannot_be_referred(hworld):
    EpisodeOfCare.objects.filter(patient=hworld.alice).update(status="finished", end=None)
    with pytest.raises(ValidationError, match="not enrolled"):
        refer(hworld)
    assert not HospiceReferral.objects.exists()


def test_a_second_referral_waits_for_the_first_answer(hworld):
    refer(hworld)
    with pytest.raises(ValidationError, match="already referred to Bayside Hospice"):
        refer(hworld, agency="Harbor Hospice")
    assert HospiceReferral.objects.count() == 1


def test_a_final_answer_cannot_change(hworld):
    referral = answer(hworld, refer(hworld), "declined", reason="No bed")
    with pytest.raises(ValidationError, match="already declined"):
        answer(hworld, referral, "admitted")


def test_a_stale_answer_is_a_conflict(hworld):
    referral = refer(hworld)
    stale = referral.version
    answer(hworld, referral, "accepted")
    again = HospiceReferral.objects.get(pk=referral.pk)
    with pytest.raises(ConflictError):
        answer(hworld, again, "declined", reason="No bed", version=stale)


def test_a_chaplain_may_not_refer(hworld):
    from tests.support.personas import add_to_team

    chaplain = add_to_team(hworld, "carl", "chaplain", "Carl", "Chaplain")
    with pytest.raises(PrivilegeDenied):
        refer(hworld, actor=chaplain)
    assert not HospiceReferral.objects.exists()


# --- pages ----------------------------------------------------------------------------------


def page_url(world):
    return reverse("hospice:patient", kwargs={"patient_id": world.alice.pk})


def test_refer_and_answer_through_the_pages(hworld, as_user):
    client = as_user(hworld.navigator)
    response = client.post(
        reverse("hospice:refer", kwargs={"patient_id": hworld.alice.pk}),
        {"agency_name": "Bayside Hospice", "referred_on": today(hworld).isoformat()},
    )
    assert response.status_code == 302
    referral = HospiceReferral.objects.get()
    prefix = f"r{referral.pk.hex[:8]}"
    status_url = reverse(
        "hospice:status",
        kwargs={"patient_id": hworld.alice.pk, "hospice_referral_id": referral.pk},
    )
    refused = client.post(
        status_url,
        {
            f"{prefix}-version": referral.version,
            f"{prefix}-status": "declined",
            f"{prefix}-occurred_on": today(hworld).isoformat(),
        },
    )
    assert refused.status_code == 400
    assert "Say why the hospice declined the referral." in refused.content.decode()
    ok = client.post(
        status_url,
        {
            f"{prefix}-version": referral.version,
            f"{prefix}-status": "admitted",
            f"{prefix}-occurred_on": today(hworld).isoformat(),
        },
    )
    # The admission discharged the patient and ended the care team's memberships: the
    # navigator goes back to the caseload; the coordinator still reads the record.
    assert ok.status_code == 302 and ok["Location"] == reverse("episodes:caseload")
    assert client.get(page_url(hworld)).status_code == 404
    body = as_user(hworld.coordinator).get(page_url(hworld)).content.decode()
    assert "Admitted" in body and "not enrolled" in body


def test_a_bad_referral_date_is_a_400_that_writes_nothing(hworld, as_user):
    client = as_user(hworld.navigator)
    response = client.post(
        reverse("hospice:refer", kwargs={"patient_id": hworld.alice.pk}),
        {"agency_name": "", "referred_on": "2026-02-30"},
    )
    assert response.status_code == 400
    assert not HospiceReferral.objects.exists()


def test_package_downloads_are_audited_and_another_patients_referral_is_404(hworld, as_user):
    referral = refer(hworld)
    client = as_user(hworld.navigator)
    kwargs = {"patient_id": hworld.alice.pk, "hospice_referral_id": referral.pk}
    pdf = client.get(reverse("hospice:package_pdf", kwargs=kwargs))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    bundle = client.get(reverse("hospice:package_fhir", kwargs=kwargs))
    Bundle.model_validate_json(bundle.content)
    assert AuditEvent.objects.filter(event="hospice.package.print").exists()
    assert AuditEvent.objects.filter(event="hospice.package.export").exists()
    wrong = {"patient_id": hworld.bob.pk, "hospice_referral_id": referral.pk}
    director = as_user(hworld.director)
    assert director.get(reverse("hospice:package_pdf", kwargs=wrong)).status_code == 404
    outsider = as_user(hworld.hillside_coordinator)
    assert outsider.get(reverse("hospice:package_pdf", kwargs=kwargs)).status_code == 404


def test_the_chart_shows_the_hospice_status(hworld, as_user):
    refer(hworld)
    client = as_user(hworld.navigator)
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": hworld.alice.pk}))
    day = today(hworld)
    assert (
        f"Referred to Bayside Hospice on {day:%b} {day.day}, {day.year}" in chart.content.decode()
    )


def test_the_call_screen_shows_the_hospice_status_at_no_extra_query(hworld, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pallio.support.selectors import call_chart_facts

    with CaptureQueriesContext(connection) as before:
        facts = call_chart_facts(hworld.alice)
    assert facts["hospice_status"] == "No hospice referral"
    referral = answer(hworld, refer(hworld), "declined", reason="No bed this week")
    with CaptureQueriesContext(connection) as after:
        facts = call_chart_facts(hworld.alice)
    assert len(after) == len(before)
    day = referral.status_on
    assert facts["hospice_status"] == (
        f"Declined by Bayside Hospice on {day:%b} {day.day}, {day.year}"
    )
    page = as_user(hworld.oncall).get(reverse("support:call_new"), {"patient": hworld.alice.pk})
    assert "Declined by Bayside Hospice" in page.content.decode()
