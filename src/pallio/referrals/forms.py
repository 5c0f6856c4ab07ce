"""Referral forms: the provider form, the simpler self/family form, and phone entry.

Forms parse and show errors; every rule lives in referrals.services.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django import forms

from pallio.accounts.models import User
from pallio.core.codes import SYSTEM_LABELS, diagnosis_catalog
from pallio.patients.models import AdministrativeSex, AuthorizationStatus, PayerType, Residence
from pallio.referrals.models import DeclineReason, Reason, Setting, Urgency
from pallio.referrals.services import ReferralInput

DIAGNOSIS_PATTERN = re.compile(r"^\s*(ICD-10-CM|SNOMED CT)\s+([A-Z0-9.]{1,20})\b", re.I)
LABEL_TO_SYSTEM = {label.casefold(): system for system, label in SYSTEM_LABELS.items()}


def diagnosis_option(system: str, code: str, display: str) -> str:
    return f"{SYSTEM_LABELS[system]} {code} · {display}"


def diagnosis_options() -> list[str]:
    return [diagnosis_option(d.system, d.code, d.display) for d in diagnosis_catalog()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files (a plain FileField refuses the list)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        clean_one = super().clean
        if isinstance(data, (list, tuple)):
            return [clean_one(item, initial) for item in data]
        return [clean_one(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"


class HoneypotField(forms.CharField):
    """A field people never see (hidden by CSS and from assistive technology); bots fill it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Leave this field empty")
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"})
        )
        super().__init__(**kwargs)


