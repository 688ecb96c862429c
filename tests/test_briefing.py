"""Briefings: scope selection, computed sections, and the page, Markdown and PDF read back as text.

The PDF is made by real WeasyPrint and read back with pdftotext, pdffonts (poppler) and pypdf.
Expected figures are recomputed here from the fixture's events, never copied from the output.
"""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

import pytest
from pypdf import PdfReader

from sitrep import briefing, briefing_figures, briefing_pdf, briefing_render
from sitrep.blob_cache import BlobCache
from sitrep.briefing import Scope, build_report, make_adhoc, select_events
from sitrep.config import SiteConfig, load_config
from sitrep.model import Corpus, Event
from sitrep.validate import load_corpus
from tests.conftest import CONFIG, MINIMAL

BID = "2019-04-week-15"
HOMS = "2019-04-11-homs-eastern-desert-attacks"
ALEPPO = "2019-04-13-aleppo-western-checkpoints-attack"
SHELLING = "2019-04-12-aleppo-overnight-shelling"
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(MINIMAL)


@pytest.fixture(scope="module")
def config() -> SiteConfig:
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def files(corpus: Corpus, config: SiteConfig) -> dict[str, bytes]:
    return {f.path: f.data for f in briefing.iter_files(corpus, None, config)}


@pytest.fixture(scope="module")
def pdf_path(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / f"{BID}.pdf"
    path.write_bytes(files[f"briefings/{BID}.pdf"])
    return path


def pdftotext(path: Path, *args: str) -> str:
    """Return the PDF's text as poppler extracts it, bidi controls removed, spaces collapsed per line."""
    out = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, check=True,
                         text=True).stdout
    return "\n".join(" ".join(line.split()) for line in BIDI.sub("", out).splitlines())


def flat(text: str) -> str:
    return " ".join(text.split())


def _expected(corpus: Corpus, first: date, last: date) -> tuple[list[Event], int, int, int]:
    counted = [e for e in corpus.events
               if e.status == "published" and e.date.start <= last and e.date.end >= first]
    low = sum(e.fatalities.low for e in counted if e.fatalities)
    best = sum(e.fatalities.best for e in counted if e.fatalities)
    high = sum(e.fatalities.high for e in counted if e.fatalities)
    return counted, low, best, high


# ---- scope and computed sections ----------------------------------------------------------------

def test_scope_overlaps_period_and_filters_regions_and_actors(corpus: Corpus) -> None:
    ids = lambda scope: [e.id for e in select_events(corpus, scope)]  # noqa: E731
    april = (date(2019, 4, 1), date(2019, 4, 30))
    assert ids(Scope(*april)) == [HOMS, SHELLING, ALEPPO]
    # The Homs attacks ran 11–13 April: a period starting on the 13th still overlaps them.
    assert ids(Scope(date(2019, 4, 13), date(2019, 4, 13))) == [HOMS, SHELLING, ALEPPO]
    assert ids(Scope(date(2019, 4, 14), date(2019, 4, 30))) == []
    assert ids(Scope(*april, regions=("SY-HI",))) == [HOMS]
    assert ids(Scope(*april, actors=("islamic-state",))) == [HOMS]
    assert ids(Scope(*april, regions=("SY-HL",), actors=("islamic-state",))) == []


def _with_status(corpus: Corpus, event_id: str, status: str) -> Corpus:
    events = tuple(replace(e, status=status) if e.id == event_id else e for e in corpus.events)
    return replace(corpus, events=events, events_by_id=MappingProxyType({e.id: e for e in events}))


def test_drafts_are_left_out_and_retracted_events_listed_but_not_counted(corpus: Corpus) -> None:
    scope = Scope(date(2019, 4, 1), date(2019, 4, 30))
    assert HOMS not in [e.id for e in select_events(_with_status(corpus, HOMS, "draft"), scope)]
    report = build_report(_with_status(corpus, HOMS, "retracted"), scope)
    assert HOMS in [r.event.id for r in report.rows]
    assert report.figures.events == 2 and report.figures.high == 13  # only Aleppo's 11–13 is counted


