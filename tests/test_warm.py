"""Warm rebuilds (serve's): the site a build from scratch makes after any edit, reusing what is unchanged."""

from __future__ import annotations

import os
import shutil
import time
from functools import partial
from pathlib import Path
from types import MappingProxyType

import pytest

from sitrep.charts import daily_chart, monthly_chart
from sitrep.config import load_config
from sitrep.errors import ContentError
from sitrep.index import MonthPoint
from sitrep.load import ParseCache, load
from sitrep.model import Event
from sitrep.page_keys import KeyMemo, identical
from sitrep.pipeline import build, default_cache, manifest_path
from sitrep.render_context import Chart
from sitrep.serve import Preview
from sitrep.validate import CheckMemo, check
from sitrep.warm import Warm
from tests.conftest import CONFIG, site_digests

EVENT = "events/2019/2019-04-13-aleppo-western-checkpoints-attack.yaml"
OTHER = "events/2019/2019-04-11-homs-eastern-desert-attacks.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_same_as_cold(content: Path, warm_site: Path, tmp_path: Path, name: str) -> None:
    cold = tmp_path / f"cold-{name}"
    build(content, cold, load_config(CONFIG))  # no cache, no warm state: everything from the files
    assert site_digests(warm_site) == site_digests(cold), name


def test_warm_rebuilds_make_the_site_a_cold_build_makes(minimal_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    warm = Warm()
    build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)

    # An event edited and one added: refs unchanged, so only event files are read again.
    edit(minimal_copy / EVENT, "title: ", "title: Updated ")
    added = minimal_copy / "events/2019/2019-04-14-added-event.yaml"
    added.write_text((minimal_copy / OTHER).read_text(encoding="utf-8").replace(
        "title: ", "title: Added ", 1), encoding="utf-8")
    result = build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)
    assert "events/2019-04-14-added-event/index.html" in result.report.written
    assert_same_as_cold(minimal_copy, out, tmp_path, "event-edits")

    # An actor renamed (everything events are checked against is read again) and the added event gone.
    edit(minimal_copy / "actors/islamic-state.yaml", "name: Islamic State", "name: Islamic State group")
    added.unlink()
    build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)
    assert_same_as_cold(minimal_copy, out, tmp_path, "actor-edit")

    # A broken event fails the build and leaves the site; fixing it builds what a cold build makes.
    before = site_digests(out)
    edit(minimal_copy / EVENT, "event_type: ", "event_type: Nonsense ")
    with pytest.raises(ContentError) as failed:
        build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)
    assert any("event_type" in p.message for p in failed.value.problems)
    assert site_digests(out) == before
    edit(minimal_copy / EVENT, "event_type: Nonsense ", "event_type: ")
    build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)
    assert_same_as_cold(minimal_copy, out, tmp_path, "fixed")


