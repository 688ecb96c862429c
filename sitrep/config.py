"""Site configuration: `mkdocs.yml` (site name, URL, nav, theme) plus its `extra.sitrep` block."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sitrep.errors import ContentError, Problem


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """What the build needs to know that content does not say."""

    site_name: str = "Sitrep"
    site_url: str = "http://localhost:8000/"
    """Absolute base URL, ending in '/'; feeds, sitemap and canonical links use it."""
    site_description: str = ""
    language: str = "en"
    copyright: str = ""
    page_size: int = 50
    """Events per page on paginated lists (regions, actors, sources, months)."""
    home_latest: int = 20
    """How many of the newest events the home page lists."""
    key_figures_days: int = 30
    """The 'latest period' of the home page's key figures, counted back from the newest event."""
    nav: tuple[tuple[str, str], ...] = ()
    """Editorial navigation from mkdocs.yml: (title, path of a content/pages file)."""
    config_path: Path | None = None
    content_dir: Path | None = None
    """The content folder being built (set by the pipeline from --content); its pages/ folder holds
    the editorial pages, so a build of another content tree gets that tree's pages."""
    cache_dir: Path | None = None
    """Where stages may keep work between builds (parse cache, rendered PDFs); set by the pipeline."""
    extra: dict[str, Any] = field(default_factory=dict)


class _LenientLoader(yaml.SafeLoader):
    """Safe loader that reads mkdocs' `!!python/name:` and `!ENV` tags as plain strings."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_LenientLoader.add_multi_constructor("", _any_tag)


def _nav_items(nav: Any) -> tuple[tuple[str, str], ...]:
    items: list[tuple[str, str]] = []
    for entry in nav or ():
        if isinstance(entry, dict):
            for title, target in entry.items():
                if isinstance(target, str):
                    items.append((str(title), target))
                else:
                    items.extend(_nav_items(target))
    return tuple(items)


_DEFAULT = SiteConfig()
WHOLE_NUMBER_OPTIONS = {"page_size": (1, 50), "home_latest": (0, 20), "key_figures_days": (1, 30),
                        "search_shard_size": (1, 4000), "render_workers": (0, 1)}
"""The options under extra.sitrep that are whole numbers: (the least each may be, an example)."""


def _check_options(sitrep: Any, path: Path, text: str) -> list[Problem]:
    """Return a problem for each extra.sitrep option that is not what the build can use."""
    if not isinstance(sitrep, dict):
        line, col = _position(text, ("extra", "sitrep"))
        return [Problem(str(path), line, col, "extra.sitrep must be a mapping of options",
                        "write its options as indented 'name: value' lines, e.g. 'page_size: 50'")]
    problems = []
    for name, (least, example) in WHOLE_NUMBER_OPTIONS.items():
        value = sitrep.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= least):
            continue
        line, col = _position(text, ("extra", "sitrep", name))
        problems.append(Problem(str(path), line, col,
                                f"extra.sitrep.{name} must be a whole number of at least {least}, "
                                f"got {str(value)[:40]!r}", f"write it as digits, e.g. '{name}: {example}'"))
    return problems


def _position(text: str, keys: tuple[str, ...]) -> tuple[int, int]:
    """Return the 1-based (line, col) of the value at `keys`, or of the nearest one found."""
    try:
        node = yaml.compose(text, Loader=_LenientLoader)
    except yaml.YAMLError:
        return 1, 1
    at = (1, 1)
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        found = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if found is None:
            break
        node, at = found, (found.start_mark.line + 1, found.start_mark.column + 1)
    return at


def load_config(path: Path | None) -> SiteConfig:
    """Return the SiteConfig read from `path` (mkdocs.yml); defaults when the file is absent."""
    if path is None or not path.is_file():
        return SiteConfig()
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_LenientLoader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ContentError([Problem(str(path), line, col, f"mkdocs.yml is not valid YAML: {exc}",
                                    "fix the YAML syntax")]) from None
    if not isinstance(raw, dict):
        raise ContentError([Problem(str(path), 1, 1, "mkdocs.yml must be a mapping",
                                    "start with 'site_name: ...'")])
    extra = raw.get("extra") or {}
    sitrep = extra.get("sitrep") or {} if isinstance(extra, dict) else {}
    problems = _check_options(sitrep, path, text)
    if problems:
        raise ContentError(problems)
    url = str(raw.get("site_url") or _DEFAULT.site_url)
    theme = raw.get("theme") if isinstance(raw.get("theme"), dict) else {}
    return SiteConfig(
        site_name=str(raw.get("site_name") or _DEFAULT.site_name),
        site_url=url if url.endswith("/") else url + "/",
        site_description=str(raw.get("site_description") or ""),
        language=str(theme.get("language", "en")),
        copyright=str(raw.get("copyright") or ""),
        page_size=int(sitrep.get("page_size", _DEFAULT.page_size)),
        home_latest=int(sitrep.get("home_latest", _DEFAULT.home_latest)),
        key_figures_days=int(sitrep.get("key_figures_days", _DEFAULT.key_figures_days)),
        nav=_nav_items(raw.get("nav")),
        config_path=path,
        extra=dict(extra) if isinstance(extra, dict) else {},
    )
