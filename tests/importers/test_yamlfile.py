"""The import block: proof that a generated file is untouched, and writes that never clobber."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from sitrep.importers import yamlfile


def _generated(tmp_path: Path) -> tuple[Path, str]:
    body = yamlfile.dump_body({"title": "A: b", "date": {"start": date(2019, 4, 13)},
                               "summary": "Line one.\n\nLine two.", "imported": True})
    path = tmp_path / "e.yaml"
    assert yamlfile.create(path, body + yamlfile.import_block("ucdp", body, {"where_prec": 2}))
    return path, body


def test_generated_file_is_valid_yaml_with_an_import_block(tmp_path: Path) -> None:
    path, body = _generated(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["title"] == "A: b" and data["summary"] == "Line one.\n\nLine two."
    assert data["import"] == {"source": "ucdp", "sha256": yamlfile.digest(body), "codes": {"where_prec": 2}}
    assert yamlfile.untouched_body(path) == body


def test_any_edit_makes_the_file_curated(tmp_path: Path) -> None:
    path, _ = _generated(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("Line two.", "Line 2."), encoding="utf-8")
    assert yamlfile.untouched_body(path) is None
    assert not yamlfile.replace_untouched(path, "title: x\n")
    assert "Line 2." in path.read_text(encoding="utf-8")


def test_removing_the_block_makes_the_file_curated(tmp_path: Path) -> None:
    path, body = _generated(tmp_path)
    path.write_text(body, encoding="utf-8")
    assert yamlfile.untouched_body(path) is None


def test_create_never_overwrites_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path, _ = _generated(tmp_path)
    before = path.read_bytes()
    assert not yamlfile.create(path, "title: other\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.yaml"]


def test_untouched_file_is_replaced(tmp_path: Path) -> None:
    path, _ = _generated(tmp_path)
    assert yamlfile.replace_untouched(path, "title: new\n")
    assert path.read_text(encoding="utf-8") == "title: new\n"
