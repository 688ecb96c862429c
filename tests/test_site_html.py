"""Every page of the built site is valid HTML5 (html5lib's strict parser) and keeps the structure
assistive technology and the CSP rely on: one main landmark and one h1, no skipped heading level,
unique ids, labelled inputs, alt text, and no inline script, style or event handler."""

from __future__ import annotations

from pathlib import Path

import html5lib
import pytest
from html5lib.html5parser import ParseError


def parse_strict(page: Path):  # type: ignore[no-untyped-def]
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page.read_bytes())


def local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def structure_problems(root) -> list[str]:  # type: ignore[no-untyped-def]
    """Return what is wrong with one parsed page's structure (empty list when nothing)."""
    problems: list[str] = []
    # HTML elements only: html5lib keeps inline SVG's elements (its <title>s too) namespaced.
    els = [(e.tag, e) for e in root.iter() if isinstance(e.tag, str) and not e.tag.startswith("{")]
    tags = [t for t, _ in els]
    if root.get("lang") in (None, ""):
        problems.append("<html> has no lang")
    for name, want in (("main", 1), ("h1", 1), ("title", 1)):
        if tags.count(name) != want:
            problems.append(f"{tags.count(name)} <{name}> elements, want {want}")
    ids = [e.get("id") for _, e in els if e.get("id")]
    problems += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    level = 0
    for t, _ in els:
        if len(t) == 2 and t[0] == "h" and t[1].isdigit():
            n = int(t[1])
            if n > level + 1 and level:
                problems.append(f"heading level skips from h{level} to h{n}")
            level = n
    labels = {e.get("for") for t, e in els if t == "label"}
    for t, e in els:
        if t == "script" and (e.get("src") is None or (e.text or "").strip()):
            problems.append("inline <script>")
        if t == "style":
            problems.append("<style> element")
        if e.get("style") is not None:
            problems.append(f"style attribute on <{t}>")
        problems += [f"event handler {k} on <{t}>" for k in e.attrib if k.lower().startswith("on")]
        if t == "img" and e.get("alt") is None:
            problems.append("<img> without alt")
        if t in ("input", "select", "textarea") and e.get("type") not in ("hidden", "submit"):
            named = e.get("aria-label") or e.get("aria-labelledby") or e.get("id") in labels
            if not named and not any(e in list(lab.iter()) for lab_t, lab in els if lab_t == "label"):
                problems.append(f"unlabelled <{t} name={e.get('name')!r}>")
    return problems


def check_site(site: Path) -> dict[str, list[str]]:
    report: dict[str, list[str]] = {}
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        try:
            root = parse_strict(page)
        except ParseError as exc:
            report[rel] = [f"HTML parse error: {exc}"]
            continue
        problems = structure_problems(root)
        if problems:
            report[rel] = problems
    return report


def test_checks_catch_bad_pages(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html><head><title>x</title></head><body><main><h1>a</h1><h3 id="d">b</h3>'
        '<p id="d" style="color:red" onclick="x()">c</p><script>alert(1)</script><img src="a.png">'
        '<input name="q"></main></body></html>')
    (tmp_path / "broken.html").write_text("<!doctype html><html><body><p>unclosed <b></p></body></html>")
    report = check_site(tmp_path)
    assert report["broken.html"][0].startswith("HTML parse error")
    bad = set(report["bad.html"])
    assert {"<html> has no lang", "duplicate id 'd'", "heading level skips from h1 to h3", "inline <script>",
            "style attribute on <p>", "event handler onclick on <p>", "<img> without alt",
            "unlabelled <input name='q'>"} <= bad


@pytest.mark.slow
def test_fixture_site_is_valid(built_minimal: Path) -> None:
    assert check_site(built_minimal) == {}


@pytest.mark.slow
def test_bundled_site_is_valid(built_bundled: Path) -> None:
    assert check_site(built_bundled) == {}
