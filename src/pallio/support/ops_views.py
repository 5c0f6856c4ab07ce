"""The 24/7 line's operations pages: escalations to acknowledge, the morning hand-off (on a
page and printed) and the line's measures. Parse, call a service or selector, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from weasyprint import HTML

from pallio.acp.pdf import RefusingFetcher
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import IdtTeam
from pallio.core import clock, params
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.support import escalation, handoff, measures

# --- escalations ----------------------------------------------------------------------------


def escalations_context(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    return {
        "escalated_calls": escalation.escalations_open_for(user),
        "escalations_next": request.get_full_path(),
    }


@staff_view("support.escalations")
@require_GET
def escalations(request: HttpRequest) -> HttpResponse:
    context = escalations_context(request)
    context["escalations_next"] = reverse("support:escalations")
    return render(request, "support/escalations.html", context)


@staff_view("support.escalations")
@require_GET
def escalations_panel(request: HttpRequest) -> HttpResponse:
    """The escalations panel alone, for the on-call screen to refresh itself."""
    context = escalations_context(request)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    context["escalations_next"] = next_url or reverse("support:escalations")
    return render(request, "support/_escalations_panel.html", context)


class AcknowledgeForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    next = forms.CharField(required=False, max_length=500)


@staff_view("support.escalations")
@require_POST
def escalation_acknowledge(request: HttpRequest, call_id: str) -> HttpResponse:
    user: Any = request.user
    call = escalation.escalated_call_get_for(user, call_id)
    form = AcknowledgeForm(request.POST)
    next_url = reverse("support:escalations")
    if form.is_valid():
        wanted = form.cleaned_data["next"]
        if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
            next_url = wanted
        try:
            escalation.call_acknowledge(
                actor=user, call=call, expected_version=form.cleaned_data["version"]
            )
        except ConflictError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Acknowledged: the call no longer escalates.")
    else:
        messages.error(request, "The page was out of date. Reload it and acknowledge again.")
    return redirect(next_url)


# --- the morning hand-off ---------------------------------------------------------------------


class HandoffQuery(params.QueryForm):
    day = params.DateParam(label="Day")
    team = params.UUIDParam(label="Team")
    page = params.PageParam()


def _handoff(request: HttpRequest) -> tuple[handoff.Handoff, list[IdtTeam]]:
    user: Any = request.user
    query = params.parse(HandoffQuery, request.GET)
    teams = handoff.handoff_teams(user)
    team = None
    if query["team"]:
        team = next((t for t in teams if t.pk == query["team"]), None)
        if team is None:
            raise Http404
    day = query["day"] or handoff.handoff_day(user.program)
    return handoff.handoff_for(user, day=day, team=team, page=query["page"] or 1), teams


@staff_view("support.handoff")
@require_GET
def handoff_page(request: HttpRequest) -> HttpResponse:
    result, teams = _handoff(request)
    query = f"day={result.day.isoformat()}"
    if result.team is not None:
        query += f"&team={result.team.pk}"
    return render(
        request,
        "support/handoff.html",
        {
            "handoff": result,
            "page": result.page,
            "teams": teams,
            "query": query,
            "previous_day": result.day - timedelta(days=1),
            "next_day": result.day + timedelta(days=1),
        },
    )


@staff_view("support.handoff")
@require_GET
def handoff_pdf(request: HttpRequest) -> HttpResponse:
    result, _ = _handoff(request)
    user: Any = request.user
    audit_record(
        actor=user,
        action=Action.PRINT,
        event="support.handoff.print",
        detail={"day": result.day.isoformat(), "calls": len(result.page.object_list)},
    )
    html = render_to_string(
        "support/handoff_pdf.html",
        {"handoff": result, "printed_at": clock.now(), "printed_by": user},
    )
    pdf = HTML(string=html, base_url=None, url_fetcher=RefusingFetcher()).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="handoff-{result.day.isoformat()}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- measures ---------------------------------------------------------------------------------


class MeasuresQuery(params.QueryForm):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included); "from" is a Python keyword, so
    the fields are added by name."""


MeasuresQuery.base_fields["from"] = params.DateParam(label="From")
MeasuresQuery.base_fields["to"] = params.DateParam(label="To")


@staff_view("support.measures")
@require_GET
def measures_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(MeasuresQuery, request.GET)
    today = clock.today_in(user.program.timezone)
    end = query["to"] or today
    start = query["from"] or end - timedelta(days=29)
    if start > end:
        raise params.BadQuery(["From: the first day must come before the last."])
    if (end - start).days > 366 * 2:
        raise params.BadQuery(["From: choose a period of two years or less."])
    result = measures.line_measures_for(user, starts=start, ends=end)
    return render(
        request,
        "support/measures.html",
        {"measures": result, "chart": result.chart_data(), "start": start, "end": end},
    )
