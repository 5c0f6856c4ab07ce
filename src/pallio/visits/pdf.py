"""The two forms of a visit summary, rendered from one template each to HTML, text and PDF.

The clinical letter (visits/summary_letter.html) and the plain-language summary
(visits/summary_plain.html) read only the summary's fixed ``content``. The page that shows
them and the PDF that is mailed include the same body templates. PDF rendering fetches
nothing (the same refusing fetcher as the advance care planning summary): no file:// or
network address a typed text might name is ever opened.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from weasyprint import HTML

from pallio.acp.pdf import RefusingFetcher

FORMS = {"letter": "visits/summary_letter.html", "plain": "visits/summary_plain.html"}


def _when(value: str | None, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(zone)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def summary_context(content: dict[str, Any]) -> dict[str, Any]:
    """What the templates need: the content, with its times read in the program's zone."""
    zone = ZoneInfo(content["program"].get("timezone") or "UTC")
    next_visit = content.get("next_visit") or {}
    goc = content.get("goals_of_care") or {}
    code = content.get("code_status") or {}
    return {
        "c": content,
        "visit_at": _when(content["visit"]["at"], zone),
        "signed_at": _when(content["note"].get("signed_at"), zone),
        "previous_visit_at": _when(content.get("previous_visit_at"), zone),
        "next_visit_at": _when(next_visit.get("at"), zone),
        "birth_date": _day(content["patient"].get("birth_date")),
        "goc_held_on": _day(goc.get("held_on")),
        "code_effective": _day(code.get("effective_date")),
        "plain_symptoms": [s for s in content.get("symptoms", []) if s.get("plain")],
        # Heading levels: a document of its own in the PDF; nested under the page's headings
        # when shown on a page.
        "h1": "h1",
        "h2": "h2",
        "h3": "h3",
    }


def render_summary_html(content: dict[str, Any], *, form: str) -> str:
    return render_to_string(FORMS[form], summary_context(content))


def render_summary_pdf(
    content: dict[str, Any], *, form: str, fetcher: RefusingFetcher | None = None
) -> bytes:
    html = HTML(
        string=render_summary_html(content, form=form),
        base_url=None,
        url_fetcher=fetcher or RefusingFetcher(),
    )
    return bytes(html.write_pdf())


class _TextExtractor(HTMLParser):
    BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "tr", "div", "br", "dt", "dd", "section"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in {"style", "title", "head"}:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "title", "head"}:
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def render_summary_text(content: dict[str, Any], *, form: str) -> str:
    """The form as plain text, one block a line (for reading-level checks and text mail)."""
    parser = _TextExtractor()
    parser.feed(render_summary_html(content, form=form))
    lines = (re.sub(r"\s+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
