"""The narrative check: unknown or draft ids, and quoted tolls against the events they cite."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from sitrep.briefing_check import bind_tolls, check_briefing, parse_number, quoted_tolls
from sitrep.model import Briefing, Corpus, Pos
from sitrep.validate import load_corpus
from tests.conftest import MINIMAL

HOMS = "2019-04-11-homs-eastern-desert-attacks"  # 27 killed
ALEPPO = "2019-04-13-aleppo-western-checkpoints-attack"  # 11–13 killed
SHELLING = "2019-04-12-aleppo-overnight-shelling"  # no toll


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(MINIMAL)


def _briefing(body: str, body_line: int = 10) -> Briefing:
    return Briefing(id="b", title="B", period_from=date(2019, 4, 7), period_to=date(2019, 4, 13),
                    pos=Pos("content/briefings/b.md"), body=body, body_line=body_line)


def _formatted(body: str, corpus: Corpus, body_line: int = 10) -> list[str]:
    return [p.format() for p in check_briefing(_briefing(body, body_line), corpus)]


def test_fixture_briefing_is_clean(corpus: Corpus) -> None:
    assert check_briefing(corpus.briefings["2019-04-week-15"], corpus) == []


def test_unknown_id_is_an_error_at_its_line_and_column_with_a_suggestion(corpus: Corpus) -> None:
    body = "\nFirst line.\nAn attack [[2019-04-13-aleppo-western-checkpoint-attack]] happened.\n"
    assert _formatted(body, corpus, body_line=12) == [
        "content/briefings/b.md:14:11: error: unknown event id "
        "'2019-04-13-aleppo-western-checkpoint-attack' in [[...]] "
        f"(did you mean '{ALEPPO}'?)"]


def test_citation_the_renderer_would_not_link_is_reported(corpus: Corpus) -> None:
    problems = check_briefing(_briefing(f"See [[ {HOMS} ]]."), corpus)
    assert [p.severity for p in problems] == ["error"]
    assert f"did you mean '{HOMS}'" in problems[0].hint


def test_citing_a_draft_event_is_an_error(corpus: Corpus) -> None:
    draft = replace(corpus.events_by_id[HOMS], status="draft")
    events = tuple(draft if e.id == HOMS else e for e in corpus.events)
    drafty = replace(corpus, events=events, events_by_id=MappingProxyType({e.id: e for e in events}))
    problems = check_briefing(_briefing(f"Something [[{HOMS}]]."), drafty)
    assert len(problems) == 1 and "draft" in problems[0].message and problems[0].severity == "error"


def test_wrong_total_is_a_warning_at_the_number(corpus: Corpus) -> None:
    body = f"Intro.\n\nThe attacks killed 45 fighters ([[{HOMS}]], [[{ALEPPO}]])."
    assert _formatted(body, corpus, body_line=5) == [
        "content/briefings/b.md:7:20: warning: narrative says '45' killed but the cited events sum to "
        f"38–40 (cited: {HOMS} (27), {ALEPPO} (11–13); correct the figure or cite the missing events)"]


@pytest.mark.parametrize("sentence", [
    "The attacks killed 40 fighters",
    "The attacks killed 38 fighters",
    "In all, 39 pro-government fighters were killed",
    "The death toll rose to forty",
    "The attacks killed at least 35 fighters",
    "The attacks killed almost 41 fighters",
    "The attacks killed about 42 fighters",
    "The attacks killed more than 37 fighters",
])
def test_totals_within_the_summed_range_or_hedged_pass(sentence: str, corpus: Corpus) -> None:
    assert check_briefing(_briefing(f"{sentence} [[{HOMS}]] [[{ALEPPO}]]."), corpus) == []


@pytest.mark.parametrize("sentence", [
    "The attacks killed 41 fighters",
    "The attacks killed at least 41 fighters",
    "The attacks killed more than 40 fighters",
    "The attacks killed almost 30 fighters",
    "The attacks killed nearly 60 fighters",
    "Thirty-seven fighters were killed",
])
def test_totals_outside_the_range_warn(sentence: str, corpus: Corpus) -> None:
    problems = check_briefing(_briefing(f"{sentence} [[{HOMS}]] [[{ALEPPO}]]."), corpus)
    assert [p.severity for p in problems] == ["warning"]


def test_each_toll_sums_the_citations_that_follow_it_in_its_sentence(corpus: Corpus) -> None:
    body = (f"Militants killed 27 troops in the desert [[{HOMS}]] and killed 13 more near Aleppo "
            f"[[{ALEPPO}]]. The bombardment killed 0 people [[{SHELLING}]].")
    assert check_briefing(_briefing(body), corpus) == []
    pairs = [(t.value, ids) for t, ids in bind_tolls(body)]
    assert pairs == [(27, (HOMS,)), (13, (ALEPPO,)), (0, (SHELLING,))]


def test_citations_before_a_toll_count_when_none_follow() -> None:
    body = f"Two attacks ([[{HOMS}]], [[{ALEPPO}]]) killed 40 fighters. Later, 5 were killed."
    assert [(t.value, ids) for t, ids in bind_tolls(body)] == [(40, (HOMS, ALEPPO))]


def test_subtotals_dates_and_durations_are_not_tolls() -> None:
    text = ("On 13 April militants killed 27 troops, including four senior officers killed in "
            "the desert, in 48 hours. In 2019 gunmen killed nobody. 5 people were killed or wounded.")
    assert [(t.value, t.text) for t in quoted_tolls(text)] == [(27, "27")]


def test_number_words() -> None:
    words = ("13", "1,200", "thirteen", "forty-two", "Twenty one")
    assert [parse_number(w) for w in words] == [13, 1200, 13, 42, 21]


def test_unknown_ids_do_not_also_raise_a_total_warning(corpus: Corpus) -> None:
    problems = check_briefing(_briefing(f"It killed 99 people [[{HOMS}]] [[no-such-event]]."), corpus)
    assert [p.severity for p in problems] == ["error"]


def test_positions_follow_the_body_line_of_a_real_file(tmp_path: Path, corpus: Corpus) -> None:
    text = (MINIMAL / "briefings" / "2019-04-week-15.md").read_text(encoding="utf-8")
    briefing = corpus.briefings["2019-04-week-15"]
    lines = text.splitlines()
    bad = replace(briefing, body=briefing.body.replace("killed 40", "killed 50"))
    [problem] = check_briefing(bad, corpus)
    # The reported line and column point at "50" in the file as an editor sees it.
    line = lines[problem.line - 1].replace("killed 40", "killed 50")
    assert line[problem.col - 1:problem.col + 1] == "50"


def test_check_command_reports_narrative_problems_with_file_line_col(minimal_copy: Path) -> None:
    from click.testing import CliRunner

    from sitrep.cli import main

    path = minimal_copy / "briefings" / "2019-04-week-15.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("killed 40", "killed 50").replace(f"[[{SHELLING}]]", "[[no-such-event]]"),
                    encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    toll_line = next(i for i, line in enumerate(lines, 1) if "killed 50" in line)
    cite_line = next(i for i, line in enumerate(lines, 1) if "[[no-such-event]]" in line)
    result = CliRunner().invoke(main, ["check", "--content", str(minimal_copy)])
    assert result.exit_code == 1
    col = lines[toll_line - 1].index("50") + 1
    assert f"{path}:{toll_line}:{col}: warning: narrative says '50' killed" in result.output
    cite_col = lines[cite_line - 1].index("[[no-such-event]]") + 1
    assert f"{path}:{cite_line}:{cite_col}: error: unknown event id 'no-such-event'" in result.output
