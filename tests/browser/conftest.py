"""Browser fixtures: Debian's Chromium driven by Playwright, and sites built once and served locally.

Playwright cannot download its own browser here, so it drives the system Chromium that `./run test`
installs. Each test gets a fresh context (its own history and storage) from one shared browser.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitrep.config import load_config
from sitrep.pipeline import build
from sitrep.synth import synth

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal" / "content"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclasses.dataclass(frozen=True)
class Served:
    """A built site behind a local static server; `url("search/")` is the address of a site path."""

    base: str
    out: Path

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")


@pytest.fixture(scope="session")
def _server_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Serve one folder over HTTP on 127.0.0.1 (a free port) for the whole session."""
    root = tmp_path_factory.mktemp("www")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler,
                                                                                 directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _build_served(server: tuple[Path, str], content: Path, sub_path: str, **sitrep: object) -> Served:
    root, origin = server
    config = load_config(ROOT / "mkdocs.yml")
    extra = {**config.extra, "sitrep": {**config.extra.get("sitrep", {}), **sitrep}}
    config = dataclasses.replace(config, site_url=origin + sub_path, extra=extra)
    out = root / sub_path.strip("/") if sub_path else root
    build(content, out, config)
    return Served(origin + sub_path, out)


@pytest.fixture(scope="session")
def minimal_site(_server_root: tuple[Path, str]) -> Served:
    """The minimal fixture corpus, built with the full pipeline and served at the server's root."""
    return _build_served(_server_root, MINIMAL, "")


@pytest.fixture(scope="session")
def synth_site(_server_root: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Served:
    """A 60-event synthetic corpus served under a sub-path, /sub/, as a site in a folder would be,
    with its search index in shards of 25 records (as a large corpus's would be)."""
    content = tmp_path_factory.mktemp("synth") / "content"
    synth(60, content, seed=5)
    return _build_served(_server_root, content, "sub/", search_shard_size=25)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (./run test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page in its own context; fails the test on any script error or CSP violation."""
    context = browser.new_context()
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