def test_unchanged_files_give_the_same_events_and_keep_their_page_keys(minimal_copy: Path,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "site"
    warm = Warm()
    first = build(minimal_copy, out, load_config(CONFIG), warm=warm).corpus
    edit(minimal_copy / EVENT, "title: ", "title: Updated ")
    second = build(minimal_copy, out, load_config(CONFIG), warm=warm)
    edited = "2019-04-13-aleppo-western-checkpoints-attack"
    for event_id, event in first.events_by_id.items():
        if event_id == edited:
            assert second.corpus.events_by_id[event_id] is not event
        else:
            assert second.corpus.events_by_id[event_id] is event, event_id
    assert second.corpus.actors["islamic-state"] is first.actors["islamic-state"]
    pages = [p for p in second.report.written if p.endswith(".html")]
    assert f"events/{edited}/index.html" in pages
    assert "about/index.html" not in pages  # not showing the event: kept by its key


def test_event_pages_whose_inputs_are_unchanged_are_kept_without_making_them(
        minimal_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # render.EventShortcut: an event page is kept without making its inputs only when the event,
    # what it names and the events it links to are the last build's objects; otherwise it goes
    # the usual way, and every rebuild makes the site a cold build makes.
    from sitrep import render_pages

    made: list[str] = []
    real = render_pages.event_inputs

    def counted(site: render_pages.Site, event: Event) -> render_pages.EventInputs:
        made.append(event.id)
        return real(site, event)

    monkeypatch.setattr(render_pages, "event_inputs", counted)
    out, warm = tmp_path / "site", Warm()
    homs, shelling, attack = ("2019-04-11-homs-eastern-desert-attacks",
                              "2019-04-12-aleppo-overnight-shelling",
                              "2019-04-13-aleppo-western-checkpoints-attack")

    def rebuild(name: str) -> list[str]:
        made.clear()
        build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out), warm=warm)
        inputs_made = sorted(set(made))
        assert_same_as_cold(minimal_copy, out, tmp_path, name)
        return inputs_made

    assert rebuild("first") == [homs, shelling, attack]
    assert rebuild("no-op") == []
    # The edited event, and its neighbour in the region, whose page links to it.
    edit(minimal_copy / EVENT, "title: ", "title: Updated ")
    assert rebuild("title") == [shelling, attack]
    # An event superseded: its successor's file is unchanged, but its page now names a predecessor.
    shelling_file = minimal_copy / "events/2019/2019-04-12-aleppo-overnight-shelling.yaml"
    edit(shelling_file, "status: published", f"status: superseded\nsuperseded_by: {attack}")
    assert attack in rebuild("superseded")
    # The successor edited: the superseded event's page shows its title.
    edit(minimal_copy / EVENT, "title: Updated ", "title: Updated again ")
    assert shelling in rebuild("successor")
    # An actor renamed: what events name is read again, so no page is kept this way.
    edit(minimal_copy / "actors/islamic-state.yaml", "name: Islamic State", "name: Islamic State group")
    assert rebuild("actor") == [homs, shelling, attack]


def test_a_memo_filled_by_other_content_is_not_used(minimal_copy: Path, tmp_path: Path) -> None:
    warm = Warm()
    build(minimal_copy, tmp_path / "a", load_config(CONFIG), warm=warm)
    other = tmp_path / "other"
    shutil.copytree(minimal_copy / "events", other / "events")  # same event files, nothing they refer to
    with pytest.raises(ContentError) as failed:
        build(other, tmp_path / "b", load_config(CONFIG), warm=warm)
    assert any(p.path.endswith(EVENT.rsplit("/", 1)[1]) and "SY-HL" in p.message
               for p in failed.value.problems), [p.format() for p in failed.value.problems]


def test_check_memo_keeps_each_files_problems(minimal_copy: Path) -> None:
    bad = minimal_copy / EVENT
    edit(bad, "event_type: ", "event_type: Nonsense ")
    memo = CheckMemo()
    first = check(load(minimal_copy), memo)
    again = check(load(minimal_copy), memo)  # every file from the memo this time
    assert first.errors and first.problems == again.problems
    assert memo.events  # filled
    edit(bad, "event_type: Nonsense ", "event_type: ")
    fixed = check(load(minimal_copy), memo)
    assert not fixed.errors and fixed.corpus is not None


def test_load_reads_a_file_again_when_its_stamp_changes(minimal_copy: Path) -> None:
    cache, stamps = ParseCache(None), {}
    path = minimal_copy / EVENT
    old = time.time() - 60
    for p in minimal_copy.rglob("*"):
        os.utime(p, (old, old))  # long before the load: their stamps can be trusted...
    time.sleep(0.1)  # ...once their ctime, which utime sets to now, is more than a clock tick old
    load(minimal_copy, cache, stamps)
    assert str(path) in stamps
    edit(path, "title: ", "title: Changed ")  # now: too recent for its stamp to be trusted
    docs = {d.path: d for d in load(minimal_copy, cache, stamps)}
    assert docs[str(path)].data["title"].startswith("Changed ")
    assert str(path) not in stamps  # read again next time too, even if it changes within a clock tick
    edit(path, "title: Changed ", "title: Chanced ")
    docs = {d.path: d for d in load(minimal_copy, cache, stamps)}
    assert docs[str(path)].data["title"].startswith("Chanced ")