class BaseReferralForm(forms.Form):
    submission_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    given_name = forms.CharField(label="Patient's first name", max_length=100)
    family_name = forms.CharField(label="Patient's last name", max_length=100)
    birth_date = forms.DateField(label="Date of birth", widget=DateInput)
    sex = forms.ChoiceField(
        label="Sex", choices=AdministrativeSex.choices, initial=AdministrativeSex.UNKNOWN
    )
    phone = forms.CharField(label="Patient's phone", max_length=32, required=False)
    email = forms.EmailField(label="Patient's email", required=False)
    address_line = forms.CharField(label="Street address", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=40, required=False)
    postal_code = forms.CharField(label="ZIP code", max_length=16, required=False)
    residence = forms.ChoiceField(
        label="Lives in", choices=Residence.choices, initial=Residence.HOME
    )
    diagnosis = forms.CharField(
        label="Main diagnosis",
        max_length=400,
        help_text="Start typing the name or the code, then choose from the list.",
        widget=forms.TextInput(attrs={"list": "diagnosis-options", "autocomplete": "off"}),
    )
    diagnosis_date = forms.DateField(label="Date of diagnosis", required=False, widget=DateInput)
    advanced_illness = forms.BooleanField(
        label="The illness is advanced or metastatic", required=False
    )
    reasons = forms.MultipleChoiceField(
        label="Reasons for referral",
        choices=Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.ROUTINE)
    preferred_setting = forms.ChoiceField(
        label="Preferred setting", choices=Setting.choices, initial=Setting.NO_PREFERENCE
    )
    clinical_summary = forms.CharField(
        label="What should the team know?",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    medications = forms.CharField(
        label="Current medications (one per line, with dose, route and how often)",
        required=False,
        max_length=6200,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    payer_type = forms.ChoiceField(
        label="Insurance", choices=[("", "Unknown"), *PayerType.choices], required=False
    )
    payer_name = forms.CharField(label="Insurer or plan name", max_length=120, required=False)
    member_id = forms.CharField(label="Member id", max_length=60, required=False)
    consent_to_contact = forms.BooleanField(
        label="The patient (or their representative) agrees to be contacted by the program",
        required=False,
    )
    website = HoneypotField()

    source_field_map: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", secrets.token_urlsafe(24))

    def clean_diagnosis(self) -> tuple[str, str]:
        value = self.cleaned_data["diagnosis"]
        match = DIAGNOSIS_PATTERN.match(value)
        if not match:
            raise forms.ValidationError("Choose the diagnosis from the list.")
        system = LABEL_TO_SYSTEM[match.group(1).casefold()]
        return system, match.group(2).upper()

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def to_input(self) -> ReferralInput:
        data = self.cleaned_data
        system, code = data["diagnosis"]
        return ReferralInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            address_line=data.get("address_line", ""),
            city=data.get("city", ""),
            state=data.get("state", ""),
            postal_code=data.get("postal_code", ""),
            residence=data["residence"],
            diagnosis_system=system,
            diagnosis_code=code,
            diagnosis_date=data.get("diagnosis_date"),
            advanced_illness=data.get("advanced_illness", False),
            reasons=list(data.get("reasons", [])),
            urgency=data.get("urgency", Urgency.ROUTINE),
            preferred_setting=data.get("preferred_setting", Setting.NO_PREFERENCE),
            clinical_summary=data.get("clinical_summary", ""),
            payer_type=data.get("payer_type", ""),
            payer_name=data.get("payer_name", ""),
            member_id=data.get("member_id", ""),
            referrer_name=data.get("referrer_name", ""),
            referrer_organization=data.get("referrer_organization", ""),
            referrer_email=data.get("referrer_email", ""),
            referrer_phone=data.get("referrer_phone", ""),
            referrer_relationship=data.get("referrer_relationship", ""),
            consent_to_contact=data.get("consent_to_contact", False),
            medications=data.get("medications", "").splitlines(),
        )


class ProviderReferralForm(BaseReferralForm):
    referrer_type = forms.ChoiceField(
        label="You are referring as",
        choices=[("provider", "A clinician or practice"), ("health_plan", "A health plan")],
    )
    referrer_name = forms.CharField(label="Your name", max_length=200)
    referrer_organization = forms.CharField(
        label="Practice, hospital or plan", max_length=200, required=False
    )
    referrer_email = forms.EmailField(label="Your email (for our reply)", required=False)
    referrer_phone = forms.CharField(label="Your phone", max_length=32, required=False)
    attachments = MultipleFileField(
        label="Notes or letters (PDF, PNG or JPEG, up to 10 MB each)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def clean_attachments(self) -> None:
        # The files are read from request.FILES by the view and checked by the service.
        return None


class SelfReferralForm(BaseReferralForm):
    """The simpler form for a patient or a family member."""

    referrer_type = forms.ChoiceField(
        label="Who is filling in this form?",
        choices=[("self", "I am the patient"), ("family", "I am a family member or friend")],
    )
    referrer_name = forms.CharField(
        label="Your name (if you are not the patient)", max_length=200, required=False
    )
    referrer_relationship = forms.CharField(
        label="Your relationship to the patient", max_length=60, required=False
    )
    referrer_email = forms.EmailField(label="Your email", required=False)
    referrer_phone = forms.CharField(label="Your phone", max_length=32, required=False)

    field_order = [
        "referrer_type",
        "given_name",
        "family_name",
        "birth_date",
        "phone",
        "email",
        "diagnosis",
        "reasons",
        "clinical_summary",
    ]


class PhoneReferralForm(BaseReferralForm):
    """A referral taken by phone by a staff member."""

    referrer_name = forms.CharField(label="Caller / referrer name", max_length=200, required=False)
    referrer_organization = forms.CharField(
        label="Caller's organization", max_length=200, required=False
    )
    referrer_relationship = forms.CharField(
        label="Caller's relationship to the patient", max_length=60, required=False
    )
    referrer_email = forms.EmailField(label="Referrer email", required=False)
    referrer_phone = forms.CharField(label="Referrer phone", max_length=32, required=False)
    attachments = MultipleFileField(
        label="Letters or notes sent with the referral (PDF, PNG or JPEG, up to 10 MB each)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def clean_attachments(self) -> None:
        # The files are read from request.FILES by the view and checked by the service.
        return None


class InsuranceForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    payer_type = forms.ChoiceField(
        label="Payer type", choices=[("", "Choose the payer"), *PayerType.choices]
    )
    payer_name = forms.CharField(max_length=120, required=False)
    member_id = forms.CharField(max_length=60, required=False)
    authorization = forms.ChoiceField(
        label="Prior authorization", choices=AuthorizationStatus.choices
    )
    authorization_number = forms.CharField(max_length=60, required=False)


class DeclineForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(choices=DeclineReason.choices)
    note = forms.CharField(
        label="Note to the referrer",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RedirectForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.CharField(label="Agency", max_length=200)
    note = forms.CharField(
        label="Note to the referrer",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HoldForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    information_requested = forms.CharField(
        label="Information needed from the referrer",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this record now?",
        max_length=1000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your access is recorded, lasts a limited time, and the patient's team is told.",
    )


def staff_label(user: Any) -> str:
    return f"{user.display_name} ({user.get_discipline_display()})"


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return staff_label(obj)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return staff_label(obj)


def _by_discipline(staff: Any) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for user in staff:
        groups.setdefault(user.get_discipline_display(), []).append(user)
    return sorted(groups.items())


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    team = StaffMultipleChoiceField(
        label="Care team",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose the clinicians who will care for this patient.",
    )
    lead = StaffChoiceField(
        label="Lead (gets the first-contact task)", queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        lead_field = self.fields["lead"]
        assert isinstance(team_field, forms.ModelMultipleChoiceField)
        assert isinstance(lead_field, forms.ModelChoiceField)
        team_field.queryset = staff
        lead_field.queryset = staff
        # The lead is chosen from the same staff, grouped by discipline like the team.
        lead_field.choices = [
            ("", "---------"),
            *[
                (discipline, [(u.pk, staff_label(u)) for u in people])
                for discipline, people in _by_discipline(staff)
            ],
        ]

    def team_groups(self) -> list[tuple[str, list[Any]]]:
        """The team's checkboxes by discipline ("Nurse navigator", [...]), for a fieldset
        each: the staff are the episodes services' care-team candidates, so no one the
        care-team rules refuse (administrators, the privacy officer) is offered."""
        groups: dict[str, list[Any]] = {}
        for box in self["team"]:
            user = box.data["value"].instance
            groups.setdefault(user.get_discipline_display(), []).append(box)
        return sorted(groups.items())

    # Whether the lead is on the team is the episodes services' rule (care_team_check): the
    # view shows its refusal under the lead.


class SkipMedicationForm(forms.Form):
    reason = forms.CharField(
        label="Why is it not going on the medication list?",
        help_text="For example: stopped last week, never started, a duplicate of another entry.",
        max_length=300,
    )
