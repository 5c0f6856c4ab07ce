"""The comprehensive assessment: domains, sections, signing and addenda."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.assessments.models import Addendum, Assessment, AssessmentSection, Domain, SymptomReport
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock, privileges
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check

# --- the comprehensive assessment ---------------------------------------------------------------


def domain_action(domain: str) -> str:
    """The clinical privilege that writes and completes one domain (core/privileges.py)."""
    return f"assessment_domain.{domain}.sign"


# Which disciplines write which domain by default (CLINICAL.md section 1: the team): the
# domain's owners plus the physician and nurse practitioner, who may complete any domain when
# the owner is not on the team. The matrix is core/data/privileges.json.
DOMAIN_OWNERS: dict[str, frozenset[str]] = {
    domain: privileges.allowed(domain_action(domain))[1] for domain in Domain.values
}


def domains_for(patient: Any, on: Any) -> list[str]:
    """The domains the assessment shows for this patient's age: the child-and-family section
    for children, the adolescent-and-young-adult section for AYAs. The age bands are program
    settings (`child_max_age`, `young_adult_ages`)."""
    age = patient.age_on(on)
    program = patient.program
    youngest, oldest = program.setting("young_adult_ages")
    shown = [d for d in Domain.values if d not in (Domain.PEDIATRIC, Domain.YOUNG_ADULT)]
    if age <= int(program.setting("child_max_age")):
        shown.append(Domain.PEDIATRIC)
    elif int(youngest) <= age <= int(oldest):
        shown.append(Domain.YOUNG_ADULT)
    return shown


def may_write_domain(user: Any, domain: str) -> bool:
    return domain in Domain.values and privileges.can(user, domain_action(domain))


@transaction.atomic
def assessment_start(*, actor: Any, patient: Any) -> Assessment:
    """Start the comprehensive assessment, or return the draft already open."""
    draft = (
        Assessment.objects.select_for_update()
        .filter(patient=patient, status=Assessment.Status.DRAFT)
        .first()
    )
    if draft is not None:
        return draft
    assessment = Assessment.objects.create(
        program_id=patient.program_id, patient=patient, started_by=actor
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="assessment.start",
        patient=patient,
        target=assessment,
    )
    return assessment


def _clean_findings(domain: str, findings: dict[str, Any]) -> dict[str, Any]:
    from pallio.assessments.domains import DOMAIN_FINDINGS

    allowed = {f.name: f for f in DOMAIN_FINDINGS.get(domain, ())}
    unknown = [k for k in findings if k not in allowed]
    if unknown:
        raise ValidationError({"findings": [f"Unknown findings {unknown[:5]}."]})
    clean: dict[str, Any] = {}
    for name, value in findings.items():
        clean[name] = allowed[name].clean(value)
    return clean


@transaction.atomic
def assessment_section_save(
    *,
    actor: Any,
    assessment: Assessment,
    domain: str,
    findings: dict[str, Any],
    narrative: str,
    completed: bool,
    expected_version: int | None,
    reports: list[SymptomReport] | None = None,
) -> AssessmentSection:
    """Save one domain of a draft. Only the discipline that owns the domain may write it."""
    if domain in Domain.values:
        privilege_check(actor, domain_action(domain))
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError("A signed assessment cannot be changed; add an addendum.")
    if domain not in domains_for(
        assessment.patient, clock.today_in(assessment.patient.program.timezone)
    ):
        raise ValidationError({"domain": ["This domain is not part of this assessment."]})
    if len(narrative) > 8000 or "\x00" in narrative:
        raise ValidationError({"narrative": ["Keep the narrative under 8000 characters."]})
    clean = _clean_findings(domain, findings)
    section = (
        AssessmentSection.objects.select_for_update()
        .filter(assessment=assessment, domain=domain)
        .first()
    )
    if section is None:
        if expected_version not in (None, 0):
            raise ConflictError(
                "This section changed while you were editing. Reload to see the change."
            )
        section = AssessmentSection.objects.create(
            assessment=assessment,
            domain=domain,
            findings=clean,
            narrative=narrative,
            completed=completed,
            author=actor,
        )
    else:
        section.findings = clean
        section.narrative = narrative
        section.completed = completed
        section.author = actor
        section.save_versioned(
            expected_version=expected_version or section.version,
            fields=["findings", "narrative", "completed", "author"],
        )
    if reports:
        section.reports.add(*[r for r in reports if r.patient_id == assessment.patient_id])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="assessment.section",
        patient=assessment.patient,
        target=assessment,
        detail={"domain": domain},
    )
    return section


@transaction.atomic
def assessment_sign(*, actor: Any, assessment: Assessment, expected_version: int | None) -> None:
    """Sign a complete assessment; from now on it is immutable."""
    privilege_check(actor, "assessment.sign")
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError("This assessment is already signed.")
    shown = domains_for(assessment.patient, clock.today_in(assessment.patient.program.timezone))
    done = set(assessment.sections.filter(completed=True).values_list("domain", flat=True))
    missing = [Domain(d).label for d in shown if d not in done]
    if missing:
        raise ValidationError(
            "Complete every domain before signing. Not yet complete: " + ", ".join(missing) + "."
        )
    assessment.status = Assessment.Status.SIGNED
    assessment.signed_at = clock.now()
    assessment.signed_by = actor
    assessment.save_versioned(
        expected_version=expected_version, fields=["status", "signed_at", "signed_by"]
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="assessment.sign",
        patient=assessment.patient,
        target=assessment,
    )


@transaction.atomic
def addendum_add(
    *, actor: Any, assessment: Assessment, reason: str, text: str, domain: str = ""
) -> Addendum:
    """Correct a signed assessment: the original stays as it was signed."""
    if assessment.status != Assessment.Status.SIGNED:
        raise ValidationError("A draft is edited directly; addenda are for signed assessments.")
    errors: dict[str, list[str]] = {}
    if not reason.strip() or len(reason) > 300:
        errors["reason"] = ["Give the reason for the addendum (under 300 characters)."]
    if not text.strip() or len(text) > 4000 or "\x00" in text:
        errors["text"] = ["Write the addendum (under 4000 characters)."]
    if domain and domain not in Domain.values:
        errors["domain"] = ["Choose a domain."]
    if errors:
        raise ValidationError(errors)
    row = Addendum.objects.create(
        assessment=assessment,
        domain=domain,
        reason=reason.strip(),
        text=text.strip(),
        author=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="assessment.addendum",
        patient=assessment.patient,
        target=row,
    )
    return row
