"""Editorial stage: MkDocs renders content/pages/*.md (about, methodology) in the site's own look.

MkDocs builds into a temporary folder with templates/mkdocs/main.html as its theme; that template
extends the site's base.html, and the environment gets the same globals and filters as generated
pages, so header, navigation, search box and footer are identical. Only the pages' own files are
taken from MkDocs' output (not its sitemap or 404), and they go through the writer like any other.
Markdown here, as everywhere, runs without raw HTML and is sanitised.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config as mkdocs_config
from mkdocs.plugins import BasePlugin

from sitrep import markup
from sitrep.config import SiteConfig
from sitrep.errors import ContentError, Problem
from sitrep.index import Indexes
from sitrep.model import Corpus
from sitrep.render import make_environment, templates_dir
from sitrep.render_context import Meta
from sitrep.urls import GENERATED_TOP_LEVEL, url_for
from sitrep.write import OutputFile

log = logging.getLogger(__name__)
_PAGE_SUFFIXES = (".md", ".markdown")


class _SiteLook(BasePlugin):  # type: ignore[type-arg]
    """Give MkDocs' Jinja environment the site's templates, globals and filters; sanitise pages."""

    def __init__(self, config: SiteConfig, templates: Path) -> None:
        super().__init__()
        self.site = config
        self.templates = templates

    def on_env(self, env: jinja2.Environment, /, *, config: Any, files: Any) -> jinja2.Environment:
        ours = make_environment(self.site, self.templates)
        env.loader = jinja2.ChoiceLoader([env.loader, ours.loader])  # type: ignore[list-item]
        env.globals.update(ours.globals)
        env.filters.update(ours.filters)
        env.globals["sitrep_meta"] = self.meta
        return env

    def on_page_content(self, html: str, /, *, page: Any, config: Any, files: Any) -> str:
        return markup.sanitise(html, page=True)

    def meta(self, page: Any) -> Meta:
        """Return the base layout's Meta for an MkDocs page."""
        slug = PurePosixPath(page.file.src_uri).with_suffix("").as_posix()
        url = url_for("page", slug, config=self.site)
        crumbs = (("Home", url_for("home", config=self.site)),)
        return Meta(page.title or slug, url, str(page.meta.get("description", "")), crumbs, slug)


def dest_path(src: str) -> str:
    """Return where MkDocs (directory URLs) writes a docs file: about.md → about/index.html."""
    p = PurePosixPath(src)
    if p.suffix.lower() not in _PAGE_SUFFIXES:
        return p.as_posix()
    if p.stem.lower() in ("index", "readme"):
        return (p.parent / "index.html").as_posix().lstrip("./") or "index.html"
    return (p.with_suffix("") / "index.html").as_posix()


def docs_dir_of(config: SiteConfig) -> Path | None:
    """Return the editorial pages folder: the built content's pages/, else mkdocs.yml's docs_dir."""
    if config.content_dir is not None and (config.content_dir / "pages").is_dir():
        return config.content_dir / "pages"
    if config.config_path is None:
        return None
    path = Path(config.config_path)
    return path.resolve().parent / _read_docs_dir(path)


def _read_docs_dir(config_path: Path) -> str:
    import yaml

    from sitrep.config import _LenientLoader

    data = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_LenientLoader) or {}
    return str(data.get("docs_dir") or "docs")


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig, *,
               docs_dir: Path | None = None) -> Iterator[OutputFile]:
    """Yield the editorial pages of `docs_dir` (default: mkdocs.yml's docs_dir) in the site's look."""
    docs = docs_dir or docs_dir_of(config)
    if config.config_path is None or docs is None or not docs.is_dir():
        log.info("no editorial pages folder; skipping MkDocs")
        return
    sources = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*")
                     if p.is_file() and not any(part.startswith(".") for part in p.relative_to(docs).parts))
    if not sources:
        return
    _refuse_generated_routes(docs, sources)
    templates = templates_dir(config)
    with tempfile.TemporaryDirectory(prefix="sitrep-mkdocs-") as tmp:
        _build(config, docs, Path(tmp), templates)
        for src in sources:
            dest = dest_path(src)
            if dest == "index.html":
                log.warning("%s: the home page is generated; editorial index pages are skipped", src)
                continue
            built = Path(tmp) / dest
            if built.is_file():
                yield OutputFile(dest, built.read_bytes())


def _refuse_generated_routes(docs: Path, sources: list[str]) -> None:
    """Refuse pages that would stand where the build writes generated pages (pages/map.md, /map/)."""
    problems = [
        Problem(str(docs / src), 1, 1,
                f"editorial page '{src}' would replace the generated /{dest_path(src).split('/')[0]}/",
                f"rename the file; these names are taken: {', '.join(sorted(GENERATED_TOP_LEVEL))}")
        for src in sources
        if dest_path(src).split("/")[0] in GENERATED_TOP_LEVEL and dest_path(src) != "index.html"
    ]
    if problems:
        raise ContentError(problems)


def _build(config: SiteConfig, docs: Path, out: Path, templates: Path) -> None:
    mk = mkdocs_config(str(config.config_path), docs_dir=str(docs), site_dir=str(out), plugins=[],
                       theme={"name": None, "custom_dir": str(templates / "mkdocs")})
    mk.markdown_extensions.append(markup.no_raw_html())  # type: ignore[arg-type]
    mk.plugins["sitrep-look"] = _SiteLook(config, templates)
    quiet = logging.getLogger("mkdocs")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        mkdocs_build(mk)
    finally:
        quiet.setLevel(level)
