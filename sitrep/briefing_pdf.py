"""Print a briefing to PDF with WeasyPrint: A4, page numbers, a title page, an outline, live links.

The HTML comes from briefing_render; fonts are the system's (Noto, DejaVu), named in the print CSS,
so names in Arabic and other scripts render. The same HTML always gives the same bytes (no dates
in the metadata), so the writer leaves an unchanged PDF untouched, and a build can reuse the PDF
of an unchanged briefing from a cache keyed by that HTML instead of printing it again.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from importlib.metadata import version
from pathlib import Path

from sitrep.blob_cache import BlobCache
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
    return weasyprint.HTML(string=html, base_url=base_url).write_pdf(font_config=_fonts())


def cache_key(html: str, base_url: str) -> str:
    """Return the cache key of a PDF: its HTML (CSS and SVG are inline), base URL and WeasyPrint version.

    System fonts are not in the key: after upgrading fonts, clear the cache (or delete .sitrep-cache).
    The version comes from the package metadata: importing WeasyPrint takes about a second, which a
    build whose PDFs all come from the cache should not pay."""
    digest = hashlib.sha256(f"{version('weasyprint')}\0{base_url}\0{html}".encode())
    return digest.hexdigest()[:40]


def cache_folder(config: SiteConfig) -> Path | None:
    """Return where builds keep briefing PDFs: `config.cache_dir`/pdf when the build has a cache
    folder (the CLI's builds do, beside the parse cache); None (no caching) otherwise."""
    return config.cache_dir / "pdf" if config.cache_dir else None


def pdf_cache(config: SiteConfig) -> BlobCache:
    """Return the build's cache of printed PDFs (caching nothing without a cache folder)."""
    return BlobCache(cache_folder(config), ".pdf")


def is_cached(report: Report, corpus: Corpus, config: SiteConfig, cached: BlobCache) -> bool:
    """Return whether render_pdf would take the briefing's PDF from `cached` instead of printing it."""
    return cached.has(cache_key(render_pdf_html(report, corpus, config), config.site_url))


def render_pdf(report: Report, corpus: Corpus, config: SiteConfig,
               pdf_cache: BlobCache | None = None) -> bytes:
    """Return the briefing as PDF bytes, from `pdf_cache` when its HTML has not changed."""
    html = render_pdf_html(report, corpus, config)
    if pdf_cache is None:
        return html_to_pdf(html, config.site_url)
    return pdf_cache.get_or_make(cache_key(html, config.site_url), lambda: html_to_pdf(html, config.site_url))
