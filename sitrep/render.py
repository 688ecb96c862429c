"""Render stage: every HTML page of the site, the map's data and the static assets, as OutputFiles.

One Jinja Environment per build (autoescape on, filters and globals registered here only), a typed
context per page kind (render_context), builders per kind (render_pages, render_archive). Templates
come from the project's templates/ (beside mkdocs.yml), falling back to the package's.
Other stages that render pages in the site's look (search, briefings) use `make_environment`.
When many event pages must be made, a second process renders some of them (render_pool).
"""

from __future__ import annotations

import logging
import shutil
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path

import jinja2
from markupsafe import Markup

from sitrep import render_archive, render_pages, render_pool, render_text
from sitrep.config import SiteConfig
from sitrep.index import Indexes
from sitrep.markup import to_html, to_text
from sitrep.model import Corpus, Event, Region, Shape
from sitrep.page_keys import KeyMemo, PageKeys, build_salt, code_digest, same_items, same_objects
from sitrep.render_maps import MapMaker
from sitrep.svgmap import EVENT_TYPE_COLOURS
from sitrep.urls import output_path, type_slug, url_for
from sitrep.vocab import EVENT_TYPES
from sitrep.write import OutputFile, PendingFile, SiteFile

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
_PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'")
"""The Content-Security-Policy every page declares. 'wasm-unsafe-eval' is for Pagefind's search."""

BUILDERS: tuple[Callable[[render_pages.Site], Iterator[render_pages.Rendered]], ...] = (
    render_archive.home_page,
    render_pages.event_pages,
    render_pages.region_pages,
    render_pages.actor_pages,
    render_pages.source_pages,
    render_archive.month_pages,
    render_archive.timeline_page,
    render_archive.type_pages,
    render_archive.directory_pages,
    render_archive.map_page,
    render_archive.redirect_pages,
    render_archive.not_found_page,
)


def templates_dir(config: SiteConfig) -> Path:
    """Return the templates folder: beside mkdocs.yml when it has one, else the package's own."""
    if config.config_path is not None:
        candidate = Path(config.config_path).resolve().parent / "templates"
        if (candidate / "base.html").is_file():
            return candidate
    return _PACKAGE_TEMPLATES


def nav_items(config: SiteConfig) -> tuple[tuple[str, str, str], ...]:
    """Return the top navigation as (section, label, url): generated sections, then editorial pages."""
    u = partial(url_for, config=config)
    items = [(kind, label, u(kind)) for kind, label in (
        ("timeline", "Timeline"), ("regions", "Regions"), ("actors", "Actors"), ("sources", "Sources"),
        ("map", "Map"), ("briefings", "Briefings"))]
    for title, path in config.nav:
        slug = Path(path).with_suffix("").as_posix()
        if slug not in ("index", ""):
            items.append((slug, title, u("page", slug)))
    return tuple(items)


class CardMemo:
    """The `event_card` global: renders each distinct event card once and reuses it.

    An event's card appears on its source, month, type and home pages alike; only the actor pages'
    cards (with that actor's roles) and region pages' (without the region) differ, and those appear
    once each, so only the shared kind is kept: a few hundred bytes per event, which the render
    stage lets go of when it ends (`clear`: the environment holds it in a reference cycle, which
    only the cycle collector would free, and a build runs without it; see heap.paused)."""

    def __init__(self) -> None:
        self.cards: dict[tuple[str, bool, int, int], Markup] = {}

    def __call__(self, macro: Callable[..., Markup], event: Event, regions: Mapping[str, object],
                 roles: Mapping[str, tuple[str, ...]] | None, show_region: bool, level: int) -> Markup:
        if roles is not None or not show_region:
            return macro(event, regions, roles[event.id] if roles is not None else None, show_region, level)
        key = (event.id, bool(show_region), level, id(regions))
        card = self.cards.get(key)
        if card is None:
            card = self.cards[key] = macro(event, regions, None, show_region, level)
        return card

    def clear(self) -> None:
        self.cards.clear()


