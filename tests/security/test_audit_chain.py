"""The audit chain resists someone with database access (SECURITY.md 14, ADR 0003, 0012).

The attack: on a copy of the database whose append-only triggers are dropped, edit an event
and recompute every later hash the way anyone could without the audit key. Before the chain
was keyed, `pallio audit verify` then reported the chain intact. The key is held outside the
database, and signed checkpoints of the head are kept in a file the database cannot write.

Events are appended without a lock, each with a keyed MAC of its content, and chained by the
seals one sealer writes (ADR 0012); the attacks below are made on sealed chains, on events
still waiting for their seal, and on chains begun by rows of the older forms.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pallio.audit.chain import (
    GENESIS_HASH,
    audit_key,
    content_mac,
    plain_hash,
    seal_hash,
    seal_pending,
)
from pallio.audit.models import AuditChainHead, AuditEvent, AuditSeal, HashScheme
from pallio.audit.services import audit_record
from pallio.core import clock
from tests.security.test_settings import LOAD_SETTINGS, production_env, run_python


def drop_append_only_triggers() -> None:
    """What someone holding the database owner's rights can do to a copy of the database."""
    with connection.cursor() as cursor:
        for table in ("auditevent", "auditseal"):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER audit_{table}_no_update ON audit_{table}")
                cursor.execute(f"DROP TRIGGER audit_{table}_no_truncate ON audit_{table}")
            else:
                cursor.execute(f"DROP TRIGGER audit_{table}_no_update")
                cursor.execute(f"DROP TRIGGER audit_{table}_no_delete")


def write_events(world, n: int = 6) -> list[AuditEvent]:
    return [
        audit_record(
            actor=world.navigator,
            action="read",
            event="patient.read",
            patient=world.alice,
            target=world.alice,
        )
        for _ in range(n)
    ]


def rewrite_from(first: AuditEvent | None, *, downgrade: bool, key: bytes | None = None) -> None:
    """Recompute the chain from event `first` (None: the whole chain) on, and the head row, as
    an attacker would: each event's MAC and each seal again, under `key` (without the audit
    key, a guess). `downgrade` instead rewrites the events as rows of the form written before
    the chain was keyed (plain SHA-256 hashes anyone can compute) and removes their seals."""
    key = key or secrets.token_bytes(32)
    seal_pending(window=None)
    seals = list(AuditSeal.objects.order_by("seq"))
    events = AuditEvent.objects.in_bulk([seal.event_id for seal in seals])
    position = next(i for i, s in enumerate(seals) if s.event_id == first.pk) if first else 0
    prev = seals[position - 1].hash if position else GENESIS_HASH
    AuditSeal.objects.filter(seq__gte=seals[position].seq).delete()
    for seal in seals[position:]:
        row = events[seal.event_id]
        if downgrade:
            row.scheme, row.content_mac, row.prev_hash = None, None, prev
            row.hash = prev = plain_hash(prev, row)
            AuditEvent.objects.filter(pk=row.pk).update(
                scheme=None, content_mac=None, prev_hash=row.prev_hash, hash=row.hash
            )
            continue
        mac = content_mac(row, key=key)
        AuditEvent.objects.filter(pk=row.pk).update(content_mac=mac)
        digest = seal_hash(prev, row.pk, mac, key=key)
        AuditSeal.objects.create(
            seq=seal.seq, event_id=row.pk, prev_hash=prev, hash=digest, sealed_at=seal.sealed_at
        )
        prev = digest
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev, count=seals[-1].seq)


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as failure:
        verify()
    return str(failure.value)


def checkpoint() -> str:
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    return out.getvalue()


