"""Prose converted without Python-Markdown must be exactly what Python-Markdown makes of it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from sitrep import markup
from sitrep.markup_plain import prose_html
from sitrep.synth import synth

ROOT = Path(__file__).resolve().parent.parent


def _markdown(text: str) -> str:
    return markup._Renderer(1).convert(text, None)


def _texts(content: Path) -> list[str]:
    texts = []
    for path in sorted(content.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict):
            texts += [doc[k] for k in ("summary", "description") if isinstance(doc.get(k), str)]
    return texts


@pytest.fixture(scope="module")
def synthetic_texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    content = tmp_path_factory.mktemp("prose") / "content"
    synth(300, content)
    return _texts(content)


@pytest.mark.parametrize("text, html", [
    ("One line.", "<p>One line.</p>"),
    ("Two\nlines.\n\n\n\nA second paragraph.", "<p>Two\nlines.</p>\n<p>A second paragraph.</p>"),
    ("A **claim**, *not* confirmed [by the agency](https://example.org/a?b=1&c=2).",
     '<p>A <strong>claim</strong>, <em>not</em> confirmed '
     '<a href="https://example.org/a?b=1&amp;c=2">by the agency</a>.</p>'),
    ("Fish & chips &amp; peas &#233;", "<p>Fish &amp; chips &amp; peas &#233;</p>"),
    ('He said "no" (twice) at 10:30; 50% left.', '<p>He said "no" (twice) at 10:30; 50% left.</p>'),
])
def test_prose_gives_markdowns_html(text: str, html: str) -> None:
    assert prose_html(text) == html == _markdown(text)


@pytest.mark.parametrize("text", [
    "- a list", "1. a list", "# A heading", "> a quote", "Title\n===", "    code", "a `code` span",
    "snake_case", "a\\*b", "line break  \nhere", "a | b", "<b>raw</b>", "a * b", "[ref] only",
    "![an image](a.png)", "See [[event-id]].", "***", "tab\there", "[link](with space)",
    "[link](https://example.org 'title')", "", "\n\n",
])
def test_anything_else_is_left_to_markdown(text: str) -> None:
    assert prose_html(text) is None
    if text.strip():
        assert str(markup.to_html(text)) == markup.sanitise(_markdown(text))


def test_the_synthetic_corpus_and_the_bundled_content_convert_alike(synthetic_texts: list[str]) -> None:
    texts = synthetic_texts + _texts(ROOT / "content")
    fast = [t for t in texts if prose_html(t) is not None]
    assert [prose_html(t) for t in fast] == [_markdown(t) for t in fast]
    assert len(fast) >= 0.9 * len(texts)  # the point of the fast path: nearly every summary takes it


_PIECES = ["a", "word", " ", " ", "\n", "\n\n", "*", "**", "**z**", "*w*", "*a b*", "**a b**",
           "[", "]", "(", ")", "[a](https://x.org/p?q=1&r=2)", "[b c](u)", "[d](http://a.b/c_d*e)",
           "[e](x'y!z)", "&", "&amp;", "&#12;", "&#X1F;", "&Amp;", ";", "#", "1", ".", "-", "+", "=", ">",
           "!", "_", "`", "'", '"', ":", "é", "\u00a0", "\u2028", "\x0c", "2019.", "x*y*z", "~", "|", "\\",
           "\t", "  \n", "\r\n", "<"]


def test_generated_text_converts_alike_whenever_it_counts_as_prose() -> None:
    rng = random.Random(8)
    prose = 0
    for _ in range(30_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 10)))
        fast = prose_html(text)
        if fast is not None:
            prose += 1
            assert fast == _markdown(text), text
    assert prose > 3_000


def test_to_html_sanitises_prose_too() -> None:
    text = "See [this](javascript:alert) now."
    assert prose_html(text) is not None
    assert str(markup.to_html(text)) == "<p>See <a rel=\"noopener noreferrer\">this</a> now.</p>"
