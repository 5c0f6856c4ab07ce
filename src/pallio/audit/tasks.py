"""Background work for the audit trail: telling the privacy officers of a security alert.

At-least-once with an idempotent effect: the alert is marked emailed inside a row lock, so a
retried task never sends it twice; a failed send leaves it unmarked for the next attempt.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from pallio.audit.models import SecurityAlert
from pallio.core import clock

log = logging.getLogger(__name__)


def security_alert_notify_enqueue(alert_id: int) -> None:
    security_alert_notify.enqueue(alert_id=alert_id)


def security_alert_message(alert: SecurityAlert) -> tuple[str, str]:
    minutes = max(1, round((alert.raised_at - alert.window_start).total_seconds() / 60))
    subject = f"Pallio security alert: {alert.username} was refused {alert.denials} times"
    body = (
        f"{alert.username} was refused access {alert.denials} times in {minutes} minutes "
        "(pages naming patients they may not see, wrong or throttled authenticator codes, "
        "or throttled sign-ins).\n\n"
        "Review the refusals on the Denials page of the audit trail in Pallio. "
        "If the attempts were not theirs, deactivate the account.\n"
    )
    return subject, body


@task()
def security_alert_notify(*, alert_id: int) -> bool:
    """Email one alert to the privacy officers it names. Safe to run twice."""
    with transaction.atomic():
        alert = SecurityAlert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None or alert.emailed_at is not None or not alert.emailed_to:
            return False
        subject, body = security_alert_message(alert)
        try:
            EmailMessage(subject=subject, body=body, to=list(alert.emailed_to)).send()
        except OSError as exc:
            log.warning("security alert %s not emailed: %s", alert.pk, type(exc).__name__)
            raise
        alert.emailed_at = clock.now()
        alert.save(update_fields=["emailed_at"])
    return True
