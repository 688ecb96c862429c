"""Field readers: a value or None plus a positioned problem; URLs and Markdown are policed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sitrep.errors import Problem
from sitrep.fields import SAFE_URL, SLUG, Reader, typename
from sitrep.load import load
from sitrep.markup import to_html
from tests.conftest import TreeWriter

EVENT = "events/2019/x.yaml"


class Doc:
    """A one-file content tree read through the real loader, with a Reader over it."""

    def __init__(self, write_tree: TreeWriter, text: str) -> None:
        docs = [d for d in load(write_tree({EVENT: text})) if d.kind == "events"]
        assert not docs[0].problems, docs[0].problems
        self.data: dict[str, Any] = docs[0].data
        self.problems: list[Problem] = []
        self.r = Reader(docs[0], self.problems)

    @property
    def messages(self) -> list[tuple[int, int, str]]:
        return [(p.line, p.col, p.message) for p in self.problems]


@pytest.mark.parametrize("value, name", [
    (None, "nothing (empty value)"), (True, "true/false"), (3, "the number 3"), (2.5, "the number 2.5"),
    (date(2019, 4, 13), "the date 2019-04-13"), ("x" * 50, "the text '" + "x" * 40 + "'"),
    ([1], "a list"), ({"a": 1}, "a mapping"), (b"\x00", "bytes"),
])
def test_typename(value: Any, name: str) -> None:
    """Types are named the way an editor reads YAML, and long text is cut."""
    assert typename(value) == name


def test_text_rules(write_tree: TreeWriter) -> None:
    """Numbers read as text; booleans, lists, empty, over-long and multi-line values are reported."""
    d = Doc(write_tree, "a: 12\nb: yes\nc: [x]\nd: '  '\ne: xxxxxx\nf: \"x\\ny\"\ng: '  padded  '\n")
    r, m = d.r, d.data
    assert r.text(m, (), "a") == "12"
    assert r.text(m, (), "b") is None
    assert r.text(m, (), "c") is None
    assert r.text(m, (), "d", required=True) is None
    assert r.text(m, (), "e", max_len=5) is None
    assert r.text(m, (), "f", single_line=True) is None
    assert r.text(m, (), "g") == "padded"
    assert r.text(m, (), "missing") is None
    assert r.text(m, (), "missing", required=True, what="the event") is None
    assert d.messages == [
        (2, 4, "'b' must be text, got true/false"),
        (3, 4, "'c' must be text, got a list"),
        (4, 4, "'d' is empty"),
        (5, 4, "'e' is 6 characters long, more than 5"),
        (6, 4, "'f' must be a single line"),
        (1, 1, "the event is missing the required field 'missing'"),
    ]
    assert r.failed


def test_numbers(write_tree: TreeWriter) -> None:
    """Whole numbers refuse floats, booleans and values under the minimum; numbers refuse NaN and range."""
    d = Doc(write_tree, "a: 3\nb: 3.5\nc: true\nd: -1\ne: .nan\nf: .inf\ng: 45\nh: '7'\n")
    r, m = d.r, d.data
    assert r.integer(m, (), "a") == 3
    assert r.integer(m, (), "b") is None
    assert r.integer(m, (), "c") is None
    assert r.integer(m, (), "d") is None
    assert r.integer(m, (), "d", minimum=None) == -1
    assert r.number(m, (), "e") is None
    assert r.number(m, (), "f", low=-90, high=90) is None
    assert r.number(m, (), "g", low=-90, high=90) == 45.0
    assert r.number(m, (), "h") is None
    assert [msg for _, _, msg in d.messages] == [
        "'b' must be a whole number, got the number 3.5",
        "'c' must be a whole number, got true/false",
        "'d' must be at least 0, got -1",
        "'e' must be a number, got the number nan",
        "'f' must be between -90 and 90, got inf",
        "'h' must be a number, got the text '7'",
    ]


def test_choice_suggests_the_closest(write_tree: TreeWriter) -> None:
    """An unknown value suggests the closest known one; true is never taken for 1."""
    d = Doc(write_tree, "a: publishd\nb: zzz\nc: true\nd: 2\n")
    r, m = d.r, d.data
    assert r.choice(m, (), "a", ("draft", "published")) is None
    assert r.choice(m, (), "b", ("draft", "published"), default="draft") == "draft"
    assert r.choice(m, (), "c", (1, 2, 3)) is None
    assert r.choice(m, (), "d", (1, 2, 3)) == 2
    assert [p.hint for p in d.problems] == ["did you mean 'published'?", "use one of: draft, published",
                                           "use one of: 1, 2, 3"]


def test_days(write_tree: TreeWriter) -> None:
    """Dates may be YAML dates, timestamps or ISO text; anything else is reported where it is."""
    d = Doc(write_tree, "a: 2019-04-13\nb: 2019-04-13 10:00:00\nc: '2019-04-13'\n"
                        "d: 13/04/2019\ne: 20190413\n")
    r, m = d.r, d.data
    assert r.day(m, (), "a") == r.day(m, (), "b") == r.day(m, (), "c") == date(2019, 4, 13)
    assert r.day(m, (), "d") is None
    assert r.day(m, (), "e") is None
    assert d.messages == [(4, 4, "'d' must be a date, got the text '13/04/2019'"),
                          (5, 4, "'e' must be a date, got the number 20190413")]


def test_lists_flags_and_slugs(write_tree: TreeWriter) -> None:
    """List fields refuse scalars; items must be text; slug items must be valid ids; flags are booleans."""
    d = Doc(write_tree, "a: x\nb: [ok, '', [1], Bad_Id, fine-id]\nc: 1\nd: true\n")
    r, m = d.r, d.data
    assert list(r.items(m, (), "a")) == []
    assert r.texts(m, (), "b", slug=True) == ("ok", "fine-id")
    assert r.flag(m, (), "c") is False
    assert r.flag(m, (), "d") is True
    assert [msg for _, _, msg in d.messages] == [
        "'a' must be a list, got the text 'x'",
        "items of 'b' must be text, got the text ''",
        "items of 'b' must be text, got a list",
        "'Bad_Id' in 'b' is not a valid id",
        "'c' must be true or false, got the number 1",
    ]


def test_only_keys_positions_the_unknown_key(write_tree: TreeWriter) -> None:
    """Unknown keys are reported at the key itself, with the nearest known key or the full list."""
    d = Doc(write_tree, "titel: x\nloc:\n  zzz: 1\n")
    d.r.only_keys(d.data, (), ("title", "loc"), "an event")
    d.r.only_keys(d.data["loc"], ("loc",), ("lat", "lon"), "location")
    assert d.messages == [(1, 1, "unknown field 'titel' in an event"),
                          (3, 3, "unknown field 'zzz' in location")]
    assert [p.hint for p in d.problems] == ["did you mean 'title'?", "known fields: lat, lon"]


@pytest.mark.parametrize("url", ["https://example.org/a?b=c#d", "HTTP://EXAMPLE.ORG", "http://x.y/\"><script>"])
def test_safe_urls(url: str) -> None:
    """http(s) addresses pass (escaping, not validation, handles quotes and brackets in them)."""
    assert SAFE_URL.match(url)


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x", "vbscript:x",
    "ftp://example.org", "//example.org/x", "/relative", "https://", "https:// example.org", "http:/x",
    "file:///etc/passwd", "https://exa mple.org", "mailto:a@b.c",
])
def test_unsafe_urls(url: str) -> None:
    """Anything but an absolute http(s) address is refused."""
    assert not SAFE_URL.match(url)


def test_url_reader_reports_value(write_tree: TreeWriter) -> None:
    """A refused URL is reported at its value with the start of what was written."""
    d = Doc(write_tree, "url: javascript:alert(1)\nok: https://example.org\n")
    assert d.r.url(d.data, (), "url") is None
    assert d.r.url(d.data, (), "ok") == "https://example.org"
    assert d.messages == [(1, 6, "'url' must be an http:// or https:// address, got 'javascript:alert(1)'")]


@pytest.mark.parametrize("ident, ok", [
    ("a", True), ("2019-04-13-x", True), ("a" * 100, True), ("a" * 101, False), ("-a", False), ("a-", False),
    ("A", False), ("a_b", False), ("a b", False), ("a/b", False), ("..", False), ("", False),
    ("cl\u0430sh", False), ("caf\u00e9", False), ("a\x00", False), ("a\n", False),
])
def test_slug(ident: str, ok: bool) -> None:
    """Ids are lowercase ASCII letters, digits and inner hyphens, at most 100 characters."""
    assert bool(SLUG.match(ident)) is ok


HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "x <img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<!-- hidden -->",
    "<?php echo 1 ?>",
    "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    "[x](vbscript:msgbox)",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n  [ref]: <data:text/html,x>",
    "&lt;script&gt;",
]


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
def test_markdown_refuses_html_and_script_links(write_tree: TreeWriter, text: str) -> None:
    """Raw HTML, entities and links to script/data URLs are refused at the summary's position."""
    d = Doc(write_tree, "title: x\nsummary: |\n  " + text.replace("\n", "\n  ") + "\n")
    assert d.r.markdown(d.data, (), "summary") is None
    assert d.problems and all((p.line, p.col) == (2, 10) for p in d.problems)


