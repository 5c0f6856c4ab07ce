"""Reads of advance care planning: the patient is reached only through patient_get_for, so
missing and forbidden are the same 404; every list costs a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from pallio.acp.models import (
    AdvanceDirectiveDocument,
    CodeStatus,
    ConversationAddendum,
    GoalFocus,
    GoalsOfCareConversation,
    HealthcareAgent,
    PlacePreference,
    PortableOrder,
    TreatmentCategory,
    TreatmentPreference,
)
from pallio.acp.rules import AcpFacts, ConsistencyRule, rules_failing
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.compiled_reads import read_compiled
from pallio.core.read_together import Rows, Total, attach_prefetched, read_together
from pallio.episodes.models import EpisodeOfCare, HospitalStay, StayKind
from pallio.patients.models import Patient
from pallio.patients.selectors import (
    patient_get_for,
    patient_header_context,
    patient_header_parts,
)

PAGE_SIZE = 25
GOAL_FOCUS_RANK = {GoalFocus.LIFE_PROLONGING: 0, GoalFocus.BALANCED: 1, GoalFocus.COMFORT: 2}


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such record") from None


def current_code_status(patient: Any) -> CodeStatus | None:
    """The newest code status not entered in error (for a patient already access-checked)."""
    return _current_code_status_rows(patient).first()


def _current_code_status_rows(patient: Any) -> QuerySet[CodeStatus]:
    return (
        CodeStatus.objects.filter(patient_id=patient.pk, entered_in_error=False)
        .select_related("recorded_by")
        .order_by("-created_at", "-id")
    )


def _facts_annotations() -> dict[str, Any]:
    pk = OuterRef("pk")
    hospital_pref = TreatmentPreference.objects.filter(
        patient_id=pk, category=TreatmentCategory.HOSPITALIZATION
    )
    current_code = CodeStatus.objects.filter(patient_id=pk, entered_in_error=False).order_by(
        "-created_at", "-id"
    )
    current_order = PortableOrder.objects.filter(
        patient_id=pk, entered_in_error=False, superseded_by__isnull=True
    ).order_by("-version_number")
    return {
        "f_code_status": Subquery(current_code.values("status")[:1]),
        "f_code_status_effective": Subquery(current_code.values("effective_date")[:1]),
        "f_resuscitation": Subquery(
            TreatmentPreference.objects.filter(
                patient_id=pk, category=TreatmentCategory.RESUSCITATION
            ).values("choice")[:1]
        ),
        "f_ventilation": Subquery(
            TreatmentPreference.objects.filter(
                patient_id=pk, category=TreatmentCategory.VENTILATION
            ).values("choice")[:1]
        ),
        "f_order_cpr": Subquery(current_order.values("cpr")[:1]),
        "f_order_interventions": Subquery(current_order.values("medical_interventions")[:1]),
        "f_order_effective": Subquery(current_order.values("effective_date")[:1]),
        "f_goal_focus": Subquery(
            GoalsOfCareConversation.objects.filter(
                patient_id=pk, status="signed", entered_in_error=False
            )
            .order_by("-held_at")
            .values("goal_focus")[:1]
        ),
        "f_hosp_choice": Subquery(hospital_pref.values("choice")[:1]),
        "f_hosp_stated": Subquery(hospital_pref.values("stated_on")[:1]),
        "f_admitted": Exists(
            HospitalStay.objects.filter(
                patient_id=pk,
                entered_in_error=False,
                kind__in=(StayKind.INPATIENT, StayKind.OBSERVATION),
                # The day in the server's zone; the preference knows only its day.
                admitted_at__date__gte=Subquery(
                    TreatmentPreference.objects.filter(
                        patient_id=OuterRef(OuterRef("pk")),
                        category=TreatmentCategory.HOSPITALIZATION,
                    ).values("stated_on")[:1]
                ),
            )
        ),
        "f_place_of_death": Subquery(
            PlacePreference.objects.filter(patient_id=pk).values("place_of_death")[:1]
        ),
        "f_support_plan": Subquery(
            PlacePreference.objects.filter(patient_id=pk).values("support_plan")[:1]
        ),
    }


def _facts_of(row: Any) -> AcpFacts:
    return AcpFacts(
        code_status=row.f_code_status,
        latest_goal_focus=row.f_goal_focus,
        hospitalization_choice=row.f_hosp_choice,
        hospitalization_stated_on=row.f_hosp_stated,
        admitted_since_stated=bool(row.f_admitted),
        place_of_death=row.f_place_of_death or "",
        support_plan=row.f_support_plan or "",
        code_status_effective=row.f_code_status_effective,
        resuscitation_choice=row.f_resuscitation,
        ventilation_choice=row.f_ventilation,
        order_cpr=row.f_order_cpr,
        order_interventions=row.f_order_interventions,
        order_effective=row.f_order_effective,
    )


def acp_page_for(user: Any, patient_id: Any) -> dict[str, Any]:
    """Everything the patient's advance-care-planning page shows, in a fixed number of
    queries, audited as one read."""
    patient = patient_get_for(user, patient_id, event="acp.read")
    rows = read_compiled("acp.page", acp_page_parts, pk=patient.pk)
    context = patient_header_context(user, patient, rows)
    context.update(acp_records_of(patient, rows))
    # The header's alert count, code status and allergies, read with the rest.
    context["chart"] = {name: rows[name] for name in HEADER_BADGES}
    return context


HEADER_BADGES = ("assessments_open_alert_count", "acp_code_status", "medications_allergies")


def _header_badge_parts(patient: Any) -> dict[str, Rows | Total]:
    """The reads of the header's alert count, code status and allergies, as the chart's."""
    from pallio.assessments.selectors import chart_parts as assessment_parts
    from pallio.medications.selectors import medication_chart_parts

    parts = {**assessment_parts(patient), **acp_chart_parts(patient)}
    parts.update(medication_chart_parts(patient))
    return {name: parts[name] for name in HEADER_BADGES}


def acp_page_parts(patient: Any) -> dict[str, Rows | Total]:
    """The page's reads and its header's, a function of the patient's `pk` alone
    (core.compiled_reads: compiled once, then run with each patient's id)."""
    place = PlacePreference.objects.filter(patient_id=patient.pk).select_related("recorded_by")
    return {
        **patient_header_parts(patient),
        **_header_badge_parts(patient),
        "acp_code_statuses": Rows(
            CodeStatus.objects.filter(patient_id=patient.pk)
            .select_related("recorded_by", "entered_in_error_by")
            .order_by("-created_at", "-id")
        ),
        "acp_orders": Rows(
            PortableOrder.objects.filter(patient_id=patient.pk)
            .select_related("recorded_by", "document")
            .order_by("-version_number")
        ),
        "acp_conversations": Rows(
            GoalsOfCareConversation.objects.filter(patient_id=patient.pk)
            .select_related("author", "signed_by", "entered_in_error_by")
            .order_by("-held_at")
        ),
        # The conversations' addenda, in their own order, as prefetch_related read them.
        "acp_addenda": Rows(
            ConversationAddendum.objects.filter(conversation__patient_id=patient.pk)
            .select_related("author")
            .order_by("created_at")
        ),
        "acp_preferences": Rows(
            TreatmentPreference.objects.filter(patient_id=patient.pk).select_related("recorded_by")
        ),
        "acp_facts": Rows(
            Patient.objects.filter(pk=patient.pk).annotate(**_facts_annotations()).only("pk")
        ),
        "acp_agents": Rows(
            HealthcareAgent.objects.filter(patient_id=patient.pk)
            .select_related("naming_document", "verified_by")
            .order_by("entered_in_error", "rank", "created_at")
        ),
        "acp_documents": Rows(
            AdvanceDirectiveDocument.objects.filter(patient_id=patient.pk).select_related(
                "uploaded_by", "verified_by"
            )
        ),
        # As .first() reads it: by its own order, else by id.
        "acp_place": Rows((place if place.ordered else place.order_by("pk"))[:1]),
        "acp_stays": Rows(
            HospitalStay.objects.filter(patient_id=patient.pk).order_by(
                "-admitted_at", "-created_at"
            )
        ),
    }


def acp_records_of(patient: Patient, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """The records of a patient already reached through patient_get_for, from `rows` read
    with acp_page_parts, or read here."""
    if rows is None:
        rows = read_compiled("acp.page", acp_page_parts, pk=patient.pk)
    code_statuses = rows["acp_code_statuses"]
    current = next((c for c in code_statuses if not c.entered_in_error), None)
    orders = rows["acp_orders"]
    current_order = next(
        (o for o in orders if not o.entered_in_error and o.superseded_by_id is None), None
    )
    conversations = rows["acp_conversations"]
    attach_prefetched(conversations, "addenda", rows["acp_addenda"], key="conversation_id")
    preferences = rows["acp_preferences"]
    by_category = {p.category: p for p in preferences}
    facts_row = rows["acp_facts"][0]
    timeline = [c for c in reversed(conversations) if c.is_signed and not c.entered_in_error]
    return {
        "code_statuses": code_statuses,
        "current_code_status": current,
        "agents": rows["acp_agents"],
        "documents": rows["acp_documents"],
        "orders": orders,
        "current_order": current_order,
        "conversations": conversations,
        "goal_timeline": [
            {
                "conversation": c,
                "rank": GOAL_FOCUS_RANK[GoalFocus(c.goal_focus)],
                "changed": i > 0 and timeline[i - 1].goal_focus != c.goal_focus,
            }
            for i, c in enumerate(timeline)
        ],
        "treatment_rows": [
            (value, label, by_category.get(value)) for value, label in TreatmentCategory.choices
        ],
        "place_preference": next(iter(rows["acp_place"]), None),
        "hospitalizations": rows["acp_stays"],
        "inconsistencies": rules_failing(_facts_of(facts_row)),
    }


def _record_get(model: Any, patient: Patient, record_id: Any) -> Any:
    record = model.objects.filter(pk=_as_uuid(record_id), patient=patient).first()
    if record is None:
        raise Http404("No such record")
    return record


def conversation_get_for(
    user: Any, patient_id: Any, conversation_id: Any, *, audit: bool = True
) -> tuple[dict[str, Any], GoalsOfCareConversation]:
    patient = patient_get_for(user, patient_id, audit=False)
    conversation = _record_get(GoalsOfCareConversation, patient, conversation_id)
    if audit:
        audit_record(
            actor=user,
            action=Action.READ,
            event="acp.conversation.read",
            patient=patient,
            target=conversation,
        )
    return patient_header_context(user, patient), conversation


RECORD_MODELS: dict[str, Any] = {
    "conversation": GoalsOfCareConversation,
    "agent": HealthcareAgent,
    "document": AdvanceDirectiveDocument,
    "code-status": CodeStatus,
    "order": PortableOrder,
    "hospitalization": HospitalStay,
}


def acp_record_get_for(user: Any, patient_id: Any, kind: str, record_id: Any) -> tuple[Any, Any]:
    """(patient, record) for a change: the record must be the patient's; 404 otherwise."""
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise Http404("No such record")
    patient = patient_get_for(user, patient_id, audit=False)
    return patient, _record_get(model, patient, record_id)


def document_get_for(user: Any, patient_id: Any, document_id: Any) -> AdvanceDirectiveDocument:
    """A directive document to download; the read is audited."""
    patient = patient_get_for(user, patient_id, audit=False)
    document = _record_get(AdvanceDirectiveDocument, patient, document_id)
    audit_record(
        actor=user,
        action=Action.READ,
        event="acp.document.download",
        patient=patient,
        target=document,
    )
    return document


def acp_export_for(user: Any, patient_id: Any, *, action: str, event: str) -> dict[str, Any]:
    """The records for a printed summary or a FHIR export, audited as that print or export."""
    patient = patient_get_for(user, patient_id, audit=False)
    audit_record(actor=user, action=action, event=event, patient=patient, target=patient)
    rows = read_compiled("acp.page", acp_page_parts, pk=patient.pk)
    context = patient_header_context(user, patient, rows)
    context.update(acp_records_of(patient, rows))
    return context


# --- program lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    patient: Patient
    rules: list[ConsistencyRule]


def acp_review_page_for(user: Any, page: Any) -> Page[ReviewRow]:
    """Patients whose plan contradicts itself (rules.RULES), among those `user` may see."""
    candidates = (
        access.visible_patients(user, Patient.objects.filter(entered_in_error=False))
        .annotate(**_facts_annotations())
        .filter(
            Q(f_code_status__isnull=False)
            | Q(f_hosp_choice__isnull=False)
            | Q(f_place_of_death__isnull=False)
            | Q(f_order_cpr__isnull=False)
        )
        .order_by("family_name", "given_name", "id")
    )
    rows = []
    for patient in candidates:
        failing = rules_failing(_facts_of(patient))
        if failing:
            rows.append(ReviewRow(patient, failing))
    result = Paginator(rows, PAGE_SIZE).get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event="acp.review_list",
        detail={"patients": [str(r.patient.pk) for r in result.object_list]},
    )
    return result


WORKLISTS = {
    "no-conversation": "No documented goals-of-care conversation",
    "no-agent": "No named healthcare agent",
    "no-preferences": "No treatment preferences",
}


def acp_worklist_for(user: Any, kind: str) -> QuerySet[Patient]:
    """Patients enrolled longer than the program's `acp_worklist_days` missing one piece of
    their plan; a clinician sees their own team's patients, program-wide roles see all."""
    if kind not in WORKLISTS or not access.has_perm(user, "acp.worklist"):
        return Patient.objects.none()
    days = int(user.program.setting("acp_worklist_days"))
    cutoff = clock.now() - timedelta(days=days)
    active = EpisodeOfCare.objects.filter(
        patient_id=OuterRef("pk"), status=EpisodeOfCare.Status.ACTIVE
    )
    qs = access.visible_patients(user, Patient.objects.filter(entered_in_error=False)).filter(
        Exists(active.filter(start__lte=cutoff))
    )
    if kind == "no-conversation":
        qs = qs.exclude(
            Exists(
                GoalsOfCareConversation.objects.filter(
                    patient_id=OuterRef("pk"), status="signed", entered_in_error=False
                )
            )
        )
    elif kind == "no-agent":
        qs = qs.exclude(
            Exists(
                HealthcareAgent.objects.filter(patient_id=OuterRef("pk"), entered_in_error=False)
            )
        )
    else:
        qs = qs.exclude(Exists(TreatmentPreference.objects.filter(patient_id=OuterRef("pk"))))
    return qs.annotate(
        enrolled_since=Subquery(active.order_by("start").values("start")[:1])
    ).order_by("enrolled_since", "family_name", "id")


def acp_worklist_page_for(user: Any, kind: str, page: Any) -> Page[Patient]:
    result = Paginator(acp_worklist_for(user, kind), PAGE_SIZE).get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event="acp.worklist",
        detail={"list": kind, "patients": [str(p.pk) for p in result.object_list]},
    )
    return result


def acp_chart_parts(patient: Any) -> dict[str, Rows | Total]:
    """The chart's reads of advance care planning (header badge and section), to be read
    together with the chart's other sections (the chart has already checked access)."""
    return {
        "acp_latest": Rows(
            GoalsOfCareConversation.objects.filter(
                patient_id=patient.pk, status="signed", entered_in_error=False
            ).order_by("-held_at")[:1]
        ),
        "acp_agent": Rows(
            HealthcareAgent.objects.filter(patient_id=patient.pk, entered_in_error=False).order_by(
                "rank"
            )[:1]
        ),
        "acp_documents": Total(
            AdvanceDirectiveDocument.objects.filter(patient_id=patient.pk, entered_in_error=False)
        ),
        "acp_code_status": Rows(_current_code_status_rows(patient)[:1]),
    }


def acp_chart_summary(patient: Any, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """The few lines the chart shows (the chart view has already checked access), from
    `rows` read with acp_chart_parts, or read here."""
    rows = rows if rows is not None else read_together(acp_chart_parts(patient))
    return {
        "patient": patient,
        "latest": next(iter(rows["acp_latest"]), None),
        "agent": next(iter(rows["acp_agent"]), None),
        "documents": rows["acp_documents"],
    }
