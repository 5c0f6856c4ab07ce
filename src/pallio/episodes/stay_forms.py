"""Forms of the hospital-stay pages (and the stay section of the advance care planning page)."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.episodes.models import StayDisposition, StayKind

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


def _moment(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=DateTimeInput(),
        input_formats=TIME_FORMATS,
        required=required,
        help_text=help_text,
    )


def _disposition(required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Where the person went",
        choices=[("", "Not yet known" if not required else "Choose"), *StayDisposition.choices],
        required=required,
    )


class StayForm(forms.Form):
    """A stay as staff record it: the admission and, when it is over, the discharge."""

    kind = forms.ChoiceField(label="Kind of stay", choices=StayKind.choices)
    facility = forms.CharField(label="Hospital", max_length=200)
    unit = forms.CharField(label="Unit or ward", max_length=100, required=False)
    icu = forms.BooleanField(label="In intensive care (ICU)", required=False)
    admitted_at = _moment("Arrived or admitted")
    reason = forms.CharField(label="Reason", max_length=300, required=False)
    informant = forms.CharField(label="Who told the team", max_length=200, required=False)
    discharged_at = _moment(
        "Left hospital", required=False, help_text="Leave empty while the person is there."
    )
    disposition = _disposition(required=False)


class TransferForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    unit = forms.CharField(label="New unit or ward", max_length=100, required=False)
    icu = forms.BooleanField(label="Intensive care (ICU)", required=False)
    at = _moment("Moved at")


class DischargeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    discharged_at = _moment("Left hospital")
    disposition = _disposition(required=True)


class CorrectionForm(forms.Form):
    """Put right what was recorded wrongly: a typo in the hospital's name, a wrong time."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label="Kind of stay", choices=StayKind.choices)
    facility = forms.CharField(label="Hospital", max_length=200)
    unit = forms.CharField(
        label="Unit or ward",
        max_length=100,
        required=False,
        help_text="Corrects the name of the current (or last) unit. A move to another unit, "
        "or into or out of intensive care, is recorded with \u201cRecord a move\u201d.",
    )
    admitted_at = _moment("Arrived or admitted")
    discharged_at = _moment("Left hospital")
    reason = forms.CharField(label="Reason", max_length=300, required=False)

    def __init__(self, *args: Any, discharged: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not discharged:
            # A stay still going on is ended with "Record the discharge", not here.
            del self.fields["discharged_at"]


class TreatmentsForm(forms.Form):
    """What was done in hospital that the person's wishes speak to."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    intubated = forms.BooleanField(label="Intubated (breathing machine)", required=False)
    cpr_performed = forms.BooleanField(label="Had CPR", required=False)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(label="Why is this wrong?", max_length=300)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="What the team talked about and concluded",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
