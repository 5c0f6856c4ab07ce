"""FHIR R4 for visit summaries: a Composition of the summary with one section per part, and a
DocumentReference pointing at the printed letter (CLINICAL.md section 10).

Document type: LOINC 34133-9 "Summary of episode note", the type US Core's own example
DocumentReference ("episode-summary", a clinic visit's summary) carries
(https://hl7.org/fhir/us/core/STU5/DocumentReference-episode-summary.html), with US Core's
"clinical-note" category. Section codes where LOINC has a document section (as listed in the
eHDSI section value set): 10160-0 "History of Medication use Narrative", 18776-5 "Plan of
care note", 42348-3 "Advance directives"; the other parts use Pallio's own section codes.
Each function returns a plain JSON-ready dict.
"""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

from pallio.core.codes import LOINC, PALLIO
from pallio.visits.models import VisitSummary

SUMMARY_OF_EPISODE = {"system": LOINC, "code": "34133-9", "display": "Summary of episode note"}
CLINICAL_NOTE = {
    "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
    "code": "clinical-note",
    "display": "Clinical Note",
}
SECTION_SYSTEM = f"{PALLIO}/visit-summary-section"
MEDICATIONS_SECTION = {
    "system": LOINC,
    "code": "10160-0",
    "display": "History of Medication use Narrative",
}
PLAN_SECTION = {"system": LOINC, "code": "18776-5", "display": "Plan of care note"}
ADVANCE_DIRECTIVES_SECTION = {"system": LOINC, "code": "42348-3", "display": "Advance directives"}


def _own(code: str, display: str) -> dict[str, str]:
    return {"system": SECTION_SYSTEM, "code": code, "display": display}


def _div(lines: list[str]) -> dict[str, str]:
    """A section's narrative: escaped text only, as FHIR's XHTML subset allows."""
    body = "".join(f"<p>{escape(line)}</p>" for line in lines) or "<p>None recorded.</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _number(value: Any) -> str:
    return "" if value is None else f"{value:g}"


def _sections(content: dict[str, Any]) -> list[dict[str, Any]]:
    visit = content["visit"]
    symptoms = []
    for report in content.get("symptoms", []):
        for item in report["items"]:
            line = f"{report['title']} - {item['label']}: {_number(item['value'])}"
            if item.get("previous") is not None:
                line += f" (previous {_number(item['previous'])})"
            symptoms.append(line)
    medications = [
        f"{m['change'].capitalize()}: {m['name']}" + (f" - {m['detail']}" if m["detail"] else "")
        for m in content.get("medications", [])
    ]
    goc = content.get("goals_of_care")
    code = content.get("code_status")
    goals_lines = []
    if goc:
        goals_lines.append(f"Goals of care: {goc['focus_display']}. {goc.get('goals', '')}".strip())
    goals_lines.append(f"Code status: {code['display']}" if code else "Code status: not documented")
    plan = content.get("plan", {})
    plan_lines = [f"Changed at this visit: {c}" for c in plan.get("changes", [])]
    plan_lines += [f"Goal: {g['target']}" for g in plan.get("goals", [])]
    plan_lines += [
        f"{i['discipline_display']}: {i['description']}" for i in plan.get("interventions", [])
    ]
    next_visit = content.get("next_visit")
    call = content.get("call", {})
    return [
        {
            "title": "Reason for visit",
            "code": {"coding": [_own("reason", "Reason for visit")]},
            "text": _div([visit["reason"]]),
        },
        {
            "title": "Symptom scores",
            "code": {"coding": [_own("symptoms", "Symptom scores")]},
            "text": _div(symptoms),
        },
        {
            "title": "Medication changes",
            "code": {"coding": [MEDICATIONS_SECTION]},
            "text": _div(medications or ["No changes."]),
        },
        {
            "title": "Goals of care and code status",
            "code": {"coding": [ADVANCE_DIRECTIVES_SECTION]},
            "text": _div(goals_lines),
        },
        {"title": "Plan", "code": {"coding": [PLAN_SECTION]}, "text": _div(plan_lines)},
        {
            "title": "Next visit",
            "code": {"coding": [_own("next-visit", "Next visit")]},
            "text": _div(
                [f"{next_visit['at']} ({next_visit['mode_display']})"]
                if next_visit
                else ["As arranged with the patient."]
            ),
        },
        {
            "title": "Who to call",
            "code": {"coding": [_own("contact", "Who to call")]},
            "text": _div([f"{call.get('program', '')}, 24 hours a day: {call.get('phone', '')}"]),
        },
    ]


def composition(summary: VisitSummary) -> dict[str, Any]:
    content = summary.content
    note = content["note"]
    return {
        "resourceType": "Composition",
        "id": str(summary.pk),
        "status": "final",
        "type": {"coding": [SUMMARY_OF_EPISODE], "text": "Visit summary"},
        "category": [{"coding": [CLINICAL_NOTE]}],
        "subject": {"reference": f"Patient/{summary.patient_id}"},
        "encounter": {"reference": f"Encounter/{summary.visit_id}"},
        "date": summary.created_at.isoformat(timespec="seconds"),
        "author": [{"display": note.get("signed_by") or content["visit"]["clinician"]}],
        "title": f"Visit summary, {content['visit']['at'][:10]}",
        "custodian": {"display": content["program"]["name"]},
        "section": _sections(content),
    }


def document_reference(summary: VisitSummary, *, url: str) -> dict[str, Any]:
    content = summary.content
    return {
        "resourceType": "DocumentReference",
        "id": str(summary.pk),
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [SUMMARY_OF_EPISODE], "text": "Visit summary letter"},
        "category": [{"coding": [CLINICAL_NOTE]}],
        "subject": {"reference": f"Patient/{summary.patient_id}"},
        "date": summary.created_at.isoformat(timespec="seconds"),
        "author": [{"display": content["note"].get("signed_by") or content["visit"]["clinician"]}],
        "description": f"Visit summary letter, {content['visit']['at'][:10]}",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": url,
                    "title": "Visit summary letter",
                    "creation": summary.created_at.isoformat(timespec="seconds"),
                }
            }
        ],
        "context": {
            "encounter": [{"reference": f"Encounter/{summary.visit_id}"}],
            "related": [{"reference": f"Composition/{summary.pk}"}],
        },
    }


def summary_bundle(summary: VisitSummary, *, letter_url: str) -> dict[str, Any]:
    resources = [composition(summary), document_reference(summary, url=letter_url)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid5(summary.pk, r['resourceType'])}", "resource": r}
            for r in resources
        ],
    }
