"""Page keys: equal contexts give equal keys in any process; any change a page could show changes its key."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from sitrep import charts
from sitrep.config import load_config
from sitrep.index import MonthPoint
from sitrep.load import load
from sitrep.page_keys import PageKeys, build_salt, tree_digest
from sitrep.render import templates_dir
from sitrep.render_context import Chart, Meta
from sitrep.validate import check
from tests.conftest import CONFIG, MINIMAL, ROOT


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    checked = check(load(MINIMAL))
    assert checked.corpus is not None
    return checked.corpus


def test_equal_contexts_get_equal_keys_and_any_field_changes_them(corpus) -> None:  # type: ignore[no-untyped-def]
    event = corpus.events[0]
    keys = PageKeys(b"salt")
    page = Meta("A title", "/a/", "desc", (("Home", "/"),), "regions")
    same = Meta("A title", "/a/", "desc", (("Home", "/"),), "regions")
    assert keys.key("x.html", (page, event)) == keys.key("x.html", (same, event))
    assert keys.key("x.html", (page, event)) != keys.key("y.html", (page, event))
    retitled = dataclasses.replace(page, title="B")
    assert keys.key("x.html", (page, event)) != keys.key("x.html", (retitled, event))
    assert PageKeys(b"other").key("x.html", (page, event)) != keys.key("x.html", (page, event))


def test_a_shared_record_changes_the_key_of_every_page_that_holds_it(corpus) -> None:  # type: ignore[no-untyped-def]
    # Records are pickled once per build and stand in by their digest: a nested change must still
    # reach the digest (here an actor's name, held by an event page's context).
    actor = next(iter(corpus.actors.values()))
    renamed = dataclasses.replace(actor, name=actor.name + " (renamed)")
    moved = dataclasses.replace(corpus.events[0], location=dataclasses.replace(
        corpus.events[0].location, admin2="Elsewhere"))
    keys = PageKeys(b"salt")
    assert keys.key("p", (actor, corpus.events[0])) != keys.key("p", (renamed, corpus.events[0]))
    assert keys.key("p", (actor, corpus.events[0])) != keys.key("p", (actor, moved))
    # A fresh instance (another build) gives the same keys for the same records.
    assert PageKeys(b"salt").key("p", (actor, corpus.events[0])) == keys.key("p", (actor, corpus.events[0]))


def test_an_event_pages_key_changes_with_each_of_its_inputs(corpus) -> None:  # type: ignore[no-untyped-def]
    # EventInputs.digest joins its fields by hand (faster than a pickle): a field it left out, or
    # a record under another id, would keep a stale page.
    from types import MappingProxyType

    from sitrep import render, render_pages
    from sitrep.index import build_indexes
    from sitrep.render_maps import MapMaker

    maps = MapMaker(corpus.shapes, corpus.regions, lambda region: "/maps/" + region)
    site = render_pages.Site(corpus, build_indexes(corpus), load_config(CONFIG), maps)
    event = next(e for e in corpus.events if e.actors and e.sources and e.region in corpus.regions)
    inputs = render_pages.event_inputs(site, event)
    other = next(e for e in corpus.events if e is not event)
    actor_id, actor = next(iter(inputs.actors.items()))
    source_id, source = next(iter(inputs.sources.items()))
    region = inputs.region

    def key(of: render_pages.EventInputs, keys: PageKeys | None = None) -> bytes | None:
        keys = keys or PageKeys(b"salt", corpus.file_digest)
        page = render_pages.Deferred("/events/x/", of, lambda: None)
        return render.page_key(keys, render.geography_key(keys, corpus), "event.html", page)

    changed = {
        "event": other,
        "region": None if region is not None else next(iter(corpus.regions.values())),
        "actors": MappingProxyType({**inputs.actors, actor_id + "-other": actor}),
        "sources": MappingProxyType({k: v for k, v in inputs.sources.items() if k != source_id}),
        "successor": None if inputs.successor is not None else other,
        "predecessors": (*inputs.predecessors, other),
        "previous": None if inputs.previous is not None else other,
        "next": None if inputs.next is not None else other,
    }
    assert set(changed) == {f.name for f in dataclasses.fields(render_pages.EventInputs)}
    base = key(inputs)
    assert base is not None and key(render_pages.event_inputs(site, event)) == base
    keys = {name: key(dataclasses.replace(inputs, **{name: value})) for name, value in changed.items()}
    assert base not in keys.values() and len(set(keys.values())) == len(keys)
    # The same records under other ids, and a record whose text changed, make other keys too.
    renamed = MappingProxyType({("x" + k if k == actor_id else k): v for k, v in inputs.actors.items()})
    assert key(dataclasses.replace(inputs, actors=renamed)) != base
    retitled = dataclasses.replace(source, name=source.name + " (renamed)")
    sources = MappingProxyType({k: (retitled if k == source_id else v) for k, v in inputs.sources.items()})
    assert key(dataclasses.replace(inputs, sources=sources)) != base
    assert key(inputs, PageKeys(b"other salt", corpus.file_digest)) != base


def test_a_charts_key_covers_what_it_is_drawn_from_without_drawing_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    points = (MonthPoint(2024, 1, 3, 2, 4), MonthPoint(2024, 2, 1, 0, 0))
    keys = PageKeys(b"salt")

    def key(*args: object) -> bytes | None:
        return keys.key("p", Chart(partial(*args), "Events per month", points))  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "_bar", None)  # drawing would fail: keys must not draw
    assert key(charts.monthly_chart, points, "Aleppo") == key(charts.monthly_chart, points, "Aleppo")
    assert key(charts.monthly_chart, points, "Aleppo") != key(charts.monthly_chart, points[:1], "Aleppo")
    assert key(charts.monthly_chart, points, "Aleppo") != key(charts.monthly_chart, points, "Idlib")
    assert key(charts.monthly_chart, points, "Aleppo") != key(charts.daily_chart, points, "Aleppo")


def test_a_context_that_cannot_be_pickled_has_no_key() -> None:
    assert PageKeys(b"salt").key("p", (lambda: 1,)) is None


def test_salt_covers_templates_and_config_but_not_the_cache_folder(tmp_path: Path) -> None:
    templates = Path(shutil.copytree(templates_dir(load_config(CONFIG)), tmp_path / "templates"))
    config = load_config(CONFIG)
    salt = build_salt(config, templates)
    assert build_salt(dataclasses.replace(config, cache_dir=tmp_path), templates) == salt
    assert build_salt(dataclasses.replace(config, site_name="Another"), templates) != salt
    # serve names mkdocs.yml as build.py does only when run from the same folder: the same files.
    relative = Path(os.path.relpath(CONFIG))
    assert build_salt(dataclasses.replace(config, config_path=relative), templates) == build_salt(
        dataclasses.replace(config, config_path=CONFIG.resolve()), templates)
    assert build_salt(dataclasses.replace(config, config_path=tmp_path / "mkdocs.yml"), templates) != salt
    base = templates / "base.html"
    base.write_text(base.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert build_salt(config, templates) != salt
    (templates / "partials" / "new.html").write_text("x", encoding="utf-8")
    assert tree_digest([templates]) != tree_digest([Path(shutil.copytree(
        templates_dir(config), tmp_path / "again"))])


_KEYS_SCRIPT = """
import sys
from sitrep.config import load_config
from sitrep.index import build_indexes
from sitrep.load import load
from sitrep.page_keys import PageKeys
from sitrep.render_maps import MapMaker
from sitrep import render, render_pages
from pathlib import Path
from sitrep.validate import check
config = load_config(Path(sys.argv[2]))
corpus = check(load(Path(sys.argv[1]))).corpus
maps = MapMaker(corpus.shapes, corpus.regions, lambda region: "/maps/" + region)
site = render_pages.Site(corpus, build_indexes(corpus), config, maps)
keys = PageKeys(b"salt")
geography = render.geography_key(keys, corpus)
for builder in render.BUILDERS:
    for template, context in builder(site):
        key = render.page_key(keys, geography, template, context)
        print(key.hex() if key else "none")
