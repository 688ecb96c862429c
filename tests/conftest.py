"""Shared fixtures: the fixture trees, a tree writer, and sites built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sitrep.config import load_config
from sitrep.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL = FIXTURES / "minimal" / "content"
BUNDLED = ROOT / "content"
CONFIG = ROOT / "mkdocs.yml"

TreeWriter = Callable[[dict[str, str | bytes]], Path]


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