def test_key_figures_add_up(corpus: Corpus) -> None:
    b = corpus.briefings[BID]
    report = build_report(corpus, Scope.of(b), b)
    counted, low, best, high = _expected(corpus, b.period_from, b.period_to)
    f = report.figures
    assert (f.events, f.low, f.best, f.high) == (len(counted), low, best, high)
    assert sum(t.events for t in f.by_region) == f.events
    assert sum(t.events for t in f.by_type) == f.events
    assert sum(t.high for t in f.by_region) == high
    assert sum(b.events for b in f.series) == f.events
    assert (sum(b.low for b in f.series), sum(b.high for b in f.series)) == (low, high)
    assert f.series[0].start == date(2019, 4, 7) and len(f.series) == 7
    aleppo = next(t for t in f.by_region if t.key == "SY-HL")
    assert (aleppo.events, aleppo.deaths, aleppo.native) == (2, "11–13", corpus.regions["SY-HL"].native_name)


def test_long_periods_are_charted_by_week(corpus: Corpus) -> None:
    report = build_report(corpus, Scope(date(2019, 1, 1), date(2019, 12, 31)))
    series = report.figures.series
    assert series[0].days == 7 and len(series) == 53
    assert sum(b.events for b in series) == report.figures.events == 3


def test_references_number_events_and_each_distinct_source_once(corpus: Corpus) -> None:
    b = corpus.briefings[BID]
    report = build_report(corpus, Scope.of(b), b)
    assert [(r.number, r.event.id) for r in report.rows] == [(1, HOMS), (2, SHELLING), (3, ALEPPO)]
    distinct = {(s.source, s.via, s.url) for e in report.events for s in e.sources}
    assert len(report.sources) == len(distinct)
    assert all(report.rows[0].sources) and report.numbers[ALEPPO] == 3


def test_events_cited_outside_the_scope_are_referenced_too(corpus: Corpus) -> None:
    b = replace(corpus.briefings[BID], period_from=date(2019, 4, 13), regions=("SY-HI",))
    report = build_report(corpus, Scope.of(b), b)
    rows = {r.event.id: r for r in report.rows}
    assert rows[HOMS].in_scope and not rows[ALEPPO].in_scope
    assert report.figures.events == 1


# ---- PDF ------------------------------------------------------------------------------------------

