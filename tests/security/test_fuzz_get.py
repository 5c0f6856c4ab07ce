"""No server error for any query string (SECURITY.md 26): every page of the URL walk, fuzzed.

Each page that answers GET is asked for with query strings built from the parameter names it
reads (its query form), names common to list pages, and arbitrary names, holding edge values:
dates that overflow or do not exist, huge and negative numbers, NUL bytes, very long strings,
SQL, unknown sort keys, and bytes that are not UTF-8. The user is one who may open the page
(the medical director; the privacy officer for the audit trail). A page may refuse (400) or
ignore a parameter it does not read; it may never answer 5xx, and a refusal says what was wrong.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from django import forms
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pallio.acp.views import WorklistQuery as AcpWorklistQuery
from pallio.assessments.worklist import WorklistQuery as AlertWorklistQuery
from pallio.audit.directory import PatientDirectoryQuery, StaffDirectoryQuery
from pallio.audit.selectors import AuditQuery
from pallio.coordination.forms import DirectorySearchForm
from pallio.core import params
from pallio.episodes.views import CaseloadQuery
from pallio.patients.timeline import TimelineQuery
from pallio.referrals.selectors import QueueQuery
from pallio.support.ops_views import HandoffQuery, MeasuresQuery
from tests.security.helpers import body_of, riverside_referral
from tests.security.test_url_access import Route, Setup, build_url, own_routes
from tests.support.personas import login

# The query form each page reads; a page missing here is still fuzzed with the common names.
QUERY_FORMS: dict[str, type[forms.Form]] = {
    "audit:log": AuditQuery,
    "audit:patients": PatientDirectoryQuery,
    "audit:staff": StaffDirectoryQuery,
    "audit:patient_trail": params.PageQuery,
    "audit:staff_trail": params.PageQuery,
    "referrals:queue": QueueQuery,
    "referrals:diagnoses": params.SearchQuery,
    "patients:search": params.SearchQuery,
    "episodes:caseload": CaseloadQuery,
    "episodes:caseload_of": CaseloadQuery,
    "acp:worklists": AcpWorklistQuery,
    "assessments:worklist": AlertWorklistQuery,
    "patients:timeline": TimelineQuery,
    "visits:worklist": params.PageQuery,
    "visits:patient": params.PageQuery,
    "support:handoff": HandoffQuery,
    "support:measures": MeasuresQuery,
    "bereavement:worklist": params.PageQuery,
    "coordination:worklist": params.PageQuery,
    "coordination:directory": DirectorySearchForm,
}
COMMON_NAMES = [
    "q", "page", "sort", "status", "start", "end", "format", "user", "patient", "owner",
    "list", "scope", "instrument", "next", "action", "source", "urgency", "setting",
]  # fmt: skip

EDGE_VALUES = [
    "", " ", "0", "-1", "1", "2", "+1", "1.5", "1e9", "NaN", "last", "0x10",
    "99999999999999999999", "9" * 5000, "-99999999999999999999",
    "9999-12-31", "0000-01-01", "0001-01-01", "2024-02-30", "2023-02-29", "2024-02-29",
    "1899-12-31", "3000-01-01", "2026-03-08", "2026-11-01", "31/12/2026", "2026-13-01",
    "\x00", "a\x00b", "A" * 10_000, "\r\nX-Injected: 1", "\u202egnp.exe", "🌻", "\u0410",
    "' OR 1=1--", "id;DROP TABLE audit_auditevent", "(select 1)", "at,username", "-id",
    "--at", "%", "%00", "../../etc/passwd", "<script>alert(1)</script>", "null", "[]",
    "00000000-0000-0000-0000-000000000000", "not-a-uuid",
]  # fmt: skip


def _methods(view: Any) -> set[str] | None:
    """The methods a view's require_http_methods allows (None when it does not say)."""
    while view is not None:
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return None


def get_routes() -> list[Route]:
    return [r for r in own_routes() if (_methods(r.view) or {"GET"}) & {"GET"}]


def _choices(name: str, form_class: type[forms.Form] | None) -> list[str]:
    field = form_class.base_fields.get(name) if form_class else None
    return [str(value) for value, _ in getattr(field, "choices", [])]


def _encode(value: str | bytes) -> str:
    return quote_from_bytes(value) if isinstance(value, bytes) else quote(value, safe="")


