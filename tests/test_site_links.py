"""No broken internal link anywhere in the built site: every href, src, form action and map data URL
of every page resolves to a written file (and a fragment to an id on the target page)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

LINK_ATTRS = {"a": ("href",), "link": ("href",), "script": ("src",), "img": ("src",), "form": ("action",),
              "image": ("href",), "div": ("data-index", "data-shapes")}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        self.refs.extend(a[name] for name in LINK_ATTRS.get(tag, ()) if a.get(name))


def page_url(site: Path, page: Path) -> str:
    rel = page.relative_to(site).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def target(site: Path, path: str) -> Path:
    rel = unquote(path).lstrip("/")
    return site / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)


def scan(page: Path) -> _Refs:
    parser = _Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def broken_links(site: Path) -> list[tuple[str, str]]:
    """Return (page URL, reference) for every internal reference that resolves to nothing."""
    broken: list[tuple[str, str]] = []
    ids: dict[Path, set[str]] = {}
    for page in sorted(site.rglob("*.html")):
        base, found = page_url(site, page), scan(page)
        ids[page] = found.ids
        for ref in found.refs:
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "mailto", "data") or ref.startswith("//"):
                continue
            if parts.scheme:
                broken.append((base, ref))  # javascript: and friends have no place in the site
                continue
            if not parts.path:
                if parts.fragment and parts.fragment not in found.ids:
                    broken.append((base, ref))
                continue
            file = target(site, urlsplit(urljoin(base, ref)).path)
            if not file.is_file():
                broken.append((base, ref))
            elif parts.fragment and file.suffix == ".html":
                if file not in ids:
                    ids[file] = scan(file).ids
                if parts.fragment not in ids[file]:
                    broken.append((base, ref))
    return broken


def test_checker_finds_what_is_broken(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="/a/">ok</a><a href="/missing/">x</a><a href="#nope">y</a>'
                                         '<a href="javascript:alert(1)">z</a><a id="top" href="#top">t</a>')
    (tmp_path / "a" / "index.html").write_text('<a href="../index.html#top">up</a><a href="/#gone">g</a>')
    assert sorted(broken_links(tmp_path)) == [
        ("/", "#nope"), ("/", "/missing/"), ("/", "javascript:alert(1)"), ("/a/", "/#gone")]


@pytest.mark.slow
def test_fixture_site_has_no_broken_link(built_minimal: Path) -> None:
    pages = list(built_minimal.rglob("*.html"))
    assert len(pages) > 20
    assert broken_links(built_minimal) == []


@pytest.mark.slow
def test_bundled_site_has_no_broken_link(built_bundled: Path) -> None:
    assert (built_bundled / "index.html").is_file()
    assert broken_links(built_bundled) == []
