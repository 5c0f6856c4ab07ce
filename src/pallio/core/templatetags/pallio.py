from __future__ import annotations

import functools
import re
from typing import Any

from django import forms, template
from django.urls import get_script_prefix
from django.utils.translation import get_language

from pallio.core import privileges
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


# --- the main menu's links -------------------------------------------------------------------

NAV_TEMPLATE = "_nav_groups.html"
_NAV_CACHE_SIZE = 256
_nav_cache: dict[tuple[Any, ...], str] = {}
_PRIVILEGE_TESTS = re.compile(r'user\|can:"([^"]+)"')


@functools.cache
def nav_privileges(source: str) -> tuple[str, ...]:
    """The privileges the menu's template tests with `user|can:"…"`, read from its source."""
    return tuple(sorted(set(_PRIVILEGE_TESTS.findall(source))))


@register.simple_tag(takes_context=True)
def nav_groups(context: Any) -> str:
    """The main menu's groups of links (`_nav_groups.html`), rendered once for each distinct
    menu and kept in the process: about 1.2 ms of every staff page otherwise.

    The menu is a function of what the key holds and of nothing else: the language, the
    address prefix, the reader's `can` permissions, each privilege the template tests (read
    from its source, so a link added there is keyed too) and whether the on-call strip is
    shown. `core/tests/test_nav.py` fails if the template reads anything else."""
    template = context.template.engine.get_template(NAV_TEMPLATE)
    user = context.get("user")
    key = (
        get_language(),
        get_script_prefix(),
        tuple(sorted((context.get("can") or {}).items())),
        tuple(privileges.can(user, action) for action in nav_privileges(template.source)),
        bool(context.get("on_call_now")),
    )
    html = _nav_cache.get(key)
    if html is None:
        if len(_nav_cache) >= _NAV_CACHE_SIZE:
            _nav_cache.clear()
        html = template.render(context)
        _nav_cache[key] = html
    return html
