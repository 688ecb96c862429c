"""`check` covers the editorial pages too: raw HTML, unsafe links and names the build uses."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sitrep.cli import main


def _check(content: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", "--content", str(content)])
    return result.exit_code, result.output.splitlines()


def test_clean_pages_pass(minimal_copy: Path) -> None:
    (minimal_copy / "pages").mkdir()
    (minimal_copy / "pages" / "about.md").write_text("# About\n\nSee [method](methodology.md).\n")
    assert _check(minimal_copy) == (0, [])


def test_raw_html_and_javascript_links_are_errors_at_their_line(minimal_copy: Path) -> None:
    pages = minimal_copy / "pages"
    pages.mkdir()
    (pages / "about.md").write_text(
        "# About\n\nFine.\n\nHi <img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n")
    code, lines = _check(minimal_copy)
    about = str(pages / "about.md")
    assert code == 1
    assert lines[0].startswith(f"{about}:5:4: error: raw HTML is not allowed in 'the page'")
    assert lines[1].startswith(
        f"{about}:7:5: error: link target 'javascript:alert(1' in 'the page' is not allowed")


def test_a_page_named_like_a_generated_section_is_refused(minimal_copy: Path) -> None:
    (minimal_copy / "pages" / "events").mkdir(parents=True)
    (minimal_copy / "pages" / "map.md").write_text("# Map\n")
    (minimal_copy / "pages" / "events" / "note.md").write_text("# Note\n")
    code, lines = _check(minimal_copy)
    assert code == 1
    assert any("map.md:1:1: error: editorial page" in ln and "would replace the generated /map/" in ln
               for ln in lines)
    assert any("note.md:1:1: error: editorial page" in ln and "generated /events/" in ln for ln in lines)
