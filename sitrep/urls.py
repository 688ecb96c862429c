"""The site's only URL scheme: `url_for` makes every link, `output_path` maps a URL to its file.

URLs are permalinks that feeds, exports and other sites depend on: change nothing here lightly.
Every URL is site-absolute and starts with the base path of `site_url` ("/" for a site at a domain's
root, "/sitrep/" for https://example.org/sitrep/). Directory URLs end in "/" and are written as
".../index.html".

    url_for(event)                       /events/<id>/
    url_for("region", "SY-HL", page=2)   /regions/sy-hl/page/2/
    url_for("month", 2019, 4)            /timeline/2019/04/
    url_for("type", "Battles")           /types/battles/
    url_for("static", "css/site.css")    /static/css/site.css
    url_for("map_year", 2019)            /map/events-2019.json
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

from sitrep.config import SiteConfig
from sitrep.model import Actor, Briefing, Event, Region, Source

_KIND_OF: dict[type, str] = {Event: "event", Region: "region", Actor: "actor", Source: "source",
                             Briefing: "briefing"}
# Kinds whose URL is a fixed path under the base.
_FIXED: dict[str, str] = {
    "home": "",
    "timeline": "timeline/",
    "types": "types/",
    "regions": "regions/",
    "actors": "actors/",
    "sources": "sources/",
    "briefings": "briefings/",
    "map": "map/",
    "map_events": "map/events.json",
    "map_index": "map/index.json",
    "map_regions": "map/regions.json",
    "search": "search/",
    "sitemap": "sitemap.xml",
    "not_found": "404.html",
    "atom": "feeds/atom.xml",
}
# Kinds with one id segment, all paginated lists or single pages: kind → (prefix, lowercase the id?).
_ONE_ID: dict[str, tuple[str, bool]] = {
    "event": ("events", False),
    "region": ("regions", True),
    "actor": ("actors", False),
    "source": ("sources", False),
    "briefing": ("briefings", False),
    "page": ("", False),  # editorial pages from content/pages: /about/, /methodology/
}


GENERATED_TOP_LEVEL = frozenset({
    "events", "regions", "actors", "sources", "briefings", "timeline", "types", "map", "search", "data",
    "feeds", "static", "pagefind", "schemas", "index.html", "404.html", "sitemap.xml", "robots.txt",
})
"""First path segments the build generates; an editorial page may not take one of them."""


def base_path(config: SiteConfig | None) -> str:
    """Return the path part of `config.site_url`, always starting and ending with '/'."""
    return "/" if config is None else _base_of(config.site_url)


@lru_cache(maxsize=16)
def _base_of(site_url: str) -> str:
    # Cached: url_for runs a few hundred times per page.
    path = "/" + (urlsplit(site_url).path or "/").strip("/") + "/"
    return "/" if path == "//" else path


def type_slug(event_type: str) -> str:
    """Return the URL slug of an event type: 'Explosions/Remote violence' → 'explosions-remote-violence'."""
    return re.sub(r"[^a-z0-9]+", "-", event_type.lower()).strip("-")


def _seg(value: object) -> str:
    # Ids are validated slugs already; quoting keeps a stray character from breaking out of the path.
    return quote(str(value), safe="-._~")


def _paged(path: str, page: int) -> str:
    return path if page <= 1 else f"{path}page/{page}/"


# Cached: a build asks for the same few hundred thousand URLs again and again (every card, crumb and
# pager link); the answer is a pure function of the (hashable) arguments.
@lru_cache(maxsize=1 << 18)
def _relative(kind: str, args: tuple[object, ...], page: int) -> str:
    if kind in _FIXED and not args:
        return _paged(_FIXED[kind], page)
    if kind in _ONE_ID and len(args) == 1:
        prefix, lower = _ONE_ID[kind]
        ident = str(args[0]).lower() if lower else str(args[0])
        return _paged(f"{prefix + '/' if prefix else ''}{_seg(ident)}/", page)
    if kind == "month" and len(args) == 2:
        return _paged(f"timeline/{int(args[0]):04d}/{int(args[1]):02d}/", page)
    if kind == "type" and len(args) == 1:
        return _paged(f"types/{type_slug(str(args[0]))}/", page)
    if kind == "region_base_map" and len(args) == 1:  # a region's outline map, shared by its pages
        return f"regions/{_seg(str(args[0]).lower())}/map.svg"
    if kind == "map_year" and len(args) == 1:  # the map's events of one year
        return f"map/events-{int(args[0]):04d}.json"
    if kind == "briefing_file" and len(args) == 2:  # (id, "pdf" | "md")
        return f"briefings/{_seg(args[0])}.{_seg(args[1])}"
    if kind in ("static", "data") and len(args) == 1:
        return f"{kind}/{'/'.join(_seg(p) for p in str(args[0]).split('/'))}"
    if kind == "sitemap_part" and len(args) == 1:  # beside sitemap.xml: a sitemap lists only its folder
        return f"sitemap-{int(args[0])}.xml"
    if kind == "feed" and len(args) == 2:  # ("regions" | "actors", id)
        ident = str(args[1]).lower() if args[0] == "regions" else str(args[1])
        return f"feeds/{_seg(args[0])}/{_seg(ident)}.xml"
    raise ValueError(f"no URL for {kind!r} with arguments {args!r}")


def url_for(target: object, *args: object, page: int = 1, config: SiteConfig | None = None) -> str:
    """Return the site-absolute URL of a model object, or of a kind plus its arguments."""
    kind = _KIND_OF.get(type(target))
    if kind is not None:
        return base_path(config) + _relative(kind, (target.id,), page)  # type: ignore[attr-defined]
    if not isinstance(target, str):
        raise TypeError(f"url_for: cannot make a URL for {type(target).__name__}")
    return base_path(config) + _relative(target, args, page)


def output_path(url: str, config: SiteConfig | None = None) -> str:
    """Return the file (relative to the site root, POSIX) that serves `url`: dirs map to index.html."""
    base = base_path(config)
    # url_for's URLs are plain paths: urlsplit, the slow part for every page of a site, is for others.
    plain = url.startswith(base) and not url.startswith("//") and not any(c in url for c in "?#:")
    path = url if plain else urlsplit(url).path
    if not path.startswith(base):
        raise ValueError(f"{url!r} is not under the site's base path {base!r}")
    rel = path[len(base):]
    if "%" in rel:
        rel = unquote(rel)
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


def absolute_url(url: str, config: SiteConfig) -> str:
    """Return `url` (from url_for) as a full URL on `config.site_url`'s scheme and host."""
    parts = urlsplit(config.site_url)
    return f"{parts.scheme}://{parts.netloc}{url}"
