"""The clinician's calendar feed (iCalendar): find a feed by the secret in its address, and
write the clinician's visits as events.

The secret is the only credential (calendar apps cannot sign in): an unknown or revoked
secret is a plain 404. Every fetch is audited as a read by the feed's clinician, with no
patient information in the audit row, and marks when the feed was last used (at most once a
minute). The events carry the patient's initials and the setting only, unless the program's
`calendar_feed_detail` setting allows names and places (then also the address and a video
visit's join link)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.db import transaction
from django.http import Http404
from icalendar import Calendar, Event

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.visits.models import CalendarFeed, Mode, ScheduledVisit
from pallio.visits.services.calendar_feeds import feed_secret_hash, may_have_feed

DAYS_BEFORE = 14
DAYS_AHEAD = 90
TOUCH_EVERY = timedelta(minutes=1)
NAMES_AND_PLACES = "names_and_places"
UID_DOMAIN = "pallio"
STATUS: dict[str, str] = {
    ScheduledVisit.Status.BOOKED.value: "CONFIRMED",
    ScheduledVisit.Status.COMPLETED.value: "CONFIRMED",
}


def feed_active_of(user: Any) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(clinician=user, revoked_at__isnull=True).first()


def feed_get_by_secret(secret: str) -> CalendarFeed:
    """The active feed whose address carries `secret`; Http404 for anything else."""
    if not secret or len(secret) > 100:
        raise Http404()
    feed = (
        CalendarFeed.objects.filter(secret_hash=feed_secret_hash(secret), revoked_at__isnull=True)
        .select_related("clinician", "clinician__program")
        .first()
    )
    if feed is None or not may_have_feed(feed.clinician):
        raise Http404()
    return feed


def feed_visits(clinician: Any) -> list[ScheduledVisit]:
    """The clinician's booked and completed visits from 14 days ago to 90 days ahead."""
    now = clock.now()
    return list(
        ScheduledVisit.objects.filter(
            clinician=clinician,
            program_id=clinician.program_id,
            status__in=ScheduledVisit.ACTIVE_STATUSES,
            ends_at__gt=now - timedelta(days=DAYS_BEFORE),
            starts_at__lt=now + timedelta(days=DAYS_AHEAD),
        )
        .select_related("patient", "place")
        .order_by("starts_at")
    )


def initials(patient: Any) -> str:
    letters = [n.strip()[:1].upper() for n in (patient.given_name, patient.family_name)]
    return "".join(f"{letter}." for letter in letters if letter)


def _place_words(visit: ScheduledVisit) -> str:
    place = visit.place
    parts = []
    if place is not None:
        parts = [place.name, place.line, " ".join(p for p in (place.postal_code, place.city) if p)]
    if visit.room:
        parts.append(f"Room {visit.room}")
    return ", ".join(p for p in parts if p)


def _event(visit: ScheduledVisit, *, detailed: bool, stamp: Any) -> Event:
    patient = visit.patient
    who = f"{patient.given_name} {patient.family_name}" if detailed else initials(patient)
    event = Event()
    event.add("uid", f"scheduled-visit-{visit.pk}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", visit.starts_at.astimezone(UTC))
    event.add("dtend", visit.ends_at.astimezone(UTC))
    event.add("summary", f"Visit {who} \u00b7 {visit.get_setting_display()}")
    event.add("status", STATUS.get(str(visit.status), "CONFIRMED"))
    event.add("sequence", max(int(getattr(visit, "version", 1) or 1) - 1, 0))
    if detailed:
        where = _place_words(visit)
        if where:
            event.add("location", where)
        if visit.mode == Mode.VIDEO and visit.join_url:
            event.add("url", visit.join_url)
            event.add("description", f"Join the video visit: {visit.join_url}")
    return event


def feed_calendar(clinician: Any, visits: list[ScheduledVisit]) -> bytes:
    program = clinician.program
    detailed = program.setting("calendar_feed_detail") == NAMES_AND_PLACES
    calendar = Calendar()
    calendar.add("prodid", "-//Pallio//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Pallio visits \u00b7 {clinician.display_name}")
    stamp = clock.now().astimezone(UTC)
    for visit in visits:
        calendar.add_component(_event(visit, detailed=detailed, stamp=stamp))
    return bytes(calendar.to_ical())


@transaction.atomic
def feed_fetch(secret: str) -> bytes:
    """The feed's calendar for its address's secret: audited, and marked as used."""
    feed = feed_get_by_secret(secret)
    now = clock.now()
    if feed.last_used_at is None or now - feed.last_used_at >= TOUCH_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    clinician = feed.clinician
    visits = feed_visits(clinician)
    audit_record(
        actor=clinician,
        action=Action.READ,
        event="calendar_feed.read",
        target=feed,
        program=clinician.program,
        detail={"events": len(visits)},
    )
    return feed_calendar(clinician, visits)
