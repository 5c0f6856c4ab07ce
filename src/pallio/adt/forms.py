from __future__ import annotations

from typing import Any

from django import forms


class MatchForm(forms.Form):
    patient = forms.ChoiceField(
        label="Patient",
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "Choose one of the patients listed."},
    )
    record_number = forms.CharField(
        label="Or the patient's record number",
        required=False,
        max_length=32,
        error_messages={"max_length": "A record number has at most 32 characters."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)

    def __init__(self, *args: Any, choices: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        patient_field: Any = self.fields["patient"]
        patient_field.choices = list(choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("patient") and not data.get("record_number"):
            raise forms.ValidationError("Choose a patient, or type their record number.")
        if data.get("patient") and data.get("record_number"):
            raise forms.ValidationError("Choose a patient or type a record number, not both.")
        return data


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Why is this message dismissed?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Say why the message is dismissed.",
            "max_length": "Keep the reason under 1,000 characters.",
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)
