"""Forms built from the instrument's own Questionnaire, and the small forms around them."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.assessments.domains import DOMAIN_FINDINGS
from pallio.assessments.instruments import InstrumentSpec
from pallio.assessments.models import Channel, Domain, Phase, Respondent
from pallio.episodes.models import ReportingCadence


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


def _range_help(item: Any) -> str:
    """The published words at each end of the scale when the instrument has them
    ("0 = No pain, 10 = Worst possible pain"), else the range."""
    if item.anchor_low and item.anchor_high:
        return f"{item.minimum:g} = {item.anchor_low}, {item.maximum:g} = {item.anchor_high}"
    return f"{item.minimum:g} to {item.maximum:g}"


# A whole-number item with at most this many steps is answered on a tapped scale (ESAS-r 0-10).
SCALE_MAX_STEPS = 10


class ScaleInput(forms.RadioSelect):
    """A 0-10 item as a row of numbered buttons. They are native radio buttons, so the arrow
    keys move along the scale, and none is chosen until someone chooses (no default answer).
    The field stays an IntegerField: what is in range is still the service's to decide."""

    def __init__(self, item: Any) -> None:
        low, high = int(item.minimum), int(item.maximum)
        super().__init__(
            attrs={"class": "btn-check"},
            choices=[(str(v), str(v)) for v in range(low, high + 1)],
        )
        self.anchor_low = f"{low} = {item.anchor_low}" if item.anchor_low else str(low)
        self.anchor_high = f"{high} = {item.anchor_high}" if item.anchor_high else str(high)


def _is_scale(item: Any) -> bool:
    if item.minimum is None or item.maximum is None:
        return False
    whole = float(item.minimum).is_integer() and float(item.maximum).is_integer()
    return whole and 0 < item.maximum - item.minimum <= SCALE_MAX_STEPS


def _answer_field(item: Any) -> forms.Field:
    label = item.text
    if item.type == "integer" and _is_scale(item):
        return forms.IntegerField(
            label=label, required=False, widget=ScaleInput(item), help_text=_range_help(item)
        )
    if item.type == "integer":
        return forms.IntegerField(
            label=label,
            required=False,
            widget=forms.NumberInput(
                attrs={"min": f"{item.minimum:g}", "max": f"{item.maximum:g}", "step": "1"}
            ),
            help_text=_range_help(item),
        )
    if item.type == "decimal":
        return forms.FloatField(
            label=label,
            required=False,
            help_text=_range_help(item),
        )
    if item.type == "choice":
        choices = [(o.code, o.display) for o in item.options]
        if item.repeats:
            return forms.MultipleChoiceField(
                label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
            )
        return forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=False)
    if item.type == "boolean":
        return forms.NullBooleanField(label=label, required=False)
    widget = forms.Textarea(attrs={"rows": 2}) if item.type == "text" else forms.TextInput()
    return forms.CharField(label=label, required=False, max_length=2000, widget=widget)


class SymptomReportForm(forms.Form):
    """Answers go to the service unchecked by the form beyond their types: the instrument
    decides what is required and what is in range, so the page and the API refuse the same
    things with the same words."""

    respondent = forms.ChoiceField(label="Who answered", choices=Respondent.choices)
    respondent_name = forms.CharField(
        label="Name of the person answering (if not the patient)", max_length=200, required=False
    )
    channel = forms.ChoiceField(label="Taken", choices=Channel.choices, initial=Channel.VISIT)
    phase = forms.ChoiceField(
        label="Phase of care at this contact",
        choices=[("", "Choose the phase"), *Phase.choices],
        help_text="Stable, unstable, deteriorating, terminal or bereaved (PCOC).",
    )
    answered_at = forms.DateTimeField(
        label="When answered",
        required=False,
        widget=DateTimeInput,
        help_text="Leave empty for now.",
    )

    def __init__(self, *args: Any, spec: InstrumentSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = [c for c in Channel.choices if c[0] in (Channel.VISIT, Channel.CALL)]
        for item in spec.items:
            self.fields[f"item_{item.link_id}"] = _answer_field(item)

    def answers(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {}
        for item in self.spec.items:
            value = data.get(f"item_{item.link_id}")
            if value not in (None, "", []):
                result[item.link_id] = value
        return result

    def answer_fields(self) -> list[Any]:
        return [self[f"item_{item.link_id}"] for item in self.spec.items]

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            target: str | None = f"item_{name}" if f"item_{name}" in self.fields else name
            if target not in self.fields:
                target = None
            for message in messages:
                self.add_error(target, message)


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label="Phase of care", choices=Phase.choices)
    contact = forms.ChoiceField(label="Contact", choices=Channel.choices[:2])
    note = forms.CharField(label="Note", max_length=500, required=False)


class CadenceForm(forms.Form):
    cadence = forms.ChoiceField(
        label="Symptom reports expected",
        choices=ReportingCadence.choices,
        help_text="The missing-report alert follows this; none expected never alerts.",
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ResolveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    action_taken = forms.CharField(
        label="Action taken", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class UploadForm(forms.Form):
    questionnaire = forms.FileField(
        label="FHIR Questionnaire (JSON)",
        help_text="A FHIR R4 Questionnaire with Pallio's scoring, licence and citation "
        "extensions; checked before it is used.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )


class SectionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    domain = forms.ChoiceField(choices=Domain.choices, widget=forms.HiddenInput)
    narrative = forms.CharField(
        label="Narrative", max_length=8000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    completed = forms.BooleanField(label="This domain is complete", required=False)

    def __init__(self, *args: Any, domain: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", domain)
        super().__init__(*args, **kwargs)
        self.domain_key = domain
        self.finding_names: list[str] = []
        for finding in DOMAIN_FINDINGS.get(domain, ()):
            name = f"f_{finding.name}"
            self.finding_names.append(name)
            if finding.kind == "text":
                self.fields[name] = forms.CharField(
                    label=finding.label,
                    max_length=1000,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=finding.label, choices=[("", "—"), *finding.options], required=False
                )

    def findings(self) -> dict[str, Any]:
        return {
            name.removeprefix("f_"): self.cleaned_data.get(name, "")
            for name in self.finding_names
            if self.cleaned_data.get(name, "") != ""
        }

    def finding_fields(self) -> list[Any]:
        return [self[name] for name in self.finding_names]


class AddendumForm(forms.Form):
    domain = forms.ChoiceField(
        label="Domain", choices=[("", "Whole assessment"), *Domain.choices], required=False
    )
    reason = forms.CharField(label="Reason", max_length=300)
    text = forms.CharField(
        label="Addendum", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
