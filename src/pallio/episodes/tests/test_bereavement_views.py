"""The bereavement pages: the worklist, a family's follow-up, recording a contact, a screen
and a referral; bad input answered in plain words and nothing changed."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import make_patient

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import BereavementContact, BereavementReferral
from pallio.episodes.services import care_team_add
from pallio.episodes.tests.bereavement_samples import add_family, bereaved

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
DIED = datetime(2026, 1, 31, 3, 30, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(NOON):
        yield


def join(world, patient, user):
    care_team_add(actor=None, episode=patient.episodes.get(status="active"), user=user)


@pytest.fixture
def family(world, frozen):
    follow_up = bereaved(world, died_at=DIED)
    join(world, world.alice, world.social_worker)
    return follow_up


def contact_url(follow_up, contact):
    return reverse(
        "bereavement:contact", kwargs={"follow_up_id": follow_up.pk, "contact_id": contact.pk}
    )


def first(follow_up):
    return follow_up.contacts.order_by("sequence").first()


def post_contact(client, follow_up, contact, **extra):
    data = {
        "caregiver": str(follow_up.patient.healthcare_agents.get().pk),
        "done_on": "2026-03-01",
        "kind": "card",
        "outcome": "reached",
        "notes": "",
    }
    data.update(extra)
    return client.post(contact_url(follow_up, contact), data)


# --- the worklist ---------------------------------------------------------------------------


def test_the_worklist_lists_overdue_contacts_first(world, as_user, family):
    page = as_user(world.social_worker).get(reverse("bereavement:worklist"))
    assert page.status_code == 200
    html = page.content.decode()
    # The card (6 Feb) and the 1-month call (28 Feb) are overdue; 3 months is not yet due.
    assert html.index("Condolence card") < html.index("Call at 1 month")
    assert html.count('data-testid="bereavement-row"') == 2
    assert "Call at 3 months" not in html and "overdue" in html
    assert "Andrew Anders (Child)" in html
    assert AuditEvent.objects.filter(event="bereavement.worklist").exists()


def test_the_worklist_shows_only_families_the_user_reaches(world, as_user, family):
    assert (
        "Alice"
        not in as_user(world.hillside_nurse).get(reverse("bereavement:worklist")).content.decode()
    )
    # The physician is on alice's team; the navigator too; a colleague off the team is not.
    from tests.support.personas import make_staff

    off_team = make_staff(world.riverside, "cass", "clinician", "chaplain", "Cass", "Chaplain")
    html = as_user(off_team).get(reverse("bereavement:worklist")).content.decode()
    assert 'data-testid="bereavement-row"' not in html


def test_the_worklist_costs_the_same_queries_whatever_its_length(world, as_user, frozen):
    client = as_user(world.director)  # program-wide: reaches every family
    bereaved(world, died_at=DIED)
    url = reverse("bereavement:worklist")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(4):
        patient = make_patient(
            world.riverside, f"Pat{n}", "Many", date(1940, 1, 1 + n), team=(world.physician,)
        )
        bereaved(world, patient, died_at=DIED - timedelta(days=n))
    with CaptureQueriesContext(connection) as five:
        page = client.get(url)
    assert page.content.decode().count('data-testid="bereavement-row"') == 10
    assert len(five) == len(one)


def test_a_family_with_no_member_on_record_asks_for_one(world, as_user, frozen):
    follow_up = bereaved(world, world.bob, died_at=DIED, family=False)
    html = as_user(world.director).get(reverse("bereavement:worklist")).content.decode()
    assert "No family member recorded." in html
    assert reverse("acp:patient", kwargs={"patient_id": world.bob.pk}) + "#agents-h" in html
    page = as_user(world.director).get(reverse("acp:patient", kwargs={"patient_id": world.bob.pk}))
    assert page.status_code == 200 and "Healthcare agent and alternates" in page.content.decode()
    assert contact_url(follow_up, first(follow_up)) not in html


def test_the_navigation_links_the_worklist_for_those_who_record(world, as_user, family):
    html = as_user(world.social_worker).get(reverse("bereavement:worklist")).content.decode()
    assert f'href="{reverse("bereavement:worklist")}">Bereavement</a>' in html


# --- a family's follow-up ---------------------------------------------------------------------


def test_the_follow_up_page_shows_the_schedule_and_next_contact_in_plain_words(
    world, as_user, family
):
    client = as_user(world.social_worker)
    post_contact(client, family, first(family))
    page = client.get(reverse("bereavement:follow_up", kwargs={"follow_up_id": family.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "died on 30 January 2026" in html
    assert "Next contact: <strong>Call at 1 month</strong>" in html
    assert "Condolence card with Andrew Anders by Sam Social, <strong>reached the family" in html
    assert "program&#x27;s own" in html and "not a validated instrument" in html
    shown = re.sub(r'(value|name|id|for)="[^"]*"', "", html)
    for key in ("no_answer", "support_group", "social_worker", "card,"):
        assert key not in shown
    assert AuditEvent.objects.filter(event="bereavement.view", patient_id=world.alice.pk).exists()


def test_a_contact_recorded_from_its_page_shows_the_next(world, as_user, family):
    client = as_user(world.social_worker)
    response = post_contact(client, family, first(family), notes="Card sent from the team.")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Condolence card recorded. Next contact: Call at 1 month, due 28 Feb 2026." in (
        page.content.decode()
    )
    assert first(family).status == "done"


def test_a_declined_contact_says_the_follow_up_is_closed(world, as_user, family):
    client = as_user(world.social_worker)
    response = post_contact(client, family, first(family), outcome="declined")
    page = client.get(response["Location"])
    assert "declined further contact: the follow-up is closed" in page.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"done_on": "2026-03-03"}, "The date cannot be in the future."),
        ({"done_on": "2026-02-30"}, "Enter a valid date."),
        ({"caregiver": str(uuid.uuid4())}, "Choose a family member of this patient."),
        ({"outcome": "maybe"}, "Select a valid choice."),
    ],
)
def test_bad_contact_input_gets_a_clear_400_and_changes_nothing(
    world, as_user, family, change, message
):
    contact = first(family)
    response = post_contact(as_user(world.social_worker), family, contact, **change)
    assert response.status_code == 400
    assert message in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == "due" and contact.done_on is None


def test_another_patients_family_member_is_refused(world, as_user, family):
    stranger = add_family(world, world.bob, name="Sara Stranger")
    response = post_contact(
        as_user(world.social_worker), family, first(family), caregiver=str(stranger.pk)
    )
    assert response.status_code == 400
    assert "Choose a family member of this patient." in response.content.decode()
    assert first(family).status == "due"


def test_a_crafted_post_for_another_programs_family_is_a_404(world, as_user, family):
    contact = first(family)
    response = post_contact(as_user(world.hillside_nurse), family, contact)
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.status == "due"


def test_a_contact_of_another_family_is_a_404(world, as_user, family):
    other = bereaved(world, world.bob, died_at=DIED, family=False)
    response = post_contact(as_user(world.director), family, first(other))
    assert response.status_code == 404
    assert first(other).status == "due"


def test_a_contact_already_recorded_is_refused(world, as_user, family):
    client = as_user(world.social_worker)
    assert post_contact(client, family, first(family)).status_code == 302
    again = post_contact(client, family, first(family), notes="Twice")
    assert again.status_code == 400
    assert BereavementContact.objects.get(pk=first(family).pk).notes == ""


def test_a_volunteer_is_refused_with_a_plain_403(world, as_user, family):
    from tests.support.personas import make_staff

    volunteer = make_staff(world.riverside, "vic", "clinician", "volunteer", "Vic", "Volunteer")
    join(world, world.alice, volunteer)
    response = post_contact(as_user(volunteer), family, first(family))
    assert response.status_code == 403
    assert "A volunteer may not record a bereavement contact" in response.content.decode()
    assert first(family).status == "due"


# --- the screen and referrals ---------------------------------------------------------------


def test_the_screen_is_recorded_from_the_page(world, as_user, family):
    client = as_user(world.social_worker)
    url = reverse("bereavement:screen", kwargs={"follow_up_id": family.pk})
    response = client.post(
        url,
        {
            "screen-unexpected": "on",
            "screen-little_support": "on",
            "screen-struggling_now": "on",
        },
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Higher risk: offer a referral" in html and "(3 of 8; cut-off 3)" in html


def test_a_referral_is_recorded_from_the_page(world, as_user, family):
    client = as_user(world.social_worker)
    url = reverse("bereavement:refer", kwargs={"follow_up_id": family.pk})
    son = world.alice.healthcare_agents.get()
    data = {
        "refer-caregiver": str(son.pk),
        "refer-service": "counselling",
        "refer-referred_to": "Dr O'Brien-Łukasz, grief counsellor",
        "refer-referred_on": "2026-03-02",
    }
    assert client.post(url, {**data, "refer-referred_to": ""}).status_code == 400
    assert not BereavementReferral.objects.exists()
    response = client.post(url, data)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Andrew Anders to bereavement counselling, Dr O&#x27;Brien-Łukasz" in html