# --- the keyed chain ------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_events_carry_a_keyed_mac_and_are_chained_by_their_seals_in_order(world):
    events = write_events(world, 3)
    for event in events:
        event.refresh_from_db()
        assert event.scheme == HashScheme.SEALED
        assert event.content_mac == content_mac(event)
        assert event.content_mac != hashlib.sha256(event.content_mac.encode()).hexdigest()
    # Waiting for the sealer: not yet in the chain.
    assert not AuditSeal.objects.filter(event_id__in=[e.pk for e in events]).exists()
    total = AuditEvent.objects.count()
    assert seal_pending() == total
    assert seal_pending() == 0  # each event is sealed once
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [seal.event_id for seal in seals] == sorted(seal.event_id for seal in seals)
    assert [seal.seq for seal in seals] == list(range(1, total + 1))
    assert seals[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(seals))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.count, head.last_hash) == (total, seals[-1].hash)
    assert f"Audit chain intact: {total} events verified; no checkpoint file" in verify()


@pytest.mark.django_db
def test_verify_seals_the_events_still_waiting_and_says_when_the_sealer_fell_behind(world):
    write_events(world, 2)
    fresh = io.StringIO()
    call_command("audit", "verify", stdout=io.StringIO(), stderr=fresh)
    assert fresh.getvalue() == ""  # written just now: the sealer's ordinary backlog
    assert not AuditEvent.objects.exclude(pk__in=AuditSeal.objects.values("event_id")).exists()
    with clock.frozen(clock.now() - timedelta(hours=2)):
        old = write_events(world, 1)[0]
    late = io.StringIO()
    out = io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=late)
    assert "1 audit event(s) were waiting for their seal" in late.getvalue()
    assert "is `pallio audit seal --every 1` running?" in late.getvalue()
    assert "Audit chain intact" in out.getvalue()
    assert AuditSeal.objects.filter(event_id=old.pk).exists()


@pytest.mark.django_db
def test_an_event_left_unsealed_for_more_than_a_minute_is_a_break(world):
    """Verify itself reads only: an event without a seal a minute after it was written means
    the sealer stopped, or its seal was removed."""
    from pallio.audit.chain import chain_verify

    events = write_events(world, 2)
    report = chain_verify()
    assert report.intact and report.waiting == AuditEvent.objects.count()
    with clock.frozen(clock.now() + timedelta(minutes=2)):
        report = chain_verify()
    assert not report.intact
    oldest = AuditEvent.objects.order_by("id").first()
    assert oldest is not None and oldest.pk <= events[0].pk
    assert report.problems[0] == (
        f"event #{oldest.pk} ({oldest.event}): it was never sealed into the chain (the sealer "
        "is not running, or its seal was removed)"
    )


@pytest.mark.django_db
def test_verify_with_another_key_reports_the_first_event(world, settings):
    events = write_events(world, 3)
    settings.PALLIO_AUDIT_KEY = secrets.token_hex(32)
    first = AuditEvent.objects.order_by("id").first()
    assert first is not None and first.pk <= events[0].pk
    assert f"broken at event #{first.pk} " in verify_fails()


@pytest.mark.django_db
@pytest.mark.parametrize("downgrade", [False, True], ids=["same scheme", "marked unkeyed"])
def test_edit_and_recompute_every_later_hash_is_caught_at_the_edited_event(world, downgrade):
    events = write_events(world)
    target = events[2]
    seal_pending()
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=target.pk).update(username="mallory", patient_id=None)
    rewrite_from(target, downgrade=downgrade)
    message = verify_fails()
    assert message.startswith(f"Audit chain broken at event #{target.pk} (patient.read)"), message
    if not downgrade:
        before = AuditEvent.objects.filter(pk__lt=target.pk).count()
        assert f"{before} events before it verified" in message


@pytest.mark.django_db
def test_an_event_altered_before_its_seal_is_caught_once_sealed(world):
    events = write_events(world, 3)
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=events[1].pk).update(username="mallory")
    message = verify_fails()  # verify seals it first: the seal cannot make it right
    assert message.startswith(f"Audit chain broken at event #{events[1].pk} (patient.read): ")
    assert "its content does not match its MAC (the event was altered)" in message


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["event", "seal"])
def test_a_removed_event_or_seal_in_the_middle_is_caught_at_the_next_one(world, what):
    events = write_events(world, 4)
    seal_pending()
    drop_append_only_triggers()
    if what == "event":
        AuditEvent.objects.filter(pk=events[1].pk).delete()
        expected = f"event #{events[1].pk}: the event its seal names is gone"
    else:
        AuditSeal.objects.filter(event_id=events[1].pk).delete()
        expected = f"event #{events[2].pk} (patient.read): its seal is out of place"
    assert expected in verify_fails()


