"""Forms of the bereavement pages. They parse; the rules live in episodes/bereavement.py."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.episodes.bereavement import risk_screen
from pallio.episodes.models import BereavementContactKind, BereavementOutcome, BereavementService


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def _family_choices(family: list[Any]) -> list[tuple[str, str]]:
    return [("", "Choose…")] + [
        (str(person.pk), f"{person.name} ({person.get_relationship_display()})")
        for person in family
    ]


class FamilyForm(forms.Form):
    """A form about one of the patient's family members: the choice is among them only."""

    caregiver = forms.ChoiceField(label="Family member", choices=())

    def __init__(self, *args: Any, family: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.family = {str(person.pk): person for person in family}
        field = self.fields["caregiver"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _family_choices(family)
        field.error_messages["invalid_choice"] = "Choose a family member of this patient."

    def clean_caregiver(self) -> Any:
        return self.family[self.cleaned_data["caregiver"]]


class ContactForm(FamilyForm):
    done_on = forms.DateField(
        label="Date of the contact", widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    kind = forms.ChoiceField(label="How", choices=BereavementContactKind.choices)
    outcome = forms.ChoiceField(label="Outcome", choices=BereavementOutcome.choices)
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReferralForm(FamilyForm):
    service = forms.ChoiceField(label="Referred to", choices=BereavementService.choices)
    referred_to = forms.CharField(
        label="Service or group (where to)",
        max_length=200,
        help_text="The counsellor, service or group, e.g. the hospice's Tuesday group.",
    )
    referred_on = forms.DateField(
        label="Date of the referral", widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ScreenForm(forms.Form):
    """The program's own grief risk screen: one yes/no box per question of its data file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in risk_screen().items:
            self.fields[item.key] = forms.BooleanField(label=item.text, required=False)
