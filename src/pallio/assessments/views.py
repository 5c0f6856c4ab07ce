"""Assessment pages: symptom reports, trends, phase of care, the alert worklist, the
comprehensive assessment and a program's own instruments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.assessments import escalation, forms, selectors, services, worklist_rows
from pallio.assessments import instruments as inst
from pallio.assessments import worklist as worklist_reads
from pallio.assessments.domains import DOMAIN_FINDINGS, DOMAIN_INSTRUMENTS
from pallio.assessments.models import Assessment, Domain, Instrument
from pallio.core import clock, params
from pallio.core.access import staff_view
from pallio.core.links import row_link
from pallio.core.models import ConflictError
from pallio.episodes.models import ReportingCadence
from pallio.episodes.services import episode_reporting_cadence_set
from pallio.patients.selectors import patient_get_for


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for msgs in error.message_dict.values() for m in msgs]
    return list(error.messages)


# --- symptom reports and trends ----------------------------------------------------------------


@staff_view("assessment.view")
@require_GET
def trends(request: HttpRequest, patient_id: str) -> HttpResponse:
    context = selectors.patient_trends_for(request.user, patient_id)
    # The selector starts at the phase now recorded, so recording it again at a contact is
    # one click and a change is a deliberate choice.
    current = context["phase"].current
    context["phase_form"] = forms.PhaseForm(
        initial={"phase": current.phase} if current is not None else None
    )
    if context["episode"] is not None:
        context["cadence_form"] = forms.CadenceForm(
            initial={"cadence": context["episode"].reporting_cadence}
        )
    context["chart_data"] = {"esas": context["esas"], "function": context["function"]}
    return render(request, "assessments/trends.html", context)


@staff_view("assessment.record")
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="symptom_report.form")
    key = request.GET.get("instrument", "esas-r")[:60]
    instrument = selectors.instrument_get_for(user, key)
    spec = inst.spec_of(instrument.questionnaire)
    if request.method == "POST":
        form = forms.SymptomReportForm(request.POST, spec=spec)
        if form.is_valid():
            data = services.ReportInput(
                instrument_key=instrument.key,
                answers=form.answers(),
                respondent=form.cleaned_data["respondent"],
                channel=form.cleaned_data["channel"],
                answered_at=form.cleaned_data.get("answered_at"),
                respondent_name=form.cleaned_data.get("respondent_name", ""),
            )
            try:
                report = services.contact_report_submit(
                    actor=user, patient=patient, data=data, phase=form.cleaned_data["phase"]
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    form.add_service_errors(exc.message_dict)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, _saved_message(instrument, spec, report))
                return redirect("assessments:trends", patient_id=patient.pk)
    else:
        form = forms.SymptomReportForm(spec=spec)
    return render(
        request,
        "assessments/report_form.html",
        {
            "patient": patient,
            "form": form,
            "instrument": instrument,
            "spec": spec,
            "instruments": selectors.instruments_for(patient.program),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _saved_message(instrument: Instrument, spec: inst.InstrumentSpec, report: Any) -> str:
    if not report.unanswered:
        return f"{instrument.title} saved. Alerts are checked in the background."
    names = [item.label for link in report.unanswered if (item := spec.item(link)) is not None]
    return (
        f"{instrument.title} saved in part ({len(names)} not answered: {', '.join(names)}). "
        "It is judged on what was answered; alerts are checked in the background."
    )


@staff_view("assessment.record")
@require_POST
def cadence_set(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="episode.cadence_form")
    episode = selectors.active_episode(patient)
    form = forms.CadenceForm(request.POST)
    if episode is None:
        messages.error(request, "The patient is not enrolled.")
    elif not form.is_valid():
        messages.error(request, "Choose how often symptom reports are expected.")
    else:
        try:
            episode_reporting_cadence_set(
                actor=user, episode=episode, cadence=form.cleaned_data["cadence"]
            )
        except ValidationError as exc:
            for message in _messages_of(exc):
                messages.error(request, message)
        else:
            label = ReportingCadence(form.cleaned_data["cadence"]).label
            messages.success(request, f"Symptom reports expected: {label.lower()}.")
    return redirect("assessments:trends", patient_id=patient.pk)


@staff_view("assessment.record")
@require_POST
def phase_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="phase.form")
    form = forms.PhaseForm(request.POST)
    if form.is_valid():
        try:
            services.phase_record(
                actor=user,
                patient=patient,
                phase=form.cleaned_data["phase"],
                contact=form.cleaned_data["contact"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for message in _messages_of(exc):
                messages.error(request, message)
        else:
            messages.success(request, "Phase of care recorded.")
            return redirect("assessments:trends", patient_id=patient.pk)
    else:
        messages.error(request, "Choose a phase of care and the kind of contact.")
    return redirect(reverse("assessments:trends", kwargs={"patient_id": patient.pk}))


# --- the alert worklist ------------------------------------------------------------------------


@staff_view("alert.worklist")
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    filters = worklist_reads.WorklistFilters.from_query(request.GET)
    worklist = worklist_reads.alert_worklist_page_for(user, filters, params.page_of(request.GET))
    trends = row_link("assessments:trends", "patient_id")
    take = row_link("assessments:take", "alert_id")
    acknowledge = row_link("assessments:acknowledge", "alert_id")
    resolve = row_link("assessments:resolve", "alert_id")
    for group in worklist.groups:
        group.patient.trends_url = trends(group.patient.pk)
        row: Any
        for row in group.alerts:
            row.take_url, row.acknowledge_url = take(row.pk), acknowledge(row.pk)
            row.resolve_url = resolve(row.pk)
    query = request.GET.copy()
    query.pop("page", None)
    shared = worklist_rows.Page(
        user=user, now=clock.now(), next_url=request.get_full_path(), csrf_token=get_token(request)
    )
    return render(
        request,
        "assessments/worklist.html",
        {
            "page": worklist.page,
            "groups": worklist.groups,
            "rows": worklist_rows.worklist_groups(worklist.groups, shared),
            "counts": worklist.counts,
            "filters": filters,
            "query": query.urlencode(),
        },
    )


def _alert_action(
    request: HttpRequest, alert_id: str, act: Any, form_class: Any, *, from_queue: bool = False
) -> HttpResponse:
    user: Any = request.user
    alert = worklist_reads.alert_get_for(user, alert_id, from_queue=from_queue)
    form = form_class(request.POST)
    back = request.POST.get("next", "")
    target = back if back.startswith("/assessments/") else reverse("assessments:worklist")
    if not form.is_valid():
        messages.error(request, "Say what was done before resolving the alert.")
        return redirect(target)
    try:
        act(user, alert, form.cleaned_data)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return render(request, "assessments/conflict.html", {"message": str(exc)}, status=409)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    return redirect(target)


@staff_view("alert.worklist")
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: str) -> HttpResponse:
    def act(user: Any, alert: Any, data: dict[str, Any]) -> None:
        services.alert_acknowledge(actor=user, alert=alert, expected_version=data["version"])
        messages.success(request, f"Acknowledged: {alert.title} ({alert.patient.full_name}).")

    return _alert_action(request, alert_id, act, forms.VersionForm)


@staff_view("alert.worklist")
@require_POST
def alert_resolve(request: HttpRequest, alert_id: str) -> HttpResponse:
    def act(user: Any, alert: Any, data: dict[str, Any]) -> None:
        services.alert_resolve(
            actor=user,
            alert=alert,
            expected_version=data["version"],
            action_taken=data["action_taken"],
        )
        messages.success(request, f"Resolved: {alert.title} ({alert.patient.full_name}).")

    return _alert_action(request, alert_id, act, forms.ResolveForm)


@staff_view("alert.worklist")
@require_POST
def alert_take(request: HttpRequest, alert_id: str) -> HttpResponse:
    def act(user: Any, alert: Any, data: dict[str, Any]) -> None:
        escalation.alert_take(actor=user, alert=alert, expected_version=data["version"])
        messages.success(
            request,
            f"Taken: {alert.title} ({alert.patient.full_name}). "
            "You are now on the patient's care team.",
        )

    return _alert_action(request, alert_id, act, forms.VersionForm, from_queue=True)


# --- instruments --------------------------------------------------------------------------------


@staff_view("instrument.manage")
@require_http_methods(["GET", "POST"])
def instruments(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.UploadForm()
    status = 200
    if request.method == "POST":
        form = forms.UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["questionnaire"]
            try:
                row = services.instrument_upload(
                    actor=user,
                    program=user.program,
                    data=upload.read(inst.MAX_QUESTIONNAIRE_BYTES + 1),
                )
            except ValidationError as exc:
                for message in _messages_of(exc):
                    form.add_error("questionnaire", message)
            else:
                messages.success(request, f"Instrument '{row.title}' is ready to use.")
                return redirect("assessments:instruments")
        status = 400
    rows = selectors.instruments_for(user.program)
    return render(
        request,
        "assessments/instruments.html",
        {"form": form, "instruments": rows, "sources": Instrument.Source},
        status=status,
    )


# --- the comprehensive assessment ---------------------------------------------------------------


def _assessment_context(
    request: HttpRequest, patient: Any, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    user: Any = request.user
    draft, signed = selectors.assessment_current_for(user, patient)
    today = clock.today_in(patient.program.timezone)
    shown = services.domains_for(patient, today)
    sections = []
    offers = selectors.domain_offers_for(patient) if draft else {}
    existing = {s.domain: s for s in draft.sections.all()} if draft else {}
    for domain in shown:
        section = existing.get(domain)
        if bound and bound.get("domain") == domain:
            form = bound["form"]
        else:
            initial: dict[str, Any] = {
                "domain": domain,
                "version": section.version if section else 0,
            }
            if section:
                initial["narrative"] = section.narrative
                initial["completed"] = section.completed
                initial.update({f"f_{k}": v for k, v in section.findings.items()})
            form = forms.SectionForm(initial=initial, domain=domain)
        sections.append(
            {
                "domain": domain,
                "label": Domain(domain).label,
                "section": section,
                "form": form,
                "may_write": services.may_write_domain(user, domain),
                "owners": sorted(services.DOMAIN_OWNERS[domain]),
                "instruments": DOMAIN_INSTRUMENTS.get(domain, ()),
                "offers": offers.get(domain, []),
            }
        )
    return {
        "patient": patient,
        "draft": draft,
        "signed": signed,
        "sections": sections,
        "age": patient.age_on(today),
        "addendum_form": forms.AddendumForm(),
        "finding_labels": {
            d: {f.name: f.label for f in fields} for d, fields in DOMAIN_FINDINGS.items()
        },
    }


@staff_view("assessment.view")
@require_GET
def assessment(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, event="assessment.read")
    return render(request, "assessments/assessment.html", _assessment_context(request, patient))


@staff_view("assessment.record")
@require_POST
def assessment_start(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, event="assessment.form")
    services.assessment_start(actor=request.user, patient=patient)
    return redirect("assessments:assessment", patient_id=patient.pk)


@staff_view("assessment.record")
@require_POST
def assessment_section(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="assessment.form")
    domain = request.POST.get("domain", "")
    if domain not in Domain.values:
        raise Http404("No such domain")
    draft = Assessment.objects.filter(patient=patient, status=Assessment.Status.DRAFT).first()
    form = forms.SectionForm(request.POST, domain=domain)
    if draft is None:
        messages.error(request, "Start the assessment first.")
        return redirect("assessments:assessment", patient_id=patient.pk)
    if form.is_valid():
        try:
            services.assessment_section_save(
                actor=user,
                assessment=draft,
                domain=domain,
                findings=form.findings(),
                narrative=form.cleaned_data["narrative"],
                completed=form.cleaned_data["completed"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            context = _assessment_context(request, patient, {"domain": domain, "form": form})
            return render(request, "assessments/assessment.html", context, status=409)
        except ValidationError as exc:
            for message in _messages_of(exc):
                form.add_error(None, message)
        else:
            messages.success(request, f"{Domain(domain).label} saved.")
            return redirect(
                reverse("assessments:assessment", kwargs={"patient_id": patient.pk})
                + f"#domain-{domain}"
            )
    context = _assessment_context(request, patient, {"domain": domain, "form": form})
    return render(request, "assessments/assessment.html", context, status=400)


@staff_view("assessment.record")
@require_POST
def assessment_sign(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="assessment.form")
    draft = Assessment.objects.filter(patient=patient, status=Assessment.Status.DRAFT).first()
    form = forms.VersionForm(request.POST)
    if draft is None or not form.is_valid():
        messages.error(request, "There is no draft to sign.")
        return redirect("assessments:assessment", patient_id=patient.pk)
    try:
        services.assessment_sign(
            actor=user, assessment=draft, expected_version=form.cleaned_data["version"]
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, "Assessment signed. Corrections are now made by addendum.")
    return redirect("assessments:assessment", patient_id=patient.pk)


@staff_view("assessment.record")
@require_POST
def assessment_addendum(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="assessment.form")
    signed = (
        Assessment.objects.filter(patient=patient, status=Assessment.Status.SIGNED)
        .order_by("-signed_at")
        .first()
    )
    form = forms.AddendumForm(request.POST)
    if signed is None:
        messages.error(request, "There is no signed assessment to add to.")
    elif not form.is_valid():
        messages.error(request, "Give the reason and the text of the addendum.")
    else:
        try:
            services.addendum_add(
                actor=user,
                assessment=signed,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                domain=form.cleaned_data.get("domain", ""),
            )
        except ValidationError as exc:
            for message in _messages_of(exc):
                messages.error(request, message)
        else:
            messages.success(request, "Addendum added.")
    return redirect("assessments:assessment", patient_id=patient.pk)
