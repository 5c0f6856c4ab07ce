"""Forms for places and scheduled visits. They parse; the rules live in
services/scheduling.py."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.visits.forms import DATETIME_FORMATS, DateTimeInput
from pallio.visits.models import HOME_SETTINGS, Priority, Setting, VisitKind

HOME_CHOICES = [(s.value, s.label) for s in Setting if s in HOME_SETTINGS]


class BookForm(forms.Form):
    clinician = forms.ChoiceField(label="Clinician")
    setting = forms.ChoiceField(
        label="Where (setting)", choices=[("", "Choose..."), *Setting.choices]
    )
    place = forms.ChoiceField(
        label="Place",
        required=False,
        help_text="Not needed for a video visit. Add the patient's home first if it is missing.",
    )
    room = forms.CharField(label="Room (inpatient visits)", max_length=40, required=False)
    kind = forms.ChoiceField(label="Kind of visit", choices=VisitKind.choices)
    priority = forms.ChoiceField(
        label="Priority",
        choices=Priority.choices,
        help_text="As triage set it; urgent visits come first on every list.",
    )
    starts_at = forms.DateTimeField(
        label="Starts", widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    note = forms.CharField(label="Note for the team", max_length=300, required=False)

    def __init__(self, *args: Any, clinicians: list[Any], places: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.clinicians = {str(c.uuid): c for c in clinicians}
        self.places = {str(p.pk): p for p in places}
        self.fields["clinician"].choices = [  # type: ignore[attr-defined]
            ("", "Choose..."),
            *(
                (key, f"{c.display_name} ({c.get_discipline_display().lower()})")
                for key, c in self.clinicians.items()
            ),
        ]
        self.fields["place"].choices = [  # type: ignore[attr-defined]
            ("", "None (video visit)"),
            *(
                (key, f"{p.name} ({p.get_setting_display().lower()})")
                for key, p in self.places.items()
            ),
        ]

    def clinician_obj(self) -> Any:
        return self.clinicians.get(self.cleaned_data["clinician"])

    def place_obj(self) -> Any:
        return self.places.get(self.cleaned_data.get("place") or "")


class PlaceForm(forms.Form):
    setting = forms.ChoiceField(label="Kind of home", choices=HOME_CHOICES)
    name = forms.CharField(
        label="Name", max_length=120, help_text="For example: Home, or Maple Grove Nursing Home."
    )
    line = forms.CharField(label="Street address", max_length=200)
    city = forms.CharField(label="Town or city", max_length=100)
    postal_code = forms.CharField(label="ZIP code", max_length=20, required=False)
    latitude = forms.CharField(
        label="Latitude",
        max_length=20,
        required=False,
        help_text="Leave empty to look the address up in the program's gazetteer.",
    )
    longitude = forms.CharField(label="Longitude", max_length=20, required=False)
    access_notes = forms.CharField(
        label="Access notes (door code, pets, parking)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown only to the clinician booked on a visit here.",
    )


class RescheduleForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    starts_at = forms.DateTimeField(
        label="New start", widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label="New end", widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )


class CancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="Why is the visit cancelled?", max_length=300)
