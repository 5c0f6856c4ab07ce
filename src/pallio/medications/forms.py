from __future__ import annotations

from django import forms

from pallio.medications import catalog


class DateInput(forms.DateInput):
    input_type = "date"


def catalog_choices() -> list[tuple[str, str]]:
    return [("", "Other (type the name)")] + [
        (e.key, e.display + (" (opioid)" if e.opioid else ""))
        for e in sorted(catalog.catalog().values(), key=lambda e: e.display)
    ]


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
    route = forms.CharField(label="Route", max_length=40, required=False)
    started_on = forms.DateField(label="Started", required=False, widget=DateInput)
    note = forms.CharField(label="Note", max_length=500, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["catalog_key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = catalog_choices()


class StopForm(forms.Form):
    statement = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    entered_in_error = forms.BooleanField(required=False, widget=forms.HiddenInput)
