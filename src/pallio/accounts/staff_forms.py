"""Forms of the program administrator's staff pages and of the invitation link."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms

from pallio.accounts.models import Role, TrainingLevel, User
from pallio.core.codes import Discipline


def supervisor_choices(program_id: Any, exclude: User | None = None) -> list[tuple[str, str]]:
    from pallio.core.access import CLINICAL_ROLES

    people = User.objects.filter(
        program_id=program_id, is_active=True, training_level="", role__in=CLINICAL_ROLES
    )
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return [("", "No supervisor")] + [(str(u.uuid), u.display_name) for u in people]


class SupervisorMixin:
    fields: dict[str, Any]

    def set_supervisors(self, program_id: Any, exclude: User | None = None) -> None:
        self.fields["supervisor"].choices = supervisor_choices(program_id, exclude)

    def supervisor_in(self, program_id: Any) -> User | None:
        value = self.cleaned_data.get("supervisor")  # type: ignore[attr-defined]
        if not value:
            return None
        return User.objects.filter(uuid=value, program_id=program_id).first()


class StaffChangeForm(SupervisorMixin, forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    discipline = forms.ChoiceField(choices=Discipline.choices)
    training_level = forms.ChoiceField(
        choices=TrainingLevel.choices, required=False, label="Trainee status"
    )
    supervisor = forms.ChoiceField(
        required=False,
        help_text="A trainee's notes wait for this person's co-signature.",
    )


class InviteForm(SupervisorMixin, forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254, label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CLINICIAN)
    discipline = forms.ChoiceField(choices=Discipline.choices, initial=Discipline.NURSE)
    training_level = forms.ChoiceField(
        choices=TrainingLevel.choices, required=False, label="Trainee status"
    )
    supervisor = forms.ChoiceField(
        required=False, help_text="Only for a trainee: who co-signs their notes."
    )


class ResetRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the second factor must be reset",
        help_text="For example: lost or replaced phone. Another administrator approves.",
    )


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. You sign in with it.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        help_text="At least 12 characters; a few unrelated words make a good one.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ. Type the same one twice.")
        return data


class ProgramCreateForm(forms.Form):
    name = forms.CharField(max_length=200, label="Program name")
    slug = forms.SlugField(
        max_length=60,
        label="Short name for addresses",
        help_text="Lower-case letters, digits and hyphens, e.g. lakeside-palliative. It "
        "appears in the public referral form's address.",
    )
    timezone = forms.CharField(
        max_length=64,
        label="Time zone",
        initial="America/New_York",
        help_text="A time zone name such as America/New_York, America/Chicago or Europe/London.",
    )
    admin_first_name = forms.CharField(max_length=150, label="Administrator's first name")
    admin_last_name = forms.CharField(max_length=150, label="Administrator's last name")
    admin_email = forms.EmailField(max_length=254, label="Administrator's email address")

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError(
                f"There is no time zone called “{value}”. Use a name from the time zone "
                "database, such as America/New_York or Europe/London."
            )
        return value
