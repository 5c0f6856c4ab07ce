"""The alert worklist's reads: the alerts a clinician sees, grouped by report, counted, and
one alert for its actions; access-checked and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    JSONField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from pallio.assessments import instruments as inst
from pallio.assessments.models import Alert, AlertEscalation, Instrument, SymptomReport
from pallio.assessments.selectors import _uuid
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock, params
from pallio.core.read_together import prepared

WORKLIST_PAGE_SIZE = 25


@dataclass(frozen=True)
class WorklistFilters:
    scope: str = "mine"  # mine | discipline | all
    status: str = "open"  # open | resolved

    @classmethod
    def from_query(cls, query: Any) -> WorklistFilters:
        """The worklist's filters; BadQuery naming each value that is not on offer."""
        data = params.parse(WorklistQuery, query)
        return cls(scope=data["scope"], status=data["status"])


class WorklistQuery(params.QueryForm):
    scope = params.ChoiceParam(
        label="Whose alerts",
        initial="mine",
        choices=[("mine", "Mine"), ("discipline", "My discipline"), ("all", "All")],
    )
    status = params.ChoiceParam(
        label="Status", initial="open", choices=[("open", "Open"), ("resolved", "Resolved")]
    )
    page = params.PageParam()


def _queue_q(user: Any) -> Q:
    """The alerts on the program-wide queue of `user`'s discipline: raised when nobody of
    the discipline was on the patient's team, and not yet taken. Every member of the
    discipline in the program sees them (escalation.py)."""
    if not access.has_perm(user, "alert.worklist") or not getattr(user, "discipline", ""):
        return Q(pk__in=[])
    # The task's assignee by its id, not through a join: joining the tasks made PostgreSQL
    # hash every task of the program (27,000 in the demo) for a page of 25 alerts.
    return Q(
        Exists(_tasks().filter(pk=OuterRef("task_id"), assigned_to__isnull=True)),
        program_id=user.program_id,
        discipline=user.discipline,
        task__isnull=False,
    )


def _tasks() -> QuerySet[Any]:
    return apps.get_model("careplans", "Task").objects.all()


def _escalated_to_q(user: Any) -> Q:
    """The alerts escalated to `user`: their ids read once, not a subquery run for each alert
    (for a list of 8,000 open alerts, that subquery alone cost 8 ms on an empty table)."""
    return Q(pk__in=AlertEscalation.objects.filter(to_user_id=user.pk).values("alert_id"))


def _escalated_to(user: Any) -> ExpressionWrapper:
    return ExpressionWrapper(_escalated_to_q(user), output_field=BooleanField())


def alert_worklist_for(user: Any, filters: WorklistFilters) -> QuerySet[Alert]:
    """The alerts the worklist shows `user`: the one source of both its rows and the counts
    in its header. Open alerts come escalated-to-me first, then by report (the alerts of
    one report together), the most urgent report first, then the soonest due."""
    if not access.has_perm(user, "alert.worklist"):
        return Alert.objects.none()
    queue = _queue_q(user)
    # The alert's own program (its patient's), so that the list joins no patient: hashing
    # the program's 10,000 patients was a third of the list's query. The page's rows are
    # read through the patient again (alert_worklist_page_for).
    visible = access.patient_access_q(user, prefix="patient__", program_on_row=True)
    qs = _in_status(Alert.objects.filter(visible | queue), filters.status)
    if filters.scope == "mine":
        qs = qs.filter(pk__in=_mine_ids(user, queue, filters.status))
    elif filters.scope == "discipline":
        qs = qs.filter(discipline=user.discipline)
    return qs


def _in_status(qs: QuerySet[Alert], status: str) -> QuerySet[Alert]:
    if status == "open":
        return qs.exclude(status=Alert.Status.RESOLVED)
    return qs.filter(status=Alert.Status.RESOLVED)


def _mine_ids(user: Any, queue: Q, status: str) -> QuerySet[Any]:
    """The ids of the alerts that are `user`'s: on a task assigned to them, on their
    discipline's queue, or escalated to them. Each part is read through its own index and
    the list is then read by id: one test of the three together on every alert of the
    program (as "task assigned to me OR on the queue OR escalated") made PostgreSQL scan them
    all: 8.8 ms for a physician's list of 29, 2 ms so. A list of thousands pays a little
    more (the demo's navigator, 1,574 alerts: 13 -> 19 ms), as it then reads its rows twice."""
    assigned = _in_status(Alert.objects.filter(task__assigned_to_id=user.pk), status)
    queued = _in_status(Alert.objects.filter(queue), status)
    escalated = AlertEscalation.objects.filter(to_user_id=user.pk)
    return (
        assigned.order_by()
        .values("pk")
        .union(queued.order_by().values("pk"), all=True)
        .union(escalated.order_by().values("alert_id"), all=True)
    )


