"""The printable advance-care-planning summary: the page's templates rendered by WeasyPrint.

Rendering fetches nothing: every URL the document names (an image, a stylesheet, a link a
patient typed) is refused by the fetcher, so neither file:// nor a network address such as
http://169.254.169.254 is ever opened. The template carries its own stylesheet inline.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class RefusingFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that fetches nothing and remembers what it was asked for."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=())
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.refused.append(url[:200])
        raise ValueError("the printed summary loads no external resources")


def summary_html(context: dict[str, Any]) -> str:
    return render_to_string("acp/summary_pdf.html", context)


def render_summary_pdf(context: dict[str, Any], *, fetcher: RefusingFetcher | None = None) -> bytes:
    html = HTML(
        string=summary_html(context), base_url=None, url_fetcher=fetcher or RefusingFetcher()
    )
    return html.write_pdf()