@pytest.mark.django_db
def test_a_seal_moved_to_another_event_is_caught(world):
    events = write_events(world, 3)
    seal_pending()
    drop_append_only_triggers()
    one, two = (AuditSeal.objects.get(event_id=e.pk) for e in events[:2])
    AuditSeal.objects.filter(pk=one.pk).update(event_id=-1)
    AuditSeal.objects.filter(pk=two.pk).update(event_id=events[0].pk)
    AuditSeal.objects.filter(pk=one.pk).update(event_id=events[1].pk)
    assert f"event #{events[1].pk} (patient.read): its seal does not match it" in verify_fails()


@pytest.mark.django_db
def test_rewriting_the_whole_chain_without_the_key_is_caught(world):
    events = write_events(world)
    seal_pending()
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=events[3].pk).update(username="mallory")
    rewrite_from(None, downgrade=True)
    message = verify_fails()
    first = AuditEvent.objects.order_by("id").first()
    assert first is not None
    assert f"broken at event #{first.pk} " in message
    assert "no signed checkpoint vouches for" in message


# --- checkpoints outside the database -------------------------------------------------------


@pytest.mark.django_db
def test_checkpoints_are_signed_lines_appended_only_when_the_chain_grew(world, settings):
    write_events(world, 4)
    first = AuditEvent.objects.count()
    assert f"Checkpoint written: {first} events" in checkpoint()
    assert "No new audit events" in checkpoint()
    write_events(world, 2)
    assert f"Checkpoint written: {first + 2} events" in checkpoint()
    lines = settings.PALLIO_AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert [json.loads(line)["count"] for line in lines] == [first, first + 2]
    head = AuditChainHead.objects.get(pk=1)
    assert json.loads(lines[-1])["head"] == head.last_hash
    last = AuditSeal.objects.order_by("seq").last()
    assert last is not None and json.loads(lines[-1])["last_id"] == last.event_id
    assert "2 checkpoint(s) matched" in verify()


@pytest.mark.django_db
def test_a_chain_cut_short_is_reported_by_the_checkpoint(world):
    events = write_events(world, 5)
    checkpoint()
    total = AuditEvent.objects.count()
    drop_append_only_triggers()
    # Remove the last two events and their seals and make the head row agree, as an attacker
    # would.
    AuditEvent.objects.filter(pk__gte=events[3].pk).delete()
    AuditSeal.objects.filter(event_id__gte=events[3].pk).delete()
    kept = AuditSeal.objects.get(event_id=events[2].pk)
    AuditChainHead.objects.filter(pk=1).update(last_hash=kept.hash, count=total - 2)
    message = verify_fails()
    assert f"the end of the chain: {total - 2} events, but the checkpoint of" in message
    assert f"({total} events) counted more" in message


@pytest.mark.django_db
def test_a_chain_rewritten_with_the_key_differs_from_the_checkpoint(world):
    """Even with the key stolen, the checkpoint file (which the database cannot write)
    names the rewrite."""
    events = write_events(world, 5)
    checkpoint()
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=events[1].pk).update(username="mallory")
    rewrite_from(events[1], downgrade=False, key=audit_key())
    message = verify_fails()
    assert f"event #{events[4].pk} (patient.read) differs from the checkpoint of" in message


@pytest.mark.django_db
def test_a_forged_checkpoint_line_is_reported(world, settings):
    write_events(world, 2)
    checkpoint()
    forged = {
        "at": clock.now().isoformat(),
        "count": AuditEvent.objects.count(),
        "last_id": 0,
        "head": "f" * 64,
        "signature": hashlib.sha256(b"no key").hexdigest(),
    }
    with settings.PALLIO_AUDIT_CHECKPOINT_FILE.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    assert "line 2 of the checkpoint file is not signed by the audit key" in verify_fails()


