"""Form widgets rendered in Python, to the byte what Django's widget templates render.

Django renders every widget, every option of a select and every label through a template
(`django/forms/widgets/*.html`): a page with a few dozen fields and their options spends more
time there than on its queries (goals of care: 58 widgets, about 40% of the page). This
renderer writes the common ones (inputs, selects and their options, textareas, radio and
checkbox lists, labels) directly, with the templates' escaping, localisation and whitespace,
and hands any other template to Django's renderer.

It takes over only when the templates it stands in for are Django's own, unchanged: at first
use it reads each one through the renderer's engine and compares it with the source it was
written against. A Django release that changes one (or a renderer whose engine finds another)
turns the fast path off (and says so in the log), and every widget is rendered by the
templates again. Whatever it does not expect (a value the template language would call, a
widget of its own without the usual keys) goes to the templates too.
`tests/test_form_renderer.py` renders every widget of every form of Pallio both ways and
compares them, and fails when the fast path is off.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

logger = logging.getLogger(__name__)

W = "django/forms/widgets/"

# The templates this module stands in for, as Django 5.2 ships them.
_INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
_INCLUDE_INPUT_OPTION = '{% include "django/forms/widgets/input_option.html" %}\n'
_INCLUDE_MULTIPLE_INPUT = '{% include "django/forms/widgets/multiple_input.html" %}\n'
INPUT_TYPES = (
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "checkbox",
    "tel",
    "search",
    "color",
)
SOURCES: dict[str, str] = {
    W + "attrs.html": (
        "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
        "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}"
        "{% endfor %}"
    ),
    "django/forms/attrs.html": (
        "{% for name, value in attrs.items %}{% if value is not False %} {{ name }}"
        "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}"
        "{% endfor %}"
    ),
    W + "input.html": (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}'
        " value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
        '{% include "django/forms/widgets/attrs.html" %}>\n'
    ),
    **{f"{W}{kind}.html": _INCLUDE_INPUT for kind in INPUT_TYPES},
    W + "textarea.html": (
        '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
        "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>\n"
    ),
    W + "select.html": (
        '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
        "{% for group_name, group_choices, group_index in widget.optgroups %}"
        '{% if group_name %}\n  <optgroup label="{{ group_name }}">{% endif %}'
        "{% for option in group_choices %}\n  "
        "{% include option.template_name with widget=option %}{% endfor %}"
        "{% if group_name %}\n  </optgroup>{% endif %}{% endfor %}\n</select>\n"
    ),
    W + "select_option.html": (
        "<option value=\"{{ widget.value|stringformat:'s' }}\""
        '{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>\n'
    ),
    W + "multiple_input.html": (
        '{% with id=widget.attrs.id %}<div{% if id %} id="{{ id }}"{% endif %}'
        '{% if widget.attrs.class %} class="{{ widget.attrs.class }}"{% endif %}>'
        "{% for group, options, index in widget.optgroups %}"
        "{% if group %}\n  <div><label>{{ group }}</label>{% endif %}"
        "{% for option in options %}<div>\n    "
        "{% include option.template_name with widget=option %}</div>{% endfor %}"
        "{% if group %}\n  </div>{% endif %}{% endfor %}\n</div>{% endwith %}\n"
    ),
    W + "radio.html": _INCLUDE_MULTIPLE_INPUT,
    W + "checkbox_select.html": _INCLUDE_MULTIPLE_INPUT,
    W + "input_option.html": (
        "{% if widget.wrap_label %}<label{% if widget.attrs.id %}"
        ' for="{{ widget.attrs.id }}"{% endif %}>{% endif %}'
        '{% include "django/forms/widgets/input.html" %}'
        "{% if widget.wrap_label %} {{ widget.label }}</label>{% endif %}\n"
    ),
    W + "radio_option.html": _INCLUDE_INPUT_OPTION,
    W + "checkbox_option.html": _INCLUDE_INPUT_OPTION,
    "django/forms/label.html": (
        "{% if use_tag %}<{{ tag }}{% include 'django/forms/attrs.html' %}>{{ label }}"
        "</{{ tag }}>{% else %}{{ label }}{% endif %}\n"
    ),
}


class Fallback(Exception):
    """What was asked is not what the fast path writes: the templates render it."""


# --- what the template language does to a value ---------------------------------------------


def _shown(value: Any) -> str:
    """`{{ value }}`: localised, made text and escaped, as render_value_in_context does."""
    if type(value) is str:  # the common case: nothing to localise, escape as escape() does
        return html.escape(value)
    if callable(value):
        raise Fallback  # the template would call it
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return str(conditional_escape(value))


# Other markup written in Python escapes its values the same way (episodes/caseload_rows.py,
# assessments/worklist_rows.py).
shown = _shown


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe (is_safe)."""
    if type(value) is str:
        return html.escape(value)
    if callable(value):
        raise Fallback  # the template would call it
    text_value = str(value) if isinstance(value, tuple) else value
    try:
        text = "%s" % text_value  # noqa: UP031 - the filter's own formatting
    except (ValueError, TypeError):
        text = ""
    return text if isinstance(value, SafeData) else _shown(text)


