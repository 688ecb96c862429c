"""Search stage: a Pagefind index built from the model (not from the written HTML), and /search/.

One custom record per public event, actor, region, source and published briefing goes to
`pagefind --service` through `pagefind_client` (the stock Python API reads answers at ~10 records/s;
see that module). Building from the model is what keeps indexing linear and fast at 100k events:
measured in bench/bench_search.py against running the pagefind CLI over the written pages.

What a record carries (the browser side, static/search.js, relies on these names):

- content: the words that find it, and that Pagefind cuts the result's excerpt from. Actors' and
  regions' records hold all their names (aliases, native names, alternative names).
- meta: title, kind, date, place, type, fatalities ("9–13"), status (when not published), url, and
  for events `names`: the names of its region and actors with all their aliases. Pagefind 1.5
  searches meta fields too, so "Daesh" finds Islamic State's events and "Halab" Aleppo's, while the
  excerpt still comes from the summary rather than from a list of names.
- filters: kind (Event, Actor, Region, Source, Briefing) and, for events, region, actor (every actor
  in any role, claimants included), type, sub_type, assessment, year and month ("01".."12").
  Values are names, not ids, so a shared URL reads `?region=Aleppo&actor=Islamic+State`.
- sort: date (ISO start date) on events and briefings; sorting by date lists only those.

Record URLs are relative to the site root ("/events/<id>/"): pagefind.js prefixes the folder it is
served from, so the same index works for a site at a domain's root or under a sub-path.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sitrep.config import SiteConfig
from sitrep.index import Indexes, event_actor_roles
from sitrep.model import Actor, Briefing, Corpus, Event, Region, Source
from sitrep.pagefind_client import PagefindService, Record
from sitrep.pagefind_files import is_unstable, stabilise
from sitrep.render_text import date_text, deaths, period_text
from sitrep.urls import output_path, url_for
from sitrep.write import OutputFile

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
"""Where the index goes inside the site; static/search.js imports BUNDLE_DIR/pagefind.js."""
FILTERS: tuple[tuple[str, str], ...] = (
    ("kind", "Show"), ("region", "Region"), ("actor", "Actor"), ("type", "Event type"),
    ("sub_type", "Sub-type"), ("assessment", "Assessment"), ("year", "Year"), ("month", "Month"),
)
"""(filter key, label) in the order the search page shows them; the URL uses the same keys."""
# Pagefind's own UI bundles: the site uses static/search.js on pagefind.js instead.
_UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.",
           "playground/")

_CITATION = re.compile(r"\[\[([^\]\s]+)\]\]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`#>|~]+|<[^>]*>")
_SPACES = re.compile(r"\s+")


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Iterator[OutputFile]:
    """Yield the search page and the Pagefind bundle (pagefind/...) for `corpus`."""
    yield search_page(config)
    yield from index_files(iter_records(corpus, indexes, config), config.language)


# --- the index --------------------------------------------------------------------------------------

def index_files(records: Iterable[Record], language: str = "en",
                stats: dict[str, float] | None = None) -> Iterator[OutputFile]:
    """Yield the Pagefind bundle for `records` as OutputFiles under BUNDLE_DIR/.

    The service writes the bundle into a private temp folder and the files are streamed from there,
    so memory stays flat however large the index (GetFiles would return it as one base64 message).
    `stats`, when given, receives records, add_s, write_s and service_peak_mb (for bench/).
    """
    stats = {} if stats is None else stats
    tmp = Path(tempfile.mkdtemp(prefix="sitrep-pagefind-"))
    try:
        started = time.perf_counter()
        with PagefindService() as service:
            index = service.new_index({"force_language": language})
            stats["records"] = service.add_records(index, records)
            added = time.perf_counter()
            bundle = service.write_files(index, tmp / BUNDLE_DIR)
            stats["service_peak_mb"] = service.peak_memory_mb() or 0.0
        stats["add_s"], stats["write_s"] = added - started, time.perf_counter() - added
        log.info("search: %d records indexed in %.1f s, bundle written in %.1f s",
                 stats["records"], stats["add_s"], stats["write_s"])
        yield from _bundle_files(bundle)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bundle_files(bundle: Path) -> Iterator[OutputFile]:
    """Yield the bundle's files, the few that pagefind writes differently on each run put in order."""
    unstable: dict[str, bytes] = {}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle).as_posix()
        if rel.startswith(_UNUSED):
            continue
        if is_unstable(rel):
            unstable[rel] = path.read_bytes()
        else:
            yield OutputFile(f"{BUNDLE_DIR}/{rel}", path.read_bytes())
    for rel, data in sorted(stabilise(unstable).items()):
        yield OutputFile(f"{BUNDLE_DIR}/{rel}", data)


