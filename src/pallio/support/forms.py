"""Forms of the 24/7 line: short, in the order the nurse asks, usable on a phone at night."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.support import services
from pallio.support.models import CallerKind, CallReason, DeathReport
from pallio.support.protocols import Protocol

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
ANSWERS = [("", "—"), ("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]
RESPONDENTS = [
    ("patient", "The patient"),
    ("caregiver", "A family caregiver"),
    ("professional_caregiver", "A professional caregiver"),
    ("with_help", "The patient, with help"),
]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


def _when(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeInput(),
        input_formats=TIME_FORMATS,
        help_text=help_text,
    )


class CallForm(forms.Form):
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    caller_kind = forms.ChoiceField(label="Who is calling", choices=CallerKind.choices)
    caller_name = forms.CharField(label="Caller's name", required=False, max_length=200)
    callback_number = forms.CharField(
        label="Number to call back",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    received_at = _when("Call came in")
    reason = forms.ChoiceField(label="Reason for the call", choices=CallReason.choices)
    story = forms.CharField(
        label="What the caller says",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def to_input(self) -> services.CallInput:
        data = self.cleaned_data
        return services.CallInput(
            caller_kind=data["caller_kind"],
            caller_name=data["caller_name"],
            callback_number=data["callback_number"],
            received_at=data["received_at"],
            reason=data["reason"],
            story=data["story"],
            patient_id=data.get("patient"),
        )


class TriageForm(forms.Form):
    """The protocol's questions, its red flags as tick boxes, and the ESAS items it asks."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    protocol = forms.SlugField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, protocol: Protocol, caller_kind: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.triage_protocol = protocol
        for question in protocol.questions:
            name = f"q_{question.id}"
            if question.kind == "yes_no":
                self.fields[name] = forms.ChoiceField(
                    label=question.text, choices=ANSWERS, required=False
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question.text, required=False, max_length=500
                )
        self.fields["red_flags"] = forms.MultipleChoiceField(
            label="Red flags present",
            required=False,
            choices=[(f.id, f"{f.text} — {f.recommends_text}") for f in protocol.red_flags],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        )
        for item in protocol.esas_items:
            self.fields[f"esas_{item}"] = forms.IntegerField(
                label=f"{_esas_label(item)} now (0 = none, 10 = worst possible)",
                required=False,
                min_value=0,
                max_value=10,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        if protocol.esas_items:
            self.fields["respondent"] = forms.ChoiceField(
                label="Who gave the scores",
                choices=RESPONDENTS,
                initial=services.RESPONDENT_OF_CALLER.get(CallerKind(caller_kind), "caregiver")
                if caller_kind in CallerKind.values
                else "caregiver",
            )

    @property
    def question_fields(self) -> list[Any]:
        return [self[f"q_{q.id}"] for q in self.triage_protocol.questions]

    @property
    def esas_fields(self) -> list[Any]:
        return [self[f"esas_{i}"] for i in self.triage_protocol.esas_items]

    def to_input(self) -> services.TriageInput:
        data = self.cleaned_data
        return services.TriageInput(
            protocol_key=self.triage_protocol.key,
            answers={q.id: data.get(f"q_{q.id}") or "" for q in self.triage_protocol.questions},
            red_flags=list(data.get("red_flags") or []),
            esas={i: data.get(f"esas_{i}") for i in self.triage_protocol.esas_items},
            respondent=data.get("respondent") or "",
        )


def _esas_label(item: str) -> str:
    from pallio.support.selectors import ESAS_LABELS

    return dict(ESAS_LABELS).get(item, item)


class CallbackForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    called_back_at = _when("Called back at", required=False, help_text="Leave empty for now.")


class DispositionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    disposition = forms.ChoiceField(label="Disposition")
    disposition_at = _when("Decided at", required=False, help_text="Leave empty for now.")
    note = forms.CharField(
        label="What was advised or arranged",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["disposition"]
        field.choices = [("", "Choose…"), *choices]


class DeathForm(forms.Form):
    died_at = _when("Time of death")
    place = forms.ChoiceField(label="Place of death", choices=DeathReport.Place.choices)
    present = forms.CharField(label="Who was present", required=False, max_length=300)
    needs = forms.MultipleChoiceField(
        label="What the family needs tonight",
        required=False,
        choices=list(services.DEATH_NEEDS.items()),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    funeral_home = forms.CharField(label="Funeral home", required=False, max_length=200)

    def to_input(self) -> services.DeathInput:
        data = self.cleaned_data
        return services.DeathInput(
            died_at=data["died_at"],
            place=data["place"],
            present=data["present"],
            needs=list(data["needs"]),
            funeral_home=data["funeral_home"],
        )


class ProtocolForm(forms.Form):
    content = forms.CharField(
        label="Protocol (JSON)",
        required=False,
        max_length=64_000,
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace", "spellcheck": "false"}),
    )
    upload = forms.FileField(label="Or upload a file", required=False)

    def raw(self) -> bytes:
        upload = self.cleaned_data.get("upload")
        if upload is not None:
            data: bytes = upload.read(64_001)
            return data
        return str(self.cleaned_data.get("content") or "").encode("utf-8")