def test_identical_compares_records_by_identity_and_values_by_type() -> None:
    assert identical((1, "a", (2.5,)), (1, "a", (2.5,)))
    assert not identical((1,), (1.0,))  # equal, but they render apart
    assert not identical((True,), (1,))
    assert not identical({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order shows on a page
    assert not identical(object(), object())  # unknown types never pass
    memo = CheckMemo()
    # Two events read from the same file are equal, yet only the same object counts as unchanged.
    event_a = _one_event(memo)
    event_b = _one_event(CheckMemo())
    assert event_a == event_b and not identical((event_a,), (event_b,))
    assert identical((event_a,), (event_a,))
    # Mappings: the same records under the same keys pass (by identity, or by value for leaves),
    # whether they are dicts or read-only views of them; any other record or order does not.
    held = MappingProxyType({"a": event_a, "n": 1})
    assert identical(held, MappingProxyType({"a": event_a, "n": 1}))
    assert identical({"a": event_a, "n": 1}, {"a": event_a, "n": 1})
    assert not identical(held, MappingProxyType({"a": event_b, "n": 1}))
    assert not identical(held, MappingProxyType({"n": 1, "a": event_a}))
    assert not identical(held, MappingProxyType({"a": event_a, "n": 1.0}))
    assert not identical(held, {"a": event_a, "n": 1})


def test_identical_compares_a_charts_drawing_by_function_and_arguments() -> None:
    points = (MonthPoint(2024, 1, 3, 2, 4),)
    chart = Chart(partial(monthly_chart, points, "Aleppo"), "Events", points)
    assert identical(chart, Chart(partial(monthly_chart, (MonthPoint(2024, 1, 3, 2, 4),), "Aleppo"),
                                  "Events", points))
    assert not identical(chart, Chart(partial(monthly_chart, points, "Idlib"), "Events", points))
    assert not identical(chart, Chart(partial(daily_chart, points, "Aleppo"), "Events", points))
    assert chart.svg == monthly_chart(points, "Aleppo")  # drawn when read


def _one_event(memo: CheckMemo) -> Event:
    corpus = check(load(Path(__file__).parent / "fixtures" / "minimal" / "content"), memo).corpus
    assert corpus is not None
    return corpus.events[0]


def test_key_memo_reuses_a_key_only_for_identical_inputs() -> None:
    memo, made = KeyMemo(), []

    def compute(key: bytes) -> bytes:
        made.append(key)
        return key

    memo.start()
    assert memo.key("a.html", b"salt", "t.html", (1, "x"), lambda: compute(b"k1")) == b"k1"
    memo.done()
    memo.start()
    assert memo.key("a.html", b"salt", "t.html", (1, "x"), lambda: compute(b"k2")) == b"k1"
    assert memo.key("b.html", b"salt", "t.html", (1, "x"), lambda: compute(b"k3")) == b"k3"
    memo.done()
    memo.start()
    assert memo.key("a.html", b"salt", "t.html", (1.0, "x"), lambda: compute(b"k4")) == b"k4"
    assert memo.key("b.html", b"other salt", "t.html", (1, "x"), lambda: compute(b"k5")) == b"k5"
    memo.done()
    assert made == [b"k1", b"k3", b"k4", b"k5"]


def test_serve_saves_its_caches_when_it_stops_so_the_next_build_starts_from_them(minimal_copy: Path,
                                                                                 tmp_path: Path) -> None:
    out = tmp_path / "site"
    preview = Preview(minimal_copy, out, CONFIG)
    assert preview.rebuild() and preview.rebuild()  # the second retires a site: the next stages from it
    records, parsed = manifest_path(default_cache(out)), default_cache(out)
    first = (records.stat().st_mtime_ns, parsed.stat().st_mtime_ns)
    edit(minimal_copy / EVENT, "title: ", "title: Updated ")
    assert preview.rebuild()
    assert preview.last is not None and preview.last.report.from_spare
    # Kept in memory by the preview, not written at each rebuild...
    assert (records.stat().st_mtime_ns, parsed.stat().st_mtime_ns) == first
    preview.stop()
    # ...but when it stops, so a build from the command line knows what the preview wrote and parsed.
    assert records.stat().st_mtime_ns != first[0] and parsed.stat().st_mtime_ns != first[1]
    again = build(minimal_copy, out, load_config(CONFIG), cache_path=default_cache(out))
    assert again.report.from_spare and again.report.written == ()
    assert set(ParseCache.open(parsed).entries) == {d.digest for d in load(minimal_copy) if d.digest}
