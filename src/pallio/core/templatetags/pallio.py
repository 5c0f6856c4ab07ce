from __future__ import annotations

from typing import Any

from django import forms, template

from pallio.core.phones import phone_display
from pallio.core.words import number_text

register = template.Library()


@register.filter
def bootstrap(field: Any) -> Any:
    """Render a bound field's widget with the design system's classes and error state."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return field.as_widget()
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    attrs = {"class": css}
    if field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}_help"
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def phone(value: str) -> str:
    return phone_display(value)


@register.filter
def quantity(value: Any) -> str:
    """A stored decimal as a person writes it: 10 mg, 2.5 mg, never 10.000 mg."""
    return number_text(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def age_on(birth_date: Any, today: Any) -> int | str:
    """Age in whole years on `today`."""
    if not birth_date or not today:
        return ""
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