@pytest.mark.parametrize("text", [
    "Plain **bold** and _em_ text.", "[site](https://example.org) and <https://example.org/x>",
    "[mail](mailto:desk@example.org)", "[anchor](#sources), [page](/events/x/)", "a < b and c > d",
    "Tolls: 5 > 3", "[[2019-04-13-x]] cites an event",
])
def test_markdown_accepts_ordinary_text(write_tree: TreeWriter, text: str) -> None:
    """Ordinary Markdown, web and mail links, site links and lone angle brackets pass."""
    d = Doc(write_tree, f"summary: '{text}'\n")
    assert d.r.markdown(d.data, (), "summary") == text
    assert d.problems == []


def test_markdown_in_a_body_reports_the_exact_line_and_column(write_tree: TreeWriter) -> None:
    """For briefing bodies, positions are counted inside the text from the body's first line."""
    d = Doc(write_tree, "title: x\n")
    body = "Intro.\n\nSecond [bad](javascript:x) line\n<b>bold</b>\n"
    assert d.r.check_markdown(body, ("body",), "narrative", line_base=10) is None
    assert d.messages == [(13, 1, "raw HTML is not allowed in 'narrative' (found '<b>bold</b>\\n')"),
                          (12, 14, "link target 'javascript:x' in 'narrative' is not allowed")]


@pytest.mark.parametrize("text", ["[a](b/c)", "[a](./x)", "[a](x.html)", "[a](//evil.example)"])
def test_relative_links_the_validator_allows_never_render_as_script(text: str) -> None:
    """Links the validator lets through are still filtered by the renderer's allow-list."""
    html = str(to_html(text))
    assert "javascript" not in html.lower() and "<script" not in html.lower()
