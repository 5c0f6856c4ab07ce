"""The audit chain's hashes and seals, its verification, and the signed checkpoints kept
outside the database (SECURITY.md 14, ADR 0003, ADR 0012).

An event is inserted by the request that records it, with no lock: the row carries
``content_mac``, an HMAC-SHA256 of its own canonical content keyed with ``PALLIO_AUDIT_KEY``.
One sealer (`pallio audit seal`, every second) then chains the events in order: for each it
appends an insert-only seal whose hash is the HMAC of the previous hash, the event's id and
its MAC. Someone who can write the database but does not hold the key can neither alter an
event nor recompute the chain after removing or reordering one.

Rows written before the sealer (ADR 0003) carry the chain inside themselves: each row's hash
is the HMAC of the previous row's hash and its content, or a plain SHA-256 for the oldest
rows, written before the chain was keyed (``scheme`` empty). They come first in the chain,
in id order; the first seal follows the last of them. A plain row after a keyed one is a
break, since only an attacker would write one.

A checkpoint is one line appended to ``PALLIO_AUDIT_CHECKPOINT_FILE``: the time, the number
of events chained, the id of the newest and the chain's hash there, signed with the same
key. The file lives where the database role cannot write. `pallio audit verify` checks the
chain against every line, so a chain that was cut short, or rewritten as a whole (even as
plain hashes), is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from pallio.audit.models import AuditChainHead, AuditEvent, AuditSeal, HashScheme
from pallio.core import clock

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "at",
    "program_id",
    "user_id",
    "username",
    "role",
    "patient_id",
    "action",
    "event",
    "object_type",
    "object_id",
    "outcome",
    "source_address",
    "detail",
)
# An event's transaction may commit after later events were sealed: each sealing looks this
# far back (by the event's time) for such late events. `pallio audit checkpoint` looks further
# back, and `pallio audit verify` everywhere.
LATE_WINDOW = timedelta(minutes=2)
CHECKPOINT_WINDOW = timedelta(minutes=30)
# An event still unsealed this long after it was written means the sealer is not running.
UNSEALED_GRACE = timedelta(minutes=1)
SEAL_BATCH = 5000


def audit_key() -> bytes:
    key = settings.PALLIO_AUDIT_KEY
    return key.encode() if isinstance(key, str) else bytes(key)


def _canonical(event: AuditEvent) -> str:
    values: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        if name == "at":
            value = value.isoformat()
        elif value is not None and name in {"program_id", "patient_id"}:
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def plain_hash(prev_hash: str, event: AuditEvent) -> str:
    """The hash of rows written before the chain was keyed (anyone can compute it)."""
    return hashlib.sha256(f"{prev_hash}|{_canonical(event)}".encode()).hexdigest()


def keyed_hash(prev_hash: str, event: AuditEvent, *, key: bytes | None = None) -> str:
    """The hash of rows chained inside the append (ADR 0003)."""
    message = f"v{HashScheme.HMAC}|{prev_hash}|{_canonical(event)}".encode()
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def event_hash(prev_hash: str, event: AuditEvent, *, key: bytes | None = None) -> str:
    if event.scheme == HashScheme.HMAC:
        return keyed_hash(prev_hash, event, key=key)
    return plain_hash(prev_hash, event)


def content_mac(event: AuditEvent, *, key: bytes | None = None) -> str:
    """The keyed MAC of one event's own content, written with it (ADR 0012)."""
    message = f"v{HashScheme.SEALED}|{_canonical(event)}".encode()
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def seal_hash(prev_hash: str, event_id: int, mac: str, *, key: bytes | None = None) -> str:
    """The hash of a seal: the previous hash, the event sealed and that event's MAC."""
    message = f"s{HashScheme.SEALED}|{prev_hash}|{event_id}|{mac}".encode()
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


# --- sealing --------------------------------------------------------------------------------


