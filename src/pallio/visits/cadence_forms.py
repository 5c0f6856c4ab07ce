"""Forms for visit cadences and external appointments. They parse; the rules live in
services/cadence.py."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.core import params
from pallio.core.codes import Discipline
from pallio.visits.cadence_models import AppointmentKind, Frequency
from pallio.visits.forms import DATETIME_FORMATS, DateTimeInput
from pallio.visits.services.cadence import CADENCE_DISCIPLINES

DISCIPLINE_CHOICES = [(d, Discipline(d).label) for d in CADENCE_DISCIPLINES]


class CadenceForm(forms.Form):
    discipline = forms.ChoiceField(
        label="Discipline", choices=[("", "Choose..."), *DISCIPLINE_CHOICES]
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Frequency.choices,
        help_text="The next visit is due this long after the discipline's last visit.",
    )


class AppointmentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of appointment", choices=AppointmentKind.choices)
    place = forms.ChoiceField(label="Site", required=False)
    site = forms.CharField(
        label="Or another site",
        max_length=200,
        required=False,
        help_text="When the site is not one of the program's.",
    )
    starts_at = forms.DateTimeField(
        label="Starts", widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    description = forms.CharField(
        label="What it is", max_length=300, required=False, help_text="For example: cycle 3."
    )

    def __init__(self, *args: Any, places: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.places = {str(p.pk): p for p in places}
        self.fields["place"].choices = [  # type: ignore[attr-defined]
            ("", "Another site (name it below)"),
            *(
                (key, f"{p.name} ({p.get_setting_display().lower()})")
                for key, p in self.places.items()
            ),
        ]

    def place_obj(self) -> Any:
        return self.places.get(self.cleaned_data.get("place") or "")


class AppointmentCancelForm(forms.Form):
    appointment = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why is the appointment cancelled?", max_length=300)


class OverdueQuery(params.QueryForm):
    discipline = params.ChoiceParam(choices=[("", "Every discipline"), *DISCIPLINE_CHOICES])
    mine = params.ChoiceParam(choices=[("", "Every patient"), ("1", "My patients")])
    page = params.PageParam()
