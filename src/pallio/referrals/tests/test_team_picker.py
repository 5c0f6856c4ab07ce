"""The accept form's team picker: staff grouped by discipline, with a filter, and never
anyone the care-team rules refuse (administrators, the privacy officer, intake)."""

from __future__ import annotations

import re

from django.urls import reverse
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.referrals.models import Referral


def detail(world, as_user) -> str:
    referral = Referral.objects.filter(program=world.riverside).first()
    if referral is None:
        from tests.test_query_counts import add_referrals

        add_referrals(world.riverside, 1)
        referral = Referral.objects.filter(program=world.riverside).get()
    url = reverse("referrals:detail", kwargs={"referral_id": referral.pk})
    response = as_user(world.coordinator).get(url)
    assert response.status_code == 200
    return response.content.decode()


def picker(body: str) -> str:
    start = body.index("data-team-picker")
    return body[start : body.index("Accept referral", start)]


def test_administrators_and_the_privacy_officer_are_never_offered(world, as_user):
    admin = make_staff(world.riverside, "ada", Role.PROGRAM_ADMIN, "physician", "Ada", "Admin")
    privacy = world.privacy
    body = picker(detail(world, as_user))
    for person in (admin, privacy, world.coordinator):
        assert person.display_name not in body, person.username
        assert f'value="{person.pk}"' not in body
    assert world.navigator.display_name in body and world.physician.display_name in body


def test_staff_are_grouped_by_discipline_in_plain_words_with_a_filter(world, as_user):
    body = picker(detail(world, as_user))
    groups = re.findall(r'<legend class="fs-6 fw-semibold mb-1">([^<]+)</legend>', body)
    assert "Nurse navigator" in groups and "Palliative physician" in groups
    assert groups == sorted(groups)
    navigators = body.split(">Nurse navigator</legend>", 1)[1].split("</fieldset>", 1)[0]
    assert world.navigator.display_name in navigators
    assert world.physician.display_name not in navigators
    # The filter is there for the script to show; without it every group is listed.
    assert "data-team-filter-box hidden" in body
    assert "Filter staff by name or discipline" in body
    # The lead's list is grouped the same way.
    assert re.search(r'<optgroup label="Palliative physician">\s*<option value="\d+"', body)
