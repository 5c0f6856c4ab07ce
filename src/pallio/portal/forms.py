"""Forms of the portal's invitation, its people page and the team's portal page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pallio.portal.models import PortalScope

PATIENT_CHOICE = "patient"

# What each scope lets a caregiver do, in the patient's words (portal pages).
SCOPE_LABELS = {
    PortalScope.DIARY: _("Symptom diary"),
    PortalScope.VISITS: _("Visits"),
    PortalScope.MEDICATIONS: _("Medications"),
    PortalScope.MESSAGES: _("Messages with the team"),
    PortalScope.DOCUMENTS: _("Documents and visit summaries"),
}


def scope_choices() -> list[tuple[str, Any]]:
    return [(str(value), label) for value, label in SCOPE_LABELS.items()]


class PortalInviteForm(forms.Form):
    """The team invites the patient or a family member recorded on the chart."""

    who = forms.ChoiceField(label="Who is invited")
    email = forms.EmailField(label="Their email address", max_length=254)
    scopes = forms.MultipleChoiceField(
        label="What a family member may see (the patient sees everything)",
        choices=[(str(s.value), s.label) for s in PortalScope],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    language = forms.ChoiceField(
        label="Language of the email", choices=[("en", "English"), ("es", "Spanish")]
    )

    def __init__(self, *args: Any, patient: Any, agents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agents = {str(a.pk): a for a in agents}
        name = patient.preferred_name or patient.given_name
        who: Any = self.fields["who"]
        who.choices = [(PATIENT_CHOICE, f"{name} (the patient)")] + [
            (str(a.pk), f"{a.name} ({a.get_relationship_display().lower()})") for a in agents
        ]

    def person(self) -> Any:
        who = self.cleaned_data["who"]
        return None if who == PATIENT_CHOICE else self.agents[who]


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label="Reason for suspending",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for suspending this access."},
    )


class AcceptForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. You sign in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        help_text=_("At least 12 characters; a few unrelated words make a good one."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ. Type the same one twice."))
        return data


class ScopesForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("What they can see"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