def _ordered(qs: QuerySet[Alert], user: Any, status: str) -> QuerySet[Alert]:
    if status != "open":
        return qs.order_by("-resolved_at", "id")
    siblings = (
        Alert.objects.filter(report_id=OuterRef("report_id"))
        .exclude(status=Alert.Status.RESOLVED)
        .order_by()
        .values("report_id")
    )
    return qs.annotate(
        escalated_to_me=_escalated_to(user),
        group_priority=Coalesce(
            Subquery(siblings.annotate(p=Min("priority")).values("p")[:1]), F("priority")
        ),
        group_due=Coalesce(
            Subquery(siblings.annotate(d=Min("due_at")).values("d")[:1]), F("due_at")
        ),
    ).order_by(
        "-escalated_to_me",
        "group_priority",
        "group_due",
        "report_id",
        "priority",
        "due_at",
        "rule_key",
        "id",
    )


@dataclass
class WorklistGroup:
    """The alerts one report raised (or one alert without a report), shown together."""

    patient: Any
    report: SymptomReport | None
    values: list[str]
    alerts: list[Alert]


def _fmt(value: float) -> str:
    return f"{value:g}"


def report_values(
    spec: inst.InstrumentSpec, scores: dict[str, Any], previous: dict[str, Any] | None
) -> list[str]:
    """A report's values worth reading on the worklist, with the previous report's for
    comparison: "Pain 9/10 (was 5)". Items scored moderate or worse (or, when none is, the
    items higher than last time); for instruments without banded items, every scale."""
    before_items = (previous or {}).get("item_values", {})
    before_scales = (previous or {}).get("scales", {})
    shown: list[tuple[float, str]] = []
    items_now: dict[str, float] = scores.get("item_values", {})
    if spec.banded_items:
        severities = scores.get("item_severities", {})
        present = [link for link in spec.banded_items if link in items_now]
        notable = [link for link in present if severities.get(link) in {"moderate", "severe"}]
        if not notable:  # nothing moderate or worse: what rose since last time
            notable = [
                link
                for link in present
                if link in before_items and items_now[link] > before_items[link]
            ]
        for link in notable:
            value = items_now[link]
            was = before_items.get(link)
            item = spec.item(link)
            label = item.text.split(":")[0] if item else link
            top = f"/{_fmt(item.maximum)}" if item and item.maximum is not None else ""
            text = f"{label} {_fmt(value)}{top}"
            if was is not None:
                text += f" (was {_fmt(was)})"
            shown.append((value, text))
        shown.sort(key=lambda pair: -pair[0])
        return [text for _, text in shown[:6]]
    for scale in spec.scales:
        value = scores.get("scales", {}).get(scale.name)
        if value is None:
            continue
        text = f"{scale.title} {_fmt(value)}/{_fmt(scale.maximum)}"
        was = before_scales.get(scale.name)
        if was is not None:
            text += f" (was {_fmt(was)})"
        shown.append((0, text))
    return [text for _, text in shown[:6]]


def _specs_of(alerts: list[Alert]) -> dict[Any, inst.InstrumentSpec]:
    """The spec of each instrument the page's reports answered, its questionnaire read once
    each (a page of 25 alerts decoded it 25 times when it came with every row)."""
    ids = {a.report.instrument_id for a in alerts if a.report is not None}
    if not ids:
        return {}
    rows = Instrument.objects.filter(pk__in=ids).values_list("pk", "questionnaire")
    return {pk: inst.spec_of(questionnaire) for pk, questionnaire in rows}


def _groups(alerts: list[Alert]) -> list[WorklistGroup]:
    specs = _specs_of(alerts)
    groups: list[WorklistGroup] = []
    for alert in alerts:
        report = alert.report
        last = groups[-1].report if groups else None
        if report is not None and last is not None and last.pk == report.pk:
            groups[-1].alerts.append(alert)
            continue
        values: list[str] = []
        if report is not None and not report.entered_in_error:
            spec = specs[report.instrument_id]
            values = report_values(spec, report.scores, getattr(alert, "previous_scores", None))
        groups.append(WorklistGroup(alert.patient, report, values, [alert]))
    return groups


@dataclass
class Worklist:
    page: Page[Alert]
    groups: list[WorklistGroup]
    counts: dict[str, int]


