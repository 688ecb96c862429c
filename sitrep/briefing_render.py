"""Render a briefing Report as the PDF's HTML, as Markdown, and as the site's page.

Citations [[event-id]] become numbered references: on the site a link to the event's page, in the
PDF an internal link to the numbered entry of the events table, in Markdown a link to the site.
Everything from content is untrusted: Jinja autoescapes, the narrative goes through the
sanitising Markdown renderer, and Markdown output escapes the characters that would format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from sitrep.briefing import Report
from sitrep.briefing_chart import series_chart
from sitrep.briefing_check import CITATION_RE
from sitrep.config import SiteConfig
from sitrep import markup, urls
from sitrep.model import Corpus, DateRange, Fatalities
from sitrep.svgmap import render_map

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# ---- text helpers shared by all formats -------------------------------------------------------

def period_text(start: date, end: date) -> str:
    """Return '7–13 April 2019', '28 March – 3 April 2019' or '13 April 2019'."""
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


def date_text(d: DateRange) -> str:
    """Return an event's date as precise as it is known: '13 Apr 2019', 'week of 8 Apr 2019', 'Apr 2019'."""
    if d.precision == "month":
        return f"{d.start:%b %Y}"
    if d.precision == "week":
        return f"week of {d.start.day} {d.start:%b %Y}"
    if d.start == d.end:
        return f"{d.start.day} {d.start:%b %Y}"
    if (d.start.year, d.start.month) == (d.end.year, d.end.month):
        return f"{d.start.day}–{d.end.day} {d.end:%b %Y}"
    return f"{d.start.day} {d.start:%b} – {d.end.day} {d.end:%b %Y}"


def deaths_text(f: Fatalities | None) -> str:
    """Return an event's toll: '13', '11–13', or '–' when none was reported."""
    if f is None:
        return "–"
    return str(f.best) if f.low == f.high else f"{f.low}–{f.high}"


def range_text(low: int, best: int, high: int) -> str:
    """Return a summed toll: '40', or '38–40 (best estimate 40)' when sources disagree."""
    return str(best) if low == high else f"{low}–{high} (best estimate {best})"


def md_escape(text: object) -> str:
    """Return text safe inside Markdown prose and table cells: formatting characters escaped."""
    s = str(text).replace("\n", " ")
    return re.sub(r"([\\`*_{}\[\]<>()#+!|])", r"\\\1", s)


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
def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(period=lambda r: period_text(r.period_from, r.period_to), date_text=date_text,
                       deaths=deaths_text, md=md_escape)
    env.globals.update(range_text=range_text, period_text=period_text)
    return env


def _region_labels(report: Report, corpus: Corpus) -> dict[str, str]:
    return {t.key: t.label for t in report.figures.by_region}


def _sections(report: Report, corpus: Corpus) -> dict[str, object]:
    """Return the SVG map and chart, shared by the page and the PDF."""
    shapes = corpus.shapes
    focus = report.scope.regions or tuple({e.region for e in report.events})
    map_svg = render_map(shapes, report.counted, focus=focus, labels=_region_labels(report, corpus),
                         title=f"Map of the {len(report.counted)} events in scope")
    return {"map_svg": Markup(map_svg), "chart_svg": Markup(series_chart(report.figures.series))}


def _context(report: Report, corpus: Corpus, config: SiteConfig) -> dict[str, object]:
    scope = report.scope
    return {
        "r": report, "b": report.briefing, "f": report.figures, "corpus": corpus, "config": config,
        "regions": [corpus.regions[i] for i in scope.regions if i in corpus.regions],
        "actors": [corpus.actors[i] for i in scope.actors if i in corpus.actors],
        "abs": lambda path: absolute(config, path), "event_path": event_path,
    }


def render_pdf_html(report: Report, corpus: Corpus, config: SiteConfig) -> str:
    """Return the self-contained HTML WeasyPrint turns into the PDF (print CSS inlined)."""
    narrative = narrative_html(report, corpus, lambda _id, n: f"#ev-{n}") if report.body else Markup()
    return _env(True).get_template("pdf/briefing.html").render(
        **_context(report, corpus, config), **_sections(report, corpus), narrative=narrative)


def render_markdown(report: Report, corpus: Corpus, config: SiteConfig) -> str:
    """Return the briefing as Markdown: narrative, key figures, the per-day table, events, sources."""
    return _env(False).get_template("briefing.md.j2").render(
        **_context(report, corpus, config), narrative=narrative_markdown(report, config))
