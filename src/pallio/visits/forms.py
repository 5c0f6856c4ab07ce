"""Forms for visits and notes. They parse; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.assessments.models import Phase
from pallio.visits.models import Mode, NoteTemplate, Setting

SECTION_PREFIX = "section_"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


class VisitNoteForm(forms.Form):
    """The visit (setting, mode, time, reason) and the note's sections from its template.

    Sections are never required here: a draft may be saved half written. Signing checks the
    template's required sections (services.note_sign)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    setting = forms.ChoiceField(
        label="Where the patient was", choices=[("", "Choose..."), *Setting.choices]
    )
    mode = forms.ChoiceField(
        label="How the visit took place",
        choices=Mode.choices,
        widget=forms.RadioSelect,
        initial=Mode.IN_PERSON,
    )
    started_at = forms.DateTimeField(
        label="When the visit or call began",
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )
    reason = forms.CharField(
        label="Reason for the visit",
        max_length=300,
        help_text="In a few words: why the patient was seen or called.",
    )

    def __init__(self, *args: Any, template: NoteTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        for section in template.sections:
            label = section["label"] + ("" if not section.get("required") else " (needed to sign)")
            self.fields[SECTION_PREFIX + section["key"]] = forms.CharField(
                label=label,
                required=False,
                max_length=4000,
                help_text=section.get("help", ""),
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @classmethod
    def initial_from(cls, note: Any) -> dict[str, Any]:
        visit = note.visit
        initial: dict[str, Any] = {
            "version": note.version,
            "setting": visit.setting,
            "mode": visit.mode,
            "started_at": visit.started_at,
            "reason": visit.reason,
        }
        for key, text in note.content.items():
            initial[SECTION_PREFIX + key] = text
        return initial

    def section_fields(self) -> list[Any]:
        return [self[SECTION_PREFIX + s["key"]] for s in self.template.sections]

    def content(self) -> dict[str, str]:
        return {
            s["key"]: self.cleaned_data.get(SECTION_PREFIX + s["key"], "")
            for s in self.template.sections
        }

    def apply_service_errors(self, error: Any) -> None:
        """A service's errors by field; a section's error goes to its field."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                target = name if name in self.fields else SECTION_PREFIX + name
                if target not in self.fields:
                    target = None
                for message in messages:
                    self.add_error(target, message)
        else:
            for message in error.messages:
                self.add_error(None, message)


class SignForm(forms.Form):
    """Sign a draft: the instruments done in the visit, chosen from those recorded that day,
    or a phase of care recorded now."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    symptom_reports = forms.MultipleChoiceField(
        label="Symptom reports taken in this visit",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    phase_of_care = forms.ChoiceField(label="Phase of care recorded in this visit", required=False)
    phase = forms.ChoiceField(
        label="Or record the phase of care now",
        required=False,
        choices=[("", "Do not record a phase now"), *Phase.choices],
        help_text="Stable, unstable, deteriorating, terminal or bereaved (PCOC phases of care).",
    )

    def __init__(
        self, *args: Any, reports: list[Any], phases: list[Any], zone: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["symptom_reports"].choices = [  # type: ignore[attr-defined]
            (
                str(r.pk),
                f"{r.instrument.title}, {r.answered_at.astimezone(zone):%-d %b %H:%M}"
                + (f" (score {r.primary_score:g})" if r.primary_score is not None else ""),
            )
            for r in reports
        ]
        self.fields["phase_of_care"].choices = [  # type: ignore[attr-defined]
            ("", "None recorded in this visit"),
            *(
                (
                    str(p.pk),
                    f"{p.get_phase_display()}, {p.recorded_at.astimezone(zone):%-d %b %H:%M}",
                )
                for p in phases
            ),
        ]
        self.reports = {str(r.pk): r for r in reports}
        self.phases = {str(p.pk): p for p in phases}

    def chosen_reports(self) -> list[Any]:
        return [self.reports[k] for k in self.cleaned_data.get("symptom_reports", [])]

    def chosen_phase(self) -> Any:
        return self.phases.get(self.cleaned_data.get("phase_of_care") or "")


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AddendumForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the addendum",
        max_length=300,
        help_text="For example: a correction, or information that came later.",
    )
    text = forms.CharField(
        label="Addendum", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why is this note wrong?",
        max_length=300,
        help_text=(
            "For example: written on the wrong patient. The note stays visible, struck through."
        ),
    )
