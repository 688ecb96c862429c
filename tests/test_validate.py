"""Validator: the minimal corpus reads into the model; every problem in a tree is found in one pass."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from sitrep.errors import ContentError
from sitrep.load import load
from sitrep.validate import REGION_ID, check, load_corpus, validate
from tests.conftest import MINIMAL

EV = "events/2019/2019-04-10-test.yaml"
BASE = """title: Test
status: published
date: 2019-04-10
event_type: Battles
sub_event_type: Armed clash
location: {country: SY, region: SY-HL, geo_precision: 3}
sources:
  - {source: sohr, supports: [actors]}
assessment: reported
summary: A test event.
"""


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """Return a copy of the minimal fixture with `files` written over it."""
    root = Path(shutil.copytree(MINIMAL, tmp_path / "content"))
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def lines(root: Path) -> list[str]:
    """Return the formatted problems of `root`, paths relative to it."""
    return [p.format().replace(f"{root}/", "") for p in check(load(root)).problems]


def test_minimal_corpus() -> None:
    """The fixture reads into the model: counts, order, resolved fields, read-only mappings."""
    corpus = load_corpus(MINIMAL)
    assert [e.id for e in corpus.events] == ["2019-04-11-homs-eastern-desert-attacks",
                                             "2019-04-12-aleppo-overnight-shelling",
                                             "2019-04-13-aleppo-western-checkpoints-attack"]
    counts = (len(corpus.actors), len(corpus.regions), len(corpus.sources), len(corpus.briefings))
    assert counts == (2, 2, 2, 1)
    attack = corpus.events_by_id["2019-04-13-aleppo-western-checkpoints-attack"]
    assert (attack.fatalities.low, attack.fatalities.best, attack.fatalities.high) == (11, 13, 13)
    assert [s.fatalities for s in attack.sources] == [13, 11]
    assert attack.date.start == date(2019, 4, 13)
    assert set(corpus.shapes) == {"SY-HL", "SY-HI"}
    with pytest.raises(TypeError):
        corpus.actors["x"] = corpus.actors["islamic-state"]  # type: ignore[index]


def test_bare_date_is_a_one_day_range(tmp_path: Path) -> None:
    """`date: 2019-04-10` is shorthand for start = end = that day at day precision."""
    corpus = load_corpus(tree(tmp_path, {EV: BASE}))
    event = corpus.events_by_id["2019-04-10-test"]
    assert (event.date.start, event.date.end, event.date.precision) == (date(2019, 4, 10),) * 2 + ("day",)


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    """Errors in several files and several fields do not stop the validator early."""
    root = tree(tmp_path, {
        EV: BASE.replace("Armed clash", "Grenade").replace("reported", "rumoured"),
        "actors/x.yaml": "name: X\nkind: gang\n",
        "sources/y.yaml": "name: Y\nkind: monitor\nurl: javascript:alert(1)\n",
    })
    with pytest.raises(ContentError) as info:
        load_corpus(root)
    assert info.value.exit_code == 1
    got = [line.replace(f"{root}/", "") for line in info.value.format_message().splitlines()]
    assert [g.split(": error: ")[0] for g in got[:-1]] == [
        "actors/x.yaml:2:7", f"{EV}:5:17", f"{EV}:9:13", "sources/y.yaml:3:6"]
    assert got[-1] == "4 error(s), 0 warning(s)"


def test_warnings_alone_still_give_a_corpus(tmp_path: Path) -> None:
    """Warnings (an actor listed twice, a retraction without reason) are reported; the corpus is built."""
    root = tree(tmp_path, {EV: BASE.replace("status: published", "status: retracted").replace(
        "sources:", "actors:\n  - {actor: islamic-state, role: perpetrator}\n"
                    "  - {actor: islamic-state, role: perpetrator}\nsources:")})
    checked = check(load(root))
    assert checked.corpus is not None and checked.errors == ()
    assert [p.message for p in checked.problems] == [
        "a retracted event should say why in its revisions",
        "actor 'islamic-state' is listed twice as perpetrator",
    ]
    assert validate(load(root)).events_by_id["2019-04-10-test"].status == "retracted"


@pytest.mark.parametrize("extra, message", [
    ("superseded_by: 2019-04-12-aleppo-overnight-shelling\n",
     "superseded_by is set but status is 'published'"),
    ("redirect_from: [2019-04-12-aleppo-overnight-shelling]\n",
     "former id '2019-04-12-aleppo-overnight-shelling' is already taken by an existing event"),
    ("claims: [{by: islamic-state, source: agencies}]\n",
     "claim cites source 'agencies', which is not in the event's sources"),
    ("external_ids: {acled: [1]}\n", "external id 'acled' must be text or a number"),
    ("revisions: [{date: 2019-04-11}]\n", "the revision is missing the required field 'note'"),
    ("tags: [Checkpoint Attack]\n", "'Checkpoint Attack' in 'tags' is not a valid id"),
])
def test_event_rules(tmp_path: Path, extra: str, message: str) -> None:
    """Links between events, claims, external ids, revisions and tags are checked."""
    checked = check(load(tree(tmp_path, {EV: BASE + extra})))
    assert [p.message for p in checked.errors] == [message]


def test_superseded_needs_a_successor(tmp_path: Path) -> None:
    """A superseded event must name an existing successor."""
    root = tree(tmp_path, {EV: BASE.replace("status: published", "status: superseded")})
    assert [p.message for p in check(load(root)).errors] == ["a superseded event must name its successor"]


def test_redirects_may_not_collide(tmp_path: Path) -> None:
    """Two events claiming the same former id is an error on the second one."""
    other = EV.replace("test", "test-b")
    root = tree(tmp_path, {EV: BASE + "redirect_from: [old-id]\n", other: BASE + "redirect_from: [old-id]\n"})
    errors = check(load(root)).errors
    assert [(Path(p.path).name, p.message) for p in errors] == [
        ("2019-04-10-test.yaml", "former id 'old-id' is already taken by 2019-04-10-test-b")]


@pytest.mark.parametrize("rel, text, message", [
    ("regions/SY-ID.yaml", "name: Idlib\ncountry: SY\niso_3166_2: SY-HL\n",
     "iso_3166_2 'SY-HL' does not match the file name 'SY-ID'"),
    ("regions/SY-ID.yaml", "name: Idlib\ncountry: IQ\niso_3166_2: SY-ID\n",
     "iso_3166_2 'SY-ID' is not a subdivision of country 'IQ'"),
    ("regions/SY-ID.yaml", "name: Idlib\ncountry: Syria\niso_3166_2: SY-ID\n",
     "country must be a two-letter ISO 3166-1 code, got 'Syria'"),
    ("actors/islamic-state.yaml", "name: IS\nkind: rebel-group\naffiliations: [islamic-state]\n",
     "an actor cannot be affiliated with itself"),
    ("sources/sohr.yaml", "name: SOHR\nkind: monitor\nreliability: Z\n",
     "'reliability' must be one of the known values, got 'Z'"),
])
def test_reference_documents(tmp_path: Path, rel: str, text: str, message: str) -> None:
    """Regions, actors and sources have their own rules."""
    assert message in [p.message for p in check(load(tree(tmp_path, {rel: text}))).errors]


def test_region_without_shape_is_a_warning(tmp_path: Path) -> None:
    """A region with no outline in content/geo is usable, with a warning that maps omit it."""
    root = tree(tmp_path, {"regions/SY-ID.yaml": "name: Idlib\ncountry: SY\niso_3166_2: SY-ID\n"})
    checked = check(load(root))
    assert checked.corpus is not None
    assert [(p.severity, p.message) for p in checked.problems] == [
        ("warning", "no shape for region 'SY-ID' in content/geo/")]


def test_briefing_rules(tmp_path: Path) -> None:
    """A briefing's period, regions and actors are checked; its narrative's positions are file lines."""
    text = ("---\ntitle: B\nfrom: 2019-04-13\nto: 2019-04-07\nregions: [SY-XX]\nactors: [nobody]\n---\n"
            "\nok\n<i>x</i>\n")
    root = tree(tmp_path, {"briefings/b.md": text})
    got = [(p.line, p.col, p.message) for p in check(load(root)).errors if p.path.endswith("b.md")]
    assert got == [(4, 5, "the period ends (2019-04-07) before it starts (2019-04-13)"),
                   (5, 11, "unknown region 'SY-XX'"),
                   (6, 10, "unknown actor 'nobody'"),
                   (10, 1, "raw HTML is not allowed in 'narrative' (found '<i>x</i>\\n')")]


@pytest.mark.parametrize("name, ok", [
    ("SY-HL", True), ("SY-1", True), ("GB-ABC", True), ("sy-hl", False), ("SY-hl", False), ("SY-HLXX", False),
    ("SY_HL", False), ("SY-HL\n", False), ("\u0405Y-HL", False), ("../SY", False), ("SY-", False),
])
def test_region_ids(name: str, ok: bool) -> None:
    """Region ids are ISO 3166-2 codes in capitals (Cyrillic look-alikes and a final newline refused)."""
    assert bool(REGION_ID.match(name)) is ok


def test_event_ids_collide_across_year_folders(tmp_path: Path) -> None:
    """The same file name in two year folders is one id used twice: the second is an error."""
    root = tree(tmp_path, {EV: BASE, EV.replace("2019/", "2020/"): BASE})
    assert lines(root) == [f"events/2020/2019-04-10-test.yaml:1:1: error: event id '2019-04-10-test' is "
                           f"already used by {EV} (ids must be unique (ignoring case); rename one of "
                           "the files)"]


def test_file_name_with_a_newline_is_not_an_id(tmp_path: Path) -> None:
    """'$' in a regex matches before a final newline; ids must not end in one."""
    root = tree(tmp_path, {"events/2019/2019-04-10-x\n.yaml": BASE})
    errors = check(load(root)).errors
    assert len(errors) == 1 and "is not a valid event id" in errors[0].message


def test_an_event_is_made_from_its_file_alone(tmp_path: Path) -> None:
    # Corpus.file_digest stands in for an event in page keys and export caches, which holds only
    # while an event is the same whenever its file is: other files decide only whether it is valid.
    root = tree(tmp_path, {})
    before = load_corpus(root)
    for path in (root / "actors").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("name: ", "name: Renamed ", 1), encoding="utf-8")
    for path in (root / "regions").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("name: ", "name: Renamed ", 1), encoding="utf-8")
    after = load_corpus(root)
    assert [a.name for a in after.actors.values()] != [a.name for a in before.actors.values()]
    assert after.events and after.events == before.events
    for old, new in zip(before.events, after.events, strict=True):
        assert before.file_digest(old) == after.file_digest(new) is not None


def test_file_digests_follow_the_file_and_only_the_event_read_from_it(tmp_path: Path) -> None:
    root = tree(tmp_path, {EV: BASE})
    corpus = load_corpus(root)
    event = corpus.event("2019-04-10-test")
    assert event is not None and corpus.file_digest(event) is not None
    # Equal to the event read, but not it: made some other way, so it must be pickled to be known.
    assert corpus.file_digest(replace(event)) is None
    assert corpus.file_digest(replace(event, title="Other")) is None
    (root / EV).write_text(BASE + "tags: [edited]\n", encoding="utf-8")
    edited = load_corpus(root)
    assert edited.file_digest(edited.event(event.id)) not in (None, corpus.file_digest(event))
    others = [e for e in corpus.events if e.id != event.id]
    assert [corpus.file_digest(e) for e in others] == [edited.file_digest(edited.event(e.id)) for e in others]
    # The same bytes at another path are another file (an event's id and position come from it).
    moved = root / "events" / "2020" / "2019-04-10-test.yaml"
    moved.parent.mkdir()
    (root / EV).rename(moved)
    relocated = load_corpus(root)
    assert relocated.file_digest(relocated.event(event.id)) != edited.file_digest(edited.event(event.id))
