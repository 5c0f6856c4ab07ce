"""The program settings pages: for the program administrator only; bad input is named next to
its field and nothing is saved; the referral form's addresses and poster."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.audit.models import AuditEvent
from pallio.programs.forms import ProgramSettingsForm
from pallio.programs.models import Program

pytestmark = pytest.mark.django_db

PAGES = ("programs:settings", "programs:referral_form", "programs:poster")


@pytest.fixture
def admin(world):
    return make_staff(world.riverside, "ada", Role.PROGRAM_ADMIN, "administration", "Ada", "Admin")


def _form_data(program: Program, **changes: object) -> dict[str, object]:
    """The form as the page shows it, with `changes` typed in."""
    initial = ProgramSettingsForm.initial_from(program)
    data: dict[str, object] = {}
    for key, value in initial.items():
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value
    data.update(changes)
    return data


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|datalist)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("page", PAGES)
def test_every_other_role_gets_403(world, as_user, page):
    for user in (*world.riverside_staff, world.hillside_coordinator):
        assert as_user(user).get(reverse(page)).status_code == 403, user.username


def test_the_settings_page_shows_values_as_people_write_them(world, admin, as_user):
    response = as_user(admin).get(reverse("programs:settings"))
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    for words in (
        "Whom the program accepts",
        "Clocks",
        "Alerts and escalation",
        "Age bands",
        "Letters",
        "Heart failure",
    ):
        assert words in text
    assert re.search(r"I50\s*:\s*Heart failure", text)
    assert "C00\u2013C96" in response.content.decode()
    for key in ("summary_due_days", "serious_illness_icd10_prefixes", "heart_failure", "{"):
        assert key not in text, key


def test_the_administrator_saves_a_time_zone_and_a_clock_rule(world, admin, as_user):
    client = as_user(admin)
    data = _form_data(world.riverside, timezone="Europe/Dublin", summary_due_days="4")
    response = client.post(reverse("programs:settings"), data, follow=True)
    assert "The program&#x27;s settings are saved." in response.content.decode()
    program = Program.objects.get(pk=world.riverside.pk)
    assert program.timezone == "Europe/Dublin"
    assert program.setting("summary_due_days") == 4
    # Untouched values stay as they were: no setting is stored that was not changed.
    assert set(program.settings) == {"summary_due_days"}
    assert AuditEvent.objects.filter(event="program.settings_change").count() == 1


def test_saving_an_unchanged_form_changes_nothing(world, admin, as_user):
    response = as_user(admin).post(
        reverse("programs:settings"), _form_data(world.riverside), follow=True
    )
    assert "Nothing was changed." in response.content.decode()
    assert Program.objects.get(pk=world.riverside.pk).settings == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "is not a time zone we know"),
        ({"codes_cancer": "C34, Q99.99"}, "codes_cancer", "not in the coded catalogue"),
        ({"first_contact_urgent": "9"}, "first_contact_urgent", "no later than"),
        ({"young_adult_from": "50"}, "young_adult_from", "lower to a higher"),
        ({"letter_received": "  "}, "letter_received", "write the text"),
        ({"summary_due_days": "-3"}, "summary_due_days", "whole number"),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_nothing_is_saved(
    world, admin, as_user, changes, field, words
):
    data = _form_data(world.riverside, name="Renamed", **changes)
    response = as_user(admin).post(reverse("programs:settings"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(words in message for message in form.errors[field]), form.errors
    program = Program.objects.get(pk=world.riverside.pk)
    assert program.name == "Riverside Palliative Care" and program.settings == {}
    assert program.timezone == "America/New_York"
    assert "Nothing has been saved yet." in response.content.decode()


def test_a_changed_letter_text_is_used_in_the_next_letter(world, admin, as_user):
    from datetime import date

    from pallio.core.codes import ICD10CM
    from pallio.referrals import services
    from pallio.referrals.services.intake import _letter_body

    as_user(admin).post(
        reverse("programs:settings"),
        _form_data(world.riverside, letter_received="Thank you. Our nurse calls within a day."),
    )
    referral, _ = services.referral_create(
        actor=None,
        program=Program.objects.get(pk=world.riverside.pk),
        source="phone",
        data=services.ReferralInput(
            given_name="Lee",
            family_name="Letter",
            birth_date=date(1950, 5, 5),
            diagnosis_system=ICD10CM,
            diagnosis_code="G20",
        ),
    )
    body = _letter_body(referral, "received")
    assert "Thank you. Our nurse calls within a day." in body
    assert referral.reference in body


def test_the_referral_form_page_gives_both_public_addresses(world, admin, as_user):
    page = as_user(admin).get(reverse("programs:referral_form")).content.decode()
    assert "http://testserver/p/riverside/refer/" in page
    assert "http://testserver/p/riverside/refer/self/" in page


def test_the_poster_has_the_name_phone_addresses_and_qr_codes(world, admin, as_user):
    page = as_user(admin).get(reverse("programs:poster")).content.decode()
    assert "Riverside Palliative Care" in page and "617-555-0100" in page
    assert "http://testserver/p/riverside/refer/self/" in page
    assert page.count('src="data:image/svg+xml;base64,') == 2


def test_the_menu_shows_program_settings_to_the_administrator_only(world, admin, as_user):
    url = reverse("programs:settings")
    home = as_user(admin).get(reverse("home"))
    # The administrator lands on the staff list; the settings are one menu link away.
    assert home.status_code == 302 and home["Location"] == reverse("staff:list")
    assert f'href="{url}"' in as_user(admin).get(url).content.decode()
    page = as_user(world.director).get(reverse("episodes:caseload")).content.decode()
    assert f'href="{url}"' not in page
