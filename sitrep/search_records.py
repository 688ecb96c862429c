"""Search records: what Pagefind indexes for each public event, actor, region, source and briefing.

Built from the model, never from the written HTML. The browser side (static/search.js) relies on
these names:

- content: the words that find a record, and that Pagefind cuts the result's excerpt from. Actors',
  regions' and sources' records hold all their names (aliases, native names, alternative names).
- meta: title, kind, date, place, type, fatalities ("9–13"), status (when not published), and
  aliases (shown). Pagefind 1.5 also searches meta fields, with a weight per field that
  static/search.js sets: an actor's, region's or source's `names` (its own names, all spellings)
  weigh most, so "Halab" and "Alep" put Aleppo first; an event's `related` (the names of its region
  and actors, with their aliases) weigh little but make "Daesh" find Islamic State's events, while
  the excerpt still comes from the summary rather than from a list of names.
- filters: kind (Event, Actor, Region, Source, Briefing) and, for events, region, actor (every actor
  in any role, claimants included), type, sub_type, assessment, year and month ("01".."12").
  Values are names, not ids, so a shared URL reads `?region=Aleppo&actor=Islamic+State`.
- sort: date (ISO start date) on events and briefings; sorting by date lists only those.
- every record's meta `every` holds EVERY, a word nothing else has: the page lists what filters
  alone select by searching for it. Pagefind's own search without words reads every word index
  chunk of every shard at once (~1,700 requests at 100k events), which Chromium refuses in part
  (net::ERR_INSUFFICIENT_RESOURCES) and Pagefind then leaves those chunks' records out unseen;
  searching for EVERY reads one chunk a shard. In a sharded index a dated record's `every` also
  holds its shard's own word (search.shard_word), so the page can list one shard at a time.

Record URLs are relative to the site root ("/events/<id>/"): pagefind.js prefixes the folder it is
served from, so the same index works for a site at a domain's root or under a sub-path.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sitrep.config import SiteConfig
from sitrep.index import Indexes, event_actor_ids
from sitrep.model import Actor, Briefing, Corpus, Event, Region, Source
from sitrep.pagefind_client import Record
from sitrep.render_text import date_text, deaths, period_text
from sitrep.urls import url_for

_CITATION = re.compile(r"\[\[([^\]\s]+)\]\]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]*>")
_MARKUP_CHARS = str.maketrans(dict.fromkeys("*_`#>|~", " "))
EVERY = "sitrepeveryrecord"
"""The word every record's meta holds (see above); static/search.js searches for the same word."""


