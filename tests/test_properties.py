"""Property-based tests: random events, random mutations of valid files, random text and paths.

Whatever the input, the loader and validator return (never raise, never hang), and every problem is
a well-formed `path:line:col: severity: message` pointing inside the file it names.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sitrep import vocab
from sitrep.errors import Problem
from sitrep.fields import SLUG, Reader
from sitrep.load import _EDITOR_BREAK, RawDocument, load
from sitrep.markup import to_html
from sitrep.urls import output_path, url_for
from sitrep.validate import REGION_ID, Checked, check
from sitrep.validate_event import EVENT_KEYS
from sitrep.write import RESERVED_NAMES, WriteError, check_path
from tests.conftest import MINIMAL
from tests.test_hostile import Scan, scan_html

BASE_DOCS = load(MINIMAL)
FORMAT = re.compile(r".+:\d+:\d+: (error|warning): \S.*")
FAST = settings(max_examples=100, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
MINIMAL_FILES = sorted(p for p in MINIMAL.rglob("*") if p.is_file() and p.suffix in (".yaml", ".md"))


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _check_files(files: dict[str, bytes]) -> tuple[Checked, dict[str, bytes], float]:
    """Write `files` into a fresh content folder, check them with the minimal corpus; return the outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        written = {str(root / rel): data for rel, data in files.items()}
        start = time.perf_counter()
        docs = [d for d in BASE_DOCS if d.path not in {str(MINIMAL / r) for r in files}]
        checked = check([*docs, *load(root)])
        elapsed = time.perf_counter() - start
        _assert_well_formed(checked.problems, written)
    return checked, written, elapsed


def _assert_well_formed(problems: tuple[Problem, ...], written: dict[str, bytes]) -> None:
    for p in problems:
        assert FORMAT.fullmatch(p.format().replace("\n", " ")), p
        assert p.line >= 1 and p.col >= 1, p
        if p.path in written:
            # Lines as an editor counts them, as the loader does (load._EDITOR_BREAK): a lone CR
            # breaks a line too. Counting LFs alone failed a file that began with a CR.
            # Undecodable bytes never hide a CR or LF (both ASCII), so replacing them keeps the count.
            text = written[p.path].decode("utf-8", "replace")
            lines = len(_EDITOR_BREAK.findall(text)) + 2
            assert p.line <= lines, (p, lines)


# -- random events ------------------------------------------------------------------------------

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**9) | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.dates(date(1900, 1, 1), date(2100, 1, 1)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ids = st.sampled_from(["islamic-state", "syrian-government-forces", "sohr", "agencies", "SY-HL", "SY-HI",
                       "nope"])


def _maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(valid, valid, valid, junk)


event_fields: dict[str, st.SearchStrategy[Any]] = {
    "title": _maybe(st.text(min_size=1, max_size=80)),
    "status": _maybe(st.sampled_from(vocab.STATUSES)),
    "date": _maybe(st.dates(date(2011, 1, 1), date(2024, 12, 31)) | st.fixed_dictionaries(
        {"start": st.dates(date(2011, 1, 1), date(2024, 12, 31))},
        optional={"end": st.dates(date(2011, 1, 1), date(2024, 12, 31)),
                  "precision": st.sampled_from(vocab.DATE_PRECISIONS)})),
    "event_type": _maybe(st.sampled_from(list(vocab.EVENT_TYPES))),
    "sub_event_type": _maybe(st.sampled_from(sorted(vocab.SUB_EVENT_TYPES))),
    "actors": _maybe(st.lists(st.fixed_dictionaries({"actor": ids, "role": st.sampled_from(vocab.ROLES)}),
                              max_size=3)),
    "location": _maybe(st.fixed_dictionaries(
        {"country": st.just("SY"), "region": ids},
        optional={"lat": st.floats(-95, 95), "lon": st.floats(-185, 185),
                  "geo_precision": st.sampled_from([1, 2, 3, 4]), "place": st.text(max_size=40)})),
    "fatalities": _maybe(st.fixed_dictionaries(
        {"best": st.integers(-2, 50)}, optional={"low": st.integers(-2, 50), "high": st.integers(-2, 60)})),
    "sources": _maybe(st.lists(st.fixed_dictionaries(
        {"source": ids},
        optional={"url": st.sampled_from(["https://example.org/a", "javascript:alert(1)"]),
                  "supports": st.lists(st.sampled_from(vocab.SUPPORTABLE_FIELDS), max_size=3),
                  "fatalities": st.integers(0, 60)}), max_size=3)),
    "assessment": _maybe(st.sampled_from(vocab.ASSESSMENTS)),
    "summary": _maybe(st.text(max_size=200)),
    "tags": _maybe(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), max_size=3)),
}
events = st.fixed_dictionaries({}, optional={**event_fields, **{k: junk for k in EVENT_KEYS if k not in
                                                                  event_fields}}).flatmap(
    lambda d: st.dictionaries(st.text(max_size=10), junk, max_size=2).map(lambda extra: {**extra, **d}))


@FAST
@given(event=events)
def test_random_events_never_crash_the_validator(event: dict[str, Any]) -> None:
    """Any mapping of fields, plausible or not, validates to a corpus or to well-formed problems."""
    text = yaml.dump(event, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)
    checked, _, elapsed = _check_files({"events/2019/2019-04-10-random.yaml": text.encode("utf-8")})
    assert elapsed < 5
    if checked.corpus is not None:
        assert checked.errors == ()
    else:
        assert checked.errors


# -- random mutations of valid files ------------------------------------------------------------

