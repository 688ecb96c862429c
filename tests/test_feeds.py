"""Atom feeds: well-formed, with RFC 4287's required elements, stable ids, newest changes first, bounded."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from sitrep import feeds
from sitrep.config import SiteConfig
from sitrep.index import build_indexes
from sitrep.synth import synth
from sitrep.validate import CheckMemo, load_corpus
from tests.conftest import checked_again, revise_a_published_event

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"
CONFIG = SiteConfig(site_name="Test", site_url="https://example.org/sitrep/")
A = "{http://www.w3.org/2005/Atom}"


def _feeds(content: Path) -> dict[str, ET.Element]:
    corpus = load_corpus(content)
    return {f.path: ET.fromstring(f.data) for f in feeds.iter_files(corpus, build_indexes(corpus), CONFIG)}


@pytest.fixture(scope="module")
def minimal() -> dict[str, ET.Element]:
    return _feeds(MINIMAL)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ET.Element]]:
    content = tmp_path_factory.mktemp("synth") / "content"
    synth(400, content, seed=3)
    return content, _feeds(content)


def _assert_valid_atom(feed: ET.Element) -> None:
    """RFC 4287 §4.1.1/§4.1.2: what every feed and entry must contain."""
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{A}{name}")) == 1, name
    assert feed.find(f"{A}author/{A}name").text  # a feed-level author covers every entry
    assert [link.get("href") for link in feed.findall(f"{A}link") if link.get("rel") == "self"]
    for entry in feed.findall(f"{A}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        assert entry.find(f"{A}link").get("href") == entry.find(f"{A}id").text
        assert entry.find(f"{A}summary").text
        date.fromisoformat(entry.find(f"{A}updated").text[:10])


def test_site_region_and_actor_feeds_exist_and_are_valid_atom(minimal) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(MINIMAL)
    expected = {"feeds/atom.xml"} | {f"feeds/regions/{r.lower()}.xml" for r in corpus.regions} | {
        f"feeds/actors/{a}.xml" for a in corpus.actors}
    assert set(minimal) == expected
    for feed in minimal.values():
        _assert_valid_atom(feed)


def test_entries_use_permalinks_and_revision_dates(minimal) -> None:  # type: ignore[no-untyped-def]
    site = minimal["feeds/atom.xml"]
    entries = {e.find(f"{A}id").text: e for e in site.findall(f"{A}entry")}
    attack = "https://example.org/sitrep/events/2019-04-13-aleppo-western-checkpoints-attack/"
    assert entries[attack].find(f"{A}updated").text.startswith("2019-04-14")  # its revision date
    assert site.find(f"{A}updated").text.startswith("2019-04-14")  # the newest entry's
    region = minimal["feeds/regions/sy-hl.xml"]
    assert attack in {e.find(f"{A}id").text for e in region.findall(f"{A}entry")}  # same id everywhere


def test_feeds_are_reproducible(minimal) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(MINIMAL)
    first = [f.data for f in feeds.iter_files(corpus, build_indexes(corpus), CONFIG)]
    second = [f.data for f in feeds.iter_files(corpus, build_indexes(corpus), CONFIG)]
    assert first == second


def test_feeds_hold_the_newest_50_newest_first(large) -> None:  # type: ignore[no-untyped-def]
    content, built = large
    corpus = load_corpus(content)
    listed = build_indexes(corpus).listed
    site = built["feeds/atom.xml"]
    entries = site.findall(f"{A}entry")
    assert len(entries) == feeds.FEED_SIZE < len(listed)
    updated = [e.find(f"{A}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)
    newest = sorted(listed, key=lambda e: (e.updated, e.date.start, e.id), reverse=True)[: feeds.FEED_SIZE]
    assert [e.find(f"{A}id").text.rstrip("/").rsplit("/", 1)[1] for e in entries] == [e.id for e in newest]
    for feed in built.values():
        _assert_valid_atom(feed)
        assert len(feed.findall(f"{A}entry")) <= feeds.FEED_SIZE


def test_a_memo_chooses_again_only_for_feeds_whose_events_changed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # serve keeps a FeedMemo: a feed choosing from the very same event objects as at the last build
    # takes the same entries; the feeds are always those a build without the memo makes.
    content = tmp_path / "content"
    synth(120, content, seed=5)
    checks, memo = CheckMemo(), {}
    chose: list[int] = []
    real = feeds.newest
    monkeypatch.setattr(feeds, "newest", lambda events: chose.append(len(events)) or real(events))

    def built(with_memo: bool) -> dict[str, bytes]:
        corpus, indexes = checked_again(content, checks)
        made = feeds.iter_files(corpus, indexes, CONFIG, memo if with_memo else None)
        return {f.path: f.data for f in made}

    first = built(True)
    scopes = len(chose)
    chose.clear()
    assert built(True) == first and chose == []
    revise_a_published_event(content, "Corrected ")
    edited = built(True)
    assert 2 <= len(chose) < scopes  # the site's, its region's and its actors' feeds
    assert edited == built(False) and edited["feeds/atom.xml"] != first["feeds/atom.xml"]
    assert b"Corrected" in edited["feeds/atom.xml"]
