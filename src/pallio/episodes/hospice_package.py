"""The hospice hand-off package: what the receiving hospice needs on the first day, built
from the record when the referral is sent and kept as sent.

Two forms of the same content: a PDF (WeasyPrint, from episodes/hospice_package.html, with
a fetcher that opens nothing) and a FHIR R4 collection Bundle (CLINICAL.md section 10):
Patient; the referral as a ServiceRequest to the agency (Organization); diagnoses and the
care plan's problems as Condition; medications as MedicationStatement; goals of care as
Goal; code status and the portable order as Consent and the healthcare agents as
RelatedPerson (acp/fhir.py, PACIO shapes); the latest scores as Observation; the care team as
CareTeam with its Practitioners.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from weasyprint import HTML

from pallio.acp.pdf import RefusingFetcher
from pallio.core import clock
from pallio.core.codes import PALLIO
from pallio.core.words import number_text

# Every instrument's latest score goes in the package.
RECENT_SCORE_KEYS = (
    "esas-r",
    "pps",
    "karnofsky",
    "akps",
    "ecog",
    "ppi",
    "pap",
    "nyha",
    "fast",
    "phq-4",
    "distress-thermometer",
)
PROBLEM_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
    "code": "problem-list-item",
    "display": "Problem List Item",
}
DIAGNOSIS_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
    "code": "encounter-diagnosis",
    "display": "Encounter Diagnosis",
}
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
GOAL_FOCUS_SYSTEM = f"{PALLIO}/goal-focus"


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return None


def _record(patient: Any, episode: Any) -> dict[str, Any]:
    """The records the package is made of (a few queries; it is built once, when sent)."""
    from pallio.acp.models import (
        CodeStatus,
        GoalsOfCareConversation,
        HealthcareAgent,
        PortableOrder,
    )
    from pallio.careplans.models import Problem
    from pallio.episodes.hospice import latest_reports
    from pallio.medications.models import MedicationStatement

    return {
        "conditions": list(
            patient.conditions.filter(entered_in_error=False).order_by("-is_primary", "display")
        ),
        "problems": list(
            Problem.objects.filter(
                plan__episode_id=episode.pk, entered_in_error=False, status="active"
            ).order_by("domain", "display")
        ),
        "medications": list(
            MedicationStatement.objects.filter(
                patient_id=patient.pk, status=MedicationStatement.Status.ACTIVE
            ).order_by("-is_opioid", "display")
        ),
        "goals": GoalsOfCareConversation.objects.filter(
            patient_id=patient.pk, status="signed", entered_in_error=False
        )
        .order_by("-held_at")
        .first(),
        "code_status": CodeStatus.objects.filter(patient_id=patient.pk, entered_in_error=False)
        .order_by("-created_at", "-id")
        .first(),
        "order": PortableOrder.objects.filter(
            patient_id=patient.pk, entered_in_error=False, superseded_by__isnull=True
        )
        .order_by("-version_number")
        .first(),
        "agents": list(
            HealthcareAgent.objects.filter(patient_id=patient.pk, entered_in_error=False).order_by(
                "rank"
            )
        ),
        "reports": [
            rows[0]
            for rows in latest_reports(patient.pk, RECENT_SCORE_KEYS, per_key=1).values()
            if rows
        ],
        "team": list(episode.team.filter(active=True).select_related("user").order_by("-is_lead")),
    }


def package_content(*, patient: Any, episode: Any, referral: Any, sender: Any) -> dict[str, Any]:
    """The package as plain JSON: what the PDF prints, fixed when the referral is sent."""
    record = _record(patient, episode)
    program = patient.program
    goals = record["goals"]
    code = record["code_status"]
    order = record["order"]
    return {
        "sent_at": clock.now().isoformat(),
        "sender": {"name": sender.display_name, "discipline": sender.get_discipline_display()},
        "program": {"name": program.name, "phone": program.phone, "timezone": program.timezone},
        "agency": {"name": referral.agency_name, "phone": referral.agency_phone},
        "referred_on": referral.referred_on.isoformat(),
        "note": referral.note,
        "patient": {
            "name": f"{patient.given_name} {patient.family_name}",
            "birth_date": patient.birth_date.isoformat(),
            "mrn": patient.mrn,
            "phone": patient.phone,
            "address": ", ".join(
                p
                for p in (patient.address_line, patient.city, patient.state, patient.postal_code)
                if p
            ),
            "language": patient.language,
        },
        "enrolled_on": episode.start.astimezone(ZoneInfo(program.timezone)).date().isoformat(),
        "diagnoses": [
            {"code": c.code, "display": c.display, "advanced": c.advanced}
            for c in record["conditions"]
        ],
        "problems": [
            {"display": p.display, "domain": p.get_domain_display(), "detail": p.detail}
            for p in record["problems"]
        ],
        "medications": [
            {
                "display": m.display,
                "dose": f"{number_text(m.dose_amount)} {m.dose_unit}".strip()
                if m.dose_amount
                else "",
                "route": m.route,
                "as_needed": m.as_needed,
            }
            for m in record["medications"]
        ],
        "goals_of_care": {
            "held_on": goals.held_at.date().isoformat(),
            "focus": goals.get_goal_focus_display(),
            "goals": goals.goals,
        }
        if goals
        else None,
        "code_status": {
            "status": code.get_status_display(),
            "effective_date": code.effective_date.isoformat(),
        }
        if code
        else None,
        "portable_order": {
            "form": order.get_form_type_display(),
            "cpr": order.get_cpr_display(),
            "interventions": order.get_medical_interventions_display(),
            "nutrition": order.get_artificial_nutrition_display(),
            "signed_by": order.signer_name,
            "effective_date": order.effective_date.isoformat(),
        }
        if order
        else None,
        "agents": [
            {"name": a.name, "relationship": a.get_relationship_display(), "phone": a.phone}
            for a in record["agents"]
        ],
        "scores": [
            {
                "title": r.instrument.title,
                "score": f"{r.primary_score:g}",
                "answered_on": r.answered_at.astimezone(ZoneInfo(program.timezone))
                .date()
                .isoformat(),
            }
            for r in sorted(record["reports"], key=lambda r: r.answered_at, reverse=True)
        ],
        "team": [
            {
                "name": m.user.display_name,
                "discipline": m.get_discipline_display(),
                "email": m.user.email,
                "lead": m.is_lead,
            }
            for m in record["team"]
        ],
    }


def _condition(
    patient: Any, *, ident: str, system: str, code: str, display: str, category: dict[str, str]
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": ident,
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "category": [{"coding": [category]}],
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient.pk}"},
    }


def package_bundle(*, patient: Any, episode: Any, referral: Any) -> dict[str, Any]:
    """The package as a FHIR R4 collection Bundle (plain JSON)."""
    from pallio.acp.fhir import code_status_consent, portable_order_consent, related_person
    from pallio.assessments.fhir import score_observations
    from pallio.medications.fhir import medication_statement

    record = _record(patient, episode)
    agency_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hospice-agency:{referral.agency_name}"))
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "identifier": [{"system": f"{PALLIO}/mrn", "value": patient.mrn}],
            "name": [{"family": patient.family_name, "given": [patient.given_name]}],
            "birthDate": patient.birth_date.isoformat(),
            **({"telecom": [{"system": "phone", "value": patient.phone}]} if patient.phone else {}),
        },
        {
            "resourceType": "Organization",
            "id": agency_id,
            "name": referral.agency_name,
            **(
                {"telecom": [{"system": "phone", "value": referral.agency_phone}]}
                if referral.agency_phone
                else {}
            ),
        },
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.pk),
            "status": "active",
            "intent": "order",
            "code": {"text": "Referral to hospice"},
            "subject": {"reference": f"Patient/{patient.pk}"},
            "authoredOn": referral.referred_on.isoformat(),
            "performer": [{"reference": f"Organization/{agency_id}"}],
            **({"note": [{"text": referral.note}]} if referral.note else {}),
        },
    ]
    for condition in record["conditions"]:
        resources.append(
            _condition(
                patient,
                ident=str(condition.pk),
                system=condition.system,
                code=condition.code,
                display=condition.display,
                category=DIAGNOSIS_CATEGORY,
            )
        )
    for problem in record["problems"]:
        resources.append(
            _condition(
                patient,
                ident=str(problem.pk),
                system=problem.code_system,
                code=problem.code,
                display=problem.display,
                category=PROBLEM_CATEGORY,
            )
        )
    resources += [medication_statement(m) for m in record["medications"]]
    goals = record["goals"]
    if goals is not None:
        resources.append(
            {
                "resourceType": "Goal",
                "id": str(goals.pk),
                "lifecycleStatus": "active",
                "category": [
                    {
                        "coding": [
                            {
                                "system": GOAL_FOCUS_SYSTEM,
                                "code": goals.goal_focus,
                                "display": goals.get_goal_focus_display(),
                            }
                        ]
                    }
                ],
                "description": {"text": goals.goals or goals.get_goal_focus_display()},
                "subject": {"reference": f"Patient/{patient.pk}"},
                "startDate": goals.held_at.date().isoformat(),
            }
        )
    if record["code_status"] is not None:
        resources.append(code_status_consent(record["code_status"], current=True))
    if record["order"] is not None:
        resources.append(portable_order_consent(record["order"], document_url=None))
    resources += [related_person(a) for a in record["agents"]]
    for report in record["reports"]:
        resources += score_observations(report)
    team = record["team"]
    for member in team:
        resources.append(
            {
                "resourceType": "Practitioner",
                "id": str(member.user.uuid),
                "name": [{"family": member.user.last_name, "given": [member.user.first_name]}],
                **(
                    {"telecom": [{"system": "email", "value": member.user.email}]}
                    if member.user.email
                    else {}
                ),
            }
        )
    if team:
        resources.append(
            {
                "resourceType": "CareTeam",
                "id": str(episode.pk),
                "status": "active",
                "name": f"{patient.program.name} palliative care team",
                "subject": {"reference": f"Patient/{patient.pk}"},
                "participant": [
                    {
                        "role": [{"text": member.get_discipline_display()}],
                        "member": {"reference": f"Practitioner/{member.user.uuid}"},
                    }
                    for member in team
                ],
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": clock.now().isoformat(timespec="seconds"),
        "entry": [{"fullUrl": f"urn:uuid:{_as_uuid(r['id'])}", "resource": r} for r in resources],
    }


def _as_uuid(ident: str) -> str:
    try:
        return str(uuid.UUID(ident))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, ident))


def package_context(content: dict[str, Any]) -> dict[str, Any]:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    zone = ZoneInfo(content["program"].get("timezone") or "UTC")
    return {
        "c": content,
        "sent_at": datetime.fromisoformat(content["sent_at"]).astimezone(zone),
        "referred_on": day(content["referred_on"]),
        "birth_date": day(content["patient"]["birth_date"]),
        "enrolled_on": day(content.get("enrolled_on")),
        "goals_held_on": day((content.get("goals_of_care") or {}).get("held_on")),
        "code_effective": day((content.get("code_status") or {}).get("effective_date")),
        "order_effective": day((content.get("portable_order") or {}).get("effective_date")),
        "scores": [{**s, "on": day(s["answered_on"])} for s in content.get("scores", [])],
    }


def render_package_pdf(content: dict[str, Any], *, fetcher: RefusingFetcher | None = None) -> bytes:
    html = HTML(
        string=render_to_string("episodes/hospice_package.html", package_context(content)),
        base_url=None,
        url_fetcher=fetcher or RefusingFetcher(),
    )
    return bytes(html.write_pdf())
