"""Render a briefing Report as the PDF's HTML, as Markdown, and as the site's page.

Citations [[event-id]] become numbered references: on the site a link to the event's page, in the
PDF an internal link to the numbered entry of the events table, in Markdown a link to the site.
Everything from content is untrusted: Jinja autoescapes, the narrative goes through the
sanitising Markdown renderer, and Markdown output escapes the characters that would format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache, partial
from pathlib import Path

import jinja2
from markupsafe import Markup

from sitrep import charts, markup, urls
from sitrep.briefing import Report
from sitrep.briefing_check import CITATION_RE
from sitrep.briefing_figures import Bucket
from sitrep.config import SiteConfig
from sitrep.model import Corpus, Event
from sitrep.render import make_environment, templates_dir
from sitrep.render_context import Chart, Meta
from sitrep.render_text import MONTH_ABBRS, date_text, deaths, number, period_text, short_day, toll
from sitrep.svgmap import render_map

# ---- figures and chart ------------------------------------------------------------------------

def range_text(low: int, best: int, high: int) -> str:
    """Return a summed toll: '40', or '38–40 (best estimate 40)' when sources disagree."""
    return number(best) if low == high else f"{toll(low, high)} (best estimate {number(best)})"


def per_text(days: int) -> str:
    """Return what one bar covers: 'day', 'week' or '30 days'."""
    return "day" if days == 1 else "week" if days == 7 else f"{days} days"


def series_chart(buckets: Sequence[Bucket]) -> Markup:
    """Return the events-and-fatalities chart of a scope, one bar per day (or per week or 30 days)."""
    if not buckets:
        return Markup()
    size = buckets[0].days
    per = per_text(size)
    hover = [short_day(b.start) if size == 1 else f"{short_day(b.start)} – {short_day(b.end)}"
             for b in buckets]
    return charts.bar_chart(hover, axis_labels(buckets), (
        charts.Series(f"Events per {per}", [b.events for b in buckets], charts.EVENTS_COLOUR, unit="events"),
        # Short titles: bar_chart narrows to the number of bars, and a long title would be cut off.
        charts.Series(f"Fatalities per {per}", [b.high for b in buckets],
                      charts.DEATHS_COLOUR, [b.low for b in buckets], unit="deaths"),
    ), f"Events and fatalities per {per}")


def axis_labels(buckets: Sequence[Bucket], width: float = 588.0) -> list[str | None]:
    """Return x labels that do not collide: 'day month' where a month starts, day numbers between."""
    bar_w = min(width / max(len(buckets), 1), 36.0)
    labels: list[str | None] = [None] * len(buckets)
    taken: list[tuple[float, float]] = []  # (centre, half width) of the labels placed so far

    def place(i: int, text: str) -> None:
        x = (i + 0.5) * bar_w
        half = 3.5 * len(text)  # about half the text's width at the chart's 11 px
        if all(abs(x - tx) >= half + th + 6 for tx, th in taken):
            labels[i] = text
            taken.append((x, half))

    for i, b in enumerate(buckets):
        if i == 0 or b.start.month != buckets[i - 1].start.month:
            place(i, f"{b.start.day} {MONTH_ABBRS[b.start.month]}")
    for i, b in enumerate(buckets):
        if labels[i] is None:
            place(i, str(b.start.day))
    return labels


def md_url(url: str) -> str:
    """Return a URL safe inside a Markdown autolink <...>: spaces and angle brackets encoded."""
    return str(url).replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def md_escape(text: object) -> str:
    """Return text safe inside Markdown prose and table cells: formatting characters escaped."""
    s = str(text).replace("\n", " ")
    # Brackets are escaped, so parentheses can never close a link and need no escape.
    return re.sub(r"([\\`*_{}\[\]<>|])", r"\\\1", s)


# ---- URLs (all from sitrep.urls) --------------------------------------------------------------

def event_href(event_id: str, config: SiteConfig) -> str:
    """Return the site-absolute path of an event's page."""
    return urls.url_for("event", event_id, config=config)


def absolute(config: SiteConfig, url: str) -> str:
    """Return a site-absolute path (from url_for) as a full URL."""
    return urls.absolute_url(url, config)


def is_web(url: str | None) -> bool:
    """Return whether a content URL may become a link (http or https only)."""
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


# ---- narrative --------------------------------------------------------------------------------

def narrative_html(report: Report, corpus: Corpus, link: Callable[[str, int], str]) -> Markup:
    """Return the narrative as sanitised HTML, each [[id]] a link '[n]' to `link(event_id, number)`."""
    def cite(event_id: str) -> tuple[str, str] | None:
        number = report.numbers.get(event_id)
        return None if number is None else (link(event_id, number), f"[{number}]")

    return markup.to_html(report.body, cite=cite)


def shift_headings(text: str) -> str:
    """Return Markdown with every ATX heading one level deeper (outside code fences)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,5} ", line):
            line = "#" + line
        out.append(line)
    return "\n".join(out)


def narrative_markdown(report: Report, config: SiteConfig) -> str:
    """Return the narrative with each [[id]] a numbered link to the event's page, headings nested."""
    def cite(m: re.Match[str]) -> str:
        number = report.numbers.get(m.group(1))
        if number is None:
            return f"\\[unknown event: {md_escape(m.group(1))}\\]"
        return f"[\\[{number}\\]]({absolute(config, event_href(m.group(1), config))})"

    return shift_headings(CITATION_RE.sub(cite, report.body).strip())