def dated_records(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Iterator[Record]:
    """Yield the records with a date, oldest first: public events and published briefings, lazily."""
    return (dated_record(item, corpus, config.language) for item in dated_items(corpus, indexes))


def dated_urls(corpus: Corpus, indexes: Indexes) -> Iterator[str]:
    """Yield the URLs of dated_records, in the same order, without making the records."""
    return (url_for(item) for item in dated_items(corpus, indexes))


def dated_record(item: Event | Briefing, corpus: Corpus, language: str) -> Record:
    """Return the record of an event or a briefing."""
    if isinstance(item, Event):
        return event_record(item, corpus, language)
    return briefing_record(item, corpus, language)


def dated_items(corpus: Corpus, indexes: Indexes) -> Iterator[Event | Briefing]:
    """Yield what dated_records are made from, in their order."""
    briefings = sorted((b for b in corpus.briefings.values() if b.status == "published"),
                       key=lambda b: (b.period_from, b.id))
    # indexes.listed is by (start date, id); a record's sort date is the ISO start date.
    return heapq.merge(indexes.listed, briefings, key=_sort_date)


def _sort_date(item: Event | Briefing) -> str:
    return (item.date.start if isinstance(item, Event) else item.period_from).isoformat()


def undated_records(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Iterator[Record]:
    """Yield one record per actor, region and source."""
    lang = config.language
    for actor in corpus.actors.values():
        yield actor_record(actor, indexes, lang)
    for region in corpus.regions.values():
        yield region_record(region, indexes, lang)
    for source in corpus.sources.values():
        yield source_record(source, indexes, lang)


def iter_records(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Iterator[Record]:
    """Yield every record: dated ones oldest first, then actors, regions and sources."""
    yield from dated_records(corpus, indexes, config)
    yield from undated_records(corpus, indexes, config)


def count_records(corpus: Corpus, indexes: Indexes) -> tuple[int, int]:
    """Return how many (dated, undated) records the corpus gives, without making them."""
    briefings = sum(b.status == "published" for b in corpus.briefings.values())
    return len(indexes.listed) + briefings, len(corpus.actors) + len(corpus.regions) + len(corpus.sources)


def event_refs(event: Event, corpus: Corpus) -> tuple[Region | None, list[Actor], list[Source]]:
    """Return the records an event's search record reads besides the event: its region, actors
    (claimants too) and sources (search.ShardInputs keys shards by them)."""
    actors = [corpus.actors[a] for a in sorted(event_actor_ids(event)) if a in corpus.actors]
    sources = [corpus.sources[s.source] for s in event.sources if s.source in corpus.sources]
    return corpus.regions.get(event.region), actors, sources


def event_record(event: Event, corpus: Corpus, language: str = "en") -> Record:
    """Return the search record of one event."""
    region, actors, sources = event_refs(event, corpus)
    loc = event.location
    # The title is a meta field, which Pagefind searches and weighs on its own; repeating it here
    # would only push the summary out of the excerpt.
    words = [plain(event.summary), loc.place, loc.admin2, event.event_type, event.sub_event_type,
             *(s.name for s in sources), *(t.replace("-", " ") for t in event.tags)]
    if event.status != "published":
        words.append(event.status)
    start = event.date.start
    meta = {"title": event.title, "kind": "Event", "every": EVERY, "date": date_text(event.date),
            "place": ", ".join(p for p in (loc.place, region.name if region else loc.region) if p),
            "type": f"{event.event_type}: {event.sub_event_type}", "fatalities": deaths(event.fatalities),
            "assessment": event.assessment,
            "related": "; ".join([*_region_names(region), *(n for a in actors for n in _actor_names(a))])}
    if event.status != "published":
        meta["status"] = event.status
    return Record(url_for(event), _join(words), language, meta, _event_filters(event, region, actors),
                  {"date": start.isoformat()})


def _event_filters(event: Event, region: Region | None, actors: list[Actor]) -> dict[str, list[str]]:
    start = event.date.start
    return {"kind": ["Event"], "region": [region.name if region else event.location.region],
            "actor": sorted({a.name for a in actors}), "type": [event.event_type],
            "sub_type": [event.sub_event_type], "assessment": [event.assessment],
            "year": [f"{start.year:04d}"], "month": [f"{start.month:02d}"]}


def actor_record(actor: Actor, indexes: Indexes, language: str = "en") -> Record:
    """Return the search record of one actor: its name, native name and every alias find it."""
    names = _actor_names(actor)
    words = [*names, _label(actor.kind), plain(actor.description)]
    meta = {"title": actor.name, "kind": "Actor", "every": EVERY, "type": _label(actor.kind),
            "names": "; ".join(names),
            "events": str(len(indexes.by_actor.get(actor.id, ())))}
    if actor.aliases:
        meta["aliases"] = ", ".join(actor.aliases)
    return Record(url_for(actor), _join(words), language, meta, _actor_filters(actor))


def _actor_filters(actor: Actor) -> dict[str, list[str]]:
    return {"kind": ["Actor"], "actor": [actor.name]}


def region_record(region: Region, indexes: Indexes, language: str = "en") -> Record:
    """Return the search record of one region: its name, native name and alternative names find it."""
    names = _region_names(region)
    words = [*names, region.iso_3166_2, plain(region.description)]
    meta = {"title": region.name, "kind": "Region", "every": EVERY, "place": region.country,
            "names": "; ".join(names),
            "events": str(len(indexes.by_region.get(region.id, ())))}
    if region.alt_names:
        meta["aliases"] = ", ".join(region.alt_names)
    return Record(url_for(region), _join(words), language, meta, _region_filters(region))


def _region_filters(region: Region) -> dict[str, list[str]]:
    return {"kind": ["Region"], "region": [region.name]}


def source_record(source: Source, indexes: Indexes, language: str = "en") -> Record:
    """Return the search record of one source."""
    names = [source.name, *([source.native_name] if source.native_name else []), *source.aliases]
    words = [*names, _label(source.kind), plain(source.description)]
    meta = {"title": source.name, "kind": "Source", "every": EVERY, "type": _label(source.kind),
            "names": "; ".join(names),
            "events": str(len(indexes.by_source.get(source.id, ())))}
    return Record(url_for(source), _join(words), language, meta, _source_filters())


def _source_filters() -> dict[str, list[str]]:
    return {"kind": ["Source"]}


def cited_events(briefing: Briefing) -> list[str]:
    """Return the ids of the events a briefing's body cites, which its record names by title."""
    return _CITATION.findall(briefing.body)


def briefing_refs(briefing: Briefing, corpus: Corpus) -> tuple[list[Region], list[Actor]]:
    """Return the regions and actors a briefing's search record names (and the events it cites,
    cited_events)."""
    return ([corpus.regions[r] for r in briefing.regions if r in corpus.regions],
            [corpus.actors[a] for a in briefing.actors if a in corpus.actors])


def briefing_record(briefing: Briefing, corpus: Corpus, language: str = "en") -> Record:
    """Return the search record of one briefing; cited events count by their titles."""
    regions, actors = briefing_refs(briefing, corpus)

    def cite(m: re.Match[str]) -> str:
        event = corpus.events_by_id.get(m.group(1))
        return event.title if event else ""

    words = [briefing.title, plain(briefing.summary), plain(_CITATION.sub(cite, briefing.body)),
             *(r.name for r in regions), *(a.name for a in actors)]
    meta = {"title": briefing.title, "kind": "Briefing", "every": EVERY,
            "date": period_text(briefing.period_from, briefing.period_to)}
    filters = _briefing_filters(briefing, regions, actors)
    return Record(url_for(briefing), _join(words), language, meta, filters,
                  {"date": briefing.period_from.isoformat()})


def _briefing_filters(briefing: Briefing, regions: list[Region], actors: list[Actor]) -> dict[str, list[str]]:
    start = briefing.period_from
    filters = {"kind": ["Briefing"], "region": [r.name for r in regions], "actor": [a.name for a in actors],
               "year": [f"{start.year:04d}"], "month": [f"{start.month:02d}"]}
    return {k: v for k, v in filters.items() if v}


def filter_counts(corpus: Corpus, indexes: Indexes) -> dict[str, dict[str, int]]:
    """Return, for each filter, how many records hold each of its values: what Pagefind's filters()
    gives for the whole index, found without making the records (the search page lists them as
    each filter's options, so it need not read every shard's filter index before its first search:
    0.85 s at 100k events)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)

    def add(filters: dict[str, list[str]]) -> None:
        for key, values in filters.items():
            held = counts[key]
            for value in values if len(values) < 2 else set(values):  # Pagefind counts a record once
                held[value] = held.get(value, 0) + 1

    for item in dated_items(corpus, indexes):
        if isinstance(item, Event):
            region, actors, _sources = event_refs(item, corpus)
            add(_event_filters(item, region, actors))
        else:
            add(_briefing_filters(item, *briefing_refs(item, corpus)))
    for actor in corpus.actors.values():
        add(_actor_filters(actor))
    for region in corpus.regions.values():
        add(_region_filters(region))
    for _source in corpus.sources.values():
        add(_source_filters())
    return {key: values for key, values in counts.items() if values}


def _actor_names(actor: Actor) -> list[str]:
    return [actor.name, *([actor.native_name] if actor.native_name else []), *actor.aliases]


def _region_names(region: Region | None) -> list[str]:
    if region is None:
        return []
    return [region.name, *([region.native_name] if region.native_name else []), *region.alt_names]


def _label(slug: str) -> str:
    """Return 'rebel-group' as 'Rebel group'."""
    return slug.replace("-", " ").capitalize()


def plain(markdown: str | None) -> str:
    """Return Markdown as plain words, cheaply: link text kept, markup characters dropped.

    Rendering every summary through Markdown and nh3 (markup.to_text) costs more than the whole
    index at 100k events; search needs only the words, and the result list shows Pagefind's excerpt.
    """
    if not markdown:
        return ""
    text = markdown
    if "[" in text:  # most summaries have no link or citation: skip those scans
        text = _LINK.sub(r"\1", _CITATION.sub(r"\1", text))
    if "<" in text:
        text = _TAG.sub(" ", text)
    return " ".join(text.translate(_MARKUP_CHARS).split())


def _join(words: Iterable[str | None]) -> str:
    return "\n".join(w for w in words if w)