SPECIAL = [*"[]{}&*!|>-:?#%@`'\",\t\n ", "\ufeff", "\x00", "\x1b", "\u00e9", "\u062d\u0644\u0628", "---",
           "...", "<script>", "  ", "\r\n", "\\", "0x", "~", "!!python/object:os.system"]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A fixture file with a few random edits: deletions, insertions, repeated or swapped lines, cuts."""
    path = draw(st.sampled_from(MINIMAL_FILES))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "dup", "swap", "truncate", "byte"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "insert":
            token = draw(st.sampled_from(SPECIAL) | st.text(max_size=5))
            data[at:at] = token.encode("utf-8")
        elif kind == "byte":
            data[at:at + 1] = bytes([draw(st.integers(0, 255))])
        elif kind == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "dup":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return str(path.relative_to(MINIMAL)), bytes(data)


@FAST
@given(case=mutated())
def test_mutated_fixture_files_never_crash_the_loader_or_validator(case: tuple[str, bytes]) -> None:
    """Broken versions of real files are reported, positioned inside the file, in bounded time."""
    rel, data = case
    _, _, elapsed = _check_files({rel: data})
    assert elapsed < 5


@settings(max_examples=200, deadline=2000)
@given(text=st.lists(st.sampled_from([*SPECIAL, *"abc:1\n"]), max_size=150).map("".join))
def test_yaml_soup_never_escapes_the_loader(text: str) -> None:
    """Random YAML-significant characters: the loader returns a document or a problem, nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events" / "x.yaml"
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        (doc,) = load(Path(tmp))
        assert (doc.data is None) == bool(doc.problems)


# -- Markdown the validator accepts renders inert ------------------------------------------------

MD_TOKENS = ["[x](", ")", "](", "javascript:", "JaVaScRiPt:", "data:text/html,", "vbscript:", "<", ">", "&",
             "#", ";", "&#106;", "\"", "'", " ", "\n", "\t", "*", "`", "!", "[", "]", ":", "https://a.b/",
             "mailto:", "//", "onerror=", "alert(1)", "script", "img", "svg", "\\", "%0a", "\u200b"]


@settings(max_examples=200, deadline=2000)
@given(parts=st.lists(st.sampled_from(MD_TOKENS), max_size=40))
def test_markdown_the_validator_accepts_never_renders_live_markup(parts: list[str]) -> None:
    """If check_markdown lets a summary through, the rendered HTML has no script, handler or script URL."""
    text = "".join(parts)
    path = MINIMAL / "events/2019/2019-04-12-aleppo-overnight-shelling.yaml"
    doc = RawDocument(str(path), "events", "x", {})
    problems: list[Problem] = []
    accepted = Reader(doc, problems).check_markdown(text, ("summary",), "summary") is not None
    assume(accepted)
    scan = Scan()
    scan_html(scan, "summary", str(to_html(text)), fragment=True)
    assert scan.findings == []


# -- ids and output paths ------------------------------------------------------------------------

def _inside(root: str, rel: str) -> bool:
    target = os.path.normpath(os.path.join(root, rel))
    return target.startswith(root + os.sep)


@settings(max_examples=200, deadline=1000)
@given(ident=st.text(max_size=120))
def test_any_accepted_id_maps_to_a_safe_path(ident: str) -> None:
    """Every string the id rules accept becomes an output path the writer accepts, inside the site."""
    root = "/srv/site"
    if ident.lower() in RESERVED_NAMES:  # the validator refuses these before any path is made
        return
    if SLUG.match(ident):
        for kind in ("event", "actor", "source", "briefing"):
            path = check_path(output_path(url_for(kind, ident)))
            assert _inside(root, path) and path.isascii()
    if REGION_ID.match(ident):
        path = check_path(output_path(url_for("region", ident)))
        assert _inside(root, path) and path == path.lower()


@settings(max_examples=300, deadline=1000)
@given(path=st.lists(st.sampled_from([*"a./\\\x00\n~:", "..", "con", "\u00e9", "\u2215", "\uff0e"]),
                     max_size=30).map("".join))
def test_check_path_never_lets_a_path_out(path: str) -> None:
    """Whatever the writer accepts stays inside the output folder and names no parent or device."""
    try:
        accepted = check_path(path)
    except WriteError:
        return
    assert _inside("/srv/site", accepted)
    assert "\x00" not in accepted and "\n" not in accepted and "\\" not in accepted
    assert all(part not in ("", ".", "..") for part in accepted.split("/"))


def test_property_helpers_see_problems() -> None:
    """The harness itself: a broken file yields a positioned, well-formed problem."""
    checked, written, _ = _check_files({"events/2019/2019-04-10-x.yaml": b"title: [\n"})
    assert checked.errors and all(p.path in written for p in checked.errors)



json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-200, 200) | st.floats() | st.text(max_size=12)
    | st.sampled_from(["Feature", "FeatureCollection", "Polygon", "MultiPolygon", "SY-HL"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["type", "id", "features", "geometry", "coordinates", "properties", "iso_3166_2"]),
        inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=2000)
@given(data=json_values)
def test_random_geojson_never_crashes_the_validator(data: Any) -> None:
    """Any JSON in content/geo is a shape or a positioned problem, never an exception."""
    geo_doc = RawDocument(str(MINIMAL / "geo" / "SY.geojson"), "geo", "SY", data)
    docs = [d for d in BASE_DOCS if d.kind != "geo"]
    checked = check([*docs, geo_doc])
    _assert_well_formed(checked.problems, {})
