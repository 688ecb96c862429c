"""Atom feeds (RFC 4287): the whole site, each region and each actor, newest changes first.

Entry ids are the events' absolute permalinks, which never change (ids are stable forever); an
entry's `updated` is the event's newest revision date, else its end date, so an edited event
rises to the top of its feeds. Each feed holds the newest FEED_SIZE entries, so a feed's cost does
not grow with the corpus, and a feed's own `updated` is its newest entry's: builds are reproducible.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from functools import partial
from importlib.metadata import version

from feedgen.feed import FeedGenerator

from sitrep.config import SiteConfig
from sitrep.index import Indexes
from sitrep.markup import to_text
from sitrep.model import Corpus, Event
from sitrep.page_keys import PageKeys, salt, same_objects
from sitrep.urls import absolute_url, output_path, url_for
from sitrep.write import OutputFile, PendingFile, SiteFile

FEED_SIZE = 50
SUMMARY_CHARS = 600
_EPOCH = date(1970, 1, 1)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def newest(events: Iterable[Event], n: int = FEED_SIZE) -> list[Event]:
    """Return the `n` most recently updated events, newest first (ties: later start, then id)."""
    return heapq.nlargest(n, events, key=lambda e: (e.updated, e.date.start, e.id))


def _absolute(config: SiteConfig, target: object, *args: object) -> str:
    return absolute_url(url_for(target, *args, config=config), config)


def _first_paragraph(markdown: str) -> str:
    """Return the summary's first paragraph as plain text (rendering whole summaries cost the most)."""
    return to_text(markdown.strip().split("\n\n", 1)[0][:2000], SUMMARY_CHARS)


def _entry_summary(event: Event, corpus: Corpus) -> str:
    region = corpus.regions.get(event.region)
    where = region.name if region else event.region
    toll = ""
    if event.fatalities is not None:
        f = event.fatalities
        toll = f" Fatalities: {f.best}" + (f" (range {f.low}–{f.high})" if f.is_range else "") + "."
    status = "" if event.status == "published" else f"[{event.status}] "
    head = f"{status}{event.event_type}, {where}, {event.date.start.isoformat()}.{toll}"
    return f"{head} {_first_paragraph(event.summary)}"


def feed_xml(title: str, feed_url: str, page_url: str, events: Sequence[Event], corpus: Corpus,
             config: SiteConfig, fallback_updated: date, summaries: dict[str, str] | None = None) -> bytes:
    """Return one Atom feed document holding `events` (already chosen and ordered).

    `summaries` memoises entry texts by event id across the feeds of one build (an event is in the
    site's feed, its region's and each of its actors').
    """
    summaries = {} if summaries is None else summaries
    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(title)
    fg.author({"name": config.site_name})
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.language(config.language)
    if config.site_description:
        fg.subtitle(config.site_description)
    if config.copyright:
        fg.rights(config.copyright)
    fg.updated(_moment(max((e.updated for e in events), default=fallback_updated)))
    for event in events:
        permalink = _absolute(config, event)
        fe = fg.add_entry(order="append")
        fe.id(permalink)
        fe.title(event.title)
        fe.link(href=permalink, rel="alternate", type="text/html")
        fe.updated(_moment(event.updated))
        fe.published(_moment(event.date.start))
        if event.id not in summaries:
            summaries[event.id] = _entry_summary(event, corpus)
        fe.summary(summaries[event.id])
        fe.category(term=event.event_type)
    return fg.atom_str(pretty=True)


def _scopes(corpus: Corpus, indexes: Indexes, config: SiteConfig
            ) -> Iterator[tuple[str, str, str, Sequence[Event]]]:
    """Yield (title, feed URL, page URL, events) for the site, each region and each actor."""
    yield (f"{config.site_name}: latest events", url_for("atom", config=config),
           url_for("home", config=config), indexes.listed)
    for region in sorted(corpus.regions.values(), key=lambda r: r.id):
        yield (f"{config.site_name}: {region.name}", url_for("feed", "regions", region.id, config=config),
               url_for(region, config=config), indexes.by_region.get(region.id, ()))
    for actor in sorted(corpus.actors.values(), key=lambda a: a.id):
        yield (f"{config.site_name}: {actor.name}", url_for("feed", "actors", actor.id, config=config),
               url_for(actor, config=config), indexes.by_actor.get(actor.id, ()))


def feed_salt(config: SiteConfig) -> bytes:
    """What every feed's key shares: Sitrep's code, the libraries, feedgen's version and the config."""
    return salt(config, f"feedgen {version('feedgen')}".encode())


FeedMemo = dict[str, tuple[Sequence[Event], list[Event]]]
"""Feed URL → the events the feed chose from at the last build and those it chose (newest), kept
by a long-lived process (serve; export.ExportMemo)."""


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig,
               memo: FeedMemo | None = None) -> Iterator[SiteFile]:
    """Yield /feeds/atom.xml and one feed per region and per actor.

    Each comes as a PendingFile keyed by all it is made from (its title, URLs, chosen events and
    their regions, which entry summaries name), so a rebuild makes only the feeds an edit reaches.
    With a `memo`, a feed choosing from the very same events as at the last build takes the same
    ones without choosing again: at 100k events, choosing every feed's took ~0.5 s of a rebuild."""
    scopes = []
    old = memo if memo is not None else {}
    new: FeedMemo = {}
    for title, feed_url, page_url, events in _scopes(corpus, indexes, config):
        last = old.get(feed_url)
        chosen = last[1] if last is not None and same_objects(last[0], events) else newest(events)
        new[feed_url] = (events, chosen)
        scopes.append((title, feed_url, page_url, chosen))
    # A feed with no events still needs an `updated`: the corpus' newest change keeps builds stable.
    # The site's feed chose the newest change first.
    fallback = scopes[0][3][0].updated if scopes[0][3] else _EPOCH
    summaries: dict[str, str] = {}
    keys = PageKeys(feed_salt(config), corpus.file_digest)
    for title, feed_url, page_url, chosen in scopes:
        regions = tuple(corpus.regions.get(e.region) for e in chosen)
        key = keys.key("atom", (title, feed_url, page_url, chosen, regions, fallback))
        make = partial(feed_xml, title, absolute_url(feed_url, config), absolute_url(page_url, config),
                       chosen, corpus, config, fallback, summaries)
        path = output_path(feed_url, config)
        yield OutputFile(path, make()) if key is None else PendingFile(path, key, make)
    if memo is not None:
        memo.clear()
        memo.update(new)
