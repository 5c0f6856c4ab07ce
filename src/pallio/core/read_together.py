"""Several reads in one round trip to the database.

A page that shows many short lists (the chart: tasks, alerts, notes, orders, ...) would pay
one query per list. `read_together` sends them as one statement: each queryset, compiled by
Django as usual (its filters, joins, ordering and limit unchanged), becomes a scalar subquery
that returns its rows as one JSON array, and the rows are turned back into model instances,
select_related included, by Django's own compiler and converters. Prefetches are not
followed: read the related rows as a part of their own and hand them over with
`attach_prefetched`.

The rows of an ordered subquery are aggregated in their order (SQLite and PostgreSQL both do
so for a subquery with ORDER BY that is not flattened into the aggregate; PostgreSQL
documents it for its aggregates).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# SQLite and PostgreSQL both cap a function's arguments (127 and 100): a row's columns are
# packed into arrays of at most this many.
CHUNK = 50


@dataclass(frozen=True)
class Rows:
    """The model instances of `queryset`, in its order."""

    queryset: QuerySet[Any]


@dataclass(frozen=True)
class Total:
    """How many rows `queryset` has."""

    queryset: QuerySet[Any]


@dataclass(frozen=True)
class Compiled:
    """`parts` compiled into one statement: its SQL and parameters, and what turns its
    values back into instances (each Rows part's compiler; None for a Total or an empty
    part)."""

    parts: Mapping[str, Rows | Total]
    sql: str
    params: list[Any]
    compilers: dict[str, Any]


def read_together(
    parts: Mapping[str, Rows | Total], *, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Run every part in one query: a list of instances for each Rows, an int for each Total."""
    if not parts:
        return {}
    connection = connections[using]
    if connection.vendor not in (
        "sqlite",
        "postgresql",
    ):  # pragma: no cover - the two databases Pallio runs on
        return {
            name: part.queryset.count() if isinstance(part, Total) else list(part.queryset)
            for name, part in parts.items()
        }
    compiled = compile_parts(parts, using=using)
    return run_compiled(compiled, compiled.params, using=using)


def compile_parts(parts: Mapping[str, Rows | Total], *, using: str) -> Compiled:
    """Django's SQL for each part, put together into one SELECT (nothing is run)."""
    connection = connections[using]
    vendor = connection.vendor
    qn = connection.ops.quote_name
    selects: list[str] = []
    params: list[Any] = []
    compilers: dict[str, Any] = {}
    for name, part in parts.items():
        compiler = part.queryset.query.get_compiler(using=using)
        try:
            sql, part_params = compiler.as_sql(with_col_aliases=True)
        except EmptyResultSet:  # a filter such as `pk__in=[]`: no row, nothing to ask
            selects.append("0" if isinstance(part, Total) else "NULL")
            compilers[name] = None
            continue
        params.extend(part_params)
        if isinstance(part, Total):
            # Django's own compiled SQL; the values stay parameters.
            selects.append(f"(SELECT COUNT(*) FROM ({sql}) _part)")  # noqa: S608
            compilers[name] = None
            continue
        columns = [
            # PostgreSQL would nest a JSON column as JSON: as text, it reads as from psycopg.
            f"_part.{qn(alias)}::text"
            if vendor == "postgresql" and _internal_type(expression) == "JSONField"
            else f"_part.{qn(alias)}"
            for expression, _, alias in compiler.select[: compiler.col_count]
        ]
        array = "json_array" if vendor == "sqlite" else "json_build_array"
        chunks = ", ".join(
            f"{array}({', '.join(columns[i : i + CHUNK])})" for i in range(0, len(columns), CHUNK)
        )
        aggregate = (
            f"json_group_array({array}({chunks}))"
            if vendor == "sqlite"
            else f"json_agg({array}({chunks}))::text"
        )
        selects.append(f"(SELECT {aggregate} FROM ({sql}) _part)")  # noqa: S608
        compilers[name] = compiler
    return Compiled(parts, "SELECT " + ", ".join(selects), params, compilers)


def run_compiled(compiled: Compiled, params: list[Any], *, using: str) -> dict[str, Any]:
    """Run `compiled` with `params` and turn its values into instances and counts."""
    connection = connections[using]
    with connection.cursor() as cursor, prepared(connection):
        cursor.execute(compiled.sql, params)
        values = cursor.fetchone()
    result: dict[str, Any] = {}
    for (name, part), value in zip(compiled.parts.items(), values, strict=True):
        compiler = compiled.compilers[name]
        if isinstance(part, Total):
            result[name] = int(value or 0)
        elif compiler is None or value is None:
            result[name] = []
        else:
            result[name] = _instances(part.queryset, compiler, value, connection.vendor)
    return result


