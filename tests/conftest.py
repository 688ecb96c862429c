"""Shared fixtures: the fixture trees, a tree writer, sites built once per session, and the one
Chromium (driven by Playwright) and static servers that browser tests share."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from sitrep.config import load_config
from sitrep.index import Indexes, build_indexes
from sitrep.load import ParseCache, load
from sitrep.model import Corpus
from sitrep.pipeline import build
from sitrep.validate import CheckMemo, check
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, static_server

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL = FIXTURES / "minimal" / "content"
BUNDLED = ROOT / "content"
CONFIG = ROOT / "mkdocs.yml"

TreeWriter = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """Every build freezes what it keeps (sitrep.heap), and here that includes the test's own
    objects: unfreeze them after each test, so those in cycles are freed as in any test run."""
    yield
    gc.unfreeze()


def checked_again(content: Path, memo: CheckMemo) -> tuple[Corpus, Indexes]:
    """Load, check and index `content` as serve's next build does, with the check memo it keeps:
    files unchanged since the memo's last check give back the very same model objects."""
    corpus = check(load(content, ParseCache(None)), memo).corpus
    assert corpus is not None
    return corpus, build_indexes(corpus)


def revise_a_published_event(content: Path, title_prefix: str = "") -> Path:
    """Add a revision (dated 2030-01-01) to the first published event under `content`, and
    `title_prefix` to its title; return its file."""
    event = next(p for p in sorted((content / "events").rglob("*.yaml"))
                 if "status: published" in p.read_text(encoding="utf-8"))
    text = event.read_text(encoding="utf-8")
    if title_prefix:
        text = text.replace("title: ", f"title: {title_prefix}", 1)
    revision = "revisions:\n- date: 2030-01-01\n  note: Corrected the title.\n"
    event.write_text(text + revision, encoding="utf-8")
    return event


def site_digests(site: Path) -> dict[str, str]:
    """Return every file under `site` (relative path) with the SHA-256 of its bytes."""
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in site.rglob("*") if p.is_file()}


@pytest.fixture
def write_tree(tmp_path: Path) -> TreeWriter:
    """Return a function writing {relative path: text or bytes} under tmp_path/content."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "content"
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        return root

    return make


@pytest.fixture
def minimal_copy(tmp_path: Path) -> Path:
    """Return a private, writable copy of the minimal fixture content tree."""
    return Path(shutil.copytree(MINIMAL, tmp_path / "content"))


def _build_once(tmp_path_factory: pytest.TempPathFactory, content: Path, name: str) -> Path:
    out = tmp_path_factory.mktemp(name) / "site"
    build(content, out, load_config(CONFIG))
    return out


@pytest.fixture(scope="session")
def built_minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site built from tests/fixtures/minimal/content (built once per session)."""
    return _build_once(tmp_path_factory, MINIMAL, "minimal")


@pytest.fixture(scope="session")
def built_bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site built from the bundled content/ (built once per session)."""
    return _build_once(tmp_path_factory, BUNDLED, "bundled")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one for the whole session.

    Playwright's sync API refuses a second instance while one runs in the process, so every browser
    test shares this one (each opens its own context or page). Where chromium is missing the browser
    tests skip, except under CI, where `./run test` must have installed it and its absence fails.
    """
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: ./run test installs Debian's chromium")
        pytest.skip("chromium is not installed (./run test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def serve_dir() -> Iterator[Callable[[Path], str]]:
    """Return a function serving a folder over HTTP for the rest of the session; it returns the base URL."""
    with ExitStack() as stack:
        yield lambda root: stack.enter_context(static_server(root))
