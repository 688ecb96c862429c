"""sitemap.xml and robots.txt: every page once, absolute URLs, split past the protocol's limit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sitrep import sitemap
from sitrep.config import SiteConfig
from sitrep.index import build_indexes
from sitrep.validate import load_corpus
from tests.conftest import checked_again, revise_a_published_event

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"
CONFIG = SiteConfig(site_name="Test", site_url="https://example.org/sitrep/",
                    nav=(("About", "about.md"), ("Methodology", "methodology.md")))
S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def built():  # type: ignore[no-untyped-def]
    corpus = load_corpus(MINIMAL)
    indexes = build_indexes(corpus)
    return corpus, indexes, {f.path: f.data for f in sitemap.iter_files(corpus, indexes, CONFIG)}


def _locs(data: bytes, tag: str = "url") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for u in ET.fromstring(data).findall(f"{S}{tag}"):
        lastmod = u.find(f"{S}lastmod")
        out[u.find(f"{S}loc").text] = lastmod.text if lastmod is not None else None
    return out


def test_sitemap_lists_every_page_once_with_absolute_urls(built) -> None:  # type: ignore[no-untyped-def]
    corpus, indexes, files = built
    assert set(files) == {"sitemap.xml", "robots.txt"}
    root = ET.fromstring(files["sitemap.xml"])
    assert root.tag == f"{S}urlset"
    locs = _locs(files["sitemap.xml"])
    assert len(locs) == len(root.findall(f"{S}url"))  # no URL twice
    assert all(u.startswith("https://example.org/sitrep/") for u in locs)
    base = "https://example.org/sitrep/"
    for event in indexes.listed:
        assert locs[f"{base}events/{event.id}/"] == event.updated.isoformat()
    for region in corpus.regions:
        assert f"{base}regions/{region.lower()}/" in locs
    for actor in corpus.actors:
        assert f"{base}actors/{actor}/" in locs
    assert {f"{base}about/", f"{base}methodology/", f"{base}timeline/2019/04/", f"{base}"} <= set(locs)


def test_robots_txt_points_at_the_sitemap(built) -> None:  # type: ignore[no-untyped-def]
    _, _, files = built
    text = files["robots.txt"].decode()
    assert text.startswith("User-agent: *\n")
    assert "Sitemap: https://example.org/sitrep/sitemap.xml\n" in text


def test_many_urls_become_a_sitemap_index_over_parts_beside_it(built) -> None:  # type: ignore[no-untyped-def]
    corpus, indexes, files = built
    split = {f.path: f.data for f in sitemap.iter_files(corpus, indexes, CONFIG, max_urls=7)}
    parts = _locs(split["sitemap.xml"], "sitemap")
    assert ET.fromstring(split["sitemap.xml"]).tag == f"{S}sitemapindex"
    assert list(parts) == [f"https://example.org/sitrep/sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    union: dict[str, str | None] = {}
    for n in range(1, len(parts) + 1):
        part = _locs(split[f"sitemap-{n}.xml"])
        assert 0 < len(part) <= 7
        union.update(part)
    assert union == _locs(files["sitemap.xml"])


def test_rendered_pages_exist_for_the_generated_urls(built) -> None:  # type: ignore[no-untyped-def]
    render = pytest.importorskip("sitrep.render")
    corpus, indexes, files = built
    rendered = {f.path for f in render.iter_files(corpus, indexes, CONFIG)}
    base = "https://example.org/sitrep/"
    generated = ("events/", "regions/", "actors/", "sources/", "timeline/", "types/")
    for url in _locs(files["sitemap.xml"]):
        rel = url[len(base):]
        if rel.startswith(generated):
            assert rel + "index.html" in rendered, url


def test_a_memo_keeps_the_dates_of_listings_of_the_same_events(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # serve keeps a LatestMemo: a listing of the very same event objects as at the last build keeps
    # its date; the sitemap is always the one a build without the memo makes.
    from sitrep.synth import synth
    from sitrep.validate import CheckMemo

    content = tmp_path / "content"
    synth(120, content, seed=5)
    checks, memo = CheckMemo(), {}
    read: list[int] = []
    real = sitemap._latest
    monkeypatch.setattr(sitemap, "_latest", lambda events: read.append(len(events)) or real(events))

    def built(with_memo: bool) -> dict[str, bytes]:
        made = sitemap.iter_files(*checked_again(content, checks), CONFIG, max_urls=100,
                                  memo=memo if with_memo else None)
        return {f.path: f.data for f in made}

    first = built(True)
    listings = len(read)
    read.clear()
    assert built(True) == first and read == []
    revise_a_published_event(content)
    edited = built(True)
    assert 4 <= len(read) < listings  # home, its region, month, type, actors and sources
    assert edited == built(False) and edited != first and b"2030-01-01" in b"".join(edited.values())