@contextmanager
def prepared(connection: Any) -> Iterator[None]:
    """On PostgreSQL with parameters bound by the server, a statement run in this block is
    kept prepared once the connection has run it PALLIO_PG_PREPARE_THRESHOLD times (psycopg
    keeps its 100 latest): PostgreSQL plans the chart's 30-odd subqueries once, not for
    every patient. Only reads measured to gain are run here (these combined reads, the
    alert worklist's two): a generic plan cannot use a partial index whose condition is a
    parameter, and the referral queue's counts went from 3 to 19 ms when every repeated
    statement was prepared (settings.py)."""
    raw = connection.connection
    threshold = getattr(settings, "PALLIO_PG_PREPARE_THRESHOLD", None)
    if (
        connection.vendor != "postgresql"
        or threshold is None
        or not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
        or raw is None
    ):
        yield
        return
    before = raw.prepare_threshold
    raw.prepare_threshold = threshold
    try:
        yield
    finally:
        raw.prepare_threshold = before


def _instances(queryset: QuerySet[Any], compiler: Any, text: str, vendor: str) -> list[Any]:
    fields = [s[0] for s in compiler.select[: compiler.col_count]]
    if vendor == "sqlite":
        # The JSON holds what the SQLite driver would have returned: Django's converters
        # finish the job as for any query.
        raw = [_flat(row) for row in json.loads(text)]
    else:
        convert = [_from_json_of(f.output_field) for f in fields]
        raw = [
            [None if v is None else to(v) for to, v in zip(convert, _flat(row), strict=True)]
            for row in json.loads(text, parse_float=Decimal)
        ]
    rows = list(compiler.results_iter(results=[raw]))
    klass_info, annotation_col_map = compiler.klass_info, compiler.annotation_col_map
    select = compiler.select
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    related_populators = get_related_populators(klass_info, select, queryset.db)  # type: ignore[call-arg]  # stubs ahead of Django 5.2
    known = list(queryset._known_related_objects.items())  # type: ignore[attr-defined]
    objects = []
    for row in rows:
        obj = klass_info["model"].from_db(queryset.db, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, obj)
        for attr_name, col_pos in (annotation_col_map or {}).items():
            setattr(obj, attr_name, row[col_pos])
        for field, related in known:
            if not field.is_cached(obj) and getattr(obj, field.attname) in related:
                setattr(obj, field.name, related[getattr(obj, field.attname)])
        objects.append(obj)
    return objects


def _internal_type(expression: Any) -> str:
    try:
        return str(expression.output_field.get_internal_type())
    except AttributeError:  # pragma: no cover - an expression without a field
        return ""


def _flat(row: list[list[Any]]) -> list[Any]:
    return [value for chunk in row for value in chunk]


def _same(value: Any) -> Any:
    return value


# How a column's JSON value (not null) becomes what psycopg would have returned, chosen once
# per column: a chart's read converts some 2,000 values.
_FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "DecimalField": Decimal,  # parsed exactly as PostgreSQL wrote it (parse_float)
    "JSONField": _same,  # selected as text: JSONField.from_db_value reads it
    "FloatField": float,  # a JSON number, read as a Decimal (parse_float)
    "CharField": _same,
    "TextField": _same,
    "SlugField": _same,
    "EmailField": _same,
    "URLField": _same,
    "BooleanField": _same,
    "IntegerField": _same,
    "SmallIntegerField": _same,
    "BigIntegerField": _same,
    "PositiveIntegerField": _same,
    "PositiveSmallIntegerField": _same,
    "PositiveBigIntegerField": _same,
    "AutoField": _same,
    "SmallAutoField": _same,
    "BigAutoField": _same,
    "UUIDField": UUID,
    # PostgreSQL writes ISO 8601 with the offset ("2026-12-02T06:49:31.45701+00:00").
    "DateTimeField": datetime.fromisoformat,
    "DateField": date.fromisoformat,
}


def _from_json_of(field: Any) -> Callable[[Any], Any]:
    """The conversion of `field`'s values from their JSON form: its own `to_python` for a
    type not listed."""
    return _FROM_JSON.get(field.get_internal_type(), field.to_python)


def attach_prefetched(
    objects: Iterable[Model], name: str, children: Iterable[Model], *, key: str
) -> None:
    """Give each of `objects` its related rows `name` (read as a part of their own), as
    prefetch_related would: `obj.<name>.all()` then costs no query. `key` is the children's
    attribute holding the parent's pk."""
    grouped: dict[Any, list[Model]] = {}
    for child in children:
        grouped.setdefault(getattr(child, key), []).append(child)
    for obj in objects:
        manager = getattr(obj, name)
        queryset = manager.all()
        queryset._result_cache = grouped.get(obj.pk, [])
        queryset._prefetch_done = True
        cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[manager.field.remote_field.cache_name] = queryset
