"""Briefings: select the events of a scope, compute its sections, render page, Markdown and PDF.

A scope is a period plus optional regions and actors. Curated briefings (content/briefings/*.md)
add a narrative to the computed sections; ad-hoc briefings (`build.py brief`) have only the
computed sections. Rendering lives in briefing_render (HTML, Markdown) and briefing_pdf (PDF).
"""

from __future__ import annotations

import logging
import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from sitrep.briefing_check import iter_citations
from sitrep.briefing_figures import EventRow, KeyFigures, SourceEntry, key_figures, references
from sitrep.index import event_actor_roles
from sitrep.model import Briefing, Corpus, Event
from sitrep.render_text import period_text

if TYPE_CHECKING:
    from sitrep.config import SiteConfig
    from sitrep.write import OutputFile

log = logging.getLogger(__name__)

Format = Literal["pdf", "md", "html"]

AHEAD_MAX = 25_000
"""Up to this many events, a build that must print a PDF runs this stage beside the others
(runs_ahead). Larger sites index their search in a helper that keeps the second core busy for
the whole build (search.start_beside), so a child would only take its turns; and the pages of
the model it reads would be copied into it, on top of the build's peak."""
AHEAD_NICENESS = 19
"""The child prints at the lowest priority, on what the build leaves idle: at 3k and 10k events
the search index's child and the second renderer keep both cores busy through the render, and a
child at the build's priority took their time (cold 3k: 15.1-15.4 s, against 13.4-15.0 s with
the PDFs printed in the build's process). At the lowest priority, alternating with builds that
print in-process: cold 1k 7.1-7.6 s against 8.5-10.4 s, 3k 14.4-14.8 against 18.5-19.6 (a slower
hour), 10k 35.1-39.5 against 41.0-46.2. Once the build reaches this stage it waits for the
child, which then has a core to itself."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What a briefing covers: public events overlapping [period_from, period_to], in any of the
    regions (all when empty), involving any of the actors (all when empty)."""

    period_from: date
    period_to: date
    regions: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()

    @classmethod
    def of(cls, briefing: Briefing) -> Scope:
        """Return a curated briefing's scope, from its front matter."""
        return cls(briefing.period_from, briefing.period_to, briefing.regions, briefing.actors)

    def contains(self, event: Event) -> bool:
        """Return whether a public event falls in this scope."""
        if not event.is_public or event.date.start > self.period_to or event.date.end < self.period_from:
            return False
        if self.regions and event.region not in self.regions:
            return False
        # Same notion of involvement as the actor pages: any role, claims included.
        return not self.actors or any(a in self.actors for a in event_actor_roles(event))


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a briefing shows, in every format: the narrative and the computed sections.

    `events` are the public events in scope (listed, marked when retracted or superseded);
    `figures` count only the published ones, as the site's totals do, so nothing counts twice."""

    id: str
    title: str
    scope: Scope
    events: tuple[Event, ...]
    figures: KeyFigures
    rows: tuple[EventRow, ...]
    sources: tuple[SourceEntry, ...]
    numbers: Mapping[str, int]  # event id → reference number
    briefing: Briefing | None = None  # None for an ad-hoc briefing

    @property
    def counted(self) -> tuple[Event, ...]:
        """Return the published events in scope: what figures, chart and map count."""
        return tuple(e for e in self.events if e.status == "published")

    @property
    def body(self) -> str:
        """Return the narrative (Markdown with [[id]] citations); empty for an ad-hoc briefing."""
        return self.briefing.body if self.briefing else ""


