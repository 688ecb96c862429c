"""Markdown → safe HTML for content written by editors (event summaries, descriptions, briefings).

Content is untrusted. Two layers keep it inert: Python-Markdown runs with its raw-HTML parsers
removed (so `<script>` in a summary is shown as text, never parsed), and the result goes through an
nh3 allow-list whose links may only be http(s), mailto, site-absolute paths or in-page anchors.
Briefings cite events as `[[event-id]]`; a `cite` callback turns each into a link.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from sitrep.markup_cache import FILE_NAME, MarkdownCache, cache_key, converter_fingerprint
from sitrep.markup_plain import prose_html

Cite = Callable[[str], "tuple[str, str] | None"]
"""event id → (href, link text), or None to leave the citation as plain text."""

CITATION = r"\[\[([a-z0-9][a-z0-9-]*)\]\]"

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"},
                      "ol": {"start"}, "img": {"src", "alt", "title", "width", "height"},
                      **{f"h{i}": {"id"} for i in range(1, 7)}}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def safe_href(value: str) -> str | None:
    """Return `value` if it is an http(s) or mailto link, or a relative one (no scheme); None otherwise."""
    m = _SCHEME.match(value)
    return value.strip() if m is None or m.group(1).lower() in LINK_SCHEMES else None


def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_CLEANER = _cleaner(ALLOWED_TAGS)
# Editorial pages (MkDocs) carry their own h1 and heading ids for the table of contents.
_PAGE_CLEANER = _cleaner(ALLOWED_TAGS | {"h1", "img", "figure", "figcaption", "dl", "dt", "dd"})


def sanitise(fragment: str, *, page: bool = False) -> str:
    """Return `fragment` reduced to the allow-listed tags, attributes and link schemes.

    `page=True` is for whole editorial pages: it also keeps h1, images and definition lists."""
    return (_PAGE_CLEANER if page else _CLEANER).clean(fragment)


class _NoRawHtml(Extension):
    """Treat raw HTML in Markdown as text: it is escaped and shown, never parsed."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def no_raw_html() -> Extension:
    """Return a Markdown extension that disables raw HTML (also used for MkDocs' editorial pages)."""
    return _NoRawHtml()


class _ShiftHeadings(Treeprocessor):
    """Push headings down so a `# Heading` in content never competes with the page's own h1."""

    def __init__(self, md: markdown.Markdown, shift: int) -> None:
        super().__init__(md)
        self.shift = shift

    def run(self, root: ET.Element) -> None:
        for el in root.iter():
            if len(el.tag) == 2 and el.tag[0] == "h" and el.tag[1].isdigit():
                el.tag = f"h{min(int(el.tag[1]) + self.shift, 6)}"


class _Citations(InlineProcessor):
    """Turn `[[event-id]]` into a link through the current `cite` callback."""

    def __init__(self, pattern: str, md: markdown.Markdown) -> None:
        super().__init__(pattern, md)
        self.cite: Cite | None = None

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[ET.Element | str, int, int]:
        target = self.cite(m.group(1)) if self.cite else None
        if target is None:
            return m.group(1), m.start(0), m.end(0)
        el = ET.Element("a", {"href": target[0]})
        el.text = target[1]
        return el, m.start(0), m.end(0)


class _Renderer:
    """One configured Markdown instance, reused: building one per summary would dominate big builds."""

    def __init__(self, shift: int) -> None:
        self.md = markdown.Markdown(extensions=[no_raw_html(), "tables", "sane_lists"], output_format="html")
        self.md.treeprocessors.register(_ShiftHeadings(self.md, shift), "sitrep_shift", 1)
        self.citations = _Citations(CITATION, self.md)
        # Above the link pattern (160), so '[[x]]' is not read as a reference link.
        self.md.inlinePatterns.register(self.citations, "sitrep_cite", 175)

    def convert(self, text: str, cite: Cite | None) -> str:
        self.citations.cite = cite
        try:
            return self.md.reset().convert(text)
        finally:
            self.citations.cite = None


_RENDERERS: dict[int, _Renderer] = {}


MEMO_SIZE = 4096
"""Distinct (text, heading shift) conversions remembered. The output is a pure function of the text,
so repeats (a description on every page of its subject, a summary in a page and in feeds) convert
once; bounded because a cold build sees each summary only about once and 100k of them would be
hundreds of MB."""


