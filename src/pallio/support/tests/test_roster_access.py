"""The on-call clinician reaches any patient of the program while on shift, audited as such,
and not after the shift ends (issue 13, requirement 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core import access, clock
from pallio.episodes.services import care_team_add
from pallio.support import roster
from pallio.support.models import Line

NOON = datetime(2026, 10, 26, 16, 0, tzinfo=UTC)


@pytest.fixture
def tonight(world):
    """Owen's only shift: tonight's first line, 17:00 to 08:00 local (21:00 to 12:00 UTC)."""
    world.oncall_shift.delete()
    with clock.frozen(NOON):
        return roster.shift_add(
            actor=world.coordinator,
            line=Line.FIRST,
            user=world.oncall,
            starts_at=datetime(2026, 10, 26, 21, tzinfo=UTC),
            ends_at=datetime(2026, 10, 27, 12, tzinfo=UTC),
        )


DURING = datetime(2026, 10, 27, 3, tzinfo=UTC)
BEFORE = datetime(2026, 10, 26, 20, 59, tzinfo=UTC)
AFTER = datetime(2026, 10, 27, 12, tzinfo=UTC)


@pytest.mark.django_db
def test_on_shift_the_on_call_clinician_reaches_every_patient_of_the_program(world, tonight):
    with clock.frozen(DURING):
        assert access.can_access_patient(world.oncall, world.alice)
        assert access.can_access_patient(world.oncall, world.bob)
        assert not access.can_access_patient(world.oncall, world.hana)
        assert set(access.visible_patients(world.oncall)) == {world.alice, world.bob}
        assert access.access_reason(world.oncall, world.bob) == access.ON_CALL_SHIFT


@pytest.mark.django_db
@pytest.mark.parametrize("when", [BEFORE, AFTER], ids=["before", "after"])
def test_off_shift_the_on_call_clinician_reaches_only_their_own_patients(world, tonight, when):
    care_team_add(actor=None, episode=world.alice.episodes.get(status="active"), user=world.oncall)
    with clock.frozen(when):
        assert not access.can_access_patient(world.oncall, world.bob)
        assert access.can_access_patient(world.oncall, world.alice)
        assert set(access.visible_patients(world.oncall)) == {world.alice}
        assert access.access_reason(world.oncall, world.alice) == "team"


@pytest.mark.django_db
def test_a_cancelled_or_other_programs_shift_gives_no_access(world, tonight):
    with clock.frozen(NOON):
        roster.shift_cancel(actor=world.coordinator, shift=tonight, reason="Owen is ill")
    with clock.frozen(DURING):
        assert not access.can_access_patient(world.oncall, world.alice)
        assert not access.visible_patients(world.oncall).exists()
    # Only the on-call role gains access by a shift: a clinician on the roster does not.
    with clock.frozen(NOON):
        roster.shift_add(
            actor=world.coordinator,
            line=Line.SECOND,
            user=world.social_worker,
            starts_at=DURING - timedelta(hours=1),
            ends_at=DURING + timedelta(hours=1),
        )
    with clock.frozen(DURING):
        assert not access.can_access_patient(world.social_worker, world.alice)


@pytest.mark.django_db
def test_the_chart_opens_on_shift_audited_as_on_call_and_not_after(world, tonight, as_user):
    client = as_user(world.oncall)
    url = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    with clock.frozen(DURING):
        response = client.get(url)
        assert response.status_code == 200
        assert b"as the on-call clinician during your shift" in response.content
    row = AuditEvent.objects.filter(user_id=world.oncall.pk, patient_id=world.alice.pk).latest("at")
    assert row.detail["access"] == "on_call_shift"
    with clock.frozen(AFTER):
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_team_members_reads_carry_no_on_call_mark(world, tonight, as_user):
    care_team_add(actor=None, episode=world.alice.episodes.get(status="active"), user=world.oncall)
    with clock.frozen(DURING):
        assert (
            as_user(world.oncall)
            .get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
            .status_code
            == 200
        )
    row = AuditEvent.objects.filter(user_id=world.oncall.pk, patient_id=world.alice.pk).latest("at")
    assert not (row.detail or {}).get("access")
