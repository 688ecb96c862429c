"""The render worker: pages it makes are the build's own, and anything going wrong in it is the
build's to render instead."""

from __future__ import annotations

import logging
import re
import shutil
import threading
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
import yaml

from sitrep import render, render_pages, render_pool
from sitrep.config import load_config
from sitrep.index import build_indexes
from sitrep.load import load
from sitrep.markup_cache import FILE_NAME, MarkdownCache
from sitrep.markup_plain import prose_html
from sitrep.pipeline import build, default_cache
from sitrep.serve import Preview
from sitrep.synth import synth
from sitrep.validate import check
from tests.conftest import BUNDLED, CONFIG, ROOT, site_digests


@pytest.fixture(scope="module")
def site_parts():  # type: ignore[no-untyped-def]
    corpus = check(load(BUNDLED)).corpus
    assert corpus is not None
    config = replace(load_config(CONFIG), content_dir=BUNDLED)
    templates = render.templates_dir(config)
    maps = render._map_maker(corpus.shapes, corpus.regions, config)
    site = render_pages.Site(corpus, build_indexes(corpus), config, maps)
    env = render.make_environment(config, templates)
    setup = partial(render.worker_setup, config, templates, dict(corpus.shapes), dict(corpus.regions))
    return site, env, setup, {id(config): "config", id(maps): "maps"}


