"""The interactive map's data (render_maps.map_files): a small index, one compact file per year.

Checked on the minimal fixture (known values) and on a synthetic corpus spread over several years
(every located event in exactly one file, the file of its start year; no file holds the corpus).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from sitrep.config import SiteConfig
from sitrep.index import Indexes, build_indexes
from sitrep.model import Corpus
from sitrep.render_maps import MAP_FIELDS, map_files, map_record
from sitrep.synth import synth
from sitrep.urls import url_for
from sitrep.validate import load_corpus
from sitrep.vocab import EVENT_TYPES
from tests.conftest import MINIMAL

CHECKPOINTS = "2019-04-13-aleppo-western-checkpoints-attack"
HOMS = "2019-04-11-homs-eastern-desert-attacks"
SHELLING = "2019-04-12-aleppo-overnight-shelling"


def files_of(corpus: Corpus, indexes: Indexes, config: SiteConfig | None = None) -> dict[str, object]:
    made = map_files(corpus, indexes, partial(url_for, config=config))
    return {url: json.loads(data) for url, data in made}


@pytest.fixture(scope="module")
def minimal() -> tuple[Corpus, Indexes]:
    corpus = load_corpus(MINIMAL)
    return corpus, build_indexes(corpus)


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, Indexes]:
    out = tmp_path_factory.mktemp("mapdata") / "content"
    synth(300, out, seed=3)
    corpus = load_corpus(out)
    return corpus, build_indexes(corpus)


def test_minimal_index_and_year_file(minimal: tuple[Corpus, Indexes]) -> None:
    files = files_of(*minimal)
    assert set(files) == {"/map/index.json", "/map/events-2019.json", "/map/regions.json"}
    index = files["/map/index.json"]
    assert index["types"] == list(EVENT_TYPES) and index["regions"] == ["SY-HI", "SY-HL"]
    assert index["fields"] == MAP_FIELDS
    assert index["located"] == 2 and index["unlocated"] == 1  # the shelling has no point
    [year] = index["years"]
    assert year == {"year": 2019, "count": 2, "url": "/map/events-2019.json", "first": "2019-04-11",
                    "last": "2019-04-13", "types": {str(list(EVENT_TYPES).index("Battles")): 2}}
    assert index["bounds"] == [[34.56, 37.1612], [36.2012, 38.28]]
    assert index["shapes"] == "/map/regions.json"
    records = {r["i"]: r for r in files["/map/events-2019.json"]["events"]}
    assert set(records) == {HOMS, CHECKPOINTS}
    checkpoints = records[CHECKPOINTS]
    assert (checkpoints["l"], checkpoints["h"]) == (11, 13)
    assert index["regions"][checkpoints["r"]] == "SY-HL"
    assert (checkpoints["a"], checkpoints["o"], checkpoints["d"]) == (36.2012, 37.1612, "2019-04-13")
    assert records[HOMS]["l"] == 27 and "h" not in records[HOMS]  # high left out when it equals low
    assert index["types"][records[HOMS]["k"]] == "Battles"
    assert "s" not in records[HOMS]  # published is the default
    shapes = files["/map/regions.json"]
    assert {f["properties"]["id"] for f in shapes["features"]} == {"SY-HL", "SY-HI"}
    assert {f["properties"]["url"] for f in shapes["features"]} == {"/regions/sy-hl/", "/regions/sy-hi/"}


def test_record_keeps_status_and_leaves_out_a_missing_toll(minimal: tuple[Corpus, Indexes]) -> None:
    corpus, _ = minimal
    event = corpus.events_by_id[CHECKPOINTS]
    types, regions = {t: i for i, t in enumerate(EVENT_TYPES)}, {"SY-HL": 5}
    retracted = map_record(replace(event, status="retracted", fatalities=None), types, regions)
    assert retracted["s"] == "retracted" and retracted["r"] == 5
    assert "l" not in retracted and "h" not in retracted
    assert set(retracted) <= set(MAP_FIELDS)


def test_base_path_prefixes_data_urls(minimal: tuple[Corpus, Indexes]) -> None:
    files = files_of(*minimal, SiteConfig(site_url="https://example.org/sitrep/"))
    assert set(files) == {f"/sitrep/map/{name}.json" for name in ("index", "events-2019", "regions")}
    index = files["/sitrep/map/index.json"]
    assert index["years"][0]["url"] == "/sitrep/map/events-2019.json"
    assert index["shapes"] == "/sitrep/map/regions.json"


def test_every_located_event_is_in_its_years_file_once(spread: tuple[Corpus, Indexes]) -> None:
    corpus, indexes = spread
    files = files_of(corpus, indexes)
    index = files.pop("/map/index.json")
    files.pop("/map/regions.json")
    located = [e for e in indexes.listed if e.location.lat is not None and e.location.lon is not None]
    assert len(index["years"]) >= 3, "the synthetic corpus spans several years"
    assert index["located"] == len(located) and index["unlocated"] == len(indexes.listed) - len(located)
    seen: Counter[str] = Counter()
    for year in index["years"]:
        doc = files.pop(year["url"])
        assert doc["year"] == year["year"] and len(doc["events"]) == year["count"]
        dates = [r["d"] for r in doc["events"]]
        assert dates == sorted(dates) and (dates[0], dates[-1]) == (year["first"], year["last"])
        assert all(d.startswith(f"{year['year']}-") for d in dates)
        assert sum(year["types"].values()) == year["count"]
        seen.update(r["i"] for r in doc["events"])
    assert files == {}, "no file beyond the index, the shapes and one per year"
    assert seen == Counter(e.id for e in located)
    statuses = {e.id: e.status for e in located}
    assert any(s != "published" for s in statuses.values())


def test_records_are_compact(spread: tuple[Corpus, Indexes]) -> None:
    corpus, indexes = spread
    raw = dict(map_files(corpus, indexes, url_for))
    by_id = {e.id: e for e in indexes.listed}
    total = 0
    for url, data in raw.items():
        if "/events-" not in url:
            continue
        for r in json.loads(data)["events"]:
            e = by_id[r["i"]]
            assert (r["a"], r["o"]) == (round(e.location.lat, 4), round(e.location.lon, 4))
            assert r.get("s", "published") == e.status
            assert len(str(r["a"]).split(".")[-1]) <= 4 and len(str(r["o"]).split(".")[-1]) <= 4
            # Overhead beyond the id and title (which the popup shows) stays small.
            size = len(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
            overhead = size - len(r["i"]) - len(r["t"])
            assert overhead <= 90, r
        total += len(data)
    assert len(raw["/map/index.json"]) < 4000
    biggest = max(len(d) for u, d in raw.items() if "/events-" in u)
    assert biggest < total / 2  # split: no one file carries most of the corpus


def test_no_events_gives_an_empty_index(tmp_path: Path) -> None:
    corpus = load_corpus(MINIMAL)
    empty = build_indexes(replace(corpus, events=()))
    files = files_of(corpus, empty)
    assert set(files) == {"/map/index.json", "/map/regions.json"}
    assert files["/map/index.json"]["years"] == [] and files["/map/index.json"]["bounds"] is None