def _page_ids(
    base: QuerySet[Alert], user: Any, status: str, number: int, overdue: Q
) -> tuple[list[Any], dict[str, int] | None]:
    """The ids of page `number` of the list in its order, and the list's counts, in ONE
    query (window counts over the whole list): the filter is the costly part, paid once.
    No row (a page past the end): no counts either."""
    start = (number - 1) * WORKLIST_PAGE_SIZE
    ordered = (
        _ordered(base, user, status)
        .annotate(
            list_total=Window(Count("id")),
            list_overdue=Window(Sum(Case(When(overdue, then=1), default=0))),
        )
        .values_list("pk", "list_total", "list_overdue")[start : start + WORKLIST_PAGE_SIZE]
    )
    # Planned once for each reader's connection: planning it took about as long as running
    # it (2.4 ms, and more for a list of thousands: the navigator's page, 26 -> 21 ms).
    with prepared(connections[ordered.db]):
        rows = list(ordered)
    if not rows:
        return [], None
    return [row[0] for row in rows], {"total": rows[0][1], "overdue": int(rows[0][2] or 0)}


def alert_worklist_page_for(user: Any, filters: WorklistFilters, page: int) -> Worklist:
    """One page of the worklist, grouped by report, with the counts of the same list."""
    base = alert_worklist_for(user, filters)
    overdue = _overdue()
    # The page's ids and the counts first, sorted on the alerts' own columns; then those 25
    # rows with what they show. Sorting every open alert of the list with its report,
    # patient and users joined on carried kilobytes a row to the sort (54 ms for a
    # navigator's 1,548 alerts), and counting apart paid for the filter twice.
    number = max(int(page), 1)
    ids, counts = _page_ids(base, user, filters.status, number, overdue)
    if counts is None and number == 1:  # the first page is empty: so is the list
        counts = {"total": 0, "overdue": 0}
    elif counts is None:  # past the end, or nothing to show: the last page, as Paginator does
        counts = _counts_of(base, overdue)
        last = max(1, -(-counts["total"] // WORKLIST_PAGE_SIZE))
        if counts["total"] and number != last:
            number = last
            ids, _ = _page_ids(base, user, filters.status, number, overdue)
        else:
            number = min(number, last)
    paginator: Paginator[Any] = Paginator([], WORKLIST_PAGE_SIZE)
    paginator.count = counts["total"]  # the same list, counted with its page
    previous = (
        SymptomReport.objects.filter(
            patient_id=OuterRef("report__patient_id"),
            instrument_key=OuterRef("report__instrument_key"),
            entered_in_error=False,
            answered_at__lt=OuterRef("report__answered_at"),
        )
        .order_by("-answered_at", "-created_at")
        .values("scores")[:1]
    )
    rows: QuerySet[Alert] = (
        Alert.objects.filter(pk__in=ids)
        .filter(access.patient_access_q(user, prefix="patient__") | _queue_q(user))
        .annotate(
            previous_scores=Subquery(previous, output_field=JSONField()),
            reachable=ExpressionWrapper(
                access.patient_access_q(user, prefix="patient__"), output_field=BooleanField()
            ),
        )
        .select_related(
            "patient",
            "task__assigned_to",
            "acknowledged_by",
            "resolved_by",
            "report__instrument",
        )
        # Neither shown nor used: read apart (the questionnaire) or not at all.
        .defer("report__answers", "report__unanswered", "report__instrument__questionnaire")
    )
    if filters.status == "open":
        rows = rows.annotate(escalated_to_me=_escalated_to(user))
    # Planned once for each reader's connection and number of rows: PostgreSQL took 5.7 ms
    # to plan these seven joins and subqueries, and 1.7 ms to run them.
    with prepared(connections[rows.db]):
        by_id = {alert.pk: alert for alert in rows}
    alerts = [by_id[pk] for pk in ids if pk in by_id]
    prefetch_related_objects(
        alerts, Prefetch("escalations", queryset=AlertEscalation.objects.select_related("to_user"))
    )
    shown: Page[Alert] = Page(alerts, number, cast(Any, paginator))
    audit_record(
        actor=user,
        action=Action.READ,
        event="alert.worklist",
        detail={"alerts": [str(a.pk) for a in alerts]},
    )
    return Worklist(shown, _groups(alerts), counts)


def _overdue() -> Q:
    return Q(due_at__lt=clock.now()) & ~Q(status=Alert.Status.RESOLVED)


def _counts_of(qs: QuerySet[Alert], overdue: Q) -> dict[str, int]:
    return qs.aggregate(total=Count("id"), overdue=Count("id", filter=overdue))


def alert_get_for(user: Any, alert_id: Any, *, from_queue: bool = False) -> Alert:
    """The alert, if `user` may see its patient (or, with `from_queue`, if it waits on the
    queue of their discipline); 404 otherwise."""
    aid = _uuid(alert_id, "alert")
    visible = access.patient_access_q(user, prefix="patient__")
    if from_queue:
        visible |= _queue_q(user)
    alert = (
        Alert.objects.filter(visible)
        .select_related("patient__program", "task")
        .filter(pk=aid)
        .first()
    )
    if alert is None:
        raise Http404("No such alert")
    return alert