@pytest.mark.django_db
def test_checkpoint_refuses_to_sign_a_chain_altered_since_the_last_one(world, settings):
    events = write_events(world, 3)
    checkpoint()
    events += write_events(world, 2)
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=events[4].pk).update(username="mallory")
    before = settings.PALLIO_AUDIT_CHECKPOINT_FILE.read_text()
    with pytest.raises(CommandError, match=rf"No checkpoint written: event #{events[4].pk}:"):
        checkpoint()
    assert settings.PALLIO_AUDIT_CHECKPOINT_FILE.read_text() == before


# --- rows written before the chain was keyed ------------------------------------------------


def write_unkeyed_events(n: int) -> list[AuditEvent]:
    """Events as the version before keying wrote them: plain SHA-256, no scheme."""
    assert not AuditEvent.objects.exists()
    head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH, count=0)
    prev, rows = GENESIS_HASH, []
    for n_ in range(n):
        row = AuditEvent(
            at=clock.now(),
            program_id=uuid.uuid4(),
            user_id=n_ + 1,
            username="nina",
            role="clinician",
            patient_id=uuid.uuid4(),
            action="read",
            event="patient.read",
            prev_hash=prev,
        )
        row.hash = plain_hash(prev, row)
        row.save(force_insert=True)
        prev = row.hash
        rows.append(row)
    AuditChainHead.objects.filter(pk=head.pk).update(last_hash=prev, count=n)
    return rows


def write_keyed_events(n: int) -> list[AuditEvent]:
    return [audit_record(actor=None, action="read", event="report.read") for _ in range(n)]


@pytest.mark.django_db
def test_events_from_before_keying_verify_once_a_checkpoint_vouches_for_them():
    old = write_unkeyed_events(3)
    new = write_keyed_events(2)
    seal_pending()
    first_seal = AuditSeal.objects.get(event_id=new[0].pk)
    assert (first_seal.seq, first_seal.prev_hash) == (4, old[-1].hash)  # one chain
    message = verify_fails()
    assert f"event #{old[0].pk} " in message and "run `pallio audit checkpoint`" in message
    checkpoint()
    assert "5 events verified (3 written before the chain was keyed)" in verify()
    # After the keyed events, an unkeyed one is a rewrite.
    more = write_keyed_events(2)
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=more[0].pk).update(username="mallory")
    rewrite_from(more[0], downgrade=True)
    assert f"event #{more[0].pk} " in verify_fails()


