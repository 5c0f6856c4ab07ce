"""Referral pages: the public doors in, phone entry, the coordinator's queue and triage."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import get_usage

from pallio.audit.models import Action
from pallio.audit.services import audit_read, audit_record
from pallio.core import access, clock, params
from pallio.core.access import public_view, staff_view
from pallio.core.codes import diagnosis_search
from pallio.core.links import row_link
from pallio.core.models import ConflictError
from pallio.core.uploads import upload_download_response
from pallio.core.validation import apply_service_errors
from pallio.episodes.services import care_team_candidates, care_team_suggest
from pallio.medications.forms import MedicationForm
from pallio.medications.parse import parse_medication_line
from pallio.medications.services import CONFIRM_HIGH_DOSE, MedicationInput
from pallio.patients.selectors import duplicate_candidates, patient_header_context
from pallio.programs.models import Program
from pallio.referrals import forms, services
from pallio.referrals.clocks import referral_clocks
from pallio.referrals.models import Attachment, Referral, Setting, Source, Status, Urgency
from pallio.referrals.selectors import (
    QUEUE_SORT_CHOICES,
    QueueFilters,
    enrollment_attachment_get_for,
    open_referral_counts,
    referral_get_for,
    referral_medication_get_for,
    referral_queue_page_for,
)


def _public_program(slug: str) -> Program:
    return get_object_or_404(Program, slug=slug)


def _rate_limit_wait(request: HttpRequest, program: Program, form: str) -> int:
    """Seconds until this public form may be sent again (0: now). Two limits, each per program
    and per form: one per sending address, and one for all senders together, so a flood
    aimed at one program or one form neither reaches the others nor fills the queue."""
    per_address = f"{settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR}/h"
    per_form = f"{program.setting('public_referrals_per_form_per_hour')}/h"
    waits = []
    for group, key, rate in (
        (f"public-referral:{program.pk}:{form}", "ip", per_address),
        (f"public-referral-all:{program.pk}:{form}", lambda _g, _r: "all", per_form),
    ):
        usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=True)
        if usage and usage["should_limit"]:
            waits.append(max(int(usage["time_left"]), 1))
    return max(waits, default=0)


def _rate_limited_response(request: HttpRequest, program: Program, wait: int) -> HttpResponse:
    minutes = max(1, math.ceil(wait / 60))
    response = render(
        request,
        "referrals/rate_limited.html",
        {"program": program, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _public_referral(
    request: HttpRequest,
    slug: str,
    form_class: type[forms.BaseReferralForm],
    template: str,
    form_name: str,
) -> HttpResponse:
    program = _public_program(slug)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        wait = _rate_limit_wait(request, program, form_name)
        if wait:
            return _rate_limited_response(request, program, wait)
        if form.is_bot():
            # Look like success to the bot; store nothing.
            return redirect("referrals:thanks", slug=program.slug, reference="PAL-RECEIVED")
        if form.is_valid():
            source = form.cleaned_data["referrer_type"]
            try:
                referral, _ = services.referral_create(
                    actor=None,
                    program=program,
                    source=source,
                    data=form.to_input(),
                    idempotency_key=f"form:{form.cleaned_data['submission_token']}",
                    attachments=request.FILES.getlist("attachments"),
                )
            except services.IdempotencyConflict:
                form.add_error(
                    None,
                    "This form was already sent. Open the form again to send another referral.",
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("referrals:thanks", slug=program.slug, reference=referral.reference)
    else:
        form = form_class()
    return render(
        request,
        template,
        {"form": form, "program": program, "diagnosis_options": forms.diagnosis_options()},
        status=400 if form.is_bound and form.errors else 200,
    )


@public_view
@require_http_methods(["GET", "POST"])
def provider_referral(request: HttpRequest, slug: str) -> HttpResponse:
    return _public_referral(
        request, slug, forms.ProviderReferralForm, "referrals/public_provider.html", "provider"
    )


@public_view
@require_http_methods(["GET", "POST"])
def self_referral(request: HttpRequest, slug: str) -> HttpResponse:
    return _public_referral(
        request, slug, forms.SelfReferralForm, "referrals/public_self.html", "self"
    )


@public_view
@require_GET
def thanks(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    # Shows the reference the sender already has, and nothing about the patient.
    program = _public_program(slug)
    return render(
        request, "referrals/thanks.html", {"program": program, "reference": reference[:20]}
    )


@public_view
@require_GET
def diagnosis_lookup(request: HttpRequest) -> JsonResponse:
    """Diagnosis names and codes (public reference data, no PHI) for search-as-you-type."""
    try:
        query = params.parse(params.SearchQuery, request.GET)["q"]
    except params.BadQuery as exc:
        return JsonResponse({"detail": exc.problems, "results": []}, status=400)
    return JsonResponse(
        {
            "results": [
                {
                    "system": d.system,
                    "code": d.code,
                    "display": d.display,
                    "label": forms.diagnosis_option(d.system, d.code, d.display),
                }
                for d in diagnosis_search(query)
            ]
        }
    )


@staff_view("referral.create")
@require_http_methods(["GET", "POST"])
def phone_referral(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        form = forms.PhoneReferralForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                referral, _ = services.referral_create(
                    actor=user,
                    program=user.program,
                    source=Source.PHONE,
                    data=form.to_input(),
                    idempotency_key=f"form:{form.cleaned_data['submission_token']}",
                    attachments=request.FILES.getlist("attachments"),
                )
            except services.IdempotencyConflict:
                form.add_error(
                    None, "This form was already sent. Open a new form to enter another referral."
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Referral {referral.reference} saved.")
                if access.has_perm(user, "referral.view"):
                    return redirect("referrals:detail", referral_id=referral.pk)
                return redirect("referrals:phone")
    else:
        form = forms.PhoneReferralForm()
    return render(
        request,
        "referrals/phone.html",
        {"form": form, "diagnosis_options": forms.diagnosis_options()},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_view("referral.view")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    filters = QueueFilters.from_query(request.GET)
    today = clock.today_in(user.program.timezone)
    now = clock.now()
    counts = open_referral_counts(user, today=today)
    page = referral_queue_page_for(
        user, filters, params.page_of(request.GET), open_total=counts["open"]
    )
    rows = [(r, referral_clocks(r, today=today, now=now)) for r in page.object_list]
    detail = row_link("referrals:detail", "referral_id")
    shown: Any
    for shown, _ in rows:
        shown.detail_url = detail(shown.pk)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "counts": counts,
        "query": query.urlencode(),
        "status_choices": [("open", "Open"), ("all", "All"), *Status.choices],
        "source_choices": Source.choices,
        "urgency_choices": Urgency.choices,
        "setting_choices": Setting.choices,
        "sort_choices": QUEUE_SORT_CHOICES,
    }
    template = (
        "referrals/queue.html#queue-table"
        if request.headers.get("HX-Request")
        else "referrals/queue.html"
    )
    return render(request, template, context)


def _triage_context(request: HttpRequest, referral: Referral, **forms_: Any) -> dict[str, Any]:
    user: Any = request.user
    program = referral.program
    today = clock.today_in(program.timezone)
    candidates = []
    if referral.patient_id is None and referral.is_open:
        candidates = duplicate_candidates(
            program_id=program.pk,
            given_name=referral.given_name,
            family_name=referral.family_name,
            birth_date=referral.birth_date,
            phone=referral.phone,
            sex=referral.sex,
        )
    staff = (
        care_team_candidates(program.pk)
        .annotate(caseload=Count("team_memberships", filter=Q(team_memberships__active=True)))
        .order_by("discipline", "caseload", "last_name")
    )
    suggested, suggested_lead = care_team_suggest(program, list(staff))
    v = {"version": referral.version}
    context = {
        "referral": referral,
        "clocks": referral_clocks(referral, today=today),
        "candidates": candidates,
        "can_triage": access.has_perm(user, "referral.triage"),
        "attachments": list(referral.attachments.all()),
        "medications": list(referral.medications.all()),
        "letters": list(referral.letters.all()),
        "insurance_form": forms.InsuranceForm(
            initial={
                **v,
                "payer_type": referral.payer_type,
                "payer_name": referral.payer_name,
                "member_id": referral.member_id,
                "authorization": referral.authorization,
                "authorization_number": referral.authorization_number,
            }
        ),
        "accept_form": forms.AcceptForm(
            initial={**v, "team": suggested, "lead": suggested_lead},
            staff=staff,
        ),
        "decline_form": forms.DeclineForm(initial=v),
        "redirect_form": forms.RedirectForm(initial=v),
        "hold_form": forms.HoldForm(initial=v),
        "version_form": forms.VersionForm(initial=v),
        "staff": staff,
    }
    context.update(forms_)
    return context


@staff_view("referral.view")
@require_GET
def detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = referral_get_for(request.user, referral_id)
    return render(request, "referrals/detail.html", _triage_context(request, referral))


def _triage_action(
    request: HttpRequest,
    referral_id: str,
    form_class: Any,
    form_name: str,
    act: Any,
    success: str,
    **form_kwargs: Any,
) -> HttpResponse:
    """Run one triage action: parse the form, call the service, show the outcome."""
    referral = referral_get_for(request.user, referral_id, audit=False)
    form = form_class(request.POST, **form_kwargs)
    status = 400
    if form.is_valid():
        try:
            act(referral, form.cleaned_data)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("referrals:detail", referral_id=referral.pk)
    referral.refresh_from_db()
    context = _triage_context(request, referral, **{form_name: form})
    context["open_panel"] = form_name
    return render(request, "referrals/detail.html", context, status=status)


@staff_view("referral.triage")
@require_POST
def insurance(request: HttpRequest, referral_id: str) -> HttpResponse:
    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_update_insurance(
            actor=request.user,
            referral=referral,
            expected_version=data["version"],
            payer_type=data["payer_type"],
            payer_name=data["payer_name"],
            member_id=data["member_id"],
            authorization=data["authorization"],
            authorization_number=data["authorization_number"],
        )

    return _triage_action(
        request, referral_id, forms.InsuranceForm, "insurance_form", act, "Insurance saved."
    )


@staff_view("referral.triage")
@require_POST
def link_patient(request: HttpRequest, referral_id: str) -> HttpResponse:
    from pallio.patients.selectors import patient_get_for

    def act(referral: Referral, data: dict[str, Any]) -> None:
        try:
            patient = patient_get_for(
                request.user, request.POST.get("patient", ""), event="patient.read.duplicate_check"
            )
        except Http404:
            raise ValidationError("Choose one of the listed patients.") from None
        services.referral_link_patient(
            actor=request.user, referral=referral, expected_version=data["version"], patient=patient
        )

    return _triage_action(
        request,
        referral_id,
        forms.VersionForm,
        "version_form",
        act,
        "Referral linked to the existing patient.",
    )


@staff_view("referral.triage")
@require_POST
def create_patient(request: HttpRequest, referral_id: str) -> HttpResponse:
    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_create_patient(
            actor=request.user, referral=referral, expected_version=data["version"]
        )

    return _triage_action(
        request, referral_id, forms.VersionForm, "version_form", act, "New patient record created."
    )


@staff_view("referral.triage")
@require_POST
def accept(request: HttpRequest, referral_id: str) -> HttpResponse:
    user: Any = request.user
    staff = care_team_candidates(user.program_id)

    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_accept(
            actor=user,
            referral=referral,
            expected_version=data["version"],
            team=list(data["team"]),
            lead=data.get("lead"),
        )

    return _triage_action(
        request,
        referral_id,
        forms.AcceptForm,
        "accept_form",
        act,
        "Referral accepted: the patient is enrolled and the team is told.",
        staff=staff,
    )


@staff_view("referral.triage")
@require_POST
def decline(request: HttpRequest, referral_id: str) -> HttpResponse:
    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_decline(
            actor=request.user,
            referral=referral,
            expected_version=data["version"],
            reason=data["reason"],
            note=data["note"],
        )

    return _triage_action(
        request,
        referral_id,
        forms.DeclineForm,
        "decline_form",
        act,
        "Referral declined; the referrer will be sent a letter.",
    )


@staff_view("referral.triage")
@require_POST
def redirect_referral(request: HttpRequest, referral_id: str) -> HttpResponse:
    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_redirect(
            actor=request.user,
            referral=referral,
            expected_version=data["version"],
            to=data["to"],
            note=data["note"],
        )

    return _triage_action(
        request,
        referral_id,
        forms.RedirectForm,
        "redirect_form",
        act,
        "Referral redirected; the referrer will be told.",
    )


@staff_view("referral.triage")
@require_POST
def hold(request: HttpRequest, referral_id: str) -> HttpResponse:
    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_hold(
            actor=request.user,
            referral=referral,
            expected_version=data["version"],
            information_requested=data["information_requested"],
        )

    return _triage_action(
        request,
        referral_id,
        forms.HoldForm,
        "hold_form",
        act,
        "Referral on hold; the referrer has been asked for information.",
    )


@staff_view("referral.triage")
@require_POST
def resume(request: HttpRequest, referral_id: str) -> HttpResponse:
    def act(referral: Referral, data: dict[str, Any]) -> None:
        services.referral_resume(
            actor=request.user, referral=referral, expected_version=data["version"]
        )

    return _triage_action(
        request, referral_id, forms.VersionForm, "version_form", act, "Referral back in review."
    )


@staff_view("referral.view")
@require_GET
def attachment(request: HttpRequest, referral_id: str, attachment_id: str) -> FileResponse:
    referral = referral_get_for(request.user, referral_id, audit=False)
    try:
        item = referral.attachments.get(pk=attachment_id)
    except (Attachment.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such file") from None
    return _serve_attachment(request, item)


def _serve_attachment(request: HttpRequest, item: Attachment) -> FileResponse:
    referral = item.referral
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="referral.attachment",
        target=item,
        patient=referral.patient,
        program=referral.program,
    )
    return upload_download_response(
        item.file.open("rb"), filename=item.original_name, content_type=item.content_type
    )


@staff_view("patient.search")
@require_GET
def enrollment_attachment(
    request: HttpRequest, referral_id: str, attachment_id: str
) -> FileResponse:
    """A file sent with the referral that enrolled a patient, for whoever may see the patient."""
    return _serve_attachment(
        request, enrollment_attachment_get_for(request.user, referral_id, attachment_id)
    )


@staff_view("medication.record")
@require_http_methods(["GET", "POST"])
def reconcile_medication(request: HttpRequest, item_id: str) -> HttpResponse:
    """One medication the referrer listed: add it to the list as the clinician confirms it
    (the form starts from what the referrer wrote), or record why it is not taken."""
    user: Any = request.user
    item = referral_medication_get_for(user, item_id)
    patient = item.referral.patient
    assert patient is not None  # the selector returns only medications of an enrolled patient
    add_form = MedicationForm(initial=parse_medication_line(item.text).initial())
    skip_form = forms.SkipMedicationForm()
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "add":
                add_form = MedicationForm(request.POST)
                if add_form.is_valid():
                    services.referral_medication_add_to_list(
                        actor=user,
                        item=item,
                        data=MedicationInput(**add_form.medication_input()),  # type: ignore[arg-type]
                        confirm_high_dose_reason=add_form.high_dose_reason(),
                    )
                    messages.success(request, f"Added to the medication list: {item.text}")
                    return redirect(reverse("patients:chart", args=[patient.pk]) + "#referral-h")
            elif decision == "decline":
                skip_form = forms.SkipMedicationForm(request.POST)
                if skip_form.is_valid():
                    services.referral_medication_decline(
                        actor=user, item=item, reason=skip_form.cleaned_data["reason"]
                    )
                    messages.success(request, f"Recorded as not taking: {item.text}")
                    return redirect(reverse("patients:chart", args=[patient.pk]) + "#referral-h")
        except ValidationError as exc:
            form = add_form if decision == "add" else skip_form
            if decision == "add" and CONFIRM_HIGH_DOSE in getattr(exc, "error_dict", {}):
                add_form.show_confirm = True
            apply_service_errors(form, exc)
        status = 400
    else:
        audit_read(actor=user, patient=patient, target=item, event="referral.medication.read")
    context = patient_header_context(user, patient)
    context.update(
        {
            "item": item,
            "referral": item.referral,
            "decided": item.decision,
            "add_form": add_form,
            "skip_form": skip_form,
        }
    )
    return render(request, "referrals/reconcile_medication.html", context, status=status)


def public_links(program: Program) -> dict[str, str]:
    return {
        "provider": reverse("referrals:provider", kwargs={"slug": program.slug}),
        "self": reverse("referrals:self", kwargs={"slug": program.slug}),
    }
