"""Forms of the team meeting pages. They parse; the rules live in careplans/idt.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from pallio.careplans.models import MINUTES_LIMIT, IdtDecision
from pallio.core.codes import Discipline


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


class StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_discipline_display()})"


def _staff(program_id: Any) -> Any:
    return (
        get_user_model()
        .objects.filter(program_id=program_id, is_active=True)
        .exclude(role="privacy_officer")
        .order_by("last_name", "first_name")
    )


class VersionForm(forms.Form):
    """A change that carries only the version of the page it was made from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MeetingCreateForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="Date and time of the meeting",
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class AttendanceForm(VersionForm):
    members = StaffChoices(
        label="Team members present",
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = StaffChoices(
        label="Others who joined",
        queryset=get_user_model().objects.none(),
        required=False,
        help_text="Staff of the program who are not members of the team.",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(self, *args: Any, team: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = team.members.all().order_by("last_name", "first_name")
        self.fields["members"].queryset = members  # type: ignore[attr-defined]
        self.fields["others"].queryset = _staff(team.program_id).exclude(  # type: ignore[attr-defined]
            pk__in=[m.pk for m in members]
        )

    def present(self) -> list[Any]:
        return [*self.cleaned_data["members"], *self.cleaned_data["others"]]


class DiscussionForm(VersionForm):
    discussion = forms.CharField(
        label="Discussion notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    discussed = forms.BooleanField(label="Mark this patient discussed", required=False)


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label="The decision becomes", choices=IdtDecision.Kind.choices)
    text = forms.CharField(
        label="Decision",
        max_length=500,
        help_text="For a task: what to do. For a goal: its measurable target.",
    )
    owner = forms.ChoiceField(label="Task for", required=False)
    due = forms.DateField(label="Task due on", required=False, widget=DateInput())
    discipline = forms.ChoiceField(
        label="Intervention owned by",
        choices=[("", "Choose a discipline"), *Discipline.choices],
        required=False,
    )
    patient_words = forms.CharField(
        label="Goal in the patient's words", max_length=1000, required=False
    )
    review_date = forms.DateField(label="Goal review date", required=False, widget=DateInput())

    def __init__(
        self,
        *args: Any,
        staff: list[Any],
        owner_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """`staff`: the program's staff, read once for every item's form on the page;
        `owner_choices`: their labels (owner_choices_of), also made once per page."""
        super().__init__(*args, **kwargs)
        self._staff = {str(user.pk): user for user in staff}
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", "Choose who will do it"),
            *(owner_choices if owner_choices is not None else owner_choices_of(staff)),
        ]

    def clean_owner(self) -> Any:
        value = self.cleaned_data.get("owner")
        return self._staff.get(str(value)) if value else None


def owner_choices_of(staff: list[Any]) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{u.display_name} ({u.get_discipline_display()})") for u in staff]


def staff_of(program_id: Any) -> list[Any]:
    return list(_staff(program_id))


class MinutesForm(VersionForm):
    minutes = forms.CharField(
        label="Minutes",
        max_length=MINUTES_LIMIT,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Generated from the meeting's record; edit it before signing.",
    )


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=120)
    weekday = forms.TypedChoiceField(
        label="Meets every",
        coerce=int,
        choices=list(
            enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        ),
        initial=2,
    )
    at = forms.TimeField(
        label="At (local time)",
        initial="13:00",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    members = StaffChoices(
        label="Members",
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The agenda lists the patients whose care team includes one of them.",
    )

    def __init__(self, *args: Any, program_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _staff(program_id)  # type: ignore[attr-defined]
