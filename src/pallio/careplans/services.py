from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task


@transaction.atomic
def task_create(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    title: str,
    due: date,
    episode: Any = None,
    discipline: str = "",
    assigned_to: Any = None,
) -> Task:
    task = Task.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        kind=kind,
        title=title,
        due=due,
        discipline=discipline,
        assigned_to=assigned_to,
    )
    audit_record(
        actor=actor, action=Action.CREATE, event="task.create", patient=patient, target=task
    )
    return task