def iter_records(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Iterator[Record]:
    """Yield one record per public event, actor, region, source and published briefing, lazily."""
    lang = config.language
    for event in indexes.listed:
        yield event_record(event, corpus, lang)
    for actor in corpus.actors.values():
        yield actor_record(actor, indexes, lang)
    for region in corpus.regions.values():
        yield region_record(region, indexes, lang)
    for source in corpus.sources.values():
        yield source_record(source, indexes, lang)
    for briefing in corpus.briefings.values():
        if briefing.status == "published":
            yield briefing_record(briefing, corpus, lang)


def event_record(event: Event, corpus: Corpus, language: str = "en") -> Record:
    """Return the search record of one event."""
    region = corpus.regions.get(event.region)
    actors = [corpus.actors[a] for a in sorted(event_actor_roles(event)) if a in corpus.actors]
    sources = [corpus.sources[s.source] for s in event.sources if s.source in corpus.sources]
    loc = event.location
    # The title is a meta field, which Pagefind searches and weighs on its own; repeating it here
    # would only push the summary out of the excerpt.
    words = [plain(event.summary), loc.place, loc.admin2, event.event_type, event.sub_event_type,
             *(s.name for s in sources), *(t.replace("-", " ") for t in event.tags)]
    if event.status != "published":
        words.append(event.status)
    start = event.date.start
    meta = {"title": event.title, "kind": "Event", "date": date_text(event.date),
            "place": ", ".join(p for p in (loc.place, region.name if region else loc.region) if p),
            "type": f"{event.event_type}: {event.sub_event_type}", "fatalities": deaths(event.fatalities),
            "assessment": event.assessment, "url": url_for(event),
            "names": "; ".join([*_region_names(region), *(n for a in actors for n in _actor_names(a))])}
    if event.status != "published":
        meta["status"] = event.status
    filters = {"kind": ["Event"], "region": [region.name if region else loc.region],
               "actor": sorted({a.name for a in actors}), "type": [event.event_type],
               "sub_type": [event.sub_event_type], "assessment": [event.assessment],
               "year": [f"{start.year:04d}"], "month": [f"{start.month:02d}"]}
    return Record(url_for(event), _join(words), language, meta, filters, {"date": start.isoformat()})


def actor_record(actor: Actor, indexes: Indexes, language: str = "en") -> Record:
    """Return the search record of one actor: its name, native name and every alias find it."""
    words = [*_actor_names(actor), _label(actor.kind), plain(actor.description)]
    meta = {"title": actor.name, "kind": "Actor", "type": _label(actor.kind), "url": url_for(actor),
            "events": str(len(indexes.by_actor.get(actor.id, ())))}
    if actor.aliases:
        meta["aliases"] = ", ".join(actor.aliases)
    return Record(url_for(actor), _join(words), language, meta, {"kind": ["Actor"], "actor": [actor.name]})


def region_record(region: Region, indexes: Indexes, language: str = "en") -> Record:
    """Return the search record of one region: its name, native name and alternative names find it."""
    words = [*_region_names(region), region.iso_3166_2, plain(region.description)]
    meta = {"title": region.name, "kind": "Region", "place": region.country, "url": url_for(region),
            "events": str(len(indexes.by_region.get(region.id, ())))}
    if region.alt_names:
        meta["aliases"] = ", ".join(region.alt_names)
    return Record(url_for(region), _join(words), language, meta,
                  {"kind": ["Region"], "region": [region.name]})


def source_record(source: Source, indexes: Indexes, language: str = "en") -> Record:
    """Return the search record of one source."""
    words = [source.name, source.native_name, *source.aliases, _label(source.kind), plain(source.description)]
    meta = {"title": source.name, "kind": "Source", "type": _label(source.kind), "url": url_for(source),
            "events": str(len(indexes.by_source.get(source.id, ())))}
    return Record(url_for(source), _join(words), language, meta, {"kind": ["Source"]})


def briefing_record(briefing: Briefing, corpus: Corpus, language: str = "en") -> Record:
    """Return the search record of one briefing; cited events count by their titles."""
    regions = [corpus.regions[r] for r in briefing.regions if r in corpus.regions]
    actors = [corpus.actors[a] for a in briefing.actors if a in corpus.actors]

    def cite(m: re.Match[str]) -> str:
        event = corpus.events_by_id.get(m.group(1))
        return event.title if event else ""

    words = [briefing.title, plain(briefing.summary), plain(_CITATION.sub(cite, briefing.body)),
             *(r.name for r in regions), *(a.name for a in actors)]
    start = briefing.period_from
    meta = {"title": briefing.title, "kind": "Briefing", "url": url_for(briefing),
            "date": period_text(briefing.period_from, briefing.period_to)}
    filters = {"kind": ["Briefing"], "region": [r.name for r in regions], "actor": [a.name for a in actors],
               "year": [f"{start.year:04d}"], "month": [f"{start.month:02d}"]}
    return Record(url_for(briefing), _join(words), language, meta, {k: v for k, v in filters.items() if v},
                  {"date": start.isoformat()})


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
    text = _CITATION.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    return _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip()


def _join(words: Iterable[str | None]) -> str:
    return "\n".join(w for w in words if w)


# --- the page -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SearchPage:
    """What templates/search.html needs besides the environment's globals."""

    bundle_url: str
    """URL of the Pagefind bundle folder, ending in '/'."""
    filters: tuple[tuple[str, str], ...] = FILTERS


def search_page(config: SiteConfig) -> OutputFile:
    """Return /search/: the form (works without JS as a plain GET form) and the results area."""
    from sitrep.render import make_environment
    from sitrep.render_context import Meta

    url = url_for("search", config=config)
    meta = Meta(title="Search", url=url, section="search", noindex=True,
                description="Search events, actors, regions, sources and briefings.")
    page = SearchPage(bundle_url=url_for("home", config=config) + BUNDLE_DIR + "/")
    html = make_environment(config).get_template("search.html").render(page=page, meta=meta)
    return OutputFile(output_path(url, config), html.encode("utf-8"))
