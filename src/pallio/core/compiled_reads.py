"""A page's combined read, compiled by Django once and then run with each record's ids
(ADR 0013).

The chart reads some thirty querysets together (core.read_together). Building and compiling
them took about half of the chart's time in Python, every request, for SQL that differs from
one patient to the next only in the patient's ids. `read_compiled(key, build, **args)` builds
the parts with `build(args)` and compiles them once per process, then runs the same SQL with
the parameters of each call.

`build` must be a function of `args` alone, the values it is given as attributes of one
object (`pk`, `program_id`, ...): no clock, no other attribute of a record, no branch on a
value. What is checked when the plan is made, so that a builder that breaks the rule is read
the usual way, compiled on every call, rather than wrongly:

- the parts are built and compiled twice, with two sets of made-up values of the same
  types; both must give the same SQL, and every parameter must be either the same in both
  (a constant of the builder) or one of the values as Django sends it (the value itself, or
  its hex or text form): anything else (the clock read twice, a value used in a way that is
  not a parameter) and the key is compiled on every call, with a warning in the log;
- the object given to `build` has nothing but the values: a builder that reads another
  attribute of a record fails, on its first call;
- a value of a type without made-up values (a date, say) is compiled on every call;
- a queryset built from a related manager (``patient.referrals``) keeps the made-up record
  to attach to its rows: such parts are not planned.

With PALLIO_VERIFY_COMPILED_READS (on in the test suite), every call also builds and compiles
the parts with its own values and raises an error when that SQL or those parameters differ
from the plan's, so the whole suite checks every planned read.
"""

from __future__ import annotations

import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from pallio.core.read_together import (
    Compiled,
    Rows,
    Total,
    compile_parts,
    read_together,
    run_compiled,
)

log = logging.getLogger(__name__)

Build = Callable[[Any], Mapping[str, Rows | Total]]

# How Django may send a value as a parameter: itself (PostgreSQL's uuid, an int), a UUID's
# hex (SQLite's char(32) uuid), its text.
_FORMS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("value", lambda value: value),
    ("hex", lambda value: value.hex),
    ("text", str),
)


class CompiledReadMismatch(RuntimeError):
    """A planned read's SQL or parameters differ from those built for the call's values."""


@dataclass(frozen=True)
class Plan:
    compiled: Compiled
    # (position in the parameters, name of the value, how Django sends it)
    slots: tuple[tuple[int, str, Callable[[Any], Any]], ...]

    def params_for(self, args: Mapping[str, Any]) -> list[Any]:
        params = list(self.compiled.params)
        for position, name, form in self.slots:
            params[position] = form(args[name])
        return params


_plans: dict[tuple[Any, ...], Plan | None] = {}
_lock = threading.Lock()


def read_compiled(
    key: str, build: Build, *, using: str = DEFAULT_DB_ALIAS, **args: Any
) -> dict[str, Any]:
    """What read_together(build(args)) returns, from SQL compiled once for `key`."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):  # pragma: no cover
        return read_together(build(SimpleNamespace(**args)), using=using)
    # Django writes the active time zone into a date or time lookup's SQL (`__date`): a
    # plan is made for each zone a page is shown in (the program's).
    plan_key = (
        key,
        using,
        connection.vendor,
        timezone.get_current_timezone_name(),
        tuple((n, type(v)) for n, v in sorted(args.items())),
    )
    try:
        plan = _plans[plan_key]
    except KeyError:
        with _lock:
            plan = _plans[plan_key] = (
                _plans[plan_key] if plan_key in _plans else _plan(key, build, using, args)
            )
    if plan is None:
        return read_together(build(SimpleNamespace(**args)), using=using)
    params = plan.params_for(args)
    if getattr(settings, "PALLIO_VERIFY_COMPILED_READS", False):
        _verify(key, plan, build, using, args, params)
    return run_compiled(plan.compiled, params, using=using)


def forget_plans() -> None:
    """Drop every plan (tests that change a builder)."""
    with _lock:
        _plans.clear()


def _made_up(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, int) and not isinstance(value, bool):
        return -secrets.randbelow(2**40) - 2**41
    if isinstance(value, str):
        return f"made-up-{secrets.token_hex(8)}"
    raise TypeError(f"no made-up value for {type(value).__name__}")


def _plan(key: str, build: Build, using: str, args: Mapping[str, Any]) -> Plan | None:
    try:
        first = {name: _made_up(value) for name, value in args.items()}
        second = {name: _made_up(value) for name, value in args.items()}
    except TypeError as error:
        log.warning("compiled read %s is compiled on every call: %s", key, error)
        return None
    # A builder that reads what it was not given fails here, as it would on every call.
    one = compile_parts(build(SimpleNamespace(**first)), using=using)
    two = compile_parts(build(SimpleNamespace(**second)), using=using)
    reason = _unplannable(one, two)
    slots: list[tuple[int, str, Callable[[Any], Any]]] = []
    if reason is None:
        for position, (a, b) in enumerate(zip(one.params, two.params, strict=True)):
            if type(a) is type(b) and a == b:
                continue
            slot = next(
                (
                    (position, name, form)
                    for name in args
                    for _, form in _FORMS
                    if _sends(form, first[name], a) and _sends(form, second[name], b)
                ),
                None,
            )
            if slot is None:
                reason = f"parameter {position} is not one of the values"
                break
            slots.append(slot)
    if reason is not None:
        log.warning("compiled read %s is compiled on every call: %s", key, reason)
        return None
    return Plan(one, tuple(slots))


def _unplannable(one: Compiled, two: Compiled) -> str | None:
    if one.sql != two.sql or len(one.params) != len(two.params):
        return "its SQL depends on the values"
    for name, part in one.parts.items():
        if part.queryset._known_related_objects:  # type: ignore[attr-defined]
            return f"part {name} is read through a related manager"
    return None


def _sends(form: Callable[[Any], Any], value: Any, param: Any) -> bool:
    try:
        sent = form(value)
    except AttributeError:
        return False
    return type(sent) is type(param) and bool(sent == param)


def _verify(
    key: str, plan: Plan, build: Build, using: str, args: Mapping[str, Any], params: list[Any]
) -> None:
    fresh = compile_parts(build(SimpleNamespace(**args)), using=using)
    if fresh.sql != plan.compiled.sql:
        raise CompiledReadMismatch(f"compiled read {key}: the plan's SQL differs from the call's")
    if fresh.params != params:
        wrong = [i for i, (a, b) in enumerate(zip(fresh.params, params, strict=True)) if a != b]
        raise CompiledReadMismatch(
            f"compiled read {key}: parameters {wrong} differ from the call's own "
            f"({[params[i] for i in wrong]} planned, {[fresh.params[i] for i in wrong]} built)"
        )
