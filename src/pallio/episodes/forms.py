"""Forms of the enrollment pages: discharge, a death, enrolling again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from pallio.episodes.death import DeathInput
from pallio.episodes.discharge import CHOSEN_REASONS
from pallio.episodes.models import DeathPlace

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
EXPECTED_CHOICES = [("", "Not known"), ("yes", "Yes, it was expected"), ("no", "No, unexpected")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason for discharge",
        choices=[("", "Choose a reason")] + [(r.value, r.label) for r in CHOSEN_REASONS],
    )
    on = forms.DateField(label="Date of discharge", widget=DateInput())
    note = forms.CharField(
        label="Note for the record and the referring clinician",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the reason is another one.",
    )


class DeathForm(forms.Form):
    died_at = forms.DateTimeField(
        label="Date and time of death", widget=DateTimeInput(), input_formats=TIME_FORMATS
    )
    place = forms.ChoiceField(
        label="Place of death", choices=[("", "Choose a place"), *DeathPlace.choices]
    )
    place_detail = forms.CharField(
        label="Where exactly",
        required=False,
        max_length=200,
        help_text="Required when the place is somewhere else.",
    )
    present = forms.CharField(label="Who was present", required=False, max_length=300)
    expected = forms.ChoiceField(
        label="Was the death expected?", choices=EXPECTED_CHOICES, required=False
    )

    def to_input(self) -> DeathInput:
        data = self.cleaned_data
        expected = {"yes": True, "no": False}.get(data.get("expected") or "")
        return DeathInput(
            died_at=data["died_at"],
            place=data["place"],
            place_detail=data.get("place_detail") or "",
            present=data.get("present") or "",
            expected=expected,
        )


class ReenrollForm(forms.Form):
    team = forms.MultipleChoiceField(
        label="Care team",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    lead = forms.ChoiceField(label="Team lead")
    first_visit_due = forms.DateField(label="First visit by", widget=DateInput())
    note = forms.CharField(
        label="Why the patient comes back",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(p.uuid): p for p in people}
        choices = [(key, f"{p.display_name} — {p.get_discipline_display()}") for key, p in
                   self.people.items()]  # fmt: skip
        team_field = self.fields["team"]
        lead_field = self.fields["lead"]
        assert isinstance(team_field, forms.MultipleChoiceField)
        assert isinstance(lead_field, forms.ChoiceField)
        team_field.choices = choices
        lead_field.choices = choices


# --- the care team (enrollment_views.care_team_*) ------------------------------------------
#
# The fields carry ids only; the views find the people and the services decide whether the
# change is allowed (who may join, the lead, a member added twice), with their own messages.


class CareTeamAddForm(forms.Form):
    user = forms.UUIDField(
        label="Staff member to add",
        error_messages={
            "required": "Choose who joins the team.",
            "invalid": "Choose who joins the team.",
        },
    )
    make_lead = forms.BooleanField(label="Make them the team's lead", required=False)

    def __init__(self, *args: Any, people: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer(people)

    def offer(self, people: Sequence[Any]) -> None:
        """The staff the list offers (the page's candidates, also when shown again)."""
        choices = [("", "Choose a staff member")] + [
            (str(p.uuid), f"{p.display_name} — {p.get_discipline_display()}") for p in people
        ]
        self.fields["user"].widget = forms.Select(choices=choices)


class CareTeamEndForm(forms.Form):
    new_lead = forms.UUIDField(
        label="New lead",
        required=False,
        error_messages={"invalid": "Choose the new lead among the team's members."},
    )

    def __init__(self, *args: Any, others: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose the new lead")] + [
            (str(m.pk), f"{m.user.display_name} — {m.get_discipline_display()}") for m in others
        ]
        self.fields["new_lead"].widget = forms.Select(choices=choices)


class CareTeamLeadForm(forms.Form):
    member = forms.UUIDField(
        label="New lead",
        error_messages={
            "required": "Choose the new lead among the team's members.",
            "invalid": "Choose the new lead among the team's members.",
        },
    )
