"""sitemap.xml (sitemaps.org protocol 0.9) and robots.txt.

The sitemap lists each canonical page once (first pages of lists, not their later pages), with
`lastmod` where content says when it last changed. Past 50,000 URLs, the protocol's limit per
file, sitemap.xml becomes a sitemap index over sitemap-1.xml, sitemap-2.xml... beside it (a
sitemap may only list URLs at or below its own folder, so the parts cannot go in a subfolder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from pathlib import PurePosixPath
from xml.sax.saxutils import escape

from sitrep.config import SiteConfig
from sitrep.index import Indexes
from sitrep.model import Corpus, Event
from sitrep.page_keys import same_objects
from sitrep.urls import absolute_url, output_path, url_for
from sitrep.write import OutputFile

MAX_URLS = 50_000
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

Entry = tuple[str, date | None]
"""(site-absolute URL, last modification date or None)."""


def _latest(events: Iterable[Event]) -> date | None:
    return max((e.updated for e in events), default=None)


LatestMemo = dict[str, tuple[Sequence[Event], date | None]]
"""Page URL → the events its last-modified date was taken from at the last build, and that date:
kept by a long-lived process (serve; export.ExportMemo)."""


def entries(corpus: Corpus, indexes: Indexes, config: SiteConfig,
            memo: LatestMemo | None = None) -> Iterator[Entry]:
    """Yield every page the site has, in a stable order, with its last-modified date if known.

    With a `memo`, a page listing the very same events as at the last build keeps its date without
    reading them all again (at 100k events, ~0.3 s of a rebuild). It learns this build's dates
    once every entry is yielded."""
    old = memo if memo is not None else {}
    new: LatestMemo = {}

    def u(target: object, *args: object) -> str:
        return url_for(target, *args, config=config)

    def latest(url: str, events: Sequence[Event]) -> date | None:
        last = old.get(url)
        found = last[1] if last is not None and same_objects(last[0], events) else _latest(events)
        new[url] = (events, found)
        return found

    yield from _entries(corpus, indexes, config, u, latest)
    if memo is not None:
        memo.clear()
        memo.update(new)


def _entries(corpus: Corpus, indexes: Indexes, config: SiteConfig, u: Callable[..., str],
             latest: Callable[[str, Sequence[Event]], date | None]) -> Iterator[Entry]:
    yield (home := u("home")), latest(home, indexes.listed)
    for kind in ("timeline", "types", "regions", "actors", "sources", "briefings", "map", "search"):
        yield u(kind), None
    for _title, path in config.nav:
        page = PurePosixPath(path).with_suffix("").as_posix()
        if page not in ("", "index"):
            yield u("page", page), None
    for event in indexes.listed:
        yield u(event), event.updated
    for region in sorted(corpus.regions.values(), key=lambda r: r.id):
        yield (url := u(region)), latest(url, indexes.by_region.get(region.id, ()))
    for actor in sorted(corpus.actors.values(), key=lambda a: a.id):
        yield (url := u(actor)), latest(url, indexes.by_actor.get(actor.id, ()))
    for source in sorted(corpus.sources.values(), key=lambda s: s.id):
        yield (url := u(source)), latest(url, indexes.by_source.get(source.id, ()))
    for (year, month), events in indexes.by_month.items():
        yield (url := u("month", year, month)), latest(url, events)
    for event_type, events in sorted(indexes.by_type.items()):
        yield (url := u("type", event_type)), latest(url, events)
    for briefing in sorted(corpus.briefings.values(), key=lambda b: b.id):
        if briefing.status == "published":
            yield u(briefing), briefing.period_to


def _urlset(batch: Iterable[Entry], config: SiteConfig) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{_NS}">']
    for url, lastmod in batch:
        mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{escape(absolute_url(url, config))}</loc>{mod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _index(parts: list[tuple[str, date | None]], config: SiteConfig) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{_NS}">']
    for url, lastmod in parts:
        mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <sitemap><loc>{escape(absolute_url(url, config))}</loc>{mod}</sitemap>")
    lines.append("</sitemapindex>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _part_url(n: int, config: SiteConfig) -> str:
    return url_for("sitemap_part", n, config=config)


def robots_txt(config: SiteConfig) -> bytes:
    """Return robots.txt: everything may be crawled; the sitemap's absolute address."""
    sitemap = absolute_url(url_for("sitemap", config=config), config)
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n".encode()


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig, max_urls: int = MAX_URLS,
               memo: LatestMemo | None = None) -> Iterator[OutputFile]:
    """Yield sitemap.xml (a sitemap index and its parts when there are too many URLs) and robots.txt.
    `memo`: see entries."""
    sitemap_path = output_path(url_for("sitemap", config=config), config)
    all_entries = entries(corpus, indexes, config, memo)
    first = list(islice(all_entries, max_urls))
    extra = list(islice(all_entries, max_urls))
    if not extra:
        yield OutputFile(sitemap_path, _urlset(first, config))
    else:
        parts: list[tuple[str, date | None]] = []
        batch, n = first, 1
        while batch:
            url = _part_url(n, config)
            yield OutputFile(output_path(url, config), _urlset(batch, config))
            parts.append((url, max((m for _, m in batch if m), default=None)))
            batch, extra = extra, list(islice(all_entries, max_urls))
            n += 1
        yield OutputFile(sitemap_path, _index(parts, config))
    yield OutputFile("robots.txt", robots_txt(config))