def test_pdf_is_a4_and_every_page_is_numbered(pdf_path: Path) -> None:
    reader = PdfReader(pdf_path)
    n = len(reader.pages)
    assert 3 <= n <= 6  # title page, narrative and figures, chart and map, events and sources
    for i, page in enumerate(reader.pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert f"Page {i} of {n}" in pdftotext(pdf_path, "-f", str(i), "-l", str(i))


def test_pdf_title_page_and_key_figures(pdf_path: Path, corpus: Corpus) -> None:
    b = corpus.briefings[BID]
    counted, low, best, high = _expected(corpus, b.period_from, b.period_to)
    first = pdftotext(pdf_path, "-f", "1", "-l", "1")
    assert b.title in first and "7–13 April 2019" in first and (b.author or "") in first
    text = flat(pdftotext(pdf_path))
    assert f"{len(counted)} events; {low}–{high} (best estimate {best}) fatalities" in text
    layout = pdftotext(pdf_path, "-layout")
    assert re.search(r"Aleppo حلب 2 11–13", layout)
    assert re.search(r"Homs حمص 1 27", layout)


def test_pdf_lists_every_event_with_its_sources_and_narrative_refs(pdf_path: Path, corpus: Corpus) -> None:
    text = flat(pdftotext(pdf_path))
    for event in corpus.events:
        assert flat(event.title) in text
    assert "([1], [3])" in text and "confirmed ([1])" in text and "reported ([2])" in text
    sohr, agencies = corpus.sources["sohr"], corpus.sources["agencies"]
    assert f"S1 {sohr.name} {sohr.native_name}, via {agencies.name}, 13 Apr 2019." in text
    assert f"S2 {agencies.name}, 13 Apr 2019." in text


def test_pdf_links_are_kept(pdf_path: Path, corpus: Corpus, config: SiteConfig) -> None:
    uris, internal = set(), 0
    for page in PdfReader(pdf_path).pages:
        for annot in page.get("/Annots") or ():
            a = annot.get_object()
            action = a.get("/A")
            if action is not None and "/URI" in action:
                uris.add(str(action["/URI"]))
            elif "/Dest" in a or (action is not None and "/D" in action):
                internal += 1
    for event in corpus.events:
        assert f"{config.site_url}events/{event.id}/" in uris
    assert f"{config.site_url}briefings/{BID}/" in uris
    assert internal >= 4  # narrative [1] [3] [1] [2] jump to the events table; contents too


def test_pdf_outline_has_the_sections_and_narrative_headings(pdf_path: Path) -> None:
    reader = PdfReader(pdf_path)

    def titles(items: list, depth: int = 0) -> list[tuple[int, str]]:  # type: ignore[type-arg]
        out: list[tuple[int, str]] = []
        for item in items:
            if isinstance(item, list):
                out.extend(titles(item, depth + 1))
            else:
                out.append((depth, item.title))
        return out

    outline = titles(reader.outline)
    top = [t for d, t in outline if d == 0]
    assert top == ["Syria: week 15, 2019", "Narrative", "Key figures", "Events and fatalities over time",
                   "Map", "Events", "Sources"]
    assert (1, "Attacks on government forces") in outline


def test_pdf_renders_arabic_names_with_an_embedded_arabic_font(pdf_path: Path, corpus: Corpus) -> None:
    native = corpus.actors["islamic-state"].native_name
    assert native and re.search(r"[\u0600-\u06FF]", native)
    assert native in pdftotext(pdf_path)
    fonts = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    arabic = [line for line in fonts.splitlines() if "Arabic" in line]
    assert arabic and all(" yes " in line for line in arabic), fonts  # embedded


def test_pdf_is_deterministic(corpus: Corpus, config: SiteConfig, files: dict[str, bytes]) -> None:
    b = corpus.briefings[BID]
    again = briefing_pdf.render_pdf(build_report(corpus, Scope.of(b), b), corpus, config)
    assert again == files[f"briefings/{BID}.pdf"]


# ---- Markdown and web page ---------------------------------------------------------------------

def test_markdown_states_the_same_facts_as_the_pdf(files: dict[str, bytes], pdf_path: Path, corpus: Corpus,
                                                   config: SiteConfig) -> None:
    md = files[f"briefings/{BID}.md"].decode()
    b = corpus.briefings[BID]
    counted, low, best, high = _expected(corpus, b.period_from, b.period_to)
    assert md.startswith(f"# {b.title}\n")
    assert f"- **Events:** {len(counted)}" in md
    assert f"- **Fatalities:** {low}–{high} (best estimate {best})" in md
    assert "| Aleppo (حلب) | 2 | 11–13 |" in md and "| Homs (حمص) | 1 | 27 |" in md
    pdf_text = flat(pdftotext(pdf_path))
    for row in briefing_render_rows(corpus, b):
        number, title, deaths = row
        row_re = rf"^\| {number} \| .*\[{re.escape(title)}\]\(.*\) \| .* \| {re.escape(deaths)} \|"
        assert re.search(row_re, md, re.M)
        assert flat(title) in pdf_text
    assert f"[\\[3\\]]({config.site_url}events/{ALEPPO}/)" in md
    assert "### Attacks on government forces" in md  # narrative headings nest under "## Narrative"
    sohr = corpus.sources["sohr"]
    assert f"- **S1** {sohr.name} ({sohr.native_name}), via Agencies" in md


def briefing_render_rows(corpus: Corpus, b: object) -> list[tuple[int, str, str]]:
    report = build_report(corpus, Scope.of(b), b)  # type: ignore[arg-type]
    return [(r.number, r.event.title, briefing_render.deaths(r.event.fatalities)) for r in report.rows]


def test_web_page_links_citations_to_event_pages(files: dict[str, bytes], corpus: Corpus) -> None:
    html = files[f"briefings/{BID}/index.html"].decode()
    assert re.search(rf'<a href="/events/{HOMS}/"[^>]*>\[1\]</a>', html)
    assert re.search(rf'<a href="/events/{ALEPPO}/"[^>]*>\[3\]</a>', html)
    assert f'href="/briefings/{BID}.pdf"' in html and f'href="/briefings/{BID}.md"' in html
    assert "<script" not in html and ' style="' not in html  # the site's CSP forbids both
    assert "الدولة الإسلامية" in html
    index = files["briefings/index.html"].decode()
    assert f'href="/briefings/{BID}/"' in index and corpus.briefings[BID].title in index


def test_drafts_are_not_published(corpus: Corpus, config: SiteConfig) -> None:
    draft = replace(corpus.briefings[BID], status="draft")
    paths = [f.path for f in briefing.iter_files(replace(corpus, briefings=MappingProxyType({BID: draft})),
                                                 None, config)]
    assert paths == ["briefings/index.html"]


def test_untrusted_text_is_escaped_everywhere(corpus: Corpus, config: SiteConfig) -> None:
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) *bold*"
    events = tuple(replace(e, title=hostile) if e.id == HOMS else e for e in corpus.events)
    raw = replace(corpus.briefings[BID], body=corpus.briefings[BID].body + "\n\n<b>raw</b>")
    evil = replace(corpus, events=events, events_by_id=MappingProxyType({e.id: e for e in events}),
                   briefings=MappingProxyType({BID: raw}))
    b = evil.briefings[BID]
    report = build_report(evil, Scope.of(b), b)
    page = briefing_render.render_page(report, evil, config)
    assert "<script>" not in page and "<b>raw</b>" not in page and "javascript:" not in page.split("<svg")[0]
    md = briefing_render.render_markdown(report, evil, config)
    assert "<script>" not in md and "\\[x\\](javascript:alert(1)) \\*bold\\*" in md
    assert "<script>" not in briefing_render.render_pdf_html(report, evil, config)