@pytest.fixture
def pool(site_parts, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(render_pool, "READY_WAIT", 60.0)
    _, _, setup, held = site_parts
    started = render_pool.RenderPool(setup, held)
    yield started
    started.close()


def event_pages(site: render_pages.Site) -> list[tuple[str, render_pages.Deferred]]:
    pages = [(t, d) for t, d in render_pages.event_pages(site) if isinstance(d, render_pages.Deferred)]
    assert len(pages) >= 5
    return pages


def local(env, template: str, make) -> bytes:  # type: ignore[no-untyped-def]
    return render._page_bytes(env, template, make())


def test_pages_the_worker_makes_are_the_pages_the_build_makes(site_parts, pool) -> None:  # type: ignore[no-untyped-def]
    site, env, _, _ = site_parts
    pages = event_pages(site)
    tickets = []
    for template, deferred in pages:
        ticket = pool.hand(template, deferred.make)
        assert ticket is not None or pool.handed >= render_pool.DEPTH
        tickets.append(ticket)
    made = [pool.take(t, lambda: b"not from the worker") if t is not None else None for t in tickets]
    handed = [(page, data) for page, data in zip(pages, made, strict=True) if data is not None]
    assert len(handed) >= min(len(pages), render_pool.DEPTH)
    for (template, deferred), data in handed:
        assert data == local(env, template, deferred.make), deferred.url
    assert pool.worker_seconds > 0


def test_a_page_the_worker_cannot_make_is_made_by_the_build(site_parts, pool) -> None:  # type: ignore[no-untyped-def]
    site, env, _, _ = site_parts
    template, deferred = event_pages(site)[0]
    # Inputs of the wrong kind: event_context fails in the worker, which sends no page back.
    broken = partial(render_pages.event_context, "not the inputs of a page", *deferred.make.args[1:])  # type: ignore[attr-defined]
    ticket = pool.hand(template, broken)
    assert ticket is not None
    expected = local(env, template, deferred.make)
    assert pool.take(ticket, partial(local, env, template, deferred.make)) == expected
    # The worker is still there for the next page.
    ticket = pool.hand(template, deferred.make)
    assert ticket is not None
    assert pool.take(ticket, lambda: b"fallback") == local(env, template, deferred.make)


def test_a_page_that_will_not_pickle_is_not_handed_over(site_parts, pool) -> None:  # type: ignore[no-untyped-def]
    site, _, _, _ = site_parts
    template, _ = event_pages(site)[0]
    assert pool.hand(template, lambda: None) is None  # not a partial of module-level functions
    assert pool.hand(template, partial(render_pages.event_context, lambda: None)) is None


def test_pages_of_a_worker_that_died_are_made_by_the_build(site_parts, pool) -> None:  # type: ignore[no-untyped-def]
    site, env, _, _ = site_parts
    template, deferred = event_pages(site)[0]
    assert pool.hand(template, deferred.make) == 0
    assert pool.take(0, lambda: b"fallback") == local(env, template, deferred.make)
    pool._process.kill()  # type: ignore[union-attr]
    pool._process.wait()  # type: ignore[union-attr]
    ticket = pool.hand(template, deferred.make)  # may still be sent, before the build sees the pipe close
    if ticket is not None:
        assert pool.take(ticket, lambda: b"made by the build") == b"made by the build"
    assert pool.hand(template, deferred.make) is None


def test_the_worker_finishes_what_it_was_handed_then_exits(site_parts, pool) -> None:  # type: ignore[no-untyped-def]
    site, env, _, _ = site_parts
    pages = event_pages(site)[:3]
    tickets = [pool.hand(t, d.make) for t, d in pages]
    assert tickets == [0, 1, 2]
    pool.finish()
    assert pool.hand(*pages[0][:1], pages[0][1].make) is None
    for ticket, (template, deferred) in zip(tickets, pages, strict=True):
        assert pool.take(ticket, lambda: b"fallback") == local(env, template, deferred.make)
    process = pool._process
    pool.close()
    assert process is not None and process.returncode == 0


def test_render_workers_0_in_mkdocs_yml_turns_the_worker_off() -> None:
    config = load_config(CONFIG)
    sitrep = {**config.extra.get("sitrep", {}), "render_workers": 0}
    off = replace(config, extra={**config.extra, "sitrep": sitrep})
    assert not render_pool.workers_wanted(off)


def test_records_go_to_the_worker_and_back_unchanged(site_parts) -> None:  # type: ignore[no-untyped-def]
    site, _, _, held = site_parts
    _, deferred = event_pages(site)[0]
    payload = render_pool._pickled(deferred.make, held)
    assert payload is not None
    shared = {"config": site.config, "maps": site.maps}
    copy = render_pool._unpickled(payload, shared)
    assert copy.args[0] == deferred.make.args[0]  # type: ignore[attr-defined]
    assert copy.args[0] is not deferred.make.args[0]  # type: ignore[attr-defined]
    assert copy.args[1] is site.config and copy.args[2] is site.maps  # type: ignore[attr-defined]
    assert copy() == deferred.make()


def test_a_record_whose_class_changed_fails_to_unpickle_instead_of_filling_the_wrong_fields(
        site_parts) -> None:  # type: ignore[no-untyped-def]
    site = site_parts[0]
    _, deferred = event_pages(site)[0]
    event = deferred.make.args[0].event  # type: ignore[attr-defined]
    names = render_pool._field_names(type(event))
    assert names is not None and len(names) > 2
    swapped = (names[1], names[0], *names[2:])
    with pytest.raises(TypeError, match="other fields"):
        render_pool._rebuild(type(event), swapped, *(getattr(event, n) for n in swapped))
    assert render_pool._rebuild(type(event), names, *(getattr(event, n) for n in names)) == event


@pytest.fixture
def eager_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the worker at the first page to make, and wait for it: the test sites are small."""
    monkeypatch.setattr(render_pool, "START_AFTER", 0)
    monkeypatch.setattr(render_pool, "READY_WAIT", 60.0)


def project(folder: Path, options: str = "") -> Path:
    """Return the mkdocs.yml of a copy of the project's templates and config in `folder`, with
    `options` (indented lines) added under extra.sitrep."""
    shutil.copytree(ROOT / "templates", folder / "templates")
    config = folder / "mkdocs.yml"
    config.write_text(CONFIG.read_text(encoding="utf-8").replace("  sitrep:\n", "  sitrep:\n" + options, 1),
                      encoding="utf-8")
    return config


def pages_handed(log: str) -> int | None:
    """Return how many pages the worker made, from the build's log; None if it made none."""
    found = re.search(r"render: (\d+) pages made in a second process", log)
    return int(found.group(1)) if found else None


def rebuild_on_a_thread(preview: Preview) -> None:
    """Rebuild as serve does, on a thread of its own."""
    thread = threading.Thread(target=preview.rebuild)
    thread.start()
    thread.join()
    assert preview.error is None


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    content = tmp_path_factory.mktemp("synthetic") / "content"
    synth(120, content)
    # Synthetic summaries are prose, which no cache keeps (markup_plain): give a few a list.
    for path in sorted((content / "events").rglob("*.yaml"))[:8]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["summary"] += "\n\n- One list item, for Markdown to convert."
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return content


def test_a_site_rendered_with_the_worker_is_the_site_rendered_without_it(
        synthetic: Path, tmp_path: Path, eager_worker: None, caplog: pytest.LogCaptureFixture) -> None:
    alone = project(tmp_path / "alone", "    render_workers: 0\n")
    assert not render_pool.workers_wanted(load_config(alone))
    with caplog.at_level(logging.INFO, logger="sitrep.render_pool"):
        build(synthetic, alone.parent / "site", load_config(alone))
    assert "second process" not in caplog.text

    out = tmp_path / "site"
    with caplog.at_level(logging.INFO):
        result = build(synthetic, out, load_config(CONFIG), cache_path=default_cache(out))
    handed = pages_handed(caplog.text)
    assert handed is not None and handed >= render_pool.DEPTH
    assert result.timings["render_worker"] > 0  # the worker's own time, beside the stage's
    assert site_digests(out) == site_digests(alone.parent / "site")

    # What the worker converted from Markdown is in the build's cache, for the next build.
    events = [e for e in check(load(synthetic)).corpus.events if e.status != "draft"]  # type: ignore[union-attr]
    cache = MarkdownCache(default_cache(out).parent / FILE_NAME)
    try:
        lists = [e.summary for e in events if e.summary and prose_html(e.summary) is None]
        assert len(lists) >= 3 and all(cache.get(cache.key(text, 1)) is not None for text in lists)
    finally:
        cache.close()

    # A rebuild makes no page, so it starts no worker.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sitrep.render_pool"):
        assert build(synthetic, out, load_config(CONFIG), cache_path=default_cache(out)).report.written == ()
    assert "second process" not in caplog.text


def test_serve_renders_every_page_again_through_the_worker_after_a_template_change(
        synthetic: Path, tmp_path: Path, eager_worker: None, caplog: pytest.LogCaptureFixture) -> None:
    # serve's preview builds with warm state on a thread of its own; a template edit makes every
    # page again, which is when the worker helps an editor waiting for the preview.
    config = project(tmp_path / "project")
    preview = Preview(synthetic, tmp_path / "site", config)
    rebuild_on_a_thread(preview)
    event = config.parent / "templates" / "event.html"
    event.write_text(event.read_text(encoding="utf-8").replace("<h2 id=\"summary-h\">Summary</h2>",
                                                               "<h2 id=\"summary-h\">What happened</h2>"),
                     encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sitrep.render_pool"):
        rebuild_on_a_thread(preview)
    assert (pages_handed(caplog.text) or 0) > 0
    cold = tmp_path / "cold"
    build(synthetic, cold, load_config(config))
    assert site_digests(tmp_path / "site") == site_digests(cold)
    assert "What happened" in next((cold / "events").rglob("index.html")).read_text(encoding="utf-8")
