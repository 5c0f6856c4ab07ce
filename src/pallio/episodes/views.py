from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pallio.core import access, clock, params
from pallio.core.access import staff_view
from pallio.core.links import row_link
from pallio.episodes.caseload_rows import caseload_rows
from pallio.episodes.selectors import caseload_owner_for, caseload_page_for
from pallio.episodes.services import care_team_candidates


class CaseloadQuery(params.QueryForm):
    owner = params.UUIDParam(label="Caseload owner")
    q = params.TextParam(label="Search")
    page = params.PageParam()


@staff_view("caseload.view")
@require_GET
def caseload(request: HttpRequest, owner: str | None = None) -> HttpResponse:
    user: Any = request.user
    query = params.parse(CaseloadQuery, request.GET)
    person = caseload_owner_for(user, owner or query["owner"] or None)
    text = query["q"]
    page = caseload_page_for(user, person, query["page"], text=text)
    chart = row_link("patients:chart", "patient_id")
    trends = row_link("assessments:trends", "patient_id")
    for row in page.object_list:
        row.chart_url, row.trends_url = chart(row.pk), trends(row.pk)
    today = clock.today_in(user.program.timezone)
    colleagues = (
        care_team_candidates(user.program_id)
        if access.has_perm(user, "caseload.view_others")
        else []
    )
    return render(
        request,
        "episodes/caseload.html",
        {
            "owner": person,
            "query": urlencode({"q": text, "owner": str(person.uuid)}),
            "page": page,
            "q": text,
            "colleagues": colleagues,
            "rows": caseload_rows(page.object_list, today),
        },
    )