# ---- ad-hoc briefings -----------------------------------------------------------------------------

def test_adhoc_pdf_has_computed_sections_only(corpus: Corpus, config: SiteConfig, tmp_path: Path) -> None:
    scope = Scope(date(2019, 4, 1), date(2019, 4, 30), regions=("SY-HL",))
    path = tmp_path / "adhoc.pdf"
    path.write_bytes(make_adhoc(corpus, scope, "pdf", config))
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top[0] == "Events, 1–30 April 2019: Aleppo" and "Narrative" not in top and "Events" in top
    text = flat(pdftotext(path))
    counted = [e for e in corpus.events if e.region == "SY-HL"]
    assert f"{len(counted)} events; 11–13 (best estimate 13) fatalities" in text
    assert all(flat(e.title) in text for e in counted) and flat(corpus.events_by_id[HOMS].title) not in text
    md = make_adhoc(corpus, scope, "md", config).decode()
    assert md.startswith("# Events, 1–30 April 2019: Aleppo\n") and "## Narrative" not in md
    assert f"- **Events:** {len(counted)}" in md


def test_adhoc_rejects_unknown_formats(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="unknown briefing format"):
        make_adhoc(corpus, Scope(date(2019, 4, 1), date(2019, 4, 30)), "docx")  # type: ignore[arg-type]


