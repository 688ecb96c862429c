"""Print a briefing to PDF with WeasyPrint: A4, page numbers, a title page, an outline, live links.

The HTML comes from briefing_render; fonts are the system's (Noto, DejaVu), named in the print CSS,
so names in Arabic and other scripts render. The same HTML always gives the same bytes (no dates
in the metadata), so the writer leaves an unchanged PDF untouched.
"""

from __future__ import annotations

import logging
from functools import cache

from sitrep.briefing import Report
from sitrep.briefing_render import render_pdf_html
from sitrep.config import SiteConfig
from sitrep.model import Corpus

log = logging.getLogger(__name__)


@cache
def _fonts() -> object:
    """Return one WeasyPrint font configuration for the process; building one per PDF costs time."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, base_url: str) -> bytes:
    """Return the PDF WeasyPrint prints from `html`; relative links resolve against `base_url`."""
    import weasyprint

    # WeasyPrint logs every CSS property it ignores at WARNING; those are not the reader's problem.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=base_url)
    return document.write_pdf(font_config=_fonts())


def render_pdf(report: Report, corpus: Corpus, config: SiteConfig) -> bytes:
    """Return the briefing as PDF bytes."""
    return html_to_pdf(render_pdf_html(report, corpus, config), config.site_url)