# ---- templates --------------------------------------------------------------------------------

@cache
def _env(autoescape: bool, templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    add_helpers(env)
    return env


def add_helpers(env: jinja2.Environment) -> None:
    """Register the filters and globals briefing templates use (also on the site's environment)."""
    env.filters.update(period=lambda s: period_text(s.period_from, s.period_to), date_text=date_text,
                       deaths=deaths, number=number, md=md_escape, md_url=md_url, is_web=is_web)
    env.globals.update(range_text=range_text, period_text=period_text, toll=toll, per_text=per_text)


def _sections(report: Report, corpus: Corpus, for_print: bool = False) -> dict[str, object]:
    """Return the SVG map and chart, shared by the page and the PDF."""
    with_events = {t.key for t in report.figures.by_region}
    map_svg = render_map(corpus.shapes, report.counted, frame=report.scope.regions,
                         highlight=with_events, labels={t.key: t.label for t in report.figures.by_region},
                         title=f"Map of the {len(report.counted)} events in scope", tooltips=not for_print)
    return {"map_svg": Markup(map_svg), "chart_svg": Markup(series_chart(report.figures.series))}


def _context(report: Report, corpus: Corpus, config: SiteConfig, link_base: str) -> dict[str, object]:
    """Return what every briefing template reads; `link_base` prefixes site paths ('' on the site)."""
    scope = report.scope

    def region_name(region_id: str) -> str:
        region = corpus.regions.get(region_id)
        return region.name if region else region_id

    def actor_names(event: Event) -> str:
        names = (corpus.actors[a].name if a in corpus.actors else a for a in dict.fromkeys(
            ref.actor for ref in event.actors))
        return ", ".join(names)

    page = urls.url_for("briefing", report.id, config=config)
    return {
        "r": report, "b": report.briefing, "f": report.figures, "config": config,
        "regions": [corpus.regions[i] for i in scope.regions if i in corpus.regions],
        "actors": [corpus.actors[i] for i in scope.actors if i in corpus.actors],
        "summary": markup.to_html(report.briefing.summary) if report.briefing else Markup(),
        "page_url": absolute(config, page),
        "pdf_url": link_base + urls.url_for("briefing_file", report.id, "pdf", config=config),
        "md_url": link_base + urls.url_for("briefing_file", report.id, "md", config=config),
        "event_href": lambda event_id: link_base + event_href(event_id, config),
        "region_name": region_name, "actor_names": actor_names,
    }


def _site_root(config: SiteConfig) -> str:
    """Return scheme://host of the site, which turns site-absolute paths into full URLs."""
    return absolute(config, "")


def render_pdf_html(report: Report, corpus: Corpus, config: SiteConfig) -> str:
    """Return the self-contained HTML WeasyPrint turns into the PDF (print CSS inlined)."""
    narrative = narrative_html(report, corpus, lambda _id, n: f"#ev-{n}") if report.body else Markup()
    return _env(True, templates_dir(config)).get_template("pdf/briefing.html").render(
        **_context(report, corpus, config, _site_root(config)), **_sections(report, corpus, for_print=True),
        narrative=narrative)


def render_markdown(report: Report, corpus: Corpus, config: SiteConfig) -> str:
    """Return the briefing as Markdown: narrative, key figures, the per-day table, events, sources."""
    return _env(False, templates_dir(config)).get_template("briefing.md.j2").render(
        **_context(report, corpus, config, _site_root(config)), narrative=narrative_markdown(report, config))


# ---- the site's pages -------------------------------------------------------------------------

def site_environment(config: SiteConfig) -> jinja2.Environment:
    """Return the site's Jinja environment (base layout, filters) with the briefing helpers added."""
    env = make_environment(config)
    add_helpers(env)
    return env


def _chart_data(report: Report) -> Chart:
    days = tuple((b.start, b.events, b.low, b.high) for b in report.figures.series)
    per = per_text(report.figures.bucket_days)
    return Chart(partial(series_chart, report.figures.series), f"Events and fatalities per {per}, "
                 f"{period_text(report.scope.period_from, report.scope.period_to)}", days=days)


def render_page(report: Report, corpus: Corpus, config: SiteConfig,
                env: jinja2.Environment | None = None) -> str:
    """Return a curated briefing's web page, in the site's layout."""
    env = env or site_environment(config)
    url = urls.url_for("briefing", report.id, config=config)
    home, index = urls.url_for("home", config=config), urls.url_for("briefings", config=config)
    description = markup.to_text(report.briefing.summary, 200) if report.briefing else ""
    meta = Meta(report.title, url, description, (("Home", home), ("Briefings", index)), "briefings")
    narrative = narrative_html(report, corpus, lambda event_id, _n: event_href(event_id, config))
    return env.get_template("briefing.html").render(
        **_context(report, corpus, config, ""), **_sections(report, corpus), meta=meta,
        narrative=narrative if report.body else Markup(), chart_data=_chart_data(report))


def render_index(reports: Sequence[Report], config: SiteConfig, env: jinja2.Environment | None = None) -> str:
    """Return the /briefings/ page: every published briefing, newest period first."""
    env = env or site_environment(config)
    meta = Meta("Briefings", urls.url_for("briefings", config=config),
                "Analysts' briefings on a period, region or actor, each with figures computed from the "
                "event record, a map, and the events it rests on.",
                (("Home", urls.url_for("home", config=config)),), "briefings")
    return env.get_template("briefings.html").render(meta=meta, reports=reports)