def _true(value: Any) -> bool:
    """`{% if value %}`."""
    return bool(value)


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """attrs.html: ` name="value"` for each, the name alone for True, nothing for False."""
    out = []
    for name, value in (attrs or {}).items():
        if value is False:
            continue
        out.append(" " + _shown(name))
        if value is not True:
            out.append('="' + _formatted(value) + '"')
    return "".join(out)


def _lookup(mapping: Mapping[str, Any], key: str) -> Any:
    """`mapping.key` as a template reads it: a missing key is the empty string."""
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return ""
    if callable(value):
        raise Fallback  # the template would call it
    return value


# --- the templates ----------------------------------------------------------------------------


def _plain(mapping: Mapping[str, Any], key: str) -> Any:
    """`mapping.key` where the template would call a callable value: not done here."""
    value = mapping[key]
    if callable(value):
        raise Fallback
    return value


def _input(widget: Mapping[str, Any]) -> str:
    value = _plain(widget, "value")
    shown_value = ' value="' + _formatted(value) + '"' if value != None else ""  # noqa: E711 - the template's `!= None`
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown_value}{_attrs(widget['attrs'])}>\n"
    )


def _textarea(widget: Mapping[str, Any]) -> str:
    value = _plain(widget, "value")
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_shown(value) if _true(value) else ''}</textarea>\n"
    )


def _select_option(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{_formatted(_plain(option, "value"))}"{_attrs(option["attrs"])}>'
        f"{_shown(_plain(option, 'label'))}</option>\n"
    )


def _input_option(option: Mapping[str, Any]) -> str:
    wrap = _true(_lookup(option, "wrap_label"))
    out = []
    if wrap:
        option_id = _lookup(option["attrs"], "id")
        out.append(f'<label for="{_shown(option_id)}">' if _true(option_id) else "<label>")
    out.append(_input(option))
    if wrap:
        out.append(f" {_shown(_plain(option, 'label'))}</label>")
    out.append("\n")
    return "".join(out)


OPTIONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    W + "select_option.html": _select_option,
    W + "input_option.html": _input_option,
    W + "radio_option.html": lambda option: _input_option(option) + "\n",
    W + "checkbox_option.html": lambda option: _input_option(option) + "\n",
}


def _option(option: Mapping[str, Any]) -> str:
    render = OPTIONS.get(option.get("template_name", ""))
    if render is None:
        raise Fallback
    return render(option)


def _select(widget: Mapping[str, Any]) -> str:
    out = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if _true(group_name):
            out.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            out.append("\n  " + _option(option))
        if _true(group_name):
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


def _multiple_input(widget: Mapping[str, Any]) -> str:
    attrs = widget["attrs"]
    box_id = _lookup(attrs, "id")
    css = _lookup(attrs, "class")
    out = ["<div"]
    if _true(box_id):
        out.append(f' id="{_shown(box_id)}"')
    if _true(css):
        out.append(f' class="{_shown(css)}"')
    out.append(">")
    for group, options, _index in widget["optgroups"]:
        if _true(group):
            out.append(f"\n  <div><label>{_shown(group)}</label>")
        for option in options:
            out.append("<div>\n    " + _option(option) + "</div>")
        if _true(group):
            out.append("\n  </div>")
    out.append("\n</div>\n")
    return "".join(out)


def _label(context: Mapping[str, Any]) -> str:
    label = _shown(context["label"])
    if not _true(context.get("use_tag")):
        return label
    tag = _shown(context["tag"])
    return f"<{tag}{_attrs(context.get('attrs'))}>{label}</{tag}>\n"


def _widget_of(render: Callable[[Mapping[str, Any]], str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda context: render(context["widget"])


FAST: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"{W}{kind}.html": _widget_of(_input) for kind in ("input", *INPUT_TYPES)},
    W + "textarea.html": _widget_of(_textarea),
    W + "select.html": _widget_of(_select),
    W + "multiple_input.html": _widget_of(_multiple_input),
    W + "radio.html": _widget_of(_multiple_input),
    W + "checkbox_select.html": _widget_of(_multiple_input),
    # An option alone: a template that lays out a radio list itself renders `{{ radio.tag }}`.
    **{name: _widget_of(render) for name, render in OPTIONS.items()},
    "django/forms/label.html": _label,
}


class FormRenderer(DjangoTemplates):
    """Django's template renderer, with the common widgets written in Python."""

    @cached_property
    def fast(self) -> bool:
        """True when every template stood in for is Django's own, unchanged."""
        changed = [name for name, source in SOURCES.items() if self._source_of(name) != source]
        if changed:
            logger.warning(
                "Form widgets are rendered by their templates: %s differ from the templates "
                "pallio.core.form_renderer was written for.",
                ", ".join(changed),
            )
        return not changed

    def _source_of(self, name: str) -> str | None:
        try:
            return str(self.get_template(name).template.source)
        except (TemplateDoesNotExist, TemplateSyntaxError):  # not the template written for
            return None

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        render = FAST.get(template_name)
        if render is not None and self.fast:
            try:
                return mark_safe(render(context).strip())  # noqa: S308 - escaped above
            except (Fallback, LookupError, TypeError):
                pass  # not what the fast path writes: the template renders it
        return super().render(template_name, context, request=request)
