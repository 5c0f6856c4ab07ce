"""Shared pieces of the visit note tests: the people the personas lack, and notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.personas import add_to_team

from pallio.accounts.models import TrainingLevel
from pallio.assessments import services as assessments
from pallio.assessments.tests.helpers import esas
from pallio.core import clock
from pallio.visits import services
from pallio.visits.models import VisitNote
from pallio.visits.selectors import note_template_for


def nurse(world: Any) -> Any:
    """Nora, a palliative nurse on alice's team."""
    return add_to_team(world, "nora", "nurse", "Nora", "Nurse")


def fellow(world: Any, supervisor: Any = None) -> Any:
    """Fred, a palliative medicine fellow on alice's team, supervised by Phil."""
    user = add_to_team(world, "fred", "physician", "Fred", "Fellow")
    user.training_level = TrainingLevel.FELLOW
    user.supervisor = supervisor if supervisor is not None else world.physician
    user.save(update_fields=["training_level", "supervisor"])
    return user


def filled(actor: Any, patient: Any) -> dict[str, str]:
    """Text for every section of the template the actor writes with."""
    template = note_template_for(patient.program, actor.discipline)
    return {s["key"]: f"{s['label']}: written at the visit." for s in template.sections}


def document(
    actor: Any, patient: Any, *, content: dict[str, str] | None = None, **visit: Any
) -> VisitNote:
    values: dict[str, Any] = {
        "setting": "home",
        "mode": "in_person",
        "started_at": clock.now() - timedelta(hours=1),
        "reason": "Follow-up of pain",
    }
    values.update(visit)
    return services.visit_document(
        actor=actor,
        patient=patient,
        content=filled(actor, patient) if content is None else content,
        **values,
    )


def signed(actor: Any, patient: Any, **kwargs: Any) -> VisitNote:
    note = document(actor, patient, **kwargs)
    return services.note_sign(actor=actor, note=note, expected_version=note.version)


def symptom_report(actor: Any, patient: Any, **answers: int) -> Any:
    report, _ = assessments.report_submit(
        actor=actor,
        patient=patient,
        data=assessments.ReportInput(
            "esas-r", esas(**(answers or {"pain": 6})), "patient", "visit"
        ),
    )
    return report
