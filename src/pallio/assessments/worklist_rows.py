"""The alert worklist's groups, written in Python to the byte what
`assessments/_worklist_group.html` renders (ADR 0014, as the caseload's rows).

The template is the source of what a group shows. Rendering it for a page of 25 alerts was a
quarter of the worklist's time on the server, so the groups are written here directly, with
the template language's escaping, localisation and filters (the same functions). At first
use the template's source is compared with the one this module was written against (by its
SHA-256, core/written_templates.py): if anyone changed the template, this fast path turns itself
off (and says so in the log), and the template renders every group.
`assessments/tests/test_worklist_rows.py` renders groups of every kind both ways and
compares them, and fails when the fast path is off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.template import loader
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

from pallio.core.form_renderer import shown
from pallio.core.written_templates import WrittenAgainst

TEMPLATE = "assessments/_worklist_group.html"
# The template this module stands in for, as it was when the module was written.
SOURCE = WrittenAgainst(
    TEMPLATE,
    "d124707b0471930f4cef433105070b562c8c24254dad52d91e4ec2fdbbd6768b",
    writer="assessments/worklist_rows.py",
)


@dataclass(frozen=True)
class Page:
    """What every group of one page shares: the reader, the time, where a form returns."""

    user: Any
    now: Any
    next_url: str
    csrf_token: str


def fast_path_on() -> bool:
    """Whether the template is still the one this module writes (read once a process)."""
    return SOURCE.holds()


def worklist_groups(groups: Iterable[Any], page: Page) -> SafeString:
    """The worklist's groups (WorklistGroup, with the view's links) as the page shows them."""
    if not fast_path_on():
        return template_groups(groups, page)
    html = "".join(_group(g, n, page) for n, g in enumerate(groups, start=1))
    return mark_safe(html)  # noqa: S308 - each value escaped


def template_groups(groups: Iterable[Any], page: Page) -> SafeString:
    """The same groups, each rendered by the template."""
    template = loader.get_template(TEMPLATE)
    context = {
        "user": page.user,
        "now": page.now,
        "next": page.next_url,
        "csrf_token": page.csrf_token,
    }
    html = "".join(
        template.render({**context, "g": g, "n": n}) for n, g in enumerate(groups, start=1)
    )
    return mark_safe(html)  # noqa: S308 - rendered by the template, autoescaped


def _date(value: Any, form: str) -> str:
    """`{{ value|date:form }}`: the filter takes local time, its text is escaped."""
    return shown(date_filter(template_localtime(value), form))


def _lower(value: Any) -> str:
    """`{{ value|lower }}`."""
    return shown(str(value).lower())


def _csrf(page: Page) -> str:
    """`{% csrf_token %}`."""
    if not page.csrf_token or page.csrf_token == "NOTPROVIDED":  # noqa: S105 - Django's marker
        return ""
    return str(
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', page.csrf_token)
    )


def _group(g: Any, n: int, page: Page) -> str:
    name = f"{shown(g.patient.family_name)}, {shown(g.patient.given_name)}"
    if g.alerts and g.alerts[0].reachable:
        heading = f'<a href="{shown(g.patient.trends_url)}">{name}</a>'
    else:
        heading = name
    report = "    \n"
    if g.report:
        r = g.report
        count = f" · {shown(len(g.alerts))} alerts from this report" if len(g.alerts) > 1 else ""
        values = (
            '<p class="mb-0 fw-semibold" data-testid="report-values">'
            f"{' · '.join(shown(v) for v in g.values)}</p>"
            if g.values
            else ""
        )
        report = (
            "    \n"
            '    <p class="mb-0 small" data-testid="report-received">Report received '
            f"{_date(r.created_at, 'j M Y, H:i T')} · {shown(r.instrument.title)} · "
            f"{shown(r.get_respondent_display())}, {_lower(r.get_channel_display())}"
            f"{count}</p>\n"
            f"    {values}\n"
            "    \n"
        )
    alerts = "".join(_alert(a, g, page) for a in g.alerts)
    return (
        '<section class="card mb-3" data-testid="alert-group" role="group" '
        f'aria-labelledby="alert-group-{n}">\n'
        '  <div class="card-header bg-body">\n'
        f'    <h2 class="h6 mb-1" id="alert-group-{n}">{heading}</h2>\n'
        f"{report}"
        "  </div>\n"
        '  <ul class="list-group list-group-flush">\n'
        f"  {alerts}\n"
        "  </ul>\n"
        "</section>\n"
    )


def _alert(a: Any, g: Any, page: Page) -> str:
    task = a.task
    assignee_id = task.assigned_to_id if task is not None else None
    assignee = task.assigned_to if task is not None else None
    discipline = shown(a.get_discipline_display())
    escalated = (
        '<span class="badge text-bg-danger">escalated to you</span> '
        if getattr(a, "escalated_to_me", False)  # annotated on the open list only
        else ""
    )
    urgent = '<span class="badge text-bg-danger">urgent</span> ' if a.priority <= 1 else ""
    queued = (
        '<span class="badge text-bg-warning" data-testid="queue-flag">'
        f"No {_lower(a.get_discipline_display())} on the team</span> "
        if a.is_open and a.task_id and not assignee_id
        else ""
    )
    detail = f'<br><span class="small">{shown(a.detail)}</span>' if a.detail else ""
    overdue = (
        ' <span class="badge badge-overdue">overdue</span>'
        if a.is_open and a.due_at < page.now
        else ""
    )
    if assignee:
        owner = f" · {shown(assignee.display_name)}"
    elif a.task_id:
        owner = f" · the program's {_lower(a.get_discipline_display())} queue"
    else:
        owner = ""
    acknowledged = f" by {shown(a.acknowledged_by.display_name)}" if a.acknowledged_by else ""
    escalations = "".join(
        '<div data-testid="escalation">Escalated to '
        f"{shown(e.to_user.display_name)} ({_lower(e.get_step_display())}), "
        f"{_date(e.escalated_at, 'j M H:i')}</div>"
        for e in a.escalations.all()
    )
    action = f"<div>{shown(a.action_taken)}</div>" if a.action_taken else ""
    return (
        "\n"
        '    <li class="list-group-item" data-testid="alert-row" '
        f'data-rule="{shown(a.rule_key)}">\n'
        '      <div class="row g-2">\n'
        '        <div class="col-12 col-lg-5">\n'
        f'          <span class="visually-hidden">{shown(g.patient.family_name)}, '
        f"{shown(g.patient.given_name)}: </span>\n"
        f"          {escalated}\n"
        f"          {urgent}\n"
        f"          {queued}\n"
        f"          <strong>{shown(a.title)}</strong>\n"
        f"          {detail}\n"
        "        </div>\n"
        '        <div class="col-12 col-sm-6 col-lg-3 small">\n'
        f"          <div>Due {_date(a.due_at, 'j M H:i')}{overdue}</div>\n"
        f"          <div>For: {discipline}{owner}</div>\n"
        f"          <div>{shown(a.get_status_display())}{acknowledged}</div>\n"
        f"          {escalations}\n"
        f"          {action}\n"
        "        </div>\n"
        f'        <div class="col-12 col-sm-6 col-lg-4">{_actions(a, assignee_id, page)}</div>\n'
        "      </div>\n"
        "    </li>\n"
        "  "
    )


def _actions(a: Any, assignee_id: Any, page: Page) -> str:
    if not a.is_open:
        by = f" by {shown(a.resolved_by.display_name)}" if a.resolved_by else ""
        return f"Resolved {_date(a.resolved_at, 'j M H:i')}{by}"
    csrf = _csrf(page)
    hidden = (
        f'<input type="hidden" name="version" value="{shown(a.version)}">'
        f'<input type="hidden" name="next" value="{shown(page.next_url)}">'
    )
    take = (
        f'<form method="post" action="{shown(a.take_url)}" class="mb-2">{csrf}{hidden}'
        '<button class="btn btn-sm btn-outline-primary" type="submit">'
        "Take it and join the care team</button></form>"
        if a.task_id and not assignee_id and a.discipline == page.user.discipline
        else ""
    )
    if not a.reachable:
        act = '<p class="small mb-0">Take it to open the patient\'s chart and act on it.</p>'
    else:
        acknowledge = (
            f'<form method="post" action="{shown(a.acknowledge_url)}" class="mb-2">'
            f"{csrf}{hidden}"
            '<button class="btn btn-sm btn-outline-primary" type="submit">Acknowledge</button>'
            "</form>"
            if a.status == "open"
            else ""
        )
        pk = shown(a.pk)
        act = (
            "\n"
            f"          {acknowledge}\n"
            f'          <form method="post" action="{shown(a.resolve_url)}">{csrf}{hidden}\n'
            f'            <label class="form-label small" for="action-{pk}">Action taken</label>\n'
            '            <textarea class="form-control form-control-sm mb-1" '
            f'id="action-{pk}" name="action_taken" rows="2" maxlength="2000" required>'
            "</textarea>\n"
            '            <button class="btn btn-sm btn-primary" type="submit">Resolve</button>'
            "</form>"
        )
    return f"\n          {take}\n          {act}\n        "
