"""Data exports: ACLED-compatible CSV, JSON, GeoJSON for the site, each region and each actor."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitrep import export
from sitrep.config import SiteConfig
from sitrep.index import build_indexes
from sitrep.model import ActorRef
from sitrep.validate import load_corpus
from sitrep.write import check_path

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal" / "content"
CONFIG = SiteConfig(site_name="Test", site_url="https://example.org/sitrep/")
# ACLED's codebook, in its order (2023 export format: 31 columns).
ACLED_CODEBOOK = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 "
    "assoc_actor_1 inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region country "
    "admin1 admin2 admin3 location latitude longitude geo_precision source source_scale notes fatalities "
    "tags timestamp").split()


@pytest.fixture(scope="module")
def site():  # type: ignore[no-untyped-def]
    corpus = load_corpus(MINIMAL)
    indexes = build_indexes(corpus)
    files = {f.path: f.data for f in export.iter_files(corpus, indexes, CONFIG)}
    return corpus, indexes, files


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_uses_acled_columns_in_acled_order_then_sitreps(site) -> None:  # type: ignore[no-untyped-def]
    _, _, files = site
    header = next(csv.reader(io.StringIO(files["data/events.csv"].decode())))
    assert header[: len(ACLED_CODEBOOK)] == ACLED_CODEBOOK
    assert header[len(ACLED_CODEBOOK):] == list(export.SITREP_COLUMNS)
    assert not files["data/events.csv"].startswith(b"\xef\xbb\xbf")  # no BOM: pandas would keep it


def test_csv_row_carries_the_event(site) -> None:  # type: ignore[no-untyped-def]
    corpus, indexes, files = site
    rows = {r["sitrep_id"]: r for r in _rows(files["data/events.csv"])}
    assert list(rows) == [e.id for e in indexes.listed]
    row = rows["2019-04-13-aleppo-western-checkpoints-attack"]
    event = corpus.events_by_id["2019-04-13-aleppo-western-checkpoints-attack"]
    assert (row["event_date"], row["year"], row["time_precision"]) == ("2019-04-13", "2019", "1")
    assert (row["event_type"], row["disorder_type"]) == ("Battles", "Political violence")
    assert (row["actor1"], row["actor2"], row["inter2"]) == ("", "Syrian government forces", "1")
    assert (row["fatalities"], row["fatalities_low"], row["fatalities_high"]) == ("13", "11", "13")
    assert (row["admin1"], row["region_id"], row["country"]) == ("Aleppo", "SY-HL", "SY")
    assert (float(row["latitude"]), float(row["longitude"])) == (event.location.lat, event.location.lon)
    assert row["source"] == "Syrian Observatory for Human Rights; Agencies (unattributed wire copy)"
    assert row["notes"] == event.summary and row["title"] == event.title
    assert row["url"] == "https://example.org/sitrep/events/2019-04-13-aleppo-western-checkpoints-attack/"
    # timestamp: the newest revision (2019-04-14), as ACLED's timestamp is the last change
    assert datetime.fromtimestamp(int(row["timestamp"]), UTC).date().isoformat() == "2019-04-14"


def test_interaction_and_civilian_targeting_follow_acled(tmp_path: Path) -> None:
    corpus = load_corpus(MINIMAL)
    names = export._Names(corpus)
    event = corpus.events_by_id["2019-04-11-homs-eastern-desert-attacks"]  # rebel group vs state forces
    columns = export._actor_columns(event, names)
    assert (columns["inter1"], columns["inter2"], columns["interaction"]) == (2, 1, 12)
    assert columns["civilian_targeting"] == ""
    alone = export._actor_columns(replace(event, actors=(ActorRef("islamic-state", "perpetrator"),)), names)
    assert (alone["inter2"], alone["interaction"]) == (None, 20)


def test_formula_cells_are_defused_but_numbers_stay_numbers() -> None:
    record = dict.fromkeys(export.CSV_COLUMNS, "")
    record.update(notes="=HYPERLINK(\"http://x\")", actor1="@SUM(A1)", title="+1", location="-2+3",
                  tags="\tcmd", source="\rx", longitude=-3.5, latitude=-0.25, fatalities=0, inter1=None)
    cells = dict(zip(export.CSV_COLUMNS, export.csv_cells(record), strict=True))
    assert cells["notes"] == "'=HYPERLINK(\"http://x\")" and cells["actor1"] == "'@SUM(A1)"
    texts = (cells["title"], cells["location"], cells["tags"], cells["source"])
    assert texts == ("'+1", "'-2+3", "'\tcmd", "'\rx")
    numbers = (cells["longitude"], cells["latitude"], cells["fatalities"], cells["inter1"])
    assert numbers == ("-3.5", "-0.25", "0", "")


def test_hostile_title_in_content_is_defused_end_to_end(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    path = content / "events" / "2019" / "2019-04-12-aleppo-overnight-shelling.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: Overnight government bombardment west of Aleppo", "title: '=1+cmd|'' /C calc''!A0'"),
        encoding="utf-8")
    corpus = load_corpus(content)
    data = export.events_csv(build_indexes(corpus).listed, corpus, CONFIG)
    row = next(r for r in _rows(data) if r["sitrep_id"] == "2019-04-12-aleppo-overnight-shelling")
    assert row["title"] == "'=1+cmd|' /C calc'!A0"


def test_json_holds_full_events_in_a_stable_shape(site) -> None:  # type: ignore[no-untyped-def]
    corpus, indexes, files = site
    doc = json.loads(files["data/events.json"])
    assert doc["count"] == len(doc["events"]) == len(indexes.listed)
    assert [list(e) for e in doc["events"]] == [list(doc["events"][0])] * len(doc["events"])
    attack = next(e for e in doc["events"] if e["id"] == "2019-04-11-homs-eastern-desert-attacks")
    assert attack["claims"][0]["by"] == "islamic-state" and attack["fatalities"]["breakdown"]["side_a"] == 27
    assert attack["actors"][0] == {"actor": "islamic-state", "name": "Islamic State", "kind": "rebel-group",
                                   "role": "perpetrator"}
    assert attack["sources"][0]["published"] == "2019-04-13"
    again = export.events_json(indexes.listed, corpus, CONFIG)
    assert again == files["data/events.json"]  # deterministic: no build time inside


def test_geojson_points_and_null_geometry_for_region_only_events(site) -> None:  # type: ignore[no-untyped-def]
    corpus, indexes, files = site
    doc = json.loads(files["data/events.geojson"])
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(indexes.listed)
    for feature in doc["features"]:
        event = corpus.events_by_id[feature["id"]]
        if event.location.lat is None:
            assert feature["geometry"] is None and feature["properties"]["geo_precision"] == 3
        else:
            assert feature["geometry"] == {"type": "Point",
                                           "coordinates": [event.location.lon, event.location.lat]}
    assert any(f["geometry"] is None for f in doc["features"])


def test_the_same_exports_exist_per_region_and_per_actor(site) -> None:  # type: ignore[no-untyped-def]
    corpus, indexes, files = site
    for fmt in ("csv", "json", "geojson"):
        for region in corpus.regions:
            assert f"data/regions/{region.lower()}.{fmt}" in files
        for actor in corpus.actors:
            assert f"data/actors/{actor}.{fmt}" in files
    for region in corpus.regions:
        rows = _rows(files[f"data/regions/{region.lower()}.csv"])
        assert [r["sitrep_id"] for r in rows] == [e.id for e in indexes.by_region.get(region, ())]
        assert all(r["region_id"] == region for r in rows)
    for actor in corpus.actors:
        doc = json.loads(files[f"data/actors/{actor}.json"])
        assert [e["id"] for e in doc["events"]] == [e.id for e in indexes.by_actor.get(actor, ())]


def test_every_output_path_is_safe_and_unique() -> None:
    corpus = load_corpus(MINIMAL)
    paths = [f.path for f in export.iter_files(corpus, build_indexes(corpus), CONFIG)]
    assert len(paths) == len(set(paths))
    assert all(check_path(p) == p for p in paths)
    assert {"data/events.csv", "feeds/atom.xml", "sitemap.xml", "robots.txt"} <= set(paths)


def _exports(content: Path, config: SiteConfig) -> dict[str, bytes]:
    corpus = load_corpus(content)
    return {f.path: f.data for f in export.iter_files(corpus, build_indexes(corpus), config)
            if f.path.startswith("data/")}


def test_months_kept_in_the_cache_give_the_files_a_fresh_build_makes(tmp_path: Path) -> None:
    # Each month's fragments are kept by the digests of its events' files, the names they show and
    # the config: after an edit only that month is serialised again, and every file is what a
    # build without the cache makes.
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    cached = replace(CONFIG, cache_dir=tmp_path / "cache")
    folder = tmp_path / "cache" / "export"
    assert _exports(content, cached) == _exports(content, CONFIG)
    first = set(folder.iterdir())
    assert len(first) == 3 * len({(e.date.start.year, e.date.start.month)
                                  for e in build_indexes(load_corpus(content)).listed})
    assert _exports(content, cached) == _exports(content, CONFIG) and set(folder.iterdir()) == first

    path = content / "events" / "2019" / "2019-04-12-aleppo-overnight-shelling.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: Overnight government bombardment west of Aleppo", "title: Corrected title"), encoding="utf-8")
    edited = _exports(content, cached)
    assert edited == _exports(content, CONFIG) and b"Corrected title" in edited["data/events.json"]
    assert len(set(folder.iterdir()) - first) == 3  # its month, once per format

    actor = next((content / "actors").glob("*.yaml"))  # a name the fragments show
    actor.write_text(actor.read_text(encoding="utf-8").replace("name: ", "name: Renamed ", 1),
                     encoding="utf-8")
    renamed = _exports(content, cached)
    assert renamed == _exports(content, CONFIG) and renamed != edited

    for entry in folder.iterdir():  # damaged entries are made again, never published
        entry.write_bytes(b"[\"not a fragment\"")
    assert _exports(content, cached) == renamed
    shutil.rmtree(folder)
    assert _exports(content, cached) == renamed
    for entry in folder.iterdir():  # JSON, but not a list of fragments: as many numbers as events
        count = len(json.loads(entry.read_bytes()))
        entry.write_bytes(json.dumps(list(range(count))).encode())
    assert _exports(content, cached) == renamed
    assert export._decoded(b'["a", "\\u00e9"]') == [b"a", "\u00e9".encode()]
    assert export._decoded(b'{"a": "b"}') is None and export._decoded(b"[1]") is None


def test_an_export_files_digests_are_reused_only_for_the_same_event_objects() -> None:
    # serve keeps each file's events and their files' digests (ExportMemo.digests): a rebuild
    # reuses them when the file lists the same event objects (validate.CheckMemo gives an unchanged
    # file's event back as the same object), and joins the digests again when one differs.
    corpus = load_corpus(MINIMAL)
    events = build_indexes(corpus).listed
    memo = export.ExportMemo()
    first = export._ScopeDigests(corpus, memo).of((None, None), events)
    assert first == b"".join(corpus.file_digest(e) for e in events)  # type: ignore[misc]
    assert memo.digests[(None, None)] == (events, first)

    reused = export._ScopeDigests(replace(corpus, file_digests={}), memo)  # no digest would be found
    assert reused.of((None, None), tuple(events)) == first

    changed = replace(events[0], title="Changed")
    again = export._ScopeDigests(corpus, memo).of((None, None), (changed, *events[1:]))
    assert again is None  # `changed` was not read from a file: it has no digest, so no key
    assert export._file_key(b"salt", again) is None
    assert export._file_key(b"salt", first) != export._file_key(b"other salt", first)