def make_environment(config: SiteConfig, templates: Path | None = None, *,
                     compiled: bool = True) -> jinja2.Environment:
    """Return the Jinja environment every site page is rendered with: filters and globals set here.

    With a cache folder, compiled templates are kept in it (compiling them costs ~0.6 s a build),
    unless `compiled` is False."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates or templates_dir(config))),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        extensions=["jinja2.ext.do"], bytecode_cache=_bytecode_cache(config.cache_dir) if compiled else None,
    )
    env.filters.update(
        date_text=render_text.date_text, day=render_text.day_text, short_day=render_text.short_day,
        deaths=render_text.deaths, toll=render_text.toll, number=render_text.number,
        month_name=render_text.month_name, role=render_text.role_label, markdown=to_html,
        plain=to_text, type_slug=type_slug, iso=lambda d: d.isoformat() if d else "",
    )
    env.globals.update(
        site=config, url_for=partial(url_for, config=config), site_nav=nav_items(config), csp=CSP,
        static=lambda path: url_for("static", path, config=config), period_text=render_text.period_text,
        plural=render_text.plural, event_types=tuple(EVENT_TYPES), type_colours=EVENT_TYPE_COLOURS,
        event_card=CardMemo(),
        labels={"status": render_text.STATUS_LABELS, "precision": render_text.PRECISION_LABELS,
                "ucdp": render_text.UCDP_LABELS, "field": render_text.FIELD_LABELS},
    )
    return env


def _bytecode_cache(cache_dir: Path | None) -> jinja2.BytecodeCache | None:
    """Return a cache of compiled templates in `cache_dir`/jinja/<code digest>, or None.

    Jinja keys compiled code by template path and source only, not by the environment's options
    set above: the folder is named by a digest of Sitrep's code and library versions instead, and
    the folders of other versions are removed."""
    if cache_dir is None:
        return None
    root = cache_dir / "jinja"
    folder = root / code_digest().hex()
    try:
        if not folder.is_dir():
            folder.mkdir(parents=True)
            for other in root.iterdir():
                if other != folder:
                    shutil.rmtree(other, ignore_errors=True)
    except OSError as exc:  # read-only or full disk: compile as without a cache
        log.warning("not keeping compiled templates in %s: %s", folder, exc)
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render_page(env: jinja2.Environment, template: str, context: object) -> str:
    """Return one page's HTML: the template gets `page` (the typed context) and `meta`."""
    meta = getattr(context, "meta", None) or context.listing.meta  # type: ignore[attr-defined]
    return env.get_template(template).render(page=context, meta=meta)


def static_files() -> Iterator[OutputFile]:
    """Yield sitrep/static/** under static/ (vendored Leaflet, CSS, JS)."""
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield OutputFile("static/" + path.relative_to(STATIC_DIR).as_posix(), path.read_bytes())


def _page_bytes(env: jinja2.Environment, template: str, context: object) -> bytes:
    return render_page(env, template, context).encode("utf-8")


def geography_key(keys: PageKeys, corpus: Corpus) -> bytes:
    """Return one digest of the shapes and regions: maps drawn in deferred contexts read them all."""
    return keys.records((*corpus.shapes.values(), *corpus.regions.values()))


def page_key(keys: PageKeys, geography: bytes, template: str, context: object) -> bytes | None:
    """Return a page's key: of its context, or of a Deferred context's inputs and the geography."""
    if isinstance(context, render_pages.Deferred):
        if type(context.inputs) is render_pages.EventInputs:
            return keys.of_digests(template, geography, context.inputs.digest(keys.shared))
        return keys.key(template, (geography, context.inputs))
    return keys.key(template, context)


def _deferred_bytes(env: jinja2.Environment, template: str, make: Callable[[], object]) -> bytes:
    return _page_bytes(env, template, make())


def _map_maker(shapes: Mapping[str, Shape], regions: Mapping[str, Region], config: SiteConfig) -> MapMaker:
    return MapMaker(shapes, regions, lambda r: url_for("region_base_map", r, config=config))


def worker_setup(config: SiteConfig, templates: Path, shapes: Mapping[str, Shape],
                 regions: Mapping[str, Region]) -> tuple[render_pool.PageRenderer, dict[str, object]]:
    """In a render worker: return its page renderer and what it holds for the build's pages
    (render_pool.RenderPool): the config and a map maker. It compiles the few templates it uses
    itself: its code digest could differ from the build's (Sitrep upgraded while serve runs), and
    it would then remove the build's folder of compiled templates as another version's."""
    env = make_environment(config, templates, compiled=False)
    return partial(_page_bytes, env), {"config": config, "maps": _map_maker(shapes, regions, config)}


