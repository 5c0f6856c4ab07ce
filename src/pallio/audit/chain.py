"""The audit chain's hashes, its verification, and the signed checkpoints kept outside the
database (SECURITY.md 14, ADR 0003).

Each row's hash is an HMAC-SHA256, keyed with ``PALLIO_AUDIT_KEY``, of the previous row's
hash and the row's canonical content. Someone who can write the database but does not hold
the key cannot recompute the chain after editing a row. Rows written before the chain was
keyed carry plain SHA-256 hashes (``scheme`` empty); a plain row after a keyed one is a
break, since only an attacker would write one.

A checkpoint is one line appended to ``PALLIO_AUDIT_CHECKPOINT_FILE``: the time, the number
of events, the newest row's id and hash, signed with the same key. The file lives where the
database role cannot write. `pallio audit verify` checks the chain against every line, so a
chain that was cut short, or rewritten as a whole (even as plain hashes), is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from pallio.audit.models import AuditChainHead, AuditEvent, HashScheme
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
    message = f"v{HashScheme.HMAC}|{prev_hash}|{_canonical(event)}".encode()
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def event_hash(prev_hash: str, event: AuditEvent, *, key: bytes | None = None) -> str:
    if event.scheme == HashScheme.HMAC:
        return keyed_hash(prev_hash, event, key=key)
    return plain_hash(prev_hash, event)


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
    """Verify the events added since the last checkpoint, then append a signed line for the
    current head. Returns None when nothing was added since the last checkpoint."""
    path = path or checkpoint_path()
    key = audit_key()
    existing, problems = checkpoints_read(path)
    if problems:
        raise CheckpointRefused("; ".join(problems))
    last = existing[-1] if existing else None
    if last is not None and not last.is_signed(key):
        raise CheckpointRefused(f"the last line of {path} is not signed by the audit key")
    with transaction.atomic():
        # Locking the head holds back appends while the new events are walked.
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
        for row in _iter_rows(after_id=last_id):
            problem = _link_problem(row, prev, keyed_seen=keyed_seen, key=key)
            if problem:
                raise CheckpointRefused(f"event #{row.pk}: {problem}")
            keyed_seen = keyed_seen or row.scheme == HashScheme.HMAC
            prev, checked, last_id = row.hash, checked + 1, row.pk
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


# --- verification ---------------------------------------------------------------------------


@dataclass
class VerifyReport:
    checked: int = 0
    plain: int = 0  # rows written before the chain was keyed
    broken: AuditEvent | None = None
    problems: list[str] = field(default_factory=list)
    checkpoints: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


def _link_problem(
    row: AuditEvent, prev: str, *, keyed_seen: bool, key: bytes, vouched: bool = True
) -> str:
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


def chain_verify(*, checkpoint_file: Path | None = None, batch_size: int = 5000) -> VerifyReport:
    """Walk the whole chain in order, against the head row and every checkpoint."""
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
    for row in _iter_rows(batch_size=batch_size):
        vouched = report.checked < vouched_count
        problem = _link_problem(row, prev, keyed_seen=keyed_seen, key=key, vouched=vouched)
        if problem:
            report.broken = row
            report.problems.insert(0, f"event #{row.pk} ({row.event}): {problem}")
            return report
        keyed_seen = keyed_seen or row.scheme == HashScheme.HMAC
        report.plain += row.scheme != HashScheme.HMAC
        prev = row.hash
        report.checked += 1
        witness = expected.get(report.checked)
        if witness is not None and (witness.head != row.hash or witness.last_id != row.pk):
            report.broken = row
            report.problems.insert(
                0,
                f"event #{row.pk} ({row.event}) differs from the {witness.describe()}: "
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


def _iter_rows(*, after_id: int = 0, batch_size: int = 5000) -> Iterator[AuditEvent]:
    last_id = after_id
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id
