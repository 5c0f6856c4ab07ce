"""Forms of the care plan and the task list. They parse; the rules live in services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from pallio.careplans.catalog import OTHER_CODE, catalog_choices, catalog_entry
from pallio.careplans.models import (
    PROBLEM_SYSTEM,
    GoalOutcome,
    Intervention,
    PlanDomain,
    Problem,
)
from pallio.core.codes import Discipline

OTHER = "other"


class DateInput(forms.DateInput):
    input_type = "date"


def _field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _choices(blank: str, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", blank), *items]


class ProblemForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    choice = forms.ChoiceField(label="Problem")
    other_display = forms.CharField(
        label="Describe the problem",
        required=False,
        max_length=200,
        help_text="Only when the problem is not in the list.",
    )
    domain = forms.ChoiceField(
        label="Domain",
        required=False,
        choices=_choices("The problem's usual domain", list(PlanDomain.choices)),
    )
    detail = forms.CharField(
        label="Detail", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    status = forms.ChoiceField(label="Status", choices=Problem.Status.choices, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "choice").choices = [
            ("", "Choose a problem..."),
            *catalog_choices(),
            ("Other", [(OTHER, "Another problem (describe it below)")]),
        ]
        if not editing:
            del self.fields["status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("choice")
        if choice == OTHER:
            if not (data.get("other_display") or "").strip():
                self.add_error("other_display", "Describe the problem.")
            if not data.get("domain"):
                self.add_error("domain", "Choose the domain of this problem.")
        return data

    def to_input(self) -> dict[str, Any]:
        data = self.cleaned_data
        entry = catalog_entry(data["choice"])
        if entry is None:
            coded = {
                "code_system": PROBLEM_SYSTEM,
                "code": OTHER_CODE,
                "display": data.get("other_display", ""),
            }
            domain = data.get("domain", "")
        else:
            coded = {"code_system": entry.system, "code": entry.code, "display": entry.display}
            domain = data.get("domain") or entry.domain
        result = {"domain": domain, "detail": data.get("detail", ""), **coded}
        if "status" in self.fields:
            result["status"] = data.get("status") or Problem.Status.ACTIVE
        return result

    @staticmethod
    def initial_from(problem: Problem) -> dict[str, Any]:
        key = f"{problem.code_system}|{problem.code}"
        known = catalog_entry(key) is not None
        return {
            "version": problem.version,
            "choice": key if known else OTHER,
            "other_display": "" if known else problem.display,
            "domain": problem.domain,
            "detail": problem.detail,
            "status": problem.status,
        }


class GoalForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    patient_words = forms.CharField(
        label="The goal, in the patient's own words",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    target = forms.CharField(
        label="Measurable target",
        max_length=300,
        help_text="How the team will know it is met, e.g. “pain 3 or less on most days”.",
    )
    review_date = forms.DateField(label="Review by", widget=DateInput())
    problem = forms.ChoiceField(label="For the problem", required=False)
    conversation = forms.ChoiceField(label="From the goals-of-care conversation", required=False)

    def __init__(
        self,
        *args: Any,
        problems: Sequence[Any] = (),
        conversations: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.problems = {str(p.pk): p for p in problems}
        self.conversations = {str(c.pk): c for c in conversations}
        _field(self, "problem").choices = _choices(
            "Not linked to a problem", [(k, p.display) for k, p in self.problems.items()]
        )
        _field(self, "conversation").choices = _choices(
            "Not from a conversation",
            [
                (k, f"{c.held_at:%-d %b %Y} — {c.get_goal_focus_display()}")
                for k, c in self.conversations.items()
            ],
        )

    def to_input(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "patient_words": data["patient_words"],
            "target": data["target"],
            "review_date": data["review_date"],
            "problem": self.problems.get(data.get("problem") or ""),
            "conversation": self.conversations.get(data.get("conversation") or ""),
        }

    @staticmethod
    def initial_from(goal: Any) -> dict[str, Any]:
        return {
            "version": goal.version,
            "patient_words": goal.patient_words,
            "target": goal.target,
            "review_date": goal.review_date,
            "problem": str(goal.problem_id or ""),
            "conversation": str(goal.conversation_id or ""),
        }


class InterventionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    description = forms.CharField(label="What the team will do", max_length=500)
    discipline = forms.ChoiceField(
        label="Owned by the discipline", choices=_choices("Choose...", list(Discipline.choices))
    )
    problem = forms.ChoiceField(label="For the problem", required=False)
    goal = forms.ChoiceField(label="Towards the goal", required=False)
    status = forms.ChoiceField(label="Status", choices=Intervention.Status.choices, required=False)

    def __init__(
        self,
        *args: Any,
        problems: Sequence[Any] = (),
        goals: Sequence[Any] = (),
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.problems = {str(p.pk): p for p in problems}
        self.goals = {str(g.pk): g for g in goals}
        _field(self, "problem").choices = _choices(
            "Not linked to a problem", [(k, p.display) for k, p in self.problems.items()]
        )
        _field(self, "goal").choices = _choices(
            "Not linked to a goal", [(k, g.target) for k, g in self.goals.items()]
        )
        if not editing:
            del self.fields["status"]

    def to_input(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            "description": data["description"],
            "discipline": data["discipline"],
            "problem": self.problems.get(data.get("problem") or ""),
            "goal": self.goals.get(data.get("goal") or ""),
        }
        if "status" in self.fields:
            result["status"] = data.get("status") or Intervention.Status.ACTIVE
        return result

    @staticmethod
    def initial_from(intervention: Any) -> dict[str, Any]:
        return {
            "version": intervention.version,
            "description": intervention.description,
            "discipline": intervention.discipline,
            "problem": str(intervention.problem_id or ""),
            "goal": str(intervention.goal_id or ""),
            "status": intervention.status,
        }


class GoalReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.ChoiceField(
        label="Progress", choices=GoalOutcome.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Comment", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_review_date = forms.DateField(
        label="Next review",
        required=False,
        widget=DateInput(),
        help_text="When the goal stays open (partly met, not met).",
    )


class EnteredInErrorForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("problem", "problem"), ("goal", "goal"), ("intervention", "intervention")],
        widget=forms.HiddenInput,
    )
    record_id = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label="Why is this entry wrong?",
        max_length=300,
        help_text="The entry stays visible, marked as entered in error, with your name.",
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=200)
    due = forms.DateField(label="Due", widget=DateInput())
    discipline = forms.ChoiceField(
        label="Discipline",
        required=False,
        choices=_choices("Any discipline", list(Discipline.choices)),
    )
    assigned_to = forms.ChoiceField(label="Assigned to", required=False)
    intervention = forms.ChoiceField(label="Carries out the intervention", required=False)
    detail = forms.CharField(
        label="Detail", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        people: Sequence[Any] = (),
        interventions: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(u.uuid): u for u in people}
        self.interventions = {str(i.pk): i for i in interventions}
        _field(self, "assigned_to").choices = _choices(
            "Nobody yet: the discipline's list",
            [
                (k, f"{u.display_name} — {u.get_discipline_display()}")
                for k, u in self.people.items()
            ],
        )
        _field(self, "intervention").choices = _choices(
            "None", [(k, i.description) for k, i in self.interventions.items()]
        )


class TaskCompleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.CharField(
        label="What was done", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TaskCancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="Why it is no longer needed", max_length=300)


class TaskReassignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    assigned_to = forms.ChoiceField(label="Give to", required=False)

    def __init__(self, *args: Any, people: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(u.uuid): u for u in people}
        _field(self, "assigned_to").choices = _choices(
            "Back to the discipline's list",
            [
                (k, f"{u.display_name} — {u.get_discipline_display()}")
                for k, u in self.people.items()
            ],
        )
