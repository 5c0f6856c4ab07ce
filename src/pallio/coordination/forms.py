"""Forms of the coordination pages. They parse; the rules live in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.coordination.catalog import agency_kind_choices, item_choices
from pallio.coordination.models import OrderStatus
from pallio.core.params import QueryForm, TextParam


class DateInput(forms.DateInput):
    input_type = "date"


class DirectorySearchForm(QueryForm):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *agency_kind_choices()]
    )
    area = TextParam(label="Town or postal code served", max_length=100)
    name = TextParam(label="Name contains", max_length=100)
    inactive = forms.BooleanField(label="Include agencies no longer used", required=False)


class AgencyForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label="Kind", choices=agency_kind_choices())
    name = forms.CharField(label="Name", max_length=200)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    email = forms.CharField(
        label="Email", max_length=254, required=False, widget=forms.EmailInput()
    )
    address = forms.CharField(label="Address", max_length=300, required=False)
    areas = forms.CharField(
        label="Towns and postal codes served",
        max_length=1000,
        required=False,
        help_text="Separate them with commas, for example: Cambridge, Somerville, 02139.",
    )
    notes = forms.CharField(
        label="Notes", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    active = forms.BooleanField(label="In use", required=False, initial=True)


class OrderForm(forms.Form):
    item = forms.ChoiceField(label="What is ordered or referred to", choices=())
    agency = forms.ChoiceField(label="Agency or vendor", choices=())
    requested_on = forms.DateField(label="Requested on", widget=DateInput())
    needed_by = forms.DateField(label="Needed by", widget=DateInput(), required=False)
    notes = forms.CharField(
        label="Notes", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, agencies: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        item: Any = self.fields["item"]
        item.choices = [("", "Choose…"), *item_choices()]
        agency: Any = self.fields["agency"]
        agency.choices = [("", "Choose…")] + [
            (str(a.pk), f"{a.name} ({a.get_kind_display().lower()})") for a in agencies
        ]
        self._agencies = {str(a.pk): a for a in agencies}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = data.get("item") or ""
        kind, _, code = value.partition(":")
        data["kind"], data["item"] = kind, code
        data["agency"] = self._agencies.get(data.get("agency") or "")
        return data


STEPS = [
    (OrderStatus.ORDERED.value, "Ordered"),
    (OrderStatus.DONE.value, "Delivered or started"),
    (OrderStatus.DECLINED.value, "Declined"),
    (OrderStatus.CANCELLED.value, "Cancelled"),
]


class OrderStatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="What happened", choices=STEPS)
    occurred_on = forms.DateField(label="On", widget=DateInput())
    reason = forms.CharField(
        label="Reason (required when declined or cancelled)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
