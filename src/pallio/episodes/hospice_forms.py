"""Forms of the hospice pages. They parse; the rules live in episodes/hospice.py."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.episodes.models import HospiceReferralStatus


class DateInput(forms.DateInput):
    input_type = "date"


class HospiceReferralForm(forms.Form):
    agency_name = forms.CharField(
        label="Hospice agency",
        max_length=200,
        help_text="The agency's name as the team knows it.",
    )
    agency_phone = forms.CharField(label="Agency phone", max_length=40, required=False)
    agency_email = forms.CharField(
        label="Agency email for the hand-off package",
        max_length=254,
        required=False,
        help_text="The package (PDF and FHIR bundle) is emailed here. Leave empty to hand it "
        "over another way: it can be downloaded below once sent.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    referred_on = forms.DateField(label="Referred on", widget=DateInput())
    note = forms.CharField(
        label="Note for the hospice",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


ANSWERS = [
    (HospiceReferralStatus.ACCEPTED.value, "Accepted"),
    (HospiceReferralStatus.ADMITTED.value, "Admitted (discharges the patient to hospice)"),
    (HospiceReferralStatus.DECLINED.value, "Declined"),
]


class HospiceStatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="What the hospice answered", choices=ANSWERS)
    occurred_on = forms.DateField(label="On", widget=DateInput())
    reason = forms.CharField(
        label="Reason (required when declined)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, referral: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if referral is not None:
            allowed = set(referral.next_statuses)
            field: Any = self.fields["status"]
            field.choices = [(k, v) for k, v in ANSWERS if k in allowed]
