"""Rendering of event status (retracted, superseded), redirects, pagination, drafts and base paths.

These render a modified copy of the fixture tree straight through render.iter_files (in memory):
the checks are about what the render stage writes, not about the other stages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from sitrep.config import load_config
from sitrep.index import build_indexes
from sitrep.render import iter_files
from sitrep.validate import load_corpus
from tests.conftest import CONFIG

CHECKPOINTS = "2019-04-13-aleppo-western-checkpoints-attack"
FIRST = "2019-04-13-aleppo-checkpoints-first-report"
WRONG = "2019-04-12-aleppo-misreported-strike"
DRAFT = "2019-04-13-aleppo-draft"

EVENT = """title: {title}
status: {status}
date: {{start: {day}, end: {day}, precision: day}}
event_type: Battles
sub_event_type: Armed clash
location: {{country: SY, region: SY-HL, geo_precision: 3}}
sources:
  - {{source: sohr, published: 2019-04-13, supports: [date]}}
assessment: reported
summary: {title}.
{extra}
"""


def _event(title: str, status: str, day: str, extra: str = "") -> str:
    return EVENT.format(title=title, status=status, day=day, extra=extra)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from tests.conftest import MINIMAL

    root = Path(shutil.copytree(MINIMAL, tmp_path_factory.mktemp("status") / "content"))
    events = root / "events" / "2019"
    (events / f"{FIRST}.yaml").write_text(_event("First report of the checkpoint attack", "superseded",
                                                 "2019-04-13", f"superseded_by: {CHECKPOINTS}"))
    (events / f"{WRONG}.yaml").write_text(_event(
        "Misreported strike", "retracted", "2019-04-12",
        "revisions:\n  - {date: 2019-04-15, note: No such strike took place.}"))
    (events / f"{DRAFT}.yaml").write_text(_event("Unchecked draft", "draft", "2019-04-13"))
    path = events / f"{CHECKPOINTS}.yaml"
    path.write_text(path.read_text() + "redirect_from: [2019-04-13-aleppo-checkpoints]\n")
    return root


def render(tree: Path, **config: object) -> dict[str, str]:
    corpus = load_corpus(tree)
    cfg = replace(load_config(CONFIG), **config)  # type: ignore[arg-type]
    return {f.path: f.data.decode() for f in iter_files(corpus, build_indexes(corpus), cfg)
            if f.path.endswith((".html", ".json"))}


@pytest.fixture(scope="module")
def pages(tree: Path) -> dict[str, str]:
    return render(tree)


def test_superseded_event_marked_and_linked_to_successor(pages: dict[str, str]) -> None:
    html = pages[f"events/{FIRST}/index.html"]
    assert "notice-superseded" in html and "Superseded." in html
    assert f'href="/events/{CHECKPOINTS}/"' in html
    successor = pages[f"events/{CHECKPOINTS}/index.html"]
    assert "This record replaces" in successor and f'href="/events/{FIRST}/"' in successor


def test_retracted_event_marked_and_not_counted(pages: dict[str, str]) -> None:
    html = pages[f"events/{WRONG}/index.html"]
    assert "notice-retracted" in html and "not counted in any total" in html
    assert "No such strike took place." in html
    region = pages["regions/sy-hl/index.html"]
    assert f'href="/events/{WRONG}/"' in region and "status-retracted" in region
    # Counted: the two published Aleppo events only, not the retracted or superseded ones.
    assert re.search(r"<dt>Events</dt><dd>2</dd>", region)


def test_drafts_are_never_published(pages: dict[str, str]) -> None:
    assert not any(DRAFT in path or DRAFT in html for path, html in pages.items())


def test_redirect_page_points_at_current_id(pages: dict[str, str]) -> None:
    html = pages["events/2019-04-13-aleppo-checkpoints/index.html"]
    assert f'<meta http-equiv="refresh" content="0; url=/events/{CHECKPOINTS}/">' in html
    assert 'name="robots" content="noindex"' in html


def test_pagination_bounds_every_list(tree: Path) -> None:
    pages = render(tree, page_size=2)
    first, second = pages["regions/sy-hl/index.html"], pages["regions/sy-hl/page/2/index.html"]
    assert "regions/sy-hl/page/3/index.html" not in pages  # 4 listed Aleppo events, 2 per page
    for html in (first, second):
        assert len(re.findall(r'class="event-card', html)) == 2
    assert 'rel="next" href="/regions/sy-hl/page/2/"' in first
    assert 'rel="prev" href="/regions/sy-hl/"' in second
    assert "Page 2 of 2" in second
    # Subject extras (chart, map) are on the first page only: later pages stay small.
    assert 'id="chart-h"' in first and 'id="chart-h"' not in second
    for path, html in pages.items():
        if path.endswith(".html") and path != "index.html":  # home lists home_latest, a fixed number
            assert len(re.findall(r'class="event-card', html)) <= 2, path


def test_base_path_prefixes_every_internal_link(tree: Path) -> None:
    pages = render(tree, site_url="https://example.org/sitrep/")
    html = pages[f"events/{CHECKPOINTS}/index.html"]
    links = re.findall(r'(?:href|src|action)="(/[^"]*)"', html)
    outside = [x for x in links if not x.startswith("/sitrep/")]
    assert links and not outside, outside
