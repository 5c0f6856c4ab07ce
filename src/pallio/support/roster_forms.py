"""Forms of the on-call roster pages. They parse; the services in support/roster.py decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from pallio.core import params
from pallio.support.models import Line
from pallio.support.roster_selectors import roster_staff

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
NOT_OF_PROGRAM = "Choose a clinician of this program."


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_discipline_display()})"


def _person(program: Any, label: str, *, required: bool = True) -> PersonField:
    return PersonField(
        queryset=roster_staff(program),
        label=label,
        required=required,
        empty_label="The usual person" if not required else "Choose a person",
        error_messages={"invalid_choice": NOT_OF_PROGRAM, "required": "Choose a person."},
    )


class RosterWeekQuery(params.QueryForm):
    week = params.DateParam(label="Week of")


class PatternSlotForm(forms.Form):
    line = forms.ChoiceField(choices=Line.choices, label="Line")
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, label="Day of the week")
    start_time = forms.TimeField(
        label="Starts at", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    hours = forms.IntegerField(
        label="Hours",
        min_value=1,
        max_value=24,
        error_messages={
            "min_value": "A slot lasts from 1 to 24 hours.",
            "max_value": "A slot lasts from 1 to 24 hours.",
        },
    )

    def __init__(self, *args: Any, program: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"] = _person(program, "Who covers it")
        self.fields["holiday_user"] = _person(program, "On public holidays", required=False)
        self.fields[
            "holiday_user"
        ].help_text = "Who covers the slot on public holidays, if not the usual person."


class BuildForm(forms.Form):
    first = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error("last", "The last day must not be before the first.")
        return data


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as the program's clock shows it (a datetime-local input)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *, tz: ZoneInfo, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("error_messages", {"invalid": "Enter a date and time."})
        super().__init__(**kwargs)
        self.tz = tz

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=None).replace(tzinfo=self.tz)


class ShiftAddForm(forms.Form):
    line = forms.ChoiceField(choices=Line.choices, label="Line")
    note = forms.CharField(label="Note", max_length=200, required=False)

    def __init__(self, *args: Any, program: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tz = ZoneInfo(program.timezone)
        self.fields["user"] = _person(program, "Who covers it")
        self.fields["starts_at"] = LocalDateTimeField(tz=tz, label="Starts")
        self.fields["ends_at"] = LocalDateTimeField(tz=tz, label="Ends")
        self.order_fields(["line", "user", "starts_at", "ends_at", "note"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "The end must be after the start.")
        return data


class SwapForm(forms.Form):
    note = forms.CharField(
        label="Why it changes hands",
        max_length=200,
        error_messages={"required": "Say why the shift changes hands."},
    )

    def __init__(self, *args: Any, program: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"] = _person(program, "Give the shift to")
        self.order_fields(["to_user", "note"])


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why it is cancelled",
        max_length=200,
        error_messages={"required": "Say why the shift is cancelled."},
    )
