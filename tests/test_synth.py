"""The synthetic benchmark corpus: deterministic, valid, realistically shaped; its YAML emitter is exact."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitrep import geo, vocab
from sitrep.load import load
from sitrep.synth import synth, to_yaml
from sitrep.validate import check

N = 1500


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "content"
    summary = synth(N, out, seed=7)
    assert summary.events == N
    return out


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path):  # type: ignore[no-untyped-def]
    checked = check(load(corpus_dir))
    assert [p.format() for p in checked.problems] == []  # no errors and not even a warning
    assert checked.corpus is not None
    return checked.corpus


def test_same_seed_writes_identical_tree(corpus_dir: Path, tmp_path: Path) -> None:
    synth(N, tmp_path / "again", seed=7)
    assert _tree_digest(tmp_path / "again") == _tree_digest(corpus_dir)


def test_other_seed_writes_other_events(corpus_dir: Path, tmp_path: Path) -> None:
    synth(N, tmp_path / "other", seed=8)
    other = _tree_digest(tmp_path / "other")
    events = {k for k in _tree_digest(corpus_dir) if k.startswith("events/")}
    assert len(events & {k for k in other if k.startswith("events/")}) < len(events) // 2


def test_layout_matches_content_tree(corpus_dir: Path) -> None:
    years = sorted(p.name for p in (corpus_dir / "events").iterdir())
    assert len(years) >= 5 and all(re.fullmatch(r"\d{4}", y) for y in years)
    for event_file in (corpus_dir / "events").rglob("*.yaml"):
        assert event_file.stem.startswith(event_file.parent.name + "-")
    assert (corpus_dir / "geo").is_dir() and list((corpus_dir / "briefings").glob("*.md"))


def test_corpus_has_realistic_shape(corpus) -> None:  # type: ignore[no-untyped-def]
    assert len(corpus.events) == N
    assert len(corpus.regions) == 14 and all(r.startswith("XA-") for r in corpus.regions)
    assert 190 <= len(corpus.actors) <= 210
    assert len(corpus.sources) == 50
    assert len(corpus.briefings) >= 3
    assert {e.event_type for e in corpus.events} == set(vocab.EVENT_TYPES)
    assert len({e.region for e in corpus.events}) == 14
    assert {e.date.start.year for e in corpus.events} >= set(range(2017, 2023))
    assert any(e.fatalities and e.fatalities.is_range for e in corpus.events)
    assert any(e.claims for e in corpus.events)
    assert {e.status for e in corpus.events} == set(vocab.STATUSES)


def test_actor_activity_is_skewed(corpus) -> None:  # type: ignore[no-untyped-def]
    counts = Counter(a.actor for e in corpus.events for a in e.actors if a.role == "perpetrator")
    top = sum(n for _, n in counts.most_common(len(corpus.actors) // 10))
    assert top > 0.4 * sum(counts.values())  # a Zipf tail, not uniform (uniform gives ~10%)


def test_summaries_are_markdown_of_realistic_length(corpus) -> None:  # type: ignore[no-untyped-def]
    words = [len(e.summary.split()) for e in corpus.events]
    assert min(words) >= 80 and max(words) <= 230
    assert all("\n\n" in e.summary for e in corpus.events)  # several paragraphs
    assert any("**" in e.summary for e in corpus.events) and any("](https://" in e.summary
                                                                 for e in corpus.events)


def test_coordinates_lie_in_their_region(corpus) -> None:  # type: ignore[no-untyped-def]
    located = [e for e in corpus.events if e.location.lat is not None]
    assert len(located) > N // 2
    for e in located:
        assert geo.contains(corpus.shapes[e.region], e.location.lon, e.location.lat), e.id


def test_briefings_cite_published_events_in_their_period(corpus) -> None:  # type: ignore[no-untyped-def]
    for briefing in corpus.briefings.values():
        cited = re.findall(r"\[\[([^\]]+)\]\]", briefing.body)
        assert cited
        for event_id in cited:
            event = corpus.events_by_id[event_id]
            assert event.status == "published"
            assert briefing.period_from <= event.date.start <= briefing.period_to


def test_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("editor's file", encoding="utf-8")
    with pytest.raises(FileExistsError):
        synth(10, tmp_path)
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "editor's file"


# Markdown-like text with line breaks exercises the literal-block path; st.text() rarely does.
_scalars = (st.text() | st.text(alphabet=" \n\t\r#:-|>'\"xé\u2028") | st.integers()
            | st.floats(allow_nan=False) | st.booleans() | st.none() | st.dates(min_value=date(1000, 1, 1)))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=10), _values, max_size=6))
def test_to_yaml_round_trips_any_data(doc: dict) -> None:  # type: ignore[type-arg]
    assert yaml.safe_load(to_yaml(doc)) == doc


@pytest.mark.parametrize("text", ["yes", "null", "1.5", "2019-04-13", "0x1F", "~", "- a", "a: b", "#x",
                                  "a\n b", "line\n\nnext", " lead", "trail ", "tab\tin", "<<", "@at"])
def test_to_yaml_quotes_what_yaml_would_misread(text: str) -> None:
    assert yaml.safe_load(to_yaml({"k": text, "l": [text], "m": [{"a": text, "b": 1, "c": 2, "d": 3}]})) == {
        "k": text, "l": [text], "m": [{"a": text, "b": 1, "c": 2, "d": 3}]}
