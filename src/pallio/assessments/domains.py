"""The structured findings of each domain of the comprehensive assessment.

Domains and their content follow CLINICAL.md section 1 (National Consensus Project domains;
children and young adults). The instruments a domain suggests are keys of shipped
instruments; any instrument can be attached from the symptom reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from pallio.assessments.models import Domain

YES_NO_UNKNOWN = (("yes", "Yes"), ("no", "No"), ("unknown", "Not known"))


@dataclass(frozen=True)
class FindingField:
    name: str
    label: str
    kind: str = "text"  # text | choice | yes_no
    choices: tuple[tuple[str, str], ...] = ()

    def clean(self, value: Any) -> Any:
        if value in (None, ""):
            return ""
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > 1000 or "\x00" in value:
                raise ValidationError({self.name: [f"{self.label}: under 1000 characters."]})
            return value
        options = YES_NO_UNKNOWN if self.kind == "yes_no" else self.choices
        if value not in {code for code, _ in options}:
            raise ValidationError({self.name: [f"{self.label}: choose from the list."]})
        return value

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        return YES_NO_UNKNOWN if self.kind == "yes_no" else self.choices


F = FindingField

DOMAIN_FINDINGS: dict[str, tuple[FindingField, ...]] = {
    Domain.PHYSICAL: (
        F("main_symptoms", "Main symptoms and their impact"),
        F("pain_present", "Pain present", "yes_no"),
        F("dyspnea_present", "Breathlessness present", "yes_no"),
        F("bowel", "Bowel function (constipation on opioids)"),
        F("nutrition", "Nutrition and swallowing"),
        F("function", "Function and mobility"),
    ),
    Domain.PSYCHOLOGICAL: (
        F("mood", "Mood, anxiety, coping"),
        F("cognition", "Cognition and delirium"),
        F("psychiatric_history", "Psychiatric history"),
    ),
    Domain.SOCIAL: (
        F("living", "Living situation and who helps"),
        F("finances", "Finances, work and insurance"),
        F("practical", "Practical needs (transport, meals, equipment)"),
        F("needs_help_with_finances", "Needs help with finances or insurance", "yes_no"),
    ),
    Domain.SPIRITUAL: (
        F("sources_of_strength", "Sources of meaning and strength"),
        F("spiritual_distress", "Spiritual or existential distress", "yes_no"),
        F("chaplain_requested", "Would like to see a chaplain", "yes_no"),
    ),
    Domain.CULTURAL: (
        F("language", "Preferred language and interpreter needs"),
        F("beliefs", "Cultural beliefs and practices that shape care"),
        F("decision_style", "How decisions are made in the family"),
    ),
    Domain.CAREGIVER: (
        F("caregiver", "Main caregiver and relationship"),
        F(
            "caregiver_strain",
            "Caregiver strain",
            "choice",
            (("none", "None"), ("some", "Some"), ("high", "High")),
        ),
        F("caregiver_needs", "What the caregiver needs"),
    ),
    Domain.ETHICAL_LEGAL: (
        F("agent_named", "Healthcare agent named", "yes_no"),
        F("advance_directive", "Advance directive on file", "yes_no"),
        F("capacity", "Decision-making capacity concerns"),
    ),
    Domain.END_OF_LIFE: (
        F("understanding", "Understanding of the illness and prognosis"),
        F("preferred_place", "Preferred place of care and of death"),
        F("hospice_discussed", "Hospice discussed", "yes_no"),
    ),
    Domain.PEDIATRIC: (
        F("proxy_reporter", "Who reports for the child (parent proxy)"),
        F("child_voice", "How the child takes part in decisions"),
        F("family_needs", "Family needs"),
        F("sibling_needs", "Siblings and their support"),
        F("school", "School: contact, plan and coordination"),
    ),
    Domain.YOUNG_ADULT: (
        F("independence", "Independence versus reliance on parents"),
        F("peers", "Peers, isolation and relationships"),
        F("work_school", "Work or study"),
        F("insurance", "Insurance and money worries"),
        F("fertility", "Fertility, dating and children"),
        F("decision_role", "Wants a part in decisions"),
    ),
}

# Instruments a domain usually draws on (keys of shipped instruments).
DOMAIN_INSTRUMENTS: dict[str, tuple[str, ...]] = {
    Domain.PHYSICAL: ("esas-r", "pps", "akps", "ecog", "karnofsky", "nyha", "fast", "ppi", "pap"),
    Domain.PSYCHOLOGICAL: ("phq-4", "distress-thermometer"),
    Domain.SOCIAL: ("home-safety",),
    Domain.SPIRITUAL: ("spiritual-history",),
    Domain.CAREGIVER: ("caregiver-needs",),
}


@dataclass(frozen=True)
class InstrumentOffer:
    """An instrument a domain offers when another instrument's scale reached a threshold."""

    instrument_key: str
    when_instrument: str
    when_scale: str
    at_least: float
    reason: str
    action: str
    citation: str

    def applies(self, scores: dict[str, Any]) -> bool:
        value = (scores.get("scales") or {}).get(self.when_scale)
        if value is None:  # answered in part: what was answered may already reach it
            value = (scores.get("answered_sums") or {}).get(self.when_scale)
        return value is not None and value >= self.at_least


DOMAIN_OFFERS: dict[str, tuple[InstrumentOffer, ...]] = {
    Domain.PSYCHOLOGICAL: (
        InstrumentOffer(
            instrument_key="asq",
            when_instrument="phq-4",
            when_scale="phq2",
            at_least=3,
            reason="The PHQ-2 was 3 or more: screen for suicide risk with the ASQ.",
            action="Start the suicide-risk screen (ASQ)",
            citation="CLINICAL.md sections 2 and 3: PHQ-2 of 3 or more is a positive screen; "
            "suicide risk is screened with the ASQ (NIMH, public domain).",
        ),
    ),
}
