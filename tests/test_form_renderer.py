"""The form renderer writes what Django's widget templates write, to the byte.

pallio.core.form_renderer renders the common widgets in Python for speed. These tests render
every field of every form in Pallio, with awkward values, both ways, and compare the HTML;
then whole form pages both ways.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import Client
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

import pallio
from pallio.core.form_renderer import FAST, FormRenderer

TEMPLATES = DjangoTemplates()
FAST_RENDERER = FormRenderer()

AWKWARD = [
    None,
    "",
    "plain",
    'Tom & "Jerry" <b>it\'s</b>',
    mark_safe("<em>safe</em>"),
    0,
    7,
    Decimal("2.50"),
    1234567,
    3.5,
    True,
    False,
    date(2026, 3, 9),
    datetime(2026, 3, 9, 14, 30, tzinfo=ZoneInfo("UTC")),
    ["a", "b"],
    ("x", 1),
    gettext_lazy("Pain"),
]
ATTRS: list[dict[str, Any]] = [
    {},
    {"id": "id_f", "class": "form-control is-invalid", "aria-invalid": "true"},
    {"id": "id_f", "required": True, "disabled": False, "placeholder": 'a "quote"', "rows": 3},
    {
        "title": gettext_lazy("Pain"),
        "data-none": None,
        "data-safe": mark_safe("<b>"),
        "data-called": lambda: "called",  # the template language calls it
        "data-n": 1234567,
    },
]


def _form_classes() -> list[type[forms.BaseForm]]:
    """Every form class Pallio defines, its modules imported (tests and migrations aside)."""
    for module in pkgutil.walk_packages(pallio.__path__, "pallio."):
        name = module.name
        if any(part in name for part in (".tests", ".migrations", ".management", "wsgi", "asgi")):
            continue
        importlib.import_module(name)
    found: list[type[forms.BaseForm]] = []
    stack: list[type[Any]] = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("pallio."):
                found.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _both(widget: forms.Widget, value: Any, attrs: dict[str, Any]) -> tuple[str, str]:
    """The widget rendered by the templates and by the fast path; a value the widget itself
    refuses (a list for a yes/no select) must be refused alike."""
    try:
        slow = copy.deepcopy(widget).render("field", value, attrs=dict(attrs), renderer=TEMPLATES)
    except (TypeError, ValueError) as refused:
        with pytest.raises(type(refused)):
            copy.deepcopy(widget).render("field", value, attrs=dict(attrs), renderer=FAST_RENDERER)
        return "refused", "refused"
    fast = copy.deepcopy(widget).render("field", value, attrs=dict(attrs), renderer=FAST_RENDERER)
    return str(slow), str(fast)


def test_the_fast_path_is_on_for_this_django():
    """Off, every widget would be rendered by its template again: correct, but slow."""
    assert FormRenderer().fast


def test_the_project_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.django_db
def test_every_field_of_every_form_renders_as_its_template():
    classes = _form_classes()
    assert len(classes) > 50, [c.__name__ for c in classes]
    seen_templates: set[str] = set()
    compared = 0
    for cls in classes:
        for name, field in getattr(cls, "base_fields", {}).items():
            widget = field.widget
            choices = [v for v, _ in getattr(widget, "choices", [])][:3]
            for value in [*AWKWARD, *choices, choices]:
                for attrs in ATTRS:
                    slow, fast = _both(widget, value, attrs)
                    assert fast == slow, f"{cls.__qualname__}.{name} = {value!r}, {attrs}"
                    compared += 1
            seen_templates.add(widget.template_name)
    assert compared > 10_000
    # The fields of Pallio's forms use most of what the fast path writes.
    assert len(seen_templates & set(FAST)) >= 6, seen_templates


def test_selects_with_groups_and_odd_choices_render_as_their_template():
    choices = [
        ("", "---------"),
        ("Symptoms", [("pain", "Pain & <aches>"), ("nausea", gettext_lazy("Nausea"))]),
        (3, 3),
        (Decimal("0.5"), date(2026, 1, 2)),
        ("safe", mark_safe("<b>bold</b>")),
        (None, "None"),
        (False, "no"),
    ]
    widgets = [
        forms.Select(choices=choices),
        forms.SelectMultiple(choices=choices),
        forms.RadioSelect(choices=choices),
        forms.CheckboxSelectMultiple(choices=choices),
        forms.NullBooleanSelect(),
    ]
    for widget in widgets:
        for value in ("pain", ["pain", "3"], 3, None, "", "unknown", [], True, False):
            for attrs in ATTRS:
                slow, fast = _both(widget, value, attrs)
                assert fast == slow, (type(widget).__name__, value, attrs)


def test_every_input_type_and_textarea_render_as_their_template():
    widgets = [
        forms.TextInput(),
        forms.NumberInput(),
        forms.EmailInput(),
        forms.URLInput(),
        forms.PasswordInput(render_value=True),
        forms.HiddenInput(),
        forms.DateInput(),
        forms.DateTimeInput(),
        forms.TimeInput(),
        forms.CheckboxInput(),
        forms.Textarea(),
        forms.TextInput(attrs={"type": "tel"}),
        forms.SearchInput(),
        forms.ColorInput(),
        forms.TelInput(),
    ]
    for widget in widgets:
        for value in AWKWARD:
            for attrs in ATTRS:
                slow, fast = _both(widget, value, attrs)
                assert fast == slow, (type(widget).__name__, value, attrs)


def test_options_rendered_one_by_one_render_as_their_template():
    """A page that lays out a radio list itself: `{% for radio in field %}{{ radio.tag }}`."""

    class Form(forms.Form):
        pain = forms.ChoiceField(choices=[(str(n), n) for n in range(11)], widget=forms.RadioSelect)
        needs = forms.MultipleChoiceField(
            choices=[("a", "Aa & <b>"), ("b", gettext_lazy("Pain"))],
            widget=forms.CheckboxSelectMultiple,
        )
        where = forms.ChoiceField(choices=[("h", "Home"), ("c", "Clinic")])

    for data in (None, {"pain": "3", "needs": ["a", "b"], "where": "c"}, {"pain": "x"}):
        slow = Form(data, renderer=TEMPLATES)
        fast = Form(data, renderer=FAST_RENDERER)
        for name in Form.base_fields:
            for slow_option, fast_option in zip(slow[name], fast[name], strict=True):
                for wrap in (False, True):
                    assert fast_option.tag(wrap_label=wrap) == slow_option.tag(wrap_label=wrap)
                assert str(fast_option) == str(slow_option)


def test_labels_render_as_their_template():
    class Form(forms.Form):
        plain = forms.CharField(label="Pain & <sleep>")
        safe = forms.CharField(label=mark_safe("<abbr>PPS</abbr>"))
        lazy = forms.IntegerField(label=gettext_lazy("Pain"))
        hidden = forms.CharField(widget=forms.HiddenInput())

    for auto_id in ("id_%s", False):
        for renderer_form in (Form(auto_id=auto_id, renderer=TEMPLATES),):
            fast_form = Form(auto_id=auto_id, renderer=FAST_RENDERER)
            for name in Form.base_fields:
                for kwargs in ({}, {"attrs": {"class": "form-label"}}, {"tag": "legend"}):
                    assert fast_form[name].label_tag(**kwargs) == renderer_form[name].label_tag(
                        **kwargs
                    ), (name, auto_id, kwargs)


def test_a_widget_of_its_own_is_left_to_its_template():
    class Boxes(forms.Select):
        # Options drawn by a template the fast path does not write: the whole select goes
        # to the templates.
        option_template_name = "django/forms/widgets/input.html"

    slow, fast = _both(Boxes(choices=[("1", "One"), ("2", "Two")]), "1", {})
    assert fast == slow
    assert fast.count('<input type="select" name="field" value="1"') == 1

    class Bare(forms.Widget):
        # A template of the fast path, with a context that lacks what Input gives it.
        template_name = "django/forms/widgets/text.html"

    slow, fast = _both(Bare(), "v", {})
    assert fast == slow == '<input type="" name="field" value="v">'


def test_a_changed_template_turns_the_fast_path_off(tmp_path):
    """A Django release (or an engine) with another attrs.html: every widget is rendered by
    the templates, the changed one included."""
    changed = tmp_path / "django" / "forms" / "widgets"
    changed.mkdir(parents=True)
    (changed / "attrs.html").write_text(
        '{% for name, value in widget.attrs.items %} data-{{ name }}="{{ value }}"{% endfor %}'
    )

    class Elsewhere(FormRenderer):
        @cached_property
        def engine(self) -> Any:
            return self.backend(
                {
                    "APP_DIRS": False,
                    "DIRS": [tmp_path, Path(forms.__file__).parent / "templates"],
                    "NAME": "changed",
                    "OPTIONS": {},
                }
            )

    renderer = Elsewhere()
    html = forms.TextInput().render("field", "v", attrs={"id": "x"}, renderer=renderer)
    assert not renderer.fast
    assert html == '<input type="text" name="field" value="v" data-id="x">'
    assert FAST_RENDERER.fast


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NONCE = re.compile(r'nonce="[^"]+"')
# The referral form's one-time key against a double submission.
SUBMISSION = re.compile(r'name="submission_token" value="[^"]+"')


def _page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    html = SUBMISSION.sub('name="submission_token" value=""', html)
    return NONCE.sub('nonce=""', CSRF.sub('name="csrfmiddlewaretoken" value=""', html))


@pytest.mark.django_db
def test_form_pages_are_the_same_with_either_renderer(world, as_user, settings):
    """Goals of care, a symptom report, the care plan, a new visit, a provider's referral:
    the page is the same to the byte (but the CSRF token, the script nonce and the referral's
    one-time key, new on every answer)."""
    client = as_user(world.physician)
    patient = world.alice
    pages = [
        (client, reverse("acp:patient", kwargs={"patient_id": patient.pk})),
        (client, reverse("assessments:report", args=[patient.pk])),
        (client, reverse("careplans:plan", args=[patient.pk])),
        (client, reverse("visits:new", args=[patient.pk])),
        (Client(), reverse("referrals:provider", args=[world.riverside.slug])),
    ]
    fast = [_page(c, url) for c, url in pages]
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    slow = [_page(c, url) for c, url in pages]
    for (_, url), fast_html, slow_html in zip(pages, fast, slow, strict=True):
        assert fast_html.count("<input") + fast_html.count("<select") > 3, url
        assert fast_html == slow_html, url