# --- the key is required in production ------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{"PALLIO_AUDIT_KEY": None}, {"PALLIO_AUDIT_KEY": "too short"}],
    ids=["missing", "short"],
)
def test_production_refuses_to_start_without_an_audit_key(tmp_path, overrides):
    result = run_python(LOAD_SETTINGS, production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert "PALLIO_AUDIT_KEY" in result.stderr


def test_production_refuses_the_secret_key_as_the_audit_key(tmp_path):
    env = production_env(tmp_path)
    env["PALLIO_AUDIT_KEY"] = env["PALLIO_SECRET_KEY"]
    result = run_python(LOAD_SETTINGS, env)
    assert result.returncode != 0
    assert "PALLIO_AUDIT_KEY" in result.stderr


def test_production_reads_the_audit_key_from_a_file(tmp_path):
    key_file = tmp_path / "audit.key"
    key = secrets.token_urlsafe(48)
    key_file.write_text(key + "\n")
    env = production_env(tmp_path, PALLIO_AUDIT_KEY=None, PALLIO_AUDIT_KEY_FILE=str(key_file))
    code = LOAD_SETTINGS + "; print(settings.PALLIO_AUDIT_KEY)"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


# --- the insert-only database role (docs/audit-trail.md) ------------------------------------

ROLE_DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-trail.md"


def documented_grants(role: str) -> list[str]:
    """The GRANT and REVOKE statements the deployment guide gives for the application role."""
    text = ROLE_DOC.read_text(encoding="utf-8")
    sql = text.split("```sql", 1)[1].split("```", 1)[0]
    statements = [
        line.split("--")[0].strip().rstrip(";")
        for line in sql.splitlines()
        if line.strip().startswith(("GRANT", "REVOKE")) and " DATABASE " not in line
    ]
    assert any(
        s.startswith("REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent") for s in statements
    )
    return [s.replace("pallio_app", role) for s in statements]


@pytest.mark.django_db
def test_the_documented_application_role_can_insert_audit_events_but_never_change_them(world):
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's; SQLite relies on the triggers alone")
    events = write_events(world, 2)
    role = f"pallio_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        # Roles are created inside the test's transaction and vanish with it.
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        for statement in documented_grants(role):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
        try:
            written = write_events(world, 1)[0]  # the application still appends
            assert seal_pending() >= 1  # and seals, as the worker's sealer
            seal = AuditSeal.objects.get(event_id=written.pk)
            assert seal.prev_hash == AuditSeal.objects.get(seq=seal.seq - 1).hash
            target = [events[0].pk]
            refused = [
                ("UPDATE audit_auditevent SET username = 'mallory' WHERE id = %s", target),
                ("DELETE FROM audit_auditevent WHERE id = %s", target),
                ("TRUNCATE audit_auditevent", None),
                ("DROP TRIGGER audit_auditevent_no_update ON audit_auditevent", None),
                ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", None),
                ("UPDATE audit_auditseal SET hash = 'f' WHERE event_id = %s", target),
                ("DELETE FROM audit_auditseal WHERE event_id = %s", target),
                ("TRUNCATE audit_auditseal", None),
                ("ALTER TABLE audit_auditseal DISABLE TRIGGER USER", None),
            ]
            for statement, params in refused:
                with (
                    pytest.raises(DatabaseError, match=r"permission denied|must be owner"),
                    transaction.atomic(),
                ):
                    cursor.execute(statement, params)
        finally:
            cursor.execute("RESET ROLE")
    assert "Audit chain intact" in verify()


def run_together(*steps) -> list[BaseException]:
    """Run each step in its own thread and connection; the failures they raised."""
    import threading

    from django.db import connections

    failures: list[BaseException] = []

    def run(step) -> None:
        try:
            step()
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return failures


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_trail_deletable")
def test_two_sealers_at_once_on_a_new_database_seal_each_event_once():
    """Two sealers start together (say the worker and `pallio audit verify`) on a database
    whose chain has no head yet: neither fails, and each event gets exactly one seal."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the two sealers cannot overlap")
    AuditChainHead.objects.all().delete()
    written = [audit_record(actor=None, action="read", event=f"race.{n}").pk for n in range(300)]
    counts: list[int] = []
    failures = run_together(
        lambda: counts.append(seal_pending(batch_size=50)),
        lambda: counts.append(seal_pending(batch_size=50)),
    )
    assert failures == []
    assert sum(counts) == len(written)
    sealed = list(AuditSeal.objects.order_by("seq").values_list("event_id", flat=True))
    assert sealed == sorted(written)
    assert "Audit chain intact: 300 events verified" in verify()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_trail_deletable")
def test_an_event_committed_late_is_sealed_after_events_sealed_before_it():
    """A page's transaction takes an event id, then commits after a later event was sealed:
    the late event is sealed in the next batch, at the end of the chain, not lost."""
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the late commit cannot overlap")
    inserted, release = threading.Event(), threading.Event()
    late: list[int] = []

    def slow_page() -> None:
        with transaction.atomic():
            late.append(audit_record(actor=None, action="read", event="race.late").pk)
            inserted.set()
            release.wait(30)

    def meanwhile() -> None:
        inserted.wait(30)
        try:
            quick = audit_record(actor=None, action="read", event="race.quick")
            assert quick.pk > late[0]
            assert seal_pending() == 1  # the quick one: the late one is not committed yet
        finally:
            release.set()

    assert run_together(slow_page, meanwhile) == []
    assert seal_pending() == 1
    events = dict(AuditEvent.objects.values_list("event", "id"))
    order = list(AuditSeal.objects.order_by("seq").values_list("event_id", flat=True))
    assert order == [events["race.quick"], events["race.late"]]
    assert "Audit chain intact: 2 events verified" in verify()
