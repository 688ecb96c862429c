"""Markdown → safe HTML: raw HTML never parsed, only http(s)/mailto/relative links, citations."""

from __future__ import annotations

import pytest

from sitrep.markup import safe_href, sanitise, to_html, to_text


def test_basic_markdown() -> None:
    html = to_html("Some **bold** and *em*.\n\n- one\n- two")
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<li>one</li>" in html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<iframe src='https://evil.example'></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "<div onclick=alert(1)>block</div>",
    "<style>body{display:none}</style>",
])
def test_raw_html_is_shown_as_text_never_parsed(hostile: str) -> None:
    html = str(to_html(f"Before\n\n{hostile}\n\nafter {hostile} inline"))
    for tag in ("<script", "<img", "<iframe", "<div", "<style", '<a href="javascript'):
        assert tag not in html
    assert "&lt;" in html  # shown, escaped


@pytest.mark.parametrize(("link", "kept"), [
    ("https://example.org/a", True),
    ("http://example.org/a", True),
    ("mailto:desk@example.org", True),
    ("/events/x/", True),
    ("../methodology/", True),
    ("#sources", True),
    ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False),
    ("java&#9;script:alert(1)", False),
    ("data:text/html,<b>x</b>", False),
    ("vbscript:msgbox", False),
    ("ftp://example.org/file", False),
])
def test_link_schemes(link: str, kept: bool) -> None:
    html = str(to_html(f"[label]({link})"))
    assert ("href=" in html) is kept, html
    assert "label" in html


def test_safe_href() -> None:
    assert safe_href("https://x.org") == "https://x.org"
    assert safe_href("  /a/ ") == "/a/"
    assert safe_href("javascript:x") is None


def test_headings_are_pushed_below_the_page_h1() -> None:
    html = str(to_html("# Title\n\n## Sub"))
    assert "<h2>Title</h2>" in html and "<h3>Sub</h3>" in html
    # With no shift, sanitising still drops an h1 that would compete with the page's own.
    assert str(to_html("# T", heading_shift=0)) == "T"
    assert "<h1" not in sanitise("<h1>T</h1>") and "<h1" in sanitise("<h1>T</h1>", page=True)


def test_citations_use_the_callback() -> None:
    cite = {"2019-a": ("/events/2019-a/", "[1]")}.get
    html = str(to_html("As reported ([[2019-a]], [[unknown-id]]).", cite=cite))
    assert '<a href="/events/2019-a/" rel="noopener noreferrer">[1]</a>' in html
    assert "unknown-id" in html and "[[" not in html
    # Without a callback the id stays as text, the brackets go.
    assert "[[" not in str(to_html("[[2019-a]]"))


def test_citation_text_is_escaped() -> None:
    html = str(to_html("[[x]]", cite=lambda _id: ("/e/", "<b>bad</b>")))
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_tables_render() -> None:
    html = str(to_html("| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<table>" in html and "<td>1</td>" in html


def test_to_text() -> None:
    assert to_text("Some **bold** & <b>raw</b> text") == "Some bold & <b>raw</b> text"
    cut = to_text("one two three four five six seven", limit=15)
    assert cut.endswith("…") and len(cut) <= 15
    assert to_text(None) == "" and to_html("") == ""


def test_renderer_is_reused_and_stateless() -> None:
    """The cached Markdown instance must not leak footnotes/citations between documents."""
    first = str(to_html("[[a]]", cite=lambda i: ("/e/a/", "A")))
    second = str(to_html("[[a]]"))
    assert "href" in first and "href" not in second


def test_conversions_are_memoised_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text converted twice runs Markdown once; a cite callback bypasses the memo (its answers vary)."""
    import sitrep.markup as markup

    calls: list[str] = []
    real = markup._convert
    monkeypatch.setattr(markup, "_convert",
                        lambda text, cite, shift: calls.append(text) or real(text, cite, shift))
    text = "Memo **probe** unique to this test.\n\n- A list: not prose (markup_plain), so Markdown runs."
    first, second = to_html(text), to_html(text)
    assert first == second and "<strong>probe</strong>" in first
    assert calls == [text]
    cited = "See [[memo-probe]]."
    a = to_html(cited, cite=lambda i: (f"/events/{i}/", "one"))
    b = to_html(cited, cite=lambda i: (f"/events/{i}/", "two"))
    assert ">one</a>" in a and ">two</a>" in b
    assert to_html(text, heading_shift=2) == first  # no heading: same HTML, separate entry
    assert calls == [text, cited, cited, text]
