"""The portal's downloads: a visit summary (the plain-language form, as PDF) and an advance
directive document, each with the "documents" scope, each read audited like a staff one."""

from __future__ import annotations

import uuid

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from pallio.acp.models import AdvanceDirectiveDocument
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core.uploads import upload_download_response
from pallio.portal.access import portal_view
from pallio.portal.models import PortalAccess, PortalScope
from pallio.visits.models import VisitSummary
from pallio.visits.pdf import render_summary_pdf

DOWNLOAD_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


@portal_view(PortalScope.DOCUMENTS)
@require_GET
def summary_pdf(request: HttpRequest, access: PortalAccess, visit_id: uuid.UUID) -> HttpResponse:
    summary = (
        VisitSummary.objects.filter(visit_id=visit_id, patient_id=access.patient_id)
        .only("id", "content", "patient_id", "visit_id")
        .first()
    )
    if summary is None:
        raise Http404("No such visit summary")
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.summary.download",
        patient=access.patient,
        program=access.program,
        target=summary,
    )
    pdf = render_summary_pdf(summary.content, form="plain")
    day = str(summary.content.get("visit", {}).get("at", ""))[:10]
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="visit-summary-{day}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@portal_view(PortalScope.DOCUMENTS)
@require_GET
def document_download(
    request: HttpRequest, access: PortalAccess, document_id: uuid.UUID
) -> FileResponse:
    document = AdvanceDirectiveDocument.objects.filter(
        pk=document_id, patient_id=access.patient_id, entered_in_error=False
    ).first()
    if document is None:
        raise Http404("No such document")
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.document.download",
        patient=access.patient,
        program=access.program,
        target=document,
    )
    name = document.original_name
    wanted = DOWNLOAD_EXTENSIONS.get(document.content_type, "")
    if wanted and not name.lower().endswith(wanted):
        name += wanted
    return upload_download_response(
        document.file.open("rb"), filename=name, content_type=document.content_type
    )