def query_strings(form_class: type[forms.Form] | None) -> st.SearchStrategy[str]:
    known = list(form_class.base_fields) if form_class else []
    names = st.one_of(
        st.sampled_from(known or COMMON_NAMES),
        st.sampled_from(COMMON_NAMES),
        st.text(max_size=12),
    )

    @st.composite
    def pair(draw: Any) -> str:
        name = draw(names)
        choices = _choices(name, form_class)
        value = draw(
            st.one_of(
                st.sampled_from(EDGE_VALUES),
                st.sampled_from(choices or EDGE_VALUES),
                st.text(max_size=40),
                st.binary(max_size=12),  # often not UTF-8 once percent-decoded
            )
        )
        return f"{_encode(name)}={_encode(value)}"

    return st.lists(pair(), min_size=1, max_size=4).map("&".join)


def _user_for(route: Route, world: Any) -> Any:
    return world.privacy if route.view.access_rule == "staff:audit.view" else world.director


ROUTES = get_routes()


def test_the_fuzz_covers_every_page_that_reads_a_query_string():
    names = {r.name for r in ROUTES}
    assert set(QUERY_FORMS) <= names, set(QUERY_FORMS) - names
    assert len(ROUTES) > len(QUERY_FORMS)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_query_string_makes_a_page_fail(route: Route, world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 100_000
    referral = riverside_referral(world)
    url = build_url(route, Setup(world, referral, referral.attachments.get()))
    client = Client()
    login(client, _user_for(route, world))
    form_class = QUERY_FORMS.get(route.name)
    base = client.get(url)
    assert base.status_code < 500, f"GET {url} -> {base.status_code}"

    @hypothesis_settings(
        max_examples=12 if form_class else 4,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=query_strings(form_class))
    def fuzz(query: str) -> None:
        response = client.get(f"{url}?{query}")
        where = f"GET {url}?{query[:300]} -> {response.status_code}"
        assert response.status_code < 500, where
        if response.status_code == 400:
            body = body_of(response)
            assert re.search(r"\w+: \w", body), f"{where}: a refusal without a reason"
            assert "Traceback" not in body, where

    fuzz()


NASTY = [
    "9999-12-31", "0000-01-01", "2024-02-30", "0", "-1", "99999999999999999999", "a\x00b",
    "A" * 10_000, "' OR 1=1--", "id;DROP TABLE x", "%FF%FE", "\u202e", "--at",
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(QUERY_FORMS))
def test_each_parameter_a_page_reads_survives_every_edge_value(name: str, world):
    """Deterministic companion of the fuzz: each known parameter x each nasty value."""
    route = next(r for r in ROUTES if r.name == name)
    referral = riverside_referral(world)
    url = build_url(route, Setup(world, referral, referral.attachments.get()))
    client = Client()
    login(client, _user_for(route, world))
    problems = []
    for parameter in QUERY_FORMS[name].base_fields:
        for value in NASTY:
            encoded = value if value.startswith("%") else quote(value, safe="")
            for extra in ("", "&format=csv"):
                response = client.get(f"{url}?{parameter}={encoded}{extra}")
                if response.status_code >= 500:
                    problems.append(f"{parameter}={encoded[:40]}{extra} -> {response.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, message",
    [
        ("/referrals/?sort=id;DROP TABLE x", "Sort: Choose one of: Medical need, then waiting"),
        ("/referrals/?status=gone", "Status: Choose one of: Open, All,"),
        ("/referrals/?page=0", "Page: Page numbers are whole numbers from 1 to 100,000."),
        ("/patients/?q=Al%00ice", "Search: This value contains a null character"),
        ("/caseload/?page=-3", "Page: Page numbers are whole numbers"),
        ("/caseload/?owner=nobody", "Caseload owner: The caseload owner is not valid."),
        ("/acp/worklists/?list=everyone", "List: Choose one of: No documented goals-of-care"),
        ("/assessments/alerts/?scope=hospital", "Whose alerts: Choose one of: Mine,"),
    ],
)
def test_a_refused_query_names_the_problem_on_the_site_layout(world, path, message):
    client = login(Client(), world.director)
    response = client.get(path)
    assert response.status_code == 400
    body = body_of(response)
    assert message in body
    assert "<nav" in body, "the site's layout and navigation stay"
    assert "Open the page without these values" in body


@pytest.mark.django_db
def test_the_diagnosis_lookup_refuses_a_nul_in_json():
    response = Client().get("/p/diagnoses/?q=lung%00")
    assert response.status_code == 400
    assert response.json()["detail"] == ["Search: " + params.NUL_MESSAGE]


@pytest.mark.django_db
def test_too_many_parameters_get_the_plain_400_page(world):
    client = login(Client(), world.director)
    query = "&".join(f"x{n}=1" for n in range(1_200))
    response = client.get(f"/referrals/?{query}")
    assert response.status_code == 400
    assert "could not be read" in body_of(response)