class EventShortcut:
    """Finds, for a long-lived process (serve), the event pages whose inputs are identical to the
    last build's without making their inputs: at 100k events, making and comparing every event
    page's inputs (KeyMemo.key) took ~5 s of a rebuild after one edit.

    An event page's inputs (render_pages.EventInputs) are the event, what it names among the
    regions, actors and sources, and the events it links to (render_pages.event_links). So they
    are the last build's when the event is the very same object (validate.CheckMemo gives an
    unchanged file's event back), the regions, actors and sources are the same objects under the
    same ids, and the linked events are the same objects. Anything else goes the usual way."""

    def __init__(self, site: render_pages.Site, memo: KeyMemo, shared: bytes) -> None:
        corpus = site.corpus
        refs = tuple(tuple(m.items()) for m in (corpus.regions, corpus.actors, corpus.sources))
        last = memo.notes.get("event refs")
        self.usable = isinstance(last, tuple) and all(map(same_items, last, refs))
        memo.new_notes["event refs"] = refs
        last_paths = memo.notes.get("event paths")
        self.last_paths: dict[str, str] = last_paths if isinstance(last_paths, dict) else {}
        self.paths: dict[str, str] = {}
        """Each event's page's path in this build, by event id."""
        memo.new_notes["event paths"] = self.paths
        self.site, self.memo, self.shared = site, memo, shared

    def kept(self, event: Event) -> tuple[str, bytes] | None:
        """Return the path and key of `event`'s page if its inputs are the last build's, else None."""
        path = self.last_paths.get(event.id) if self.usable else None
        last = self.memo.previous(path) if path is not None else None
        if last is None or last[0] != self.shared or last[1] != "event.html" or last[3] is None:
            return None
        inputs = last[2]
        if not isinstance(inputs, render_pages.EventInputs) or inputs.event is not event:
            return None
        successor, predecessors, previous, following = render_pages.event_links(self.site, event)
        if (successor is not inputs.successor or previous is not inputs.previous
                or following is not inputs.next or not same_objects(predecessors, inputs.predecessors)):
            return None
        self.memo.carry(path)  # type: ignore[arg-type]
        self.paths[event.id] = path  # type: ignore[index]
        return path, last[3]  # type: ignore[return-value]


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig, memo: KeyMemo | None = None,
               previous: Callable[[str], bytes | None] | None = None,
               timings: dict[str, float] | None = None) -> Iterator[SiteFile]:
    """Yield every generated page, the map's JSON and the static assets.

    Pages come as PendingFiles keyed by their context (page_keys): the writer renders only those
    whose key differs from the previous build's, which on a rebuild after one edit is a few dozen.
    With a memo (serve), a page whose inputs are identical to the last build's keeps its key.
    `previous` gives the key the last build wrote a path with (None: never written): once more than
    render_pool.START_AFTER event pages must be made, a second process renders some of them; its
    time goes into `timings` as render_worker (the stage's own, "render", is the build's)."""
    templates = templates_dir(config)
    env = make_environment(config, templates)
    salt = build_salt(config, templates)
    keys = PageKeys(salt, corpus.file_digest)
    maps = _map_maker(corpus.shapes, corpus.regions, config)
    memo = memo or KeyMemo()
    memo.start()
    # The geography's digest is memoised too, under a path no page has.
    geography = memo.key("", salt, "", (tuple(corpus.shapes.values()), tuple(corpus.regions.values())),
                         partial(geography_key, keys, corpus)) or b""
    shared = salt + geography
    site = render_pages.Site(corpus, indexes, config, maps)
    shortcut = EventShortcut(site, memo, shared)
    site.kept_event = shortcut.kept
    pool = None
    if previous is not None and render_pool.workers_wanted(config):
        setup = partial(worker_setup, config, templates, dict(corpus.shapes), dict(corpus.regions))
        pool = render_pool.RenderPool(setup, {id(config): "config", id(maps): "maps"})
    to_make = 0
    held: deque[SiteFile] = deque()
    try:
        for builder in BUILDERS:
            for template, context in builder(site):
                key: bytes | None
                if isinstance(context, render_pages.Kept):  # its key found by the shortcut
                    path, key = context.path, context.key
                    make: Callable[[], bytes] = partial(_deferred_bytes, env, template, context.make)
                else:
                    if isinstance(context, render_pages.Deferred):
                        url, inputs = context.url, context.inputs
                        make = partial(_deferred_bytes, env, template, context.make)
                    else:
                        url = (getattr(context, "meta", None) or context.listing.meta).url  # type: ignore[attr-defined]
                        inputs = context
                        make = partial(_page_bytes, env, template, context)
                    path = output_path(url, config)
                    key = memo.key(path, shared, template, inputs,
                                   partial(page_key, keys, geography, template, context))
                    if isinstance(inputs, render_pages.EventInputs):
                        shortcut.paths[inputs.event.id] = path
                if key is None:
                    held.append(OutputFile(path, make()))
                else:
                    if (pool is not None and isinstance(context, render_pages.Deferred)
                            and previous is not None and previous(path) != key):
                        to_make += 1
                        ticket = pool.hand(template, context.make) if to_make > render_pool.START_AFTER \
                            else None
                        if ticket is not None:
                            make = partial(pool.take, ticket, make)
                    held.append(PendingFile(path, key, make))
                # Held back so pages handed to the worker are done before the writer asks for them.
                if len(held) > (render_pool.LOOKAHEAD if pool is not None else 0):
                    yield held.popleft()
            if pool is not None and builder is render_pages.event_pages:
                pool.finish()  # only event pages are handed over: the worker's memory is let go
        while held:
            yield held.popleft()
    finally:
        if pool is not None:
            pool.close()
            if timings is not None and pool.handed:
                timings["render_worker"] = pool.worker_seconds
        # Let go of what only the cycle collector would free otherwise (see heap.paused): the site
        # holds the shortcut, which holds the site; the environment holds the cards.
        site.kept_event = None
        env.globals["event_card"].clear()
    memo.done()
    for url, data in render_archive.map_data(site):
        yield OutputFile(output_path(url, config), data)
    for region_id, svg in maps.base_files():
        yield OutputFile(output_path(url_for("region_base_map", region_id, config=config), config), svg)
    yield from static_files()
