from __future__ import annotations

from django import forms

from pallio.medications import catalog
from pallio.medications.models import Allergy


class DateInput(forms.DateInput):
    input_type = "date"


def catalog_choices() -> list[tuple[str, str]]:
    return [("", "Other (type the name)")] + [
        (e.key, e.display + (" (opioid)" if e.opioid else ""))
        for e in sorted(catalog.catalog().values(), key=lambda e: e.display)
    ]


def route_choices() -> list[tuple[str, str]]:
    return [("", "Choose the route")] + [(r.key, r.display) for r in catalog.routes().values()]


CONFIRM_FIELDS = ("confirm_high_dose", "confirm_high_dose_reason")


class MedicationForm(forms.Form):
    catalog_key = forms.ChoiceField(label="Medication", required=False)
    free_text = forms.CharField(label="Other medication name", max_length=200, required=False)
    dose_amount = forms.DecimalField(
        label="Dose each time (as prescribed; fentanyl patch in mcg/hr)",
        required=False,
        max_digits=9,
        decimal_places=3,
    )
    doses_per_day = forms.DecimalField(
        label="Doses per day", required=False, max_digits=5, decimal_places=2
    )
    as_needed = forms.BooleanField(label="As needed (PRN)", required=False)
    route = forms.ChoiceField(label="Route", required=False)
    started_on = forms.DateField(label="Started", required=False, widget=DateInput)
    note = forms.CharField(label="Note", max_length=500, required=False)
    # Shown when the dose is above the plausible maximum (dose_limits.json).
    confirm_high_dose = forms.BooleanField(label="I confirm this dose is intended", required=False)
    confirm_high_dose_reason = forms.CharField(
        label="Reason for the high dose",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, choices in (("catalog_key", catalog_choices()), ("route", route_choices())):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
        self.show_confirm = bool(
            self.is_bound
            and (self.data.get("confirm_high_dose") or self.data.get("confirm_high_dose_reason"))
        )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        ticked = data.get("confirm_high_dose")
        reason = str(data.get("confirm_high_dose_reason") or "").strip()
        if ticked and not reason:
            self.add_error("confirm_high_dose_reason", "Give the reason for the high dose.")
        if reason and not ticked:
            self.add_error("confirm_high_dose", "Tick the box to confirm the dose is intended.")
        return data

    @property
    def medication_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in CONFIRM_FIELDS]

    @property
    def confirm_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CONFIRM_FIELDS]

    def medication_input(self) -> dict[str, object]:
        return {k: v for k, v in self.cleaned_data.items() if k not in CONFIRM_FIELDS}

    def high_dose_reason(self) -> str:
        if not self.cleaned_data.get("confirm_high_dose"):
            return ""
        return str(self.cleaned_data.get("confirm_high_dose_reason") or "").strip()


class StopForm(forms.Form):
    statement = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    entered_in_error = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    statement = forms.UUIDField()
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Note (optional)",
        error_messages={"max_length": "Keep the note under 500 characters."},
    )


class AllergyForm(forms.Form):
    substance = forms.CharField(
        max_length=200,
        label="Allergic to",
        help_text="A medicine, food or other substance, e.g. penicillin, latex, peanuts.",
        error_messages={
            "required": "Say what the patient is allergic to.",
            "max_length": "Keep this under 200 characters.",
        },
    )
    category = forms.ChoiceField(
        choices=[("", "Not known"), *Allergy.Category.choices],
        required=False,
        label="Kind",
    )
    criticality = forms.ChoiceField(
        choices=[("", "Not known"), *Allergy.Criticality.choices],
        required=False,
        label="Risk",
    )
    reaction = forms.CharField(
        max_length=300,
        required=False,
        label="Reaction (optional)",
        help_text="What happens, e.g. hives, swelling of the throat, nausea.",
        error_messages={"max_length": "Keep this under 300 characters."},
    )


class AllergyEndForm(forms.Form):
    allergy = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=[
            (Allergy.Status.RESOLVED.value, "No longer applies"),
            (Allergy.Status.ENTERED_IN_ERROR.value, "Entered in error"),
        ],
        label="Why it comes off the list",
        error_messages={"required": "Choose no longer applies or entered in error."},
    )
    reason = forms.CharField(
        max_length=500,
        label="Reason",
        error_messages={
            "required": "Say why.",
            "max_length": "Keep this under 500 characters.",
        },
    )
