"""Search's browser fixtures: sites built once per session with the full pipeline, served locally.

The browser and the static server are the session's (tests/conftest.py). Each test gets a fresh
context, and fails on any script error, CSP violation or failed request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sitrep.config import load_config
from sitrep.pipeline import build
from sitrep.synth import synth

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal" / "content"


@dataclasses.dataclass(frozen=True)
class Served:
    """A built site behind a local static server; `url("search/")` is the address of a site path."""

    base: str
    out: Path

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")


def _build_served(serve: Callable[[Path], str], www: Path, content: Path, sub_path: str,
                  **sitrep: object) -> Served:
    origin = serve(www) + "/"
    config = load_config(ROOT / "mkdocs.yml")
    extra = {**config.extra, "sitrep": {**config.extra.get("sitrep", {}), **sitrep}}
    config = dataclasses.replace(config, site_url=origin + sub_path, extra=extra)
    out = www / sub_path.strip("/") if sub_path else www
    build(content, out, config)
    return Served(origin + sub_path, out)


@pytest.fixture(scope="session")
def minimal_site(serve_dir: Callable[[Path], str],
                 tmp_path_factory: pytest.TempPathFactory) -> Served:
    """The minimal fixture corpus, built with the full pipeline and served at a server's root."""
    return _build_served(serve_dir, tmp_path_factory.mktemp("www-minimal"), MINIMAL, "")


@pytest.fixture(scope="session")
def synth_site(serve_dir: Callable[[Path], str],
               tmp_path_factory: pytest.TempPathFactory) -> Served:
    """A 60-event synthetic corpus served under a sub-path, /sub/, as a site in a folder would be,
    with its search index in shards of 25 records (as a large corpus's would be)."""
    content = tmp_path_factory.mktemp("synth") / "content"
    synth(60, content, seed=5)
    return _build_served(serve_dir, tmp_path_factory.mktemp("www-synth"), content, "sub/",
                         search_shard_size=25)


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page in its own context; fails the test on any script error, CSP violation or 4xx/5xx."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    # Failed loads are reported by the response check (the browser's own favicon probe is no fault).
    pg.on("console", lambda msg: problems.append(f"console: {msg.text}")
          if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    pg.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
          if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    yield pg
    context.close()
    assert not problems, problems
