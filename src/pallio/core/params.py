"""A page's query string, read through one form: filters, dates, sorts and page numbers.

A value a page cannot use is refused with 400 and a message in plain words (SECURITY.md 26),
never a server error and never silently swapped for a default that would mislead the reader
(a list that claims to be filtered when it is not). Parameters a page does not know are left
alone: a link may carry more than one page reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import BadRequest
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

# The widest dates any page accepts; a day either side can be added without overflow.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
# No list has this many pages; a bigger number is a mistyped or crafted address.
LAST_PAGE = 100_000
TEXT_LENGTH = 100

DATE_FORMAT_MESSAGE = "Enter a real date as YYYY-MM-DD, for example 2026-03-14."
DATE_RANGE_MESSAGE = f"Enter a date between {EARLIEST_DATE:%-d %B %Y} and {LATEST_DATE:%-d %B %Y}."
PAGE_MESSAGE = f"Page numbers are whole numbers from 1 to {LAST_PAGE:,}."
NUL_MESSAGE = "This value contains a null character, which cannot be searched for."


class BadQuery(BadRequest):
    """The query string holds values the page cannot use; `problems` says which, plainly."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


class TextParam(forms.CharField):
    """Free text (a name, a search): trimmed, bounded, no NUL characters."""

    def __init__(self, *, max_length: int = TEXT_LENGTH, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {
                "max_length": f"Use at most {max_length} characters.",
                "null_characters_not_allowed": NUL_MESSAGE,
            },
        )
        super().__init__(max_length=max_length, **kwargs)


class ChoiceParam(forms.ChoiceField):
    """One of a fixed list (a status, a sort order): an unknown value is refused by name."""

    def __init__(self, *, choices: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        choices = list(choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "Choose one of: " + ", ".join(label for _, label in choices) + "."},
        )
        super().__init__(choices=choices, **kwargs)


class DateParam(forms.DateField):
    """A calendar date as YYYY-MM-DD (the format of a date input), within the pages' range."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("error_messages", {"invalid": DATE_FORMAT_MESSAGE})
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(EARLIEST_DATE, message=DATE_RANGE_MESSAGE),
            MaxValueValidator(LATEST_DATE, message=DATE_RANGE_MESSAGE),
        ]

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(DATE_FORMAT_MESSAGE, code="invalid")
        return super().to_python(value)


class PageParam(forms.IntegerField):
    """A page number of a list."""

    def __init__(self, **kwargs: Any) -> None:
        message = {"invalid": PAGE_MESSAGE, "min_value": PAGE_MESSAGE, "max_value": PAGE_MESSAGE}
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Page")
        kwargs.setdefault("error_messages", message)
        super().__init__(min_value=1, max_value=LAST_PAGE, **kwargs)

    def to_python(self, value: Any) -> int | None:
        # int() of a very long digit string is slow, then refused; answer before trying.
        if isinstance(value, str) and len(value.strip()) > len(str(LAST_PAGE)) + 2:
            raise forms.ValidationError(PAGE_MESSAGE, code="invalid")
        return super().to_python(value)


class UUIDParam(forms.UUIDField):
    """The id of a record, as the pages print it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        label = kwargs.get("label", "id")
        kwargs.setdefault("error_messages", {"invalid": f"The {label.lower()} is not valid."})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > 100:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class QueryForm(forms.Form):
    """Base of every page's query form; `problems()` words each error with its field's label."""

    def problems(self) -> list[str]:
        result = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else None
            for message in errors:
                result.append(f"{label}: {message}" if label else str(message))
        return result


FormT = TypeVar("FormT", bound=QueryForm)


def parse(form_class: type[FormT], params: Any) -> dict[str, Any]:
    """The cleaned values of `params` (a QueryDict); BadQuery naming each value refused.

    A parameter that is absent or empty gets the field's `initial` value (the page's default).
    """
    data = {name: params.get(name, "") for name in form_class.base_fields}
    form = form_class(data)
    if not form.is_valid():
        raise BadQuery(form.problems())
    cleaned = dict(form.cleaned_data)
    for name, field in form.fields.items():
        if cleaned.get(name) in (None, "") and field.initial is not None:
            cleaned[name] = field.initial
    return cleaned


class PageQuery(QueryForm):
    page = PageParam()


class SearchQuery(QueryForm):
    q = TextParam(label="Search")
    page = PageParam()


def page_of(query: Any) -> int:
    """The page number asked for (1 when none); BadQuery for one that is not a page number."""
    return int(parse(PageQuery, query)["page"] or 1)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page: the site's layout, what was wrong, and a way back."""
    problems = getattr(exception, "problems", None) or [
        "The address or the form could not be read. Go back and try again."
    ]
    context = {"problems": problems, "back": request.path}
    try:
        body = render_to_string("400.html", context, request=request)
    except Exception:  # a broken request may lack what the layout reads; answer plainly
        body = render_to_string("400_plain.html", context)
    return HttpResponse(body, status=400)
