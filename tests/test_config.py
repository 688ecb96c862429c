from __future__ import annotations

from pathlib import Path

import pytest

from sitrep.config import SiteConfig, load_config
from sitrep.errors import ContentError
from tests.conftest import CONFIG


def test_project_config_is_read() -> None:
    cfg = load_config(CONFIG)
    assert cfg.site_name.startswith("Sitrep")
    assert cfg.site_url.endswith("/")
    assert ("About", "about.md") in cfg.nav
    assert cfg.page_size > 0


def test_missing_config_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.yml") == SiteConfig()


def test_mkdocs_python_tags_do_not_break_loading(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: X\nsite_url: https://example.org/x\nmarkdown_extensions:\n"
                    "  - pymdownx.emoji:\n"
                    "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
                    "extra:\n  sitrep:\n    page_size: 7\n", encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.site_name, cfg.site_url, cfg.page_size) == ("X", "https://example.org/x/", 7)


def test_broken_config_names_line(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: X\nnav: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_config(path)
    assert err.value.problems[0].format().startswith(f"{path}:3:1: error: mkdocs.yml is not valid YAML")


def test_bad_options_are_all_named_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: X\nextra:\n  sitrep:\n    page_size: fifty\n    home_latest: 0\n"
                    "    key_figures_days: -3\n    search_shard_size: true\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_config(path)
    lines = [p.format() for p in err.value.problems]
    assert lines == [
        f"{path}:4:16: error: extra.sitrep.page_size must be a whole number of at least 1, got 'fifty' "
        "(write it as digits, e.g. 'page_size: 50')",
        f"{path}:6:23: error: extra.sitrep.key_figures_days must be a whole number of at least 1, got '-3' "
        "(write it as digits, e.g. 'key_figures_days: 30')",
        f"{path}:7:24: error: extra.sitrep.search_shard_size must be a whole number of at least 1, "
        "got 'True' (write it as digits, e.g. 'search_shard_size: 4000')",
    ]
    path.write_text("site_name: X\nextra:\n  sitrep: yes\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_config(path)
    assert err.value.problems[0].format().startswith(f"{path}:3:11: error: extra.sitrep must be a mapping")


def test_the_shard_size_example_is_the_default() -> None:
    from sitrep import search
    from sitrep.config import WHOLE_NUMBER_OPTIONS

    assert WHOLE_NUMBER_OPTIONS["search_shard_size"][1] == search.SHARD_SIZE
