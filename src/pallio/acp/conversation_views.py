"""Goals-of-care conversation pages: start, edit, sign and add to a conversation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pallio.acp import forms, services
from pallio.acp.selectors import conversation_get_for
from pallio.acp.view_helpers import _zone
from pallio.core import access, clock, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.patients.selectors import patient_get_for, patient_header_context

# --- conversations --------------------------------------------------------------------------


@staff_view("acp.record")
@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, audit=request.method == "GET")
    if request.method == "POST":
        form = forms.ConversationForm(request.POST)
        if form.is_valid():
            try:
                conversation = services.conversation_create(
                    actor=user,
                    patient=patient,
                    data=form.to_input(),
                    sign=request.POST.get("action") == "sign",
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    "Conversation signed." if conversation.is_signed else "Draft saved.",
                )
                return redirect(
                    "acp:conversation", patient_id=patient.pk, conversation_id=conversation.pk
                )
    else:
        now = clock.now().astimezone(_zone(patient))
        form = forms.ConversationForm(initial={"held_at": now.replace(second=0, microsecond=0)})
    context = patient_header_context(user, patient)
    context.update({"form": form, "conversation": None})
    return render(
        request,
        "acp/conversation_form.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_view("acp.view")
@require_http_methods(["GET", "POST"])
def conversation_detail(
    request: HttpRequest, patient_id: str, conversation_id: str
) -> HttpResponse:
    """A conversation; while it is a draft, its author (or any recorder) may edit it here."""
    user: Any = request.user
    context, conversation = conversation_get_for(
        user, patient_id, conversation_id, audit=request.method == "GET"
    )
    status = 200
    form = None
    if request.method == "POST":
        if not access.has_perm(user, "acp.record"):
            raise PermissionDenied
        if request.POST.get("action") == "sign":
            # Refused before the draft is saved, so a refused signature changes nothing.
            privileges.privilege_check(user, "goals_of_care.sign")
        form = forms.ConversationForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.conversation_update(
                    actor=user,
                    conversation=conversation,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_input(),
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if request.POST.get("action") == "sign":
                    try:
                        services.conversation_sign(
                            actor=user,
                            conversation=conversation,
                            expected_version=conversation.version,
                        )
                    except (ConflictError, ValidationError) as exc:
                        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                    else:
                        messages.success(request, "Conversation signed.")
                else:
                    messages.success(request, "Draft saved.")
                return redirect(
                    "acp:conversation",
                    patient_id=conversation.patient_id,
                    conversation_id=conversation.pk,
                )
        conversation.refresh_from_db()
    elif not conversation.is_signed and not conversation.entered_in_error:
        form = forms.ConversationForm(initial=forms.ConversationForm.initial_from(conversation))
    context.update(
        {
            "conversation": conversation,
            "form": form,
            "addendum_form": forms.AddendumForm(),
            "sign_form": forms.VersionForm(initial={"version": conversation.version}),
            "addenda": list(conversation.addenda.select_related("author")),
            "can_record": access.has_perm(user, "acp.record"),
        }
    )
    template = "acp/conversation_form.html" if form is not None else "acp/conversation.html"
    return render(request, template, context, status=status)


@staff_view("acp.record")
@require_POST
def conversation_sign(request: HttpRequest, patient_id: str, conversation_id: str) -> HttpResponse:
    user: Any = request.user
    _, conversation = conversation_get_for(user, patient_id, conversation_id, audit=False)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        return _conversation_refused(request, conversation, "Reload the page and sign again.", 400)
    try:
        services.conversation_sign(
            actor=user, conversation=conversation, expected_version=form.cleaned_data["version"]
        )
    except ConflictError as exc:
        return _conversation_refused(request, conversation, str(exc), 409)
    except ValidationError as exc:
        return _conversation_refused(request, conversation, " ".join(exc.messages), 400)
    messages.success(request, "Conversation signed.")
    return redirect(
        "acp:conversation", patient_id=conversation.patient_id, conversation_id=conversation.pk
    )


def _conversation_refused(
    request: HttpRequest, conversation: Any, message: str, status: int
) -> HttpResponse:
    user: Any = request.user
    context, conversation = conversation_get_for(
        user, conversation.patient_id, conversation.pk, audit=False
    )
    context.update(
        {
            "conversation": conversation,
            "form": None,
            "refusal": message,
            "addendum_form": forms.AddendumForm(),
            "sign_form": forms.VersionForm(initial={"version": conversation.version}),
            "addenda": list(conversation.addenda.select_related("author")),
            "can_record": access.has_perm(user, "acp.record"),
        }
    )
    return render(request, "acp/conversation.html", context, status=status)


@staff_view("acp.record")
@require_POST
def conversation_addendum(
    request: HttpRequest, patient_id: str, conversation_id: str
) -> HttpResponse:
    user: Any = request.user
    context, conversation = conversation_get_for(user, patient_id, conversation_id, audit=False)
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.conversation_addendum_add(
                actor=user,
                conversation=conversation,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Addendum added.")
            return redirect(
                "acp:conversation",
                patient_id=conversation.patient_id,
                conversation_id=conversation.pk,
            )
    context.update(
        {
            "conversation": conversation,
            "form": None,
            "addendum_form": form,
            "sign_form": forms.VersionForm(initial={"version": conversation.version}),
            "addenda": list(conversation.addenda.select_related("author")),
            "can_record": True,
        }
    )
    return render(request, "acp/conversation.html", context, status=400)
