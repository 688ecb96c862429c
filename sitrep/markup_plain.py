"""Python-Markdown's HTML for plain prose, made without running Python-Markdown.

Converting summaries is a large share of a cold build (0.5 ms each; at 100k events about a tenth of
the build's CPU), yet most summaries are paragraphs of prose with at most some **bold**, *italic*
and [links](https://…). For text made only of those, `prose_html` returns exactly what
markup._Renderer gives (tests/test_markup_plain.py compares the two on the synthetic corpus, the
bundled content and generated text); for anything else it returns None and the caller runs
Python-Markdown. The result still goes through nh3 like every conversion (markup.to_html).

What counts as prose is deliberately narrow: anything a Markdown block rule could read (a line that
starts with a space, `#`, `>`, `*`, `+`, `-`, `=`, `[`, `|` or a number and a dot; a line ending
in a space), and any character an inline rule reads other than the three forms above (`_`, `` ` ``,
a backslash, `<`, `>`, `|`, `![`, a lone `*` or `[`, a tab or a control character), sends the text
to Python-Markdown.
"""

from __future__ import annotations

import re

from markdown.serializers import RE_AMP

_INLINE_STOP = r"*_\[\]`\\<>|\x00-\x09\x0b-\x1f\x7f"
"""Characters plain text may not hold: an inline rule, a table, a tab or a control character."""
_WORDS = rf"[^\s{_INLINE_STOP}](?:[^\n{_INLINE_STOP}]*[^\s{_INLINE_STOP}])?"
"""One line's worth of text that starts and ends with a non-space: emphasis and link text."""
_TOKEN = re.compile(
    rf"(?P<text>[^{_INLINE_STOP}]+)"
    rf"|(?<!\*)\*\*(?P<strong>{_WORDS})\*\*(?!\*)"
    rf"|(?<!\*)\*(?P<em>{_WORDS})\*(?!\*)"
    rf"|(?<!!)\[(?P<label>{_WORDS})\]\((?P<href>[A-Za-z0-9:/?#=._~%+,;@&$*!-]+)\)"
)
_BLOCK_START = re.compile(r"[\s#>*+\-=\[|]|\d+[.)]")
"""What a line may not start with: an indent or a block rule's marker (heading, quote, list, rule,
setext underline, reference, table)."""


def prose_html(text: str) -> str | None:
    """Return Python-Markdown's HTML for `text` if it is plain prose (see above), else None."""
    paragraphs: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        if not line:
            if lines:
                paragraphs.append("\n".join(lines))
                lines = []
            continue
        if _BLOCK_START.match(line) or line[-1].isspace():
            return None
        lines.append(line)
    if lines:
        paragraphs.append("\n".join(lines))
    if not paragraphs:
        return None
    out = []
    for paragraph in paragraphs:
        inline = _inline(paragraph)
        if inline is None:
            return None
        out.append(f"<p>{inline}</p>")
    return "\n".join(out)


def _inline(paragraph: str) -> str | None:
    parts: list[str] = []
    pos, end = 0, len(paragraph)
    while pos < end:
        m = _TOKEN.match(paragraph, pos)
        if m is None:
            return None
        kind = m.lastgroup
        if kind == "text":
            parts.append(_escape(m.group("text")))
        elif kind == "strong":
            parts.append(f"<strong>{_escape(m.group('strong'))}</strong>")
        elif kind == "em":
            parts.append(f"<em>{_escape(m.group('em'))}</em>")
        else:
            parts.append(f'<a href="{_escape(m.group("href"))}">{_escape(m.group("label"))}</a>')
        pos = m.end()
    return "".join(parts)


def _escape(text: str) -> str:
    """Escape as Python-Markdown's serializer does: `&` unless it starts an entity (`<` and `>` and
    quotes never reach here)."""
    return RE_AMP.sub("&amp;", text) if "&" in text else text
