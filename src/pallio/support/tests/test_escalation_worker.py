"""Calls are escalated by the real background worker (`pallio db_worker`), paging through a
real SMTP server: killing the worker mid-escalation loses no page and sends none twice
(SECURITY.md 22)."""

from __future__ import annotations

import io
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from pallio.assessments.tests.test_worker import Drill
from pallio.core import clock
from pallio.support.models import Line
from pallio.support.tasks import support_sweeps_enqueue
from pallio.support.tests.ops_samples import make_call, make_shift

pytestmark = pytest.mark.usefixtures("audit_trail_deletable")


class HoldingInbox:
    """An SMTP handler that keeps every message, except that it holds the `hold_at`-th one
    until the test lets go, then refuses it (the sender never hears it was taken)."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.messages: list[Any] = []
        self.hold_at = hold_at
        self.seen = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.hold_at is not None and self.seen == self.hold_at:
            self.holding.set()
            self.release.wait(timeout=120)
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, HoldingInbox]]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = HoldingInbox(hold_at=20)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    inbox.release.set()
    controller.stop()


def overdue_calls(world: Any, count: int) -> None:
    """`count` calls received half an hour ago, none called back, with the physician on the
    second line now (the worker runs on the real clock)."""
    now = clock.now()
    make_shift(world, Line.SECOND, world.physician, now - timedelta(hours=6))
    for _ in range(count):
        make_call(world, received_at=now - timedelta(minutes=30))


def test_the_sweep_queues_one_run_per_program_and_not_a_second_while_one_waits(
    world: Any, transactional_db: None
) -> None:
    assert support_sweeps_enqueue() == 2  # Riverside and Hillside
    assert support_sweeps_enqueue() == 0
    out = io.StringIO()
    call_command("support", "sweep", stdout=out)
    assert "queued 0" in out.getvalue()


def test_killing_the_worker_mid_escalation_loses_no_page_and_sends_none_twice(
    world: Any, transactional_db: None, tmp_path: Path, smtp: Any
) -> None:
    controller, inbox = smtp
    total = 60
    overdue_calls(world, total)
    support_sweeps_enqueue()
    drill = Drill(tmp_path)
    drill.env.update(
        {
            "PALLIO_EMAIL_HOST": "127.0.0.1",
            "PALLIO_EMAIL_PORT": str(controller.port),
            "PALLIO_SMS_BACKEND": "pallio.support.paging.OutboxSmsBackend",
        }
    )
    steps_sql = "SELECT COUNT(*) FROM support_callescalation"
    sent_sql = "SELECT COUNT(*) FROM support_callescalation WHERE sent_at IS NOT NULL"
    running_sql = (
        "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status='RUNNING' "
        "AND task_path='pallio.support.tasks.support_sweep_task'"
    )

    worker = drill.pallio("db_worker", "--no-startup-delay", "--interval", "0.05")
    try:
        deadline = time.monotonic() + 120
        while not inbox.holding.wait(timeout=0.1):
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker never reached the 20th page"
    finally:
        # Killed while the 20th page is with the mail server, not yet taken.
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        inbox.release.set()

    assert len(inbox.messages) == 19
    assert drill.scalar(steps_sql) == 20  # the 20th step is written, its page is not sent
    assert drill.scalar(sent_sql) == 19
    assert drill.scalar(running_sql) == 1  # the run it was in, left claimed for ever

    # The next minute's sweep marks the dead run failed and queues another; a new worker
    # sends the 20th page and escalates the other 40 calls.
    drill.run("support", "sweep", "--stale-minutes", "0")
    drill.run("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    assert drill.scalar(running_sql) == 0
    assert drill.scalar(steps_sql) == total
    assert drill.scalar(sent_sql) == total
    assert len(inbox.messages) == total
    assert len({str(m["Message-ID"]) for m in inbox.messages}) == total
    assert {str(m["To"]) for m in inbox.messages} == {"phil@example.org"}
    assert (
        drill.scalar(
            "SELECT COUNT(DISTINCT call_id) FROM support_callescalation WHERE step='second_line'"
        )
        == total
    )
    # One audit event per step and per page: nothing of the killed transaction was kept.
    assert (
        drill.scalar("SELECT COUNT(*) FROM audit_auditevent WHERE event='call.escalate'") == total
    )
    assert drill.scalar("SELECT COUNT(*) FROM audit_auditevent WHERE event='call.page'") == total
    # The text messages went to the outbox once each too.
    assert len(list((tmp_path / "outbox" / "sms").iterdir())) == total
    # Nothing is left to do: another sweep and worker send nothing more.
    drill.run("support", "sweep")
    drill.run("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert len(inbox.messages) == total
