"""The alert worklist's groups written in Python (assessments/worklist_rows.py) are, to the
byte, what their template renders: the whole page compared both ways for every kind of
alert (a report's several alerts with its values, urgent, overdue, acknowledged, escalated
to the reader, on the discipline's queue and out of reach, resolved with what was done), in
both languages; and a changed template takes the groups back from the fast path."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from tests.support.personas import make_staff

from pallio.assessments import worklist_rows
from pallio.assessments.escalation import alerts_escalate
from pallio.assessments.models import Alert
from pallio.assessments.services import alert_acknowledge, alert_resolve
from pallio.assessments.tests.helpers import esas, phq
from pallio.assessments.tests.test_worklist import T0, carl, submit
from pallio.core import clock

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def every_kind_of_alert(world):
    """Alerts of every kind the worklist shows; returns the time to look at them."""
    patient = carl(world)
    with clock.frozen(T0 - timedelta(days=7)):
        submit(world, "esas-r", esas(pain=5, nausea=1))
    with clock.frozen(T0):
        submit(world, "esas-r", esas(pain=9, nausea=4))  # two alerts, values "was"
        submit(world, "phq-4", phq(3, 3, 0, 0))  # the social workers' queue
        submit(world, "esas-r", esas(pain=9), patient=patient)  # escalates to the lead
    first, second = Alert.objects.filter(patient=world.alice, rule_key__startswith="esas")[:2]
    with clock.frozen(T0 + timedelta(minutes=5)):
        alert_acknowledge(actor=world.navigator, alert=first, expected_version=first.version)
        second.refresh_from_db()
        alert_resolve(
            actor=world.navigator,
            alert=second,
            action_taken='Called <b>Alice</b> & her "daughter"; dose changed',
            expected_version=second.version,
        )
    lead = Alert.objects.filter(patient=patient).order_by("due_at", "id")[0]
    with clock.frozen(lead.due_at + timedelta(minutes=1)):
        alerts_escalate(program=world.riverside)
    return lead.due_at + timedelta(minutes=2)  # and most alerts overdue


def page_of(client, query):
    response = client.get(reverse("assessments:worklist") + query)
    assert response.status_code == 200
    return CSRF.sub('name="csrfmiddlewaretoken" value="-"', response.content.decode())


def both_ways(client, query, monkeypatch):
    monkeypatch.setattr(worklist_rows.SOURCE, "_holds", None)
    fast = page_of(client, query)
    monkeypatch.setattr(worklist_rows.SOURCE, "_holds", False)
    template = page_of(client, query)
    monkeypatch.setattr(worklist_rows.SOURCE, "_holds", None)
    return fast, template


def test_the_fast_path_is_on_for_this_template():
    # Off, the worklist is right but slow: whoever changes its template updates the module.
    assert worklist_rows.fast_path_on(), "update worklist_rows.py to the changed template"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_groups_of_every_kind_are_written_as_their_template_renders_them(
    world, as_user, monkeypatch, language
):
    stella = make_staff(world.riverside, "stella", "clinician", "social_worker", "Stella", "S")
    at = every_kind_of_alert(world)
    seen = set()
    with clock.frozen(at):
        for user, query in (
            (world.navigator, "?scope=all"),
            (world.navigator, "?scope=all&status=resolved"),
            (world.physician, ""),  # escalated to him
            (world.social_worker, ""),  # the queue: on the team or not
            (stella, ""),
        ):
            user.language = language
            user.save(update_fields=["language"])
            client = as_user(user)
            fast, template = both_ways(client, query, monkeypatch)
            assert fast == template, (user.username, query)
            for mark in (
                "alerts from this report",
                "(was 5)",
                "urgent</span>",
                "badge-overdue",
                "escalated to you",
                'data-testid="escalation"',
                "queue-flag",
                "Take it to open the patient",
                "Take it and join the care team",
                "Called &lt;b&gt;Alice&lt;/b&gt; &amp; her &quot;daughter&quot;",
                "Acknowledge</button>",
            ):
                if mark in fast:
                    seen.add(mark)
    assert len(seen) == 11, seen  # every kind was on some page


@pytest.mark.django_db
def test_a_changed_template_renders_the_groups_itself(world, as_user, monkeypatch):
    at = every_kind_of_alert(world)
    with clock.frozen(at):
        client = as_user(world.navigator)
        expected = page_of(client, "?scope=all")
        monkeypatch.setattr(worklist_rows.SOURCE, "sha256", "an older template")
        monkeypatch.setattr(worklist_rows.SOURCE, "_holds", None)
        shown = page_of(client, "?scope=all")
        assert not worklist_rows.fast_path_on()
    assert shown == expected
    assert shown.count('data-testid="alert-row"') >= 3
