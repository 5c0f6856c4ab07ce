"""FHIR R4 for advance care planning, after the PACIO Advance Directive Interoperability IG
(CLINICAL.md section 8): DocumentReference for directive documents (type LOINC 81334-5,
category LOINC 75320-2), Consent for code status and portable medical orders, RelatedPerson
for healthcare agents. Each function returns plain JSON-ready dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pallio.acp.models import (
    CODE_STATUS_SYSTEM,
    V3_ROLE_CODE,
    AdvanceDirectiveDocument,
    CodeStatus,
    HealthcareAgent,
    PortableOrder,
)
from pallio.core.codes import LOINC, PALLIO

ADVANCE_CARE_PLAN = {"system": LOINC, "code": "81334-5", "display": "Personal advance care plan"}
ADVANCE_DIRECTIVE = {"system": LOINC, "code": "75320-2", "display": "Advance directive"}
CONSENT_SCOPE_ADR = {
    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
    "code": "adr",
    "display": "Advanced Care Directive",
}
HEALTHCARE_POA = {
    "system": V3_ROLE_CODE,
    "code": "HPOWATT",
    "display": "healthcare power of attorney",
}
DIRECTIVE_KIND_SYSTEM = f"{PALLIO}/advance-directive-kind"
PORTABLE_ORDER_SYSTEM = f"{PALLIO}/portable-order-section"


def _patient_ref(record: Any) -> dict[str, str]:
    return {"reference": f"Patient/{record.patient_id}"}


def _instant(value: Any) -> str:
    return value.isoformat(timespec="seconds")


def document_reference(
    document: AdvanceDirectiveDocument, *, url: str, superseded: bool = False
) -> dict[str, Any]:
    if document.entered_in_error:
        status = "entered-in-error"
    else:
        status = "superseded" if superseded else "current"
    return {
        "resourceType": "DocumentReference",
        "id": str(document.pk),
        "status": status,
        "docStatus": "final",
        "type": {
            "coding": [
                ADVANCE_CARE_PLAN,
                {
                    "system": DIRECTIVE_KIND_SYSTEM,
                    "code": document.kind,
                    "display": document.get_kind_display(),
                },
            ],
            "text": document.get_kind_display(),
        },
        "category": [{"coding": [ADVANCE_DIRECTIVE]}],
        "subject": _patient_ref(document),
        "date": _instant(document.created_at),
        "description": f"{document.get_kind_display()} from {document.source}"
        + (" (verified)" if document.verified else " (not verified)"),
        "content": [
            {
                "attachment": {
                    "contentType": document.content_type,
                    "url": url,
                    "title": document.original_name,
                    "size": document.size,
                    "creation": document.document_date.isoformat(),
                }
            }
        ],
    }


def related_person(agent: HealthcareAgent) -> dict[str, Any]:
    telecom = [
        {"system": "phone", "value": value, "rank": rank}
        for rank, value in ((1, agent.phone), (2, agent.alternate_phone))
        if value
    ]
    if agent.email:
        telecom.append({"system": "email", "value": agent.email})
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": str(agent.pk),
        "active": not agent.entered_in_error,
        "patient": _patient_ref(agent),
        "relationship": [
            {"coding": [HEALTHCARE_POA], "text": agent.rank_label},
            {
                "coding": [
                    {
                        "system": V3_ROLE_CODE,
                        "code": agent.relationship,
                        "display": agent.get_relationship_display(),
                    }
                ]
            },
        ],
        "name": [{"text": agent.name}],
    }
    if telecom:
        resource["telecom"] = telecom
    if agent.address:
        resource["address"] = [{"text": agent.address}]
    return resource


def _consent_status(record: Any, *, active: bool) -> str:
    if record.entered_in_error:
        return "entered-in-error"
    return "active" if active else "inactive"


def code_status_consent(entry: CodeStatus, *, current: bool) -> dict[str, Any]:
    status = _consent_status(entry, active=current)
    return {
        "resourceType": "Consent",
        "id": str(entry.pk),
        "status": status,
        "scope": {"coding": [CONSENT_SCOPE_ADR]},
        "category": [{"coding": [ADVANCE_DIRECTIVE]}],
        "patient": _patient_ref(entry),
        "dateTime": _instant(entry.created_at),
        "provision": {
            "period": {"start": entry.effective_date.isoformat()},
            "code": [
                {
                    "coding": [
                        {
                            "system": CODE_STATUS_SYSTEM,
                            "code": entry.status,
                            "display": entry.get_status_display(),
                        }
                    ],
                    "text": f"Code status: {entry.get_status_display()}",
                }
            ],
        },
    }


def portable_order_consent(order: PortableOrder, *, document_url: str | None) -> dict[str, Any]:
    status = _consent_status(order, active=not order.is_superseded)
    sections = [
        ("cpr", order.cpr, order.get_cpr_display()),
        (
            "medical-interventions",
            order.medical_interventions,
            order.get_medical_interventions_display(),
        ),
        (
            "artificial-nutrition",
            order.artificial_nutrition,
            order.get_artificial_nutrition_display(),
        ),
    ]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(order.pk),
        "status": status,
        "scope": {"coding": [CONSENT_SCOPE_ADR]},
        "category": [{"coding": [ADVANCE_DIRECTIVE]}, {"text": order.form_type}],
        "patient": _patient_ref(order),
        "dateTime": _instant(order.created_at),
        "performer": [{"display": f"{order.signer_name} ({order.signer_role})"}],
        "provision": {
            "period": {"start": order.effective_date.isoformat()},
            "provision": [
                {
                    "code": [
                        {
                            "coding": [
                                {
                                    "system": f"{PORTABLE_ORDER_SYSTEM}/{section}",
                                    "code": code,
                                    "display": display,
                                }
                            ]
                        }
                    ]
                }
                for section, code, display in sections
            ],
        },
        "extension": [
            {
                "url": f"{PALLIO}/StructureDefinition/portable-order-version",
                "valueInteger": order.version_number,
            }
        ],
    }
    if document_url and order.document is not None:
        resource["sourceAttachment"] = {
            "contentType": order.document.content_type,
            "url": document_url,
        }
    return resource


def acp_bundle(context: dict[str, Any], *, download_url: Callable[[Any], str]) -> dict[str, Any]:
    """A collection Bundle of the patient's advance-care-planning records."""
    documents = context["documents"]
    newest_by_kind: dict[str, Any] = {}
    for document in documents:  # newest first
        if not document.entered_in_error:
            newest_by_kind.setdefault(document.kind, document.pk)
    resources: list[dict[str, Any]] = [
        document_reference(
            d,
            url=download_url(d),
            superseded=not d.entered_in_error and newest_by_kind.get(d.kind) != d.pk,
        )
        for d in documents
    ]
    resources += [related_person(a) for a in context["agents"]]
    current = context["current_code_status"]
    resources += [
        code_status_consent(c, current=current is not None and c.pk == current.pk)
        for c in context["code_statuses"]
    ]
    resources += [
        portable_order_consent(o, document_url=download_url(o.document) if o.document_id else None)
        for o in context["orders"]
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