def to_html(text: str | None, *, cite: Cite | None = None, heading_shift: int = 1) -> Markup:
    """Return sanitised HTML for Markdown `text`; headings are pushed down by `heading_shift` levels."""
    if not text:
        return Markup("")
    # Prose has no citation or heading, so neither `cite` nor the shift changes its HTML; made faster
    # than the disk cache could give it back, it is not kept there.
    prose = prose_html(text)
    if prose is not None:
        return Markup(sanitise(prose))
    if cite is not None:  # the callback's answers are part of the output: not memoisable by text
        return _convert(text, cite, heading_shift)
    return _memo_convert(text, heading_shift)


_DISK: MarkdownCache | ConversionLog | None = None
"""The build's on-disk cache of conversions, while `disk_cache` is open."""


@contextmanager
def disk_cache(folder: Path | None) -> Iterator[MarkdownCache | None]:
    """Keep conversions made inside the block in `folder`/markdown.sqlite and reuse earlier ones.

    With `folder` None (a build without a cache folder) nothing is kept."""
    global _DISK
    if folder is None:
        yield None
        return
    cache = MarkdownCache(folder / FILE_NAME)
    # Every text of this build passes the disk cache once, so it counts as used and is kept.
    _memo_convert.cache_clear()
    to_text.cache_clear()
    previous, _DISK = _DISK, cache
    try:
        yield cache
    finally:
        _DISK = previous
        cache.close()


class ConversionLog:
    """Stands in for the disk cache in a render worker (the build alone writes the cache): stores
    nothing, and lists what it converted so the build can keep it (adopt)."""

    def __init__(self, key: Callable[[str, int], bytes]) -> None:
        self.key = key
        self._made: list[tuple[bytes, str]] = []

    def get(self, key: bytes) -> str | None:
        return None

    def put(self, key: bytes, html: str) -> None:
        self._made.append((key, html))

    def take(self) -> list[tuple[bytes, str]]:
        """Return the conversions made since the last call."""
        made, self._made = self._made, []
        return made


def log_conversions() -> ConversionLog:
    """In a render worker: log conversions (ConversionLog) instead of keeping them; return the log."""
    global _DISK
    made = _DISK = ConversionLog(partial(cache_key, converter_fingerprint()))
    return made


def leave_disk_cache() -> None:
    """In a child forked from the build: convert without the build's disk cache. Its SQLite
    connection is the build's, and SQLite connections must not be used across a fork; the
    child's few conversions are not kept. (The build's frames, which the child never returns
    through, still hold the cache, so it is not closed here either.)"""
    global _DISK
    _DISK = None


def adopt(made: list[tuple[bytes, str]]) -> None:
    """Keep conversions a render worker made (ConversionLog.take) in this build's disk cache."""
    disk = _DISK
    if isinstance(disk, MarkdownCache):
        for key, html in made:
            disk.adopt(key, html)


@lru_cache(maxsize=MEMO_SIZE)
def _memo_convert(text: str, heading_shift: int) -> Markup:
    disk = _DISK
    if disk is None:
        return _convert(text, None, heading_shift)
    key = disk.key(text, heading_shift)
    stored = disk.get(key)
    if stored is not None:
        return Markup(stored)
    converted = _convert(text, None, heading_shift)
    disk.put(key, str(converted))
    return converted


def _convert(text: str, cite: Cite | None, heading_shift: int) -> Markup:
    renderer = _RENDERERS.get(heading_shift)
    if renderer is None:
        renderer = _RENDERERS[heading_shift] = _Renderer(heading_shift)
    return Markup(sanitise(renderer.convert(text, cite)))


_TAG = re.compile(r"<[^>]*>")


def html_to_text(fragment: str, limit: int | None = None) -> str:
    """Return sanitised HTML (from to_html) as one line of plain text, cut at a word to `limit` chars."""
    plain = " ".join(html.unescape(_TAG.sub(" ", fragment)).split())
    if limit is not None and len(plain) > limit:
        plain = plain[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return plain


@lru_cache(maxsize=MEMO_SIZE)
def to_text(text: str | None, limit: int | None = None) -> str:
    """Return Markdown `text` as one line of plain text, cut at a word boundary to `limit` chars."""
    return html_to_text(str(to_html(text)), limit) if text else ""
