"""Checks on a briefing's narrative: cited ids exist, and quoted death tolls match the cited events.

Pure functions over the model; the validator calls `check_briefing` and reports what it returns.
A quoted toll is a number next to a killing word ("killed 35", "13 fighters were killed", "the
death toll rose to 50"); it is compared with the fatality range summed over the events cited after
it in the same sentence (or before it, when none follow). Hedges widen the comparison: "at least",
"more than", "almost", "about". Mismatches are warnings, as schema.md asks; unknown ids are errors.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sitrep.errors import Problem
from sitrep.model import Briefing, Corpus, Event

# Looser than the renderer's pattern (sitrep.markup.CITATION) on purpose: anything that looks like a
# citation but would not render as a link ('[[ Some Id ]]') is reported instead of silently dropped.
CITATION_RE = re.compile(r"\[\[([^\[\]\n]*)\]\]")

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
         if i > 1}
_WORD_NUM = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five"
             r"|six|seven|eight|nine))?|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen"
             r"|nineteen|one|two|three|four|five|six|seven|eight|nine|ten)")
_NUM = rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+|{_WORD_NUM})"
_QUALS = {
    "at least": "min", "more than": "gt", "over": "gt", "upwards of": "min", "in excess of": "gt",
    "almost": "almost", "nearly": "almost", "close to": "almost", "up to": "max", "fewer than": "lt",
    "less than": "lt", "under": "lt", "about": "approx", "around": "approx", "some": "approx",
    "roughly": "approx", "approximately": "approx", "an estimated": "approx", "estimated": "approx",
}
_QUAL = "(?:(?P<qual>" + "|".join(sorted(_QUALS, key=len, reverse=True)).replace(" ", r"\s+") + r")\s+)?"
_FILLER = r"(?:(?:another|a\s+further|a\s+total\s+of|a\s+combined|a\s+further\s+total\s+of)\s+)?"
_KILL_BEFORE = re.compile(rf"\b(?:kill(?:ed|ing|s)?|slew|slaying|claimed\s+the\s+lives\s+of)\s+"
                          rf"{_FILLER}{_QUAL}{_FILLER}{_NUM}\b", re.IGNORECASE)
_TOLL = re.compile(rf"\b(?:death\s+toll|toll|fatalities)\s+(?:\w+\s+){{0,3}}?"
                   rf"(?:to|of|at|reached|stood\s+at)\s+{_QUAL}{_NUM}\b", re.IGNORECASE)
_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_NOT_A_TOLL = {*_MONTHS, "hours", "hour", "days", "day", "weeks", "week", "months", "month", "years", "year",
               "km", "kilometres", "kilometers", "miles", "metres", "meters", "per", "percent", "%"}
_KILL_AFTER = re.compile(rf"{_QUAL}{_FILLER}{_NUM}(?P<between>(?:\s+[\w'’-]+){{0,5}}?)\s+"
                         r"(?:(?:were|was|have\s+been|had\s+been|are|being)\s+)?"
                         r"(?:killed|dead|deaths|died|fatalities|slain|lives\s+lost)\b"
                         r"(?!\s+(?:or|and)\s+(?:wounded|injured))", re.IGNORECASE)
_SUBSET = re.compile(r"(?:including|among\s+them|of\s+whom|of\s+them|among\s+whom)\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z\"“(\d])|\n\s*\n|\n\s*(?:[-*+]|\d+[.)])\s+")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True, slots=True)
class Citation:
    """One [[event-id]] in a narrative, at a character offset of the body."""

    event_id: str
    offset: int


@dataclass(frozen=True, slots=True)
class QuotedToll:
    """A death toll written in the narrative: its value, hedge (None when exact) and offset."""

    value: int
    qualifier: str | None
    offset: int
    text: str


def iter_citations(body: str) -> Iterator[Citation]:
    """Yield every [[id]] in the body, in order."""
    for m in CITATION_RE.finditer(body):
        yield Citation(m.group(1), m.start())


def parse_number(text: str) -> int:
    """Return the value of '1,200', '35', 'thirteen' or 'forty-two'."""
    text = text.lower().replace(",", "")
    if text.isdigit():
        return int(text)
    parts = re.split(r"[- ]", text)
    return sum(_TENS.get(p, 0) + _UNITS.get(p, 0) for p in parts)


def _toll_from(m: re.Match[str], body: str) -> QuotedToll | None:
    num = m.group("num")
    if _SUBSET.search(body[max(0, m.start("num") - 20):m.start("num")]):
        return None  # "including four officers" is a part of a toll, not a total
    qual = m.group("qual")
    kind = _QUALS[re.sub(r"\s+", " ", qual.lower())] if qual else None
    start = m.start("qual") if qual else m.start("num")
    return QuotedToll(parse_number(num), kind, start, body[start:m.end("num")])


def _after_is_toll(m: re.Match[str]) -> bool:
    """Reject '13 April militants killed', '48 hours', '2019 ... killed' as tolls."""
    words = m.group("between").split()
    if _YEAR.fullmatch(m.group("num")):
        return False
    return not words or (words[0].lower().strip(".,") not in _NOT_A_TOLL
                         and not any(w.lower() in _MONTHS or w[:1].isdigit() for w in words))


def quoted_tolls(body: str) -> list[QuotedToll]:
    """Return the death tolls the narrative states, in order of appearance, one per number."""
    found: dict[int, QuotedToll] = {}
    for pattern in (_KILL_BEFORE, _TOLL, _KILL_AFTER):
        for m in pattern.finditer(body):
            if pattern is _KILL_AFTER and not _after_is_toll(m):
                continue
            toll = _toll_from(m, body)
            if toll is not None:
                found.setdefault(m.start("num"), toll)
    return [found[k] for k in sorted(found)]


def sentence_spans(body: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the body's sentences, paragraphs and list items."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(body):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(body)))
    return spans


def bind_tolls(body: str) -> list[tuple[QuotedToll, tuple[str, ...]]]:
    """Pair each quoted toll with the ids it totals: the citations after it in its sentence, up to the
    next toll; when none follow, the uncovered citations before it."""
    tolls, cites = quoted_tolls(body), list(iter_citations(body))
    pairs: list[tuple[QuotedToll, tuple[str, ...]]] = []
    for start, end in sentence_spans(body):
        in_s = [t for t in tolls if start <= t.offset < end]
        c_in = [c for c in cites if start <= c.offset < end]
        prev = start
        for i, toll in enumerate(in_s):
            nxt = in_s[i + 1].offset if i + 1 < len(in_s) else end
            after = [c.event_id for c in c_in if toll.offset < c.offset < nxt]
            ids = after or [c.event_id for c in c_in if prev <= c.offset < toll.offset]
            if ids:
                pairs.append((toll, tuple(dict.fromkeys(ids))))
            prev = nxt if after else toll.offset
    return pairs


def fatality_range(events: Sequence[Event]) -> tuple[int, int]:
    """Return (sum of low, sum of high) fatality estimates; events without figures count as 0."""
    lows = sum(e.fatalities.low for e in events if e.fatalities)
    highs = sum(e.fatalities.high for e in events if e.fatalities)
    return lows, highs


def toll_matches(toll: QuotedToll, low: int, high: int) -> bool:
    """Return whether a quoted toll, read with its hedge, agrees with the range [low, high]."""
    n, kind = toll.value, toll.qualifier
    if kind == "min":
        return high >= n
    if kind == "gt":
        return high > n
    if kind == "max":
        return low <= n
    if kind == "lt":
        return low < n
    if kind == "almost":
        return low <= n and high >= 0.8 * n
    if kind == "approx":
        slack = max(1.0, 0.1 * n)
        return low <= n + slack and high >= n - slack
    return low <= n <= high


def position(briefing: Briefing, offset: int) -> tuple[int, int]:
    """Return the file (line, col) of a character offset in the briefing's body."""
    line = briefing.body_line + briefing.body.count("\n", 0, offset)
    col = offset - (briefing.body.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _range_text(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def _citation_problems(briefing: Briefing, corpus: Corpus) -> list[Problem]:
    problems = []
    for cite in iter_citations(briefing.body):
        event = corpus.events_by_id.get(cite.event_id)
        line, col = position(briefing, cite.offset)
        if event is None:
            close = difflib.get_close_matches(cite.event_id, corpus.events_by_id.keys(), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "cite an event id, the file name without .yaml"
            problems.append(Problem(briefing.pos.path, line, col,
                                    f"unknown event id '{cite.event_id}' in [[...]]", hint))
        elif not event.is_public:
            problems.append(Problem(briefing.pos.path, line, col,
                                    f"cites draft event '{cite.event_id}', which is not published",
                                    "publish the event or remove the citation"))
    return problems


def _toll_problems(briefing: Briefing, corpus: Corpus) -> list[Problem]:
    problems = []
    for toll, ids in bind_tolls(briefing.body):
        events = [corpus.events_by_id[i] for i in ids if i in corpus.events_by_id]
        if len(events) != len(ids):
            continue  # an unknown id is already an error; a sum over part of the citations means nothing
        low, high = fatality_range(events)
        if toll_matches(toll, low, high):
            continue
        line, col = position(briefing, toll.offset)
        each = ", ".join(f"{e.id} ({_range_text(*fatality_range([e]))})" for e in events)
        problems.append(Problem(
            briefing.pos.path, line, col,
            f"narrative says '{toll.text}' killed but the cited events sum to {_range_text(low, high)}",
            f"cited: {each}; correct the figure or cite the missing events", "warning"))
    return problems


def check_briefing(briefing: Briefing, corpus: Corpus) -> list[Problem]:
    """Return the problems in a briefing's narrative: unknown or draft ids, tolls that disagree."""
    return _citation_problems(briefing, corpus) + _toll_problems(briefing, corpus)