def test_pdf_cache_reuses_unchanged_briefings_and_prunes_stale_ones(corpus: Corpus, config: SiteConfig,
                                                                     files: dict[str, bytes],
                                                                     tmp_path: Path) -> None:
    b = corpus.briefings[BID]
    report = build_report(corpus, Scope.of(b), b)
    cache = BlobCache(tmp_path, ".pdf")
    first = briefing_pdf.render_pdf(report, corpus, config, cache)
    assert first == files[f"briefings/{BID}.pdf"] and cache.hits == 0
    assert len(list(tmp_path.glob("*.pdf"))) == 1
    again = BlobCache(tmp_path, ".pdf")
    assert briefing_pdf.render_pdf(report, corpus, config, again) == first and again.hits == 1
    edited = replace(b, body=b.body.replace("no toll was reported", "no toll was given"))
    after_edit = BlobCache(tmp_path, ".pdf")
    edited_report = build_report(corpus, Scope.of(edited), edited)
    changed = briefing_pdf.render_pdf(edited_report, corpus, config, after_edit)
    assert after_edit.hits == 0 and changed != first
    after_edit.prune()
    assert len(list(tmp_path.glob("*.pdf"))) == 2  # the old PDF was used a moment ago: kept for a day
    after_edit.prune(max_age_s=-1)
    assert len(list(tmp_path.glob("*.pdf"))) == 1  # once stale, it goes; the one this build used stays


def test_brief_command_writes_the_adhoc_briefing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sitrep.cli import main

    out = tmp_path / "aleppo.md"
    result = CliRunner().invoke(main, ["brief", "--content", str(MINIMAL), "--from", "2019-04-01", "--to",
                                       "2019-04-30", "--region", "SY-HL", "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Events, 1–30 April 2019: Aleppo\n") and "- **Events:** 2" in md


@pytest.mark.parametrize("days", [7, 31, 92])
def test_chart_axis_labels_never_collide_and_mark_each_month(days: int) -> None:
    first = date(2019, 3, 20)
    series = briefing_figures.series([], first, date.fromordinal(first.toordinal() + days - 1))
    labels = briefing_render.axis_labels(series)
    bar_w = min(588.0 / len(series), 36.0)
    placed = [((i + 0.5) * bar_w, text) for i, text in enumerate(labels) if text]
    for (x0, t0), (x1, t1) in pairwise(placed):
        assert x1 - x0 >= 3.5 * (len(t0) + len(t1)), (t0, t1)
    starts = [i for i, b in enumerate(series) if i == 0 or b.start.month != series[i - 1].start.month]
    assert all(labels[i] and " " in labels[i] for i in starts)  # '20 Mar', '1 Apr', ...


def test_event_window_finds_long_events_that_started_before_the_period(corpus: Corpus) -> None:
    window = briefing.EventWindow(corpus.events)
    # The Homs attacks (11–13 April) are the longest events; a period of 13 April must still see them.
    assert HOMS in [e.id for e in window.overlapping(date(2019, 4, 13), date(2019, 4, 13))]
    assert list(window.overlapping(date(2019, 5, 1), date(2019, 5, 31))) == []
    for first in (date(2019, 4, d) for d in range(9, 16)):
        scope = Scope(first, first)
        expected = [e.id for e in corpus.events if scope.contains(e)]
        assert [e.id for e in select_events(corpus, scope, window)] == expected


def test_an_empty_scope_still_makes_a_readable_briefing(corpus: Corpus, config: SiteConfig,
                                                       tmp_path: Path) -> None:
    scope = Scope(date(2030, 1, 1), date(2030, 1, 31))
    md = make_adhoc(corpus, scope, "md", config).decode()
    assert "- **Events:** 0" in md and "No sources: no events in scope." in md
    path = tmp_path / "empty.pdf"
    path.write_bytes(make_adhoc(corpus, scope, "pdf", config))
    text = flat(pdftotext(path))
    assert "0 events; 0 fatalities" in text and "No events in this scope." in text
