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
import time
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from sitrep.briefing import Report
from sitrep.briefing_render import render_pdf_html
from sitrep.config import SiteConfig
from sitrep.model import Corpus

log = logging.getLogger(__name__)

PRUNE_AFTER_S = 24 * 3600


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


class PdfCache:
    """PDFs by cache key in a folder; `prune` drops old ones the last build did not ask for.

    Several builds may share the folder (site/ and a preview, parallel tests): entries are written
    atomically, a hit refreshes the entry's mtime, and only entries unused for a day are pruned, so
    builds never delete what another build is using."""

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
        try:
            data = path.read_bytes()
            os.utime(path)
            self.hits += 1
            return data
        except OSError:
            pass  # not cached yet (or pruned by another build a moment ago)
        data = make()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a concurrent or killed build never leaves half a PDF
        return data

    def prune(self, max_age_s: float = PRUNE_AFTER_S) -> None:
        """Delete cached PDFs this build did not use and nothing has used for `max_age_s` seconds."""
        if self.folder is None or not self.folder.is_dir():
            return
        cutoff = time.time() - max_age_s
        for path in self.folder.glob("*.pdf"):
            try:
                if path.stem not in self.used and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue  # another build pruned or refreshed it


def cache_folder(config: SiteConfig) -> Path | None:
    """Return where builds keep briefing PDFs: `config.cache_dir`/pdf when the build has a cache
    folder (the CLI's builds do, beside the parse cache); None (no caching) otherwise."""
    return config.cache_dir / "pdf" if config.cache_dir else None


def render_pdf(report: Report, corpus: Corpus, config: SiteConfig,
               pdf_cache: PdfCache | None = None) -> bytes:
    """Return the briefing as PDF bytes, from `pdf_cache` when its HTML has not changed."""
    html = render_pdf_html(report, corpus, config)
    if pdf_cache is None:
        return html_to_pdf(html, config.site_url)
    return pdf_cache.get_or_make(cache_key(html, config.site_url), lambda: html_to_pdf(html, config.site_url))
