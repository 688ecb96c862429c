"""Editorial pages: MkDocs renders content/pages/*.md in the site's layout, without raw HTML."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sitrep import editorial
from sitrep.config import load_config
from tests.conftest import CONFIG


def run(docs: Path) -> dict[str, str]:
    cfg = load_config(CONFIG)
    return {f.path: f.data.decode() for f in editorial.iter_files(None, None, cfg, docs_dir=docs)}  # type: ignore[arg-type]


@pytest.mark.parametrize(("src", "dest"), [
    ("about.md", "about/index.html"), ("team/people.md", "team/people/index.html"),
    ("index.md", "index.html"), ("img/map.png", "img/map.png"),
])
def test_dest_path(src: str, dest: str) -> None:
    assert editorial.dest_path(src) == dest


def test_pages_use_the_site_layout(tmp_path: Path) -> None:
    (tmp_path / "about.md").write_text("# About us\n\nWe [read](methodology.md) sources.\n")
    (tmp_path / "methodology.md").write_text("# Method\n\n## Tolls\n\nRanges.\n")
    started = time.perf_counter()
    pages = run(tmp_path)
    assert time.perf_counter() - started < 10
    assert set(pages) == {"about/index.html", "methodology/index.html"}  # no MkDocs sitemap or 404
    about = pages["about/index.html"]
    assert "<title>About · " in about  # the nav title from mkdocs.yml
    assert "<h1 id=\"about-us\">About us</h1>" in about
    assert 'role="search"' in about and 'action="/search/"' in about
    assert '<a href="/about/" aria-current="page">About</a>' in about
    assert '<link rel="stylesheet" href="/static/css/site.css">' in about
    assert 'href="../methodology/"' in about  # MkDocs resolved the link between pages
    assert "Content-Security-Policy" in about


def test_raw_html_and_bad_links_are_neutralised(tmp_path: Path) -> None:
    (tmp_path / "about.md").write_text(
        "# About\n\n<script>alert(1)</script>\n\n<div onclick=\"x()\">hi</div>\n\n[x](javascript:alert(1))\n")
    html = run(tmp_path)["about/index.html"]
    body = html[html.index("<main"):html.index("</main>")]
    assert "<script" not in body and "<div onclick" not in body and "javascript:" not in body
    assert "&lt;script&gt;" in body


def test_index_page_does_not_replace_the_home_page(tmp_path: Path) -> None:
    (tmp_path / "index.md").write_text("# Home\n")
    (tmp_path / "about.md").write_text("# About\n")
    assert set(run(tmp_path)) == {"about/index.html"}


def test_no_pages_folder_yields_nothing(tmp_path: Path) -> None:
    assert run(tmp_path / "missing") == {}
