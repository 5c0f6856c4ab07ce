"""The audit chain resists someone with database access (SECURITY.md 14, ADR 0003).

The attack: on a copy of the database whose append-only triggers are dropped, edit an event
and recompute every later hash the way anyone could without the audit key. Before the chain
was keyed, `pallio audit verify` then reported the chain intact. The key is held outside the
database, and signed checkpoints of the head are kept in a file the database cannot write.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pallio.audit.chain import GENESIS_HASH, keyed_hash, plain_hash
from pallio.audit.models import AuditChainHead, AuditEvent, HashScheme
from pallio.audit.services import audit_record
from pallio.core import clock
from tests.security.test_settings import LOAD_SETTINGS, production_env, run_python


def drop_append_only_triggers() -> None:
    """What someone holding the database owner's rights can do to a copy of the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_auditevent_no_update ON audit_auditevent")
            cursor.execute("DROP TRIGGER audit_auditevent_no_truncate ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER audit_auditevent_no_delete")


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


def rewrite_from(first: AuditEvent | None, *, downgrade: bool, rehash=plain_hash) -> None:
    """Recompute every hash from event `first` (None: the whole chain) on, and the head row,
    as an attacker would. `downgrade` also marks the rewritten rows as written before keying."""
    rows = list(AuditEvent.objects.order_by("id"))
    position = next(i for i, r in enumerate(rows) if r.pk == first.pk) if first else 0
    prev = rows[position - 1].hash if position else GENESIS_HASH
    for row in rows[position:]:
        if downgrade:
            row.scheme = None
        row.prev_hash = prev
        row.hash = rehash(prev, row)
        AuditEvent.objects.filter(pk=row.pk).update(
            scheme=row.scheme, prev_hash=row.prev_hash, hash=row.hash
        )
        prev = row.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev, count=len(rows))


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
def test_new_events_carry_a_keyed_hash_that_the_plain_hash_does_not_reproduce(world):
    events = write_events(world, 3)
    for event in events:
        assert event.scheme == HashScheme.HMAC
        assert event.hash != plain_hash(event.prev_hash, event)
    total = AuditEvent.objects.count()
    assert f"Audit chain intact: {total} events verified; no checkpoint file" in verify()


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
    drop_append_only_triggers()
    AuditEvent.objects.filter(pk=target.pk).update(username="mallory", patient_id=None)
    rewrite_from(target, downgrade=downgrade)
    message = verify_fails()
    assert message.startswith(f"Audit chain broken at event #{target.pk} (patient.read)"), message
    before = AuditEvent.objects.filter(pk__lt=target.pk).count()
    assert f"{before} events before it verified" in message


@pytest.mark.django_db
def test_rewriting_the_whole_chain_without_the_key_is_caught(world):
    events = write_events(world)
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
    assert "2 checkpoint(s) matched" in verify()


@pytest.mark.django_db
def test_a_chain_cut_short_is_reported_by_the_checkpoint(world):
    events = write_events(world, 5)
    checkpoint()
    total = AuditEvent.objects.count()
    drop_append_only_triggers()
    # Remove the last two events and make the head row agree, as an attacker would.
    AuditEvent.objects.filter(pk__gte=events[3].pk).delete()
    AuditChainHead.objects.filter(pk=1).update(last_hash=events[2].hash, count=total - 2)
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
    rewrite_from(events[1], downgrade=False, rehash=keyed_hash)
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
    assert new[0].prev_hash == old[-1].hash
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
            assert written.prev_hash == events[-1].hash
            target = [events[0].pk]
            refused = [
                ("UPDATE audit_auditevent SET username = 'mallory' WHERE id = %s", target),
                ("DELETE FROM audit_auditevent WHERE id = %s", target),
                ("TRUNCATE audit_auditevent", None),
                ("DROP TRIGGER audit_auditevent_no_update ON audit_auditevent", None),
                ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", None),
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_trail_deletable")
def test_the_first_two_events_of_a_new_database_appended_at_once_both_land():
    """Two requests append the very first events together: the second waits for the first
    one's chain head instead of failing on it (once a duplicate-key error)."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the two appends cannot overlap")
    AuditChainHead.objects.all().delete()
    first_in = threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="read", event="race.first")
                first_in.set()
                # Hold the new head uncommitted while the second append arrives.
                threading.Event().wait(0.5)
        except BaseException as exc:
            failures.append(exc)
            first_in.set()
        finally:
            connections.close_all()

    def second() -> None:
        first_in.wait(10)
        try:
            audit_record(actor=None, action="read", event="race.second")
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert list(AuditEvent.objects.order_by("id").values_list("event", flat=True)) == [
        "race.first",
        "race.second",
    ]
    assert "Audit chain intact" in verify()
