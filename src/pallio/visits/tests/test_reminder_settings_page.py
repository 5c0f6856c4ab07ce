"""The visit reminder settings on the program settings page: shown as people write them, saved,
and bad input named next to its field with nothing saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.programs.models import Program
from pallio.programs.tests.test_views import _form_data, _visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    return make_staff(world.riverside, "ada", Role.PROGRAM_ADMIN, "administration", "Ada", "Admin")


def test_the_page_shows_the_reminder_settings(world, admin, as_user):
    response = as_user(admin).get(reverse("programs:settings"))
    text = " ".join(_visible_text(response.content.decode()).split())
    assert "Visit reminders" in text
    assert "Reminder times, in hours before the visit" in text
    assert 'value="24, 2"' in response.content.decode()
    assert "The main caregiver" in text and "Text message" in text


def test_the_administrator_changes_the_reminders(world, admin, as_user):
    data = _form_data(
        world.riverside,
        visit_reminder_hours="48, 3",
        visit_reminder_recipients=["caregiver"],
        visit_reminder_channels=["email"],
    )
    response = as_user(admin).post(reverse("programs:settings"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    program = Program.objects.get(pk=world.riverside.pk)
    assert program.setting("visit_reminder_hours") == [48, 3]
    assert program.setting("visit_reminder_recipients") == ["caregiver"]
    assert program.setting("visit_reminder_channels") == ["email"]


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("tomorrow", "Write whole numbers of hours separated by commas, such as 24, 2."),
        ("24, 24", "Give each reminder time once; 24 hours is given twice."),
        ("500", "A reminder is sent from 1 to 168 hours (a week) before the visit; 500 is not."),
        ("1, 2, 3, 4, 5", "Give at most 4 reminder times."),
    ],
)
def test_bad_reminder_times_are_named_and_nothing_is_saved(world, admin, as_user, typed, words):
    data = _form_data(world.riverside, visit_reminder_hours=typed)
    response = as_user(admin).post(reverse("programs:settings"), data)
    assert response.status_code == 400
    assert words in " ".join(_visible_text(response.content.decode()).split())
    program = Program.objects.get(pk=world.riverside.pk)
    assert program.setting("visit_reminder_hours") == [24, 2]
