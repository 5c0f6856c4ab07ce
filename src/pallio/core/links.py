"""Links for a page's many rows, reversed once.

`{% url %}` resolves the pattern again for every row: on the caseload (fifty rows, three links
each) that was about a fifth of the page's rendering. `row_link` reverses the pattern once,
with a marker in place of the record's id, and fills each row's id into the same address.
Only patterns whose one argument is a UUID are accepted: a UUID's text needs no quoting, so
the address is exactly what `reverse` would have written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.urls import reverse

_MARKER = uuid.UUID("00000000-0000-4000-8000-0000000000ff")


def row_link(viewname: str, kwarg: str) -> Callable[[uuid.UUID], str]:
    """A function from a record's UUID to the address of `viewname` for it (the request's
    script prefix included, as `reverse` gives it)."""
    head, marker, tail = reverse(viewname, kwargs={kwarg: _MARKER}).partition(str(_MARKER))
    if not marker:
        raise ValueError(f"{viewname} does not take {kwarg} as its path's UUID")

    def link(value: uuid.UUID) -> str:
        if not isinstance(value, uuid.UUID):
            raise TypeError(f"{viewname} takes a UUID, not {type(value).__name__}")
        return f"{head}{value}{tail}"

    return link