def chain_head_locked() -> AuditChainHead:
    """The chain's head row, locked until the caller's transaction ends."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # Two sealers may start on a new database at the same moment: whichever writes the
        # head first wins, the other waits for its lock (no duplicate-key error).
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=1, last_hash=GENESIS_HASH, count=0)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _unsealed() -> Any:
    return AuditEvent.objects.filter(scheme=HashScheme.SEALED).exclude(
        Exists(AuditSeal.objects.filter(event_id=OuterRef("pk")))
    )


def seal_pending(*, window: timedelta | None = LATE_WINDOW, batch_size: int = SEAL_BATCH) -> int:
    """Chain the events not sealed yet, in id order, and return how many were sealed.

    New events are those past the newest sealed id; `window` looks that far back (by the
    events' time) for events whose transaction committed after newer ones were sealed, and
    None looks at every event. Safe to run in several processes at once: each batch is
    sealed under the head's lock, and an event has one seal (a unique key).
    """
    sealed = 0
    while True:
        with transaction.atomic():
            head = chain_head_locked()
            pending = _unsealed()
            if window is not None:
                since = clock.now() - window
                pending = pending.filter(Q(pk__gt=head.sealed_event_id) | Q(at__gte=since))
            rows = list(pending.order_by("pk").values_list("pk", "content_mac")[:batch_size])
            if not rows:
                return sealed
            key = audit_key()
            now = clock.now()
            prev, position, seals = head.last_hash, head.count, []
            for event_id, mac in rows:
                position += 1
                digest = seal_hash(prev, event_id, mac or "", key=key)
                seals.append(
                    AuditSeal(
                        seq=position, event_id=event_id, prev_hash=prev, hash=digest, sealed_at=now
                    )
                )
                prev = digest
            AuditSeal.objects.bulk_create(seals)
            AuditChainHead.objects.filter(pk=1).update(
                last_hash=prev,
                count=position,
                sealed_event_id=max(head.sealed_event_id, rows[-1][0]),
            )
            sealed += len(rows)
        if len(rows) < batch_size:
            return sealed


@dataclass(frozen=True)
class Waiting:
    count: int
    oldest: datetime | None


def unsealed_waiting() -> Waiting:
    """How many events wait for their seal, and when the oldest was written."""
    pending = _unsealed()
    oldest = pending.order_by("at").values_list("at", flat=True).first()
    return Waiting(count=pending.count() if oldest else 0, oldest=oldest)


# --- the chain, link by link ----------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One event's place in the chain: a row chained by its own hashes, or a seal."""

    position: int
    event: AuditEvent | None  # None: a seal whose event is gone
    event_id: int
    prev_hash: str
    hash: str
    seal: AuditSeal | None = None

    def describe(self) -> str:
        name = f" ({self.event.event})" if self.event is not None else ""
        return f"event #{self.event_id}{name}"


def _legacy_rows(*, after_id: int = 0, batch_size: int = SEAL_BATCH) -> Iterator[AuditEvent]:
    """Rows chained inside the append (ADR 0003), in id order."""
    last_id = after_id
    while True:
        batch = list(
            AuditEvent.objects.filter(id__gt=last_id)
            .exclude(scheme=HashScheme.SEALED)
            .order_by("id")[:batch_size]
        )
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id


def _sealed_links(*, after_seq: int = 0, batch_size: int = SEAL_BATCH) -> Iterator[Link]:
    last = after_seq
    while True:
        seals = list(AuditSeal.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not seals:
            return
        events = AuditEvent.objects.in_bulk([seal.event_id for seal in seals])
        for seal in seals:
            yield Link(
                position=seal.seq,
                event=events.get(seal.event_id),
                event_id=seal.event_id,
                prev_hash=seal.prev_hash,
                hash=seal.hash,
                seal=seal,
            )
        last = seals[-1].seq


def _links(
    *, after_count: int = 0, after_id: int = 0, batch_size: int = SEAL_BATCH
) -> Iterator[Link]:
    """Every link after the first `after_count` (the last of which is event `after_id`):
    the rows chained by their own hashes, then the seals. A position that does not follow the
    one before it is yielded as it is; the walk reports it."""
    first_seal = AuditSeal.objects.order_by("seq").values_list("seq", flat=True).first()
    # A whole walk reads every row of the older forms, wherever they are: one written after
    # the seals began would otherwise go unread.
    if after_count and first_seal is not None and after_count >= first_seal - 1:
        yield from _sealed_links(after_seq=after_count, batch_size=batch_size)
        return
    position = after_count
    for row in _legacy_rows(after_id=after_id, batch_size=batch_size):
        position += 1
        yield Link(position, row, row.pk, row.prev_hash, row.hash)
    yield from _sealed_links(batch_size=batch_size)


def _link_problem(
    link: Link,
    position: int,
    prev: str,
    *,
    keyed_seen: bool,
    key: bytes,
    vouched: bool = True,
) -> str:
    row = link.event
    if link.seal is not None:
        if link.position != position:
            return "its seal is out of place (a seal was removed or reordered)"
        if link.prev_hash != prev:
            return "its seal does not follow the one before it (a seal was removed or reordered)"
        if row is None:
            return "the event its seal names is gone (the event was removed)"
        if row.scheme != HashScheme.SEALED or not row.content_mac:
            return "it was sealed without its own MAC (the event was rewritten)"
        if not hmac.compare_digest(content_mac(row, key=key), row.content_mac):
            return "its content does not match its MAC (the event was altered)"
        if not hmac.compare_digest(seal_hash(prev, row.pk, row.content_mac, key=key), link.hash):
            return "its seal does not match it (the seal was altered)"
        return ""
    assert row is not None
    if row.prev_hash != prev:
        return "it does not follow the event before it (an event was removed or reordered)"
    if row.scheme not in (None, HashScheme.PLAIN, HashScheme.HMAC):
        return "its hash scheme is unknown"
    if keyed_seen and row.scheme != HashScheme.HMAC:
        return "it carries an unkeyed hash after keyed events (the chain was rewritten)"
    if not vouched and row.scheme != HashScheme.HMAC:
        return (
            "it carries an unkeyed hash that no signed checkpoint vouches for (the chain was "
            "rewritten, or events predate the key: then run `pallio audit checkpoint` once)"
        )
    if not hmac.compare_digest(event_hash(prev, row, key=key), row.hash):
        return "its content does not match its hash (the event was altered)"
    return ""


# --- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    line: int
    at: str
    count: int
    last_id: int
    head: str
    signature: str

    def signed_text(self) -> str:
        return f"{self.at}|{self.count}|{self.last_id}|{self.head}"

    def is_signed(self, key: bytes) -> bool:
        expected = hmac.new(key, self.signed_text().encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)

    def describe(self) -> str:
        return f"checkpoint of {self.at} ({self.count} events)"


def checkpoint_path() -> Path:
    return Path(settings.PALLIO_AUDIT_CHECKPOINT_FILE)


def checkpoints_read(path: Path | None = None) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint line of the file, and a problem for each line that is not one."""
    path = path or checkpoint_path()
    if not path.exists():
        return [], []
    found: list[Checkpoint] = []
    problems: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            found.append(
                Checkpoint(
                    line=number,
                    at=str(data["at"]),
                    count=int(data["count"]),
                    last_id=int(data["last_id"]),
                    head=str(data["head"]),
                    signature=str(data["signature"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            problems.append(f"line {number} of {path} is not a checkpoint")
    return found, problems


class CheckpointRefused(Exception):
    """The chain since the last checkpoint does not verify; nothing was signed."""


def checkpoint_write(*, path: Path | None = None) -> Checkpoint | None:
    """Seal what waits, verify the links added since the last checkpoint, then append a signed
    line for the current head. Returns None when nothing was added since the last one."""
    path = path or checkpoint_path()
    key = audit_key()
    existing, problems = checkpoints_read(path)
    if problems:
        raise CheckpointRefused("; ".join(problems))
    last = existing[-1] if existing else None
    if last is not None and not last.is_signed(key):
        raise CheckpointRefused(f"the last line of {path} is not signed by the audit key")
    seal_pending(window=CHECKPOINT_WINDOW)
    with transaction.atomic():
        # Locking the head holds back the sealer while the new links are walked.
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        count = head.count if head else 0
        head_hash = head.last_hash if head else GENESIS_HASH
        if last is not None and last.count == count:
            if last.head != head_hash:
                raise CheckpointRefused(
                    f"the chain head differs from the {last.describe()}: it was rewritten"
                )
            return None
        if last is not None and count < last.count:
            raise CheckpointRefused(f"the chain is shorter than the {last.describe()}")
        prev, checked, last_id = (
            (last.head, last.count, last.last_id) if last else (GENESIS_HASH, 0, 0)
        )
        # Events after a checkpoint were all written keyed; before the first one, the oldest
        # may predate the key.
        keyed_seen = last is not None
        for link in _links(after_count=checked, after_id=last_id):
            problem = _link_problem(link, checked + 1, prev, keyed_seen=keyed_seen, key=key)
            if problem:
                raise CheckpointRefused(f"event #{link.event_id}: {problem}")
            keyed_seen = keyed_seen or link.seal is not None or _keyed(link)
            prev, checked, last_id = link.hash, checked + 1, link.event_id
        if checked != count or prev != head_hash:
            raise CheckpointRefused("the chain head does not match the last event")
    at = clock.now().astimezone(UTC).isoformat()
    unsigned = Checkpoint(len(existing) + 1, at, count, last_id, head_hash, "")
    signature = hmac.new(key, unsigned.signed_text().encode(), hashlib.sha256).hexdigest()
    point = replace(unsigned, signature=signature)
    line = {
        "at": at,
        "count": count,
        "last_id": last_id,
        "head": head_hash,
        "signature": signature,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return point


def _keyed(link: Link) -> bool:
    return link.event is not None and link.event.scheme == HashScheme.HMAC


# --- verification ---------------------------------------------------------------------------


@dataclass
class VerifyReport:
    checked: int = 0
    plain: int = 0  # rows written before the chain was keyed
    broken: AuditEvent | None = None
    problems: list[str] = field(default_factory=list)
    checkpoints: int = 0
    waiting: int = 0  # events written in the last minute, not sealed yet

    @property
    def intact(self) -> bool:
        return not self.problems


def chain_verify(*, checkpoint_file: Path | None = None, batch_size: int = 5000) -> VerifyReport:
    """Walk the whole chain in order, against the head row and every checkpoint, and look
    for events left out of it. Reads only: `pallio audit verify` seals what waits first."""
    key = audit_key()
    report = VerifyReport()
    checkpoints, problems = checkpoints_read(checkpoint_file)
    report.problems.extend(problems)
    expected: dict[int, Checkpoint] = {}
    for point in checkpoints:
        if not point.is_signed(key):
            report.problems.append(
                f"line {point.line} of the checkpoint file is not signed by the audit key"
            )
            continue
        other = expected.get(point.count)
        if other is not None and other.head != point.head:
            report.problems.append(f"{point.describe()} disagrees with line {other.line}")
        expected[point.count] = point
    report.checkpoints = len(expected)
    # Events hashed before the key existed are accepted only as far as a signed checkpoint
    # has vouched for them; anyone can compute a plain hash.
    vouched_count = max(expected, default=0)

    prev = GENESIS_HASH
    keyed_seen = False
    for link in _links(batch_size=batch_size):
        vouched = report.checked < vouched_count
        problem = _link_problem(
            link, report.checked + 1, prev, keyed_seen=keyed_seen, key=key, vouched=vouched
        )
        if problem:
            report.broken = link.event or AuditEvent(id=link.event_id)
            report.problems.insert(0, f"{link.describe()}: {problem}")
            return report
        keyed_seen = keyed_seen or link.seal is not None or _keyed(link)
        report.plain += link.seal is None and not _keyed(link)
        prev = link.hash
        report.checked += 1
        witness = expected.get(report.checked)
        if witness is not None and (witness.head != link.hash or witness.last_id != link.event_id):
            report.broken = link.event
            report.problems.insert(
                0,
                f"{link.describe()} differs from the {witness.describe()}: "
                "the chain up to it was rewritten",
            )
            return report

    beyond = [p for p in expected.values() if p.count > report.checked]
    if beyond:
        longest = max(beyond, key=lambda p: p.count)
        report.problems.insert(
            0,
            f"the end of the chain: {report.checked} events, but the {longest.describe()} "
            "counted more (events were removed)",
        )
        return report
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != report.checked):
        report.problems.insert(0, "the end of the chain: events are missing after the last one")
        return report
    # Events outside the chain: events with no seal are the sealer's backlog for a minute;
    # older, a stopped sealer or a seal removed.
    late = clock.now() - UNSEALED_GRACE
    stray = _unsealed().filter(at__lt=late).order_by("id").first()
    if stray is not None:
        report.broken = stray
        report.problems.insert(
            0,
            f"event #{stray.pk} ({stray.event}): it was never sealed into the chain (the "
            "sealer is not running, or its seal was removed)",
        )
        return report
    report.waiting = _unsealed().count()
    return report
