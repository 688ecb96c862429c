"""The URL scheme: permalinks from architecture.md, base paths, output paths."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sitrep.config import SiteConfig
from sitrep.urls import absolute_url, base_path, output_path, type_slug, url_for

ROOT = SiteConfig(site_url="https://example.org/")
SUB = SiteConfig(site_url="https://example.org/sitrep/")


@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    (("home",), {}, "/"),
    (("event", "2019-04-13-aleppo"), {}, "/events/2019-04-13-aleppo/"),
    (("region", "SY-HL"), {}, "/regions/sy-hl/"),
    (("region", "SY-HL"), {"page": 2}, "/regions/sy-hl/page/2/"),
    (("actor", "islamic-state"), {"page": 3}, "/actors/islamic-state/page/3/"),
    (("source", "sohr"), {}, "/sources/sohr/"),
    (("month", 2019, 4), {}, "/timeline/2019/04/"),
    (("month", 2019, 4), {"page": 2}, "/timeline/2019/04/page/2/"),
    (("type", "Explosions/Remote violence"), {}, "/types/explosions-remote-violence/"),
    (("map",), {}, "/map/"),
    (("search",), {}, "/search/"),
    (("briefing", "2019-04-week-15"), {}, "/briefings/2019-04-week-15/"),
    (("briefing_file", "2019-04-week-15", "pdf"), {}, "/briefings/2019-04-week-15.pdf"),
    (("data", "events.csv"), {}, "/data/events.csv"),
    (("atom",), {}, "/feeds/atom.xml"),
    (("feed", "regions", "SY-HL"), {}, "/feeds/regions/sy-hl.xml"),
    (("static", "css/site.css"), {}, "/static/css/site.css"),
    (("page", "about"), {}, "/about/"),
])
def test_url_for_kinds(args: tuple, kwargs: dict, expected: str) -> None:
    assert url_for(*args, **kwargs, config=ROOT) == expected
    assert url_for(*args, **kwargs, config=SUB) == "/sitrep" + expected


def test_url_for_model_objects() -> None:
    from sitrep.validate import load_corpus
    from tests.conftest import MINIMAL

    corpus = load_corpus(MINIMAL)
    assert url_for(corpus.regions["SY-HL"]) == "/regions/sy-hl/"
    assert url_for(corpus.actors["islamic-state"], page=2) == "/actors/islamic-state/page/2/"
    event = corpus.events[0]
    assert url_for(event, config=SUB) == f"/sitrep/events/{event.id}/"


def test_url_for_refuses_unknown() -> None:
    with pytest.raises(ValueError):
        url_for("nonsense", "x")
    with pytest.raises(TypeError):
        url_for(42)


def test_ids_cannot_escape_the_path() -> None:
    assert url_for("event", "../../etc") == "/events/..%2F..%2Fetc/"


@pytest.mark.parametrize(("url", "expected"), [
    ("/", "index.html"),
    ("/events/x/", "events/x/index.html"),
    ("/regions/sy-hl/page/2/", "regions/sy-hl/page/2/index.html"),
    ("/map/events.json", "map/events.json"),
    ("/events/x/?q=1#frag", "events/x/index.html"),
    ("/events/a%20b/", "events/a b/index.html"),
    ("/events/x:y/", "events/x:y/index.html"),
])
def test_output_path(url: str, expected: str) -> None:
    assert output_path(url) == expected
    assert output_path("/sitrep" + url, SUB) == expected


def test_output_path_outside_base() -> None:
    with pytest.raises(ValueError):
        output_path("/elsewhere/", SUB)


def test_base_path_and_absolute() -> None:
    assert base_path(None) == "/"
    assert base_path(ROOT) == "/"
    assert base_path(replace(SUB, site_url="https://example.org/a/b")) == "/a/b/"
    assert absolute_url(url_for("event", "x", config=SUB), SUB) == "https://example.org/sitrep/events/x/"


def test_type_slugs_are_unique() -> None:
    from sitrep.vocab import EVENT_TYPES

    slugs = [type_slug(t) for t in EVENT_TYPES]
    assert len(set(slugs)) == len(slugs)
    assert all(s and s == s.lower() and "/" not in s for s in slugs)
