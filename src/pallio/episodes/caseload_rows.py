"""The caseload's rows, written in Python to the byte what `episodes/_caseload_row.html`
renders.

The template is the row's source: what it says is what a row shows. Rendering it once for
each of up to 50 patients was half of the caseload page's time on the server (variable
lookups and filters, about 0.2 ms a row), so the rows are written here directly, with the
template language's escaping, localisation and filters (the same functions, called the same
way). At first use the template's source is compared with the one this module was written
against (ROW_SOURCE): if anyone changed the template, this fast path turns itself off (and
says so in the log), and the template renders every row. `tests/test_caseload_rows.py`
renders rows of every kind both ways and compares them, and fails when the fast path is off.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.template import loader
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

from pallio.assessments.templatetags.assessments import symptom_sparkline
from pallio.core.form_renderer import shown
from pallio.core.templatetags.pallio import age_on
from pallio.core.written_templates import WrittenAgainst, source_sha256

TEMPLATE = "episodes/_caseload_row.html"

# The template this module stands in for, as it was when the module was written.
ROW_SOURCE = (
    '{% load pallio assessments %}<tr data-testid="caseload-row">\n'
    '  <td><a href="{{ p.chart_url }}">{{ p.family_name }}, {{ p.given_name }}</a><br>'
    '<span class="small text-body-secondary">{{ p.mrn }}</span></td>\n'
    '  <td data-testid="caseload-code-status">{% if p.code_status_value %}'
    '<span class="badge code-status-badge {% if p.code_status_refuses_cpr %}'
    "code-status-no-cpr{% else %}code-status-full{% endif %}"
    '">{{ p.code_status_words }}</span>{% else %}'
    '<span class="badge code-status-badge code-status-unknown">{{ p.code_status_words }}'
    "</span>{% endif %}</td>\n"
    '  <td data-testid="caseload-phase">{{ p.phase_words|default:"Not recorded" }}</td>\n'
    '  <td data-testid="caseload-alerts">{% if p.open_alert_count %}'
    '<a class="fw-semibold" href="{{ p.trends_url }}">{{ p.open_alert_words }}</a>'
    "{% else %}{{ p.open_alert_words }}{% endif %}</td>\n"
    '  <td data-testid="caseload-next">{% if p.next_task_due %}'
    'Task due {{ p.next_task_due|date:"j M" }}{% if p.next_task_due < today %} '
    '<span class="badge badge-overdue">overdue</span>{% endif %}<br>'
    '<span class="small">{{ p.next_task_title|truncatechars:40 }}</span>'
    "{% else %}No open task{% endif %}{% if p.last_visit_at %}<br>"
    '<span class="small text-body-secondary">Last visit {{ p.last_visit_at|date:"j M" }}'
    "</span>{% endif %}</td>\n"
    "  <td>{{ p.birth_date|age_on:today }}</td>\n"
    "  <td>{% for c in p.conditions.all %}{{ c.display|truncatechars:50 }}"
    "{% if c.advanced %} (advanced){% endif %}{% if not forloop.last %}; {% endif %}"
    "{% empty %}—{% endfor %}</td>\n"
    "  <td>{{ p.get_residence_display }}</td>\n"
    '  <td class="text-nowrap"><a class="sparkline-link text-decoration-none" '
    'href="{{ p.trends_url }}">{% symptom_sparkline p.symptom_burden %}</a></td>\n'
    "</tr>\n"
)

SOURCE = WrittenAgainst(TEMPLATE, source_sha256(ROW_SOURCE), writer="episodes/caseload_rows.py")


def fast_path_on() -> bool:
    """Whether the template is still the one this module writes (read once a process)."""
    return SOURCE.holds()


def caseload_rows(patients: Iterable[Any], today: Any) -> SafeString:
    """The rows of the caseload's table for `patients` (as the caseload selector gives them,
    with the view's links), on the program's `today`."""
    if not fast_path_on():
        return template_rows(patients, today)
    return mark_safe("".join(_row(p, today) for p in patients))  # noqa: S308 - each value escaped


def template_rows(patients: Iterable[Any], today: Any) -> SafeString:
    """The same rows, each rendered by the template."""
    template = loader.get_template(TEMPLATE)
    rows = (template.render({"p": p, "today": today}) for p in patients)
    return mark_safe("".join(rows))  # noqa: S308 - rendered by the template, autoescaped


def _truncated(value: str, length: int) -> str:
    """`{{ value|truncatechars:length }}`. The filter gives text no longer than `length`
    back as it is, only in Unicode's composed form (NFC): said here without walking it."""
    if len(value) <= length and unicodedata.is_normalized("NFC", value):
        return shown(value)
    return shown(truncatechars(value, length))


def _date(value: Any) -> str:
    """`{{ value|date:"j M" }}`: the filter takes local time, its text is escaped."""
    return shown(date_filter(template_localtime(value), "j M"))


def _row(p: Any, today: Any) -> str:
    trends = shown(p.trends_url)
    words = shown(p.code_status_words)
    if p.code_status_value:
        kind = "code-status-no-cpr" if p.code_status_refuses_cpr else "code-status-full"
        code = f'<span class="badge code-status-badge {kind}">{words}</span>'
    else:
        code = f'<span class="badge code-status-badge code-status-unknown">{words}</span>'
    alerts = shown(p.open_alert_words)
    if p.open_alert_count:
        alerts = f'<a class="fw-semibold" href="{trends}">{alerts}</a>'
    if p.next_task_due:
        overdue = (
            ' <span class="badge badge-overdue">overdue</span>' if p.next_task_due < today else ""
        )
        task = (
            f"Task due {_date(p.next_task_due)}{overdue}<br>"
            f'<span class="small">{_truncated(p.next_task_title, 40)}</span>'
        )
    else:
        task = "No open task"
    if p.last_visit_at:
        task += (
            '<br><span class="small text-body-secondary">'
            f"Last visit {_date(p.last_visit_at)}</span>"
        )
    conditions = [
        _truncated(c.display, 50) + (" (advanced)" if c.advanced else "")
        for c in p.conditions.all()
    ]
    return (
        '<tr data-testid="caseload-row">\n'
        f'  <td><a href="{shown(p.chart_url)}">{shown(p.family_name)}, {shown(p.given_name)}'
        f'</a><br><span class="small text-body-secondary">{shown(p.mrn)}</span></td>\n'
        f'  <td data-testid="caseload-code-status">{code}</td>\n'
        f'  <td data-testid="caseload-phase">{shown(p.phase_words or "Not recorded")}</td>\n'
        f'  <td data-testid="caseload-alerts">{alerts}</td>\n'
        f'  <td data-testid="caseload-next">{task}</td>\n'
        f"  <td>{shown(age_on(p.birth_date, today))}</td>\n"
        f"  <td>{'; '.join(conditions) or '—'}</td>\n"
        f"  <td>{shown(p.get_residence_display())}</td>\n"
        '  <td class="text-nowrap"><a class="sparkline-link text-decoration-none" '
        f'href="{trends}">{conditional_escape(symptom_sparkline(p.symptom_burden))}</a></td>\n'
        "</tr>\n"
    )