"""


def test_keys_are_the_same_in_another_process_with_another_hash_seed() -> None:
    # Keys are compared across builds, so across processes: nothing in them may hang on str hashing.
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", _KEYS_SCRIPT, str(MINIMAL), str(CONFIG)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120, check=True)
        runs.append(proc.stdout.split())
    assert len(runs[0]) >= 20 and "none" not in runs[0]
    assert runs[0] == runs[1]


def test_keys_do_not_depend_on_which_equal_values_are_one_object(corpus) -> None:  # type: ignore[no-untyped-def]
    # Freshly parsed YAML and the parse cache share strings differently: the keys must not see it.
    title = "An actor's name, long enough not to be interned"
    copy = "".join(list(title))
    assert copy == title and copy is not title
    keys = PageKeys(b"salt")
    shared = Meta(title, "/a/", title, ((title, "/"),), "regions")
    separate = Meta(title, "/a/", copy, ((copy, "/"),), "regions")
    assert keys.key("p", shared) == keys.key("p", separate)
    assert keys.key("p", (corpus.events[0], title, title)) == keys.key("p", (corpus.events[0], title, copy))


def test_a_context_with_a_cycle_has_no_key() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    assert PageKeys(b"salt").key("p", (cycle,)) is None


def test_an_event_read_from_its_file_is_keyed_by_the_file(corpus) -> None:  # type: ignore[no-untyped-def]
    event = corpus.events[0]
    keys = PageKeys(b"salt", corpus.file_digest)
    # Pickling the event is skipped: its file's digest stands in for it (and it differs from the pickle's).
    assert keys.key("p", event) != PageKeys(b"salt").key("p", event)
    assert keys.key("p", event) == PageKeys(b"salt", corpus.file_digest).key("p", event)
    # An event changed in memory has no file digest, so it is pickled: its key still changes.
    retitled = dataclasses.replace(event, title=event.title + " (corrected)")
    assert corpus.file_digest(retitled) is None
    assert keys.key("p", retitled) == PageKeys(b"salt").key("p", retitled) != keys.key("p", event)


def test_keys_are_freed_with_their_build_not_kept_by_a_cycle(corpus) -> None:  # type: ignore[no-untyped-def]
    # PageKeys holds every record it digested; its pickler's dispatch table must not hold it back
    # (serve keeps running while the next build's records replace these).
    import gc
    import weakref

    keys = PageKeys(b"salt")
    event = corpus.events[0]
    key = keys.key("p", (Meta("T", "/t/", "d", (), "regions"), event, {"a": (event, 1.5)}))
    assert key is not None and keys.digests
    gone = weakref.ref(keys)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del keys
        assert gone() is None
    finally:
        if enabled:
            gc.enable()


def test_a_type_only_pickle_knows_is_pickled_as_pickle_would(corpus) -> None:  # type: ignore[no-untyped-def]
    import datetime
    from types import MappingProxyType

    keys = PageKeys(b"salt")
    day = datetime.date(2024, 1, 2)
    assert keys.key("p", (day, complex(1, 2))) == keys.key("p", (datetime.date(2024, 1, 2), complex(1, 2)))
    assert keys.key("p", (day,)) != keys.key("p", (datetime.date(2024, 1, 3),))
    # A read-only mapping is keyed by the items it shows.
    assert keys.key("p", MappingProxyType({"a": 1})) == keys.key("p", MappingProxyType(dict(a=1)))
    assert keys.key("p", MappingProxyType({"a": 1})) != keys.key("p", {"a": 2})
