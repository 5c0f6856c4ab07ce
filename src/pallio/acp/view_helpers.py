"""What the goals-of-care and advance-care-planning pages share: the page's forms, rendering
it, and acting on a form through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pallio.acp import forms
from pallio.acp.selectors import acp_page_for
from pallio.core import access, privileges
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.episodes.stay_forms import StayForm
from pallio.patients.selectors import patient_get_for


def _page_forms(context: dict[str, Any]) -> dict[str, Any]:
    """The page's empty forms, filled with what the user sees as current."""
    today = context["today"]
    current = context["current_code_status"]
    current_order = context["current_order"]
    place = context["place_preference"]
    treatment_forms = []
    for category, label, preference in context["treatment_rows"]:
        initial = (
            {
                "version": preference.version,
                "choice": preference.choice,
                "stated_on": preference.stated_on,
                "note": preference.note,
            }
            if preference
            else {"stated_on": today}
        )
        treatment_forms.append(
            (
                category,
                label,
                preference,
                forms.TreatmentPreferenceForm(initial=initial, prefix=category),
            )
        )
    return {
        "code_status_form": forms.CodeStatusForm(
            initial={"current_id": current.pk if current else "", "effective_date": today},
            prefix="cs",
        ),
        "order_form": forms.PortableOrderForm(
            initial={
                "current_id": current_order.pk if current_order else "",
                "effective_date": today,
            },
            prefix="order",
        ),
        "agent_form": forms.AgentForm(documents=context["documents"], prefix="agent"),
        "document_form": forms.DocumentForm(initial={"document_date": today}, prefix="document"),
        "place_form": forms.PlacePreferenceForm(
            initial={
                "version": place.version,
                "place_of_care": place.place_of_care,
                "place_of_death": place.place_of_death,
                "other_detail": place.other_detail,
                "support_plan": place.support_plan,
            }
            if place
            else {},
            prefix="place",
        ),
        "hospitalization_form": StayForm(prefix="stay"),
        "treatment_forms": treatment_forms,
        "error_form": forms.EnteredInErrorForm(),
    }


def _render_page(
    request: HttpRequest, patient_id: Any, *, status: int = 200, **bound: Any
) -> HttpResponse:
    user: Any = request.user
    context = acp_page_for(user, patient_id)
    context.update(_page_forms(context))
    if "treatment_form" in bound:
        category, form = bound.pop("treatment_form")
        context["treatment_forms"] = [
            (c, label, p, form if c == category else f)
            for c, label, p, f in context["treatment_forms"]
        ]
        context["open_panel"] = "treatment"
    context.update(bound)
    context["can_record"] = access.has_perm(user, "acp.record")
    current, current_order = context["current_code_status"], context["current_order"]
    context["can_code_status"] = privileges.can(
        user, "code_status.change" if current else "code_status.record"
    )
    context["can_order"] = privileges.can(
        user, "portable_order.change" if current_order else "portable_order.record"
    )
    if bound:
        context.setdefault("open_panel", next(iter(bound)))
    return render(request, "acp/patient.html", context, status=status)


def _act(
    request: HttpRequest,
    patient_id: Any,
    form: Any,
    form_name: str,
    act: Callable[[Any, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """Run one change from the page: on success back to the page; on refusal the page again
    with the form and its errors (400), or the conflict explained (409). Nothing is written
    when the change is refused."""
    patient = patient_get_for(request.user, patient_id, audit=False)
    status = 400
    if form.is_valid():
        try:
            act(patient, form.cleaned_data)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("acp:patient", kwargs={"patient_id": patient.pk}))
    return _render_page(request, patient.pk, status=status, **{form_name: form})


def _zone(patient: Any) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(patient.program.timezone)