class EventWindow:
    """Events by start date, to find those overlapping a period without scanning the whole corpus."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events  # sorted by (start, id), as Corpus.events is
        self.starts = [e.date.start for e in events]
        # The longest event bounds how early an event can start and still reach into a period.
        self.longest = max((e.date.end - e.date.start for e in events), default=timedelta(0))

    def overlapping(self, first: date, last: date) -> Sequence[Event]:
        """Return the events that may overlap [first, last]: a superset, in corpus order."""
        lo = bisect_left(self.starts, first - self.longest)
        return self.events[lo:bisect_right(self.starts, last)]


def select_events(corpus: Corpus, scope: Scope, window: EventWindow | None = None) -> tuple[Event, ...]:
    """Return the events in scope, in the corpus order (start date, id)."""
    candidates = (window or EventWindow(corpus.events)).overlapping(scope.period_from, scope.period_to)
    return tuple(e for e in candidates if scope.contains(e))


def adhoc_title(corpus: Corpus, scope: Scope) -> str:
    """Return a title naming an ad-hoc scope: 'Events, 1–30 April 2019: Aleppo; Islamic State'."""
    names = [corpus.regions[r].name if r in corpus.regions else r for r in scope.regions]
    names += [corpus.actors[a].name if a in corpus.actors else a for a in scope.actors]
    where = f": {'; '.join(names)}" if names else ""
    return f"Events, {period_text(scope.period_from, scope.period_to)}{where}"


def build_report(corpus: Corpus, scope: Scope, briefing: Briefing | None = None,
                 window: EventWindow | None = None) -> Report:
    """Return the report of a scope, with the narrative of `briefing` when given."""
    events = select_events(corpus, scope, window)
    cited = [c.event_id for c in iter_citations(briefing.body)] if briefing else []
    rows, sources = references(corpus, events, cited)
    counted = [e for e in events if e.status == "published"]  # the same rule as Report.counted
    figures = key_figures(corpus, counted, scope.period_from, scope.period_to)
    numbers = MappingProxyType({r.event.id: r.number for r in rows})
    if briefing is not None:
        return Report(briefing.id, briefing.title, scope, events, figures, rows, sources, numbers, briefing)
    ident = f"events-{scope.period_from}-{scope.period_to}"
    return Report(ident, adhoc_title(corpus, scope), scope, events, figures, rows, sources, numbers)


def published_briefings(corpus: Corpus) -> list[Briefing]:
    """Return published briefings, newest period first."""
    live = [b for b in corpus.briefings.values() if b.status == "published"]
    return sorted(live, key=lambda b: (b.period_to, b.id), reverse=True)


def make_adhoc(corpus: Corpus, scope: Scope, fmt: Format, config: SiteConfig | None = None) -> bytes:
    """Return an ad-hoc briefing of `scope` (computed sections only) as PDF, Markdown or HTML bytes."""
    from sitrep import briefing_pdf, briefing_render
    from sitrep.config import SiteConfig

    cfg = config or SiteConfig()
    report = build_report(corpus, scope)
    if fmt == "pdf":
        return briefing_pdf.render_pdf(report, corpus, cfg)
    if fmt == "md":
        return briefing_render.render_markdown(report, corpus, cfg).encode()
    if fmt == "html":
        return briefing_render.render_pdf_html(report, corpus, cfg).encode()
    raise ValueError(f"unknown briefing format {fmt!r}; expected pdf, md or html")


def runs_ahead(corpus: Corpus, indexes: object, config: SiteConfig) -> bool:
    """Whether the pipeline may run this stage in a forked child from the start, beside the others.

    Yes when a published briefing's PDF is not in the cache, on a machine with a second core, for
    a site of up to AHEAD_MAX events: WeasyPrint takes about a second to import and one or more to
    print each briefing, which a build in one process spent at the end with the other core idle
    (3.4 of 9.3 s of a 1k-event cold build). Finding out costs each briefing's print HTML (a few
    ms), which the child makes again."""
    from sitrep import briefing_pdf

    if (os.cpu_count() or 1) < 2 or len(corpus.events) > AHEAD_MAX:
        return False
    cached = briefing_pdf.pdf_cache(config)
    return not all(briefing_pdf.is_cached(report, corpus, config, cached) for report in _reports(corpus))


def _reports(corpus: Corpus) -> list[Report]:
    """Return the report of each published briefing."""
    window = EventWindow(corpus.events)
    return [build_report(corpus, Scope.of(b), b, window) for b in published_briefings(corpus)]


def iter_files(corpus: Corpus, indexes: object, config: SiteConfig) -> Iterator[OutputFile]:
    """Yield each published briefing's page, Markdown and PDF, and the /briefings/ index page."""
    from sitrep import briefing_pdf, briefing_render
    from sitrep.urls import output_path, url_for
    from sitrep.write import OutputFile

    def path(*args: str) -> str:
        return output_path(url_for(*args, config=config), config)

    reports = _reports(corpus)
    env = briefing_render.site_environment(config)
    pdf_cache = briefing_pdf.pdf_cache(config)
    for report in reports:
        yield OutputFile(path("briefing", report.id),
                         briefing_render.render_page(report, corpus, config, env).encode())
        yield OutputFile(path("briefing_file", report.id, "md"),
                         briefing_render.render_markdown(report, corpus, config).encode())
        yield OutputFile(path("briefing_file", report.id, "pdf"),
                         briefing_pdf.render_pdf(report, corpus, config, pdf_cache))
    yield OutputFile(path("briefings"), briefing_render.render_index(reports, config, env).encode())
    pdf_cache.prune()
    log.info("briefings: %d, PDFs from cache: %d", len(reports), pdf_cache.hits)
