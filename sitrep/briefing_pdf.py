"""Print a briefing to PDF with WeasyPrint: A4, page numbers, a title page, an outline, live links.

The HTML comes from briefing_render; fonts are the system's (Noto, DejaVu), named in the print CSS,
so names in Arabic and other scripts render. The same HTML always gives the same bytes (no dates
in the metadata), so the writer leaves an unchanged PDF untouched, and a build can reuse the PDF
of an unchanged briefing from a cache keyed by that HTML instead of printing it again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

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

    System fonts are not in the key: after upgrading fonts, clear the cache (or delete .sitrep-cache)."""
    import weasyprint

    digest = hashlib.sha256(f"{weasyprint.__version__}\0{base_url}\0{html}".encode())
    return digest.hexdigest()[:40]


class PdfCache:
    """PDFs by cache key in a folder; `prune` drops the ones the last build did not ask for."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()
        self.hits = 0

    def get_or_make(self, key: str, make: Callable[[], bytes]) -> bytes:
        """Return the cached PDF for `key`, or make, store and return it."""
        self.used.add(key)
        if self.folder is None:
            return make()
        path = self.folder / f"{key}.pdf"
        if path.is_file():
            self.hits += 1
            return path.read_bytes()
        data = make()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a concurrent or killed build never leaves half a PDF
        return data

    def prune(self) -> None:
        """Delete cached PDFs not used since this cache was opened."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob("*.pdf"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


def cache_folder(config: SiteConfig) -> Path | None:
    """Return where the build keeps briefing PDFs: `config.cache_dir`/pdf when the build set one."""
    base = getattr(config, "cache_dir", None)
    return Path(base) / "pdf" if base else None


def render_pdf(report: Report, corpus: Corpus, config: SiteConfig,
               pdf_cache: PdfCache | None = None) -> bytes:
    """Return the briefing as PDF bytes, from `pdf_cache` when its HTML has not changed."""
    html = render_pdf_html(report, corpus, config)
    if pdf_cache is None:
        return html_to_pdf(html, config.site_url)
    return pdf_cache.get_or_make(cache_key(html, config.site_url), lambda: html_to_pdf(html, config.site_url))
