"""Validate stage: RawDocuments → an immutable Corpus, or a ContentError listing every problem."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sitrep import geo, vocab
from sitrep.briefing_check import check_briefing
from sitrep.errors import ContentError, Problem
from sitrep.fields import SLUG, Reader, typename
from sitrep.load import ParseCache, RawDocument, load, locate
from sitrep.model import Actor, Briefing, Corpus, Event, Pos, Region, Shape, Source
from sitrep.urls import GENERATED_TOP_LEVEL
from sitrep.validate_event import read_event
from sitrep.write import RESERVED_NAMES

REGION_ID = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}\Z")
_COUNTRY = re.compile(r"^[A-Z]{2}\Z")
_IMPORT_KEYS = ("import",)


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of validation: the corpus when there were no errors, and every problem found."""

    corpus: Corpus | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def load_corpus(content_dir: Path, cache: ParseCache | None = None) -> Corpus:
    """Return the validated Corpus of `content_dir`; raise ContentError when it has errors."""
    checked = check(load(content_dir, cache))
    if checked.errors or checked.corpus is None:
        raise ContentError(checked.problems)
    return checked.corpus


def validate(docs: Sequence[RawDocument]) -> Corpus:
    """Return the Corpus built from `docs`, or raise ContentError with all errors and warnings."""
    checked = check(docs)
    if checked.errors or checked.corpus is None:
        raise ContentError(checked.problems)
    return checked.corpus


@dataclass(slots=True)
class CheckMemo:
    """What one check keeps for the next in a long-lived process (serve; see warm.py).

    `refs` is the outcome of reading the files events are checked against (geography, regions,
    actors, sources), kept while those files are the same ones (`context`: their paths and digests);
    `events` is each event file's outcome by path and digest, kept while `refs` is. Unchanged files
    thus give the very same model objects build after build, which page keys rely on (KeyMemo)."""

    context: tuple[tuple[str, str, str], ...] | None = None
    refs: tuple[_Refs, tuple[Problem, ...]] | None = None
    events: dict[tuple[str, str], tuple[Any, tuple[Problem, ...]]] = field(default_factory=dict)
    changes: int = 0
    """How many files the last check read anew or no longer found (all, when `refs` was read)."""


_REF_KINDS = ("geo", "regions", "actors", "sources")


def check(docs: Sequence[RawDocument], memo: CheckMemo | None = None) -> Checked:
    """Validate every document and every cross-reference; collect all problems, never stop early.

    With a memo, files unchanged since the check that filled it are not read again (see CheckMemo)."""
    problems: list[Problem] = [p for d in docs for p in d.problems]
    by_kind: dict[str, list[RawDocument]] = {}
    for doc in docs:
        if doc.data is not None:
            by_kind.setdefault(doc.kind, []).append(doc)

    context = tuple((d.kind, d.path, d.digest) for d in docs if d.kind in _REF_KINDS)
    if memo is not None and memo.context == context and memo.refs is not None:
        refs, found = memo.refs
        problems.extend(found)
        event_memo: dict[tuple[str, str], tuple[Any, tuple[Problem, ...]]] | None = memo.events
    else:
        found_list: list[Problem] = []
        refs = _read_refs(by_kind, found_list)
        problems.extend(found_list)
        event_memo = None
        if memo is not None:
            memo.context, memo.refs, memo.events = context, (refs, tuple(found_list)), {}
            memo.changes = len(docs)
    actors, regions, sources, shapes = refs.actors, refs.regions, refs.sources, refs.shapes
    used: dict[tuple[str, str], tuple[Any, tuple[Problem, ...]]] | None = {} if memo is not None else None
    events = _read_all(by_kind.get("events", []), problems,
                       lambda r, d: read_event(r, d, refs), "event", event_memo, used)
    if memo is not None and used is not None:
        if event_memo is not None:
            memo.changes = len(used.keys() ^ event_memo.keys())
        memo.events = used  # only this build's files: the memo does not grow with deleted ones
    _check_event_links(events, by_kind.get("events", []), problems)
    briefings = _read_all(by_kind.get("briefings", []), problems,
                          lambda r, d: _read_briefing(r, d, refs), "briefing")
    for doc in by_kind.get("pages", []):
        _check_page(Reader(doc, problems), doc, content_pages_root(doc))
    ordered = tuple(sorted(events.values(), key=lambda e: (e.date.start, e.id)))
    event_docs: dict[str, RawDocument] = {}
    for doc in by_kind.get("events", []):
        event_docs.setdefault(doc.id, doc)  # _read_all kept the first file of an id
    corpus = Corpus(
        events=ordered,
        actors=MappingProxyType(actors),
        regions=MappingProxyType(regions),
        sources=MappingProxyType(sources),
        briefings=MappingProxyType(briefings),
        events_by_id=MappingProxyType({e.id: e for e in ordered}),
        shapes=MappingProxyType(shapes),
        file_digests=MappingProxyType({e.id: (e, _file_digest(event_docs[e.id])) for e in ordered}),
    )
    # Narrative checks compare quoted totals with events; with broken events they would only echo
    # those errors as "unknown event", so they wait until every event file is valid.
    if len(events) == sum(1 for d in docs if d.kind == "events"):  # files that did not even load count
        for briefing in briefings.values():
            problems.extend(check_briefing(briefing, corpus))
    has_errors = any(p.severity == "error" for p in problems)
    return Checked(None if has_errors else corpus, tuple(sorted(problems, key=lambda p: p.sort_key)))


def _read_refs(by_kind: Mapping[str, list[RawDocument]], problems: list[Problem]) -> _Refs:
    """Read what events and briefings refer to: geography, regions, actors, sources."""
    shapes = _read_shapes(by_kind.get("geo", []), problems)
    regions = _read_all(by_kind.get("regions", []), problems, _read_region, "region")
    actors = _read_all(by_kind.get("actors", []), problems, _read_actor, "actor")
    sources = _read_all(by_kind.get("sources", []), problems, _read_source, "source")
    _check_regions(regions, shapes, problems)
    _check_actor_links(actors, by_kind.get("actors", []), problems)
    existing = {kind: frozenset(d.id for d in by_kind.get(kind, []))
                for kind in ("actors", "regions", "sources")}
    return _Refs(actors, regions, sources, shapes, existing)


def _file_digest(doc: RawDocument) -> bytes:
    return hashlib.blake2b(f"{doc.path}\0{doc.digest}".encode("utf-8", "surrogatepass"),
                           digest_size=20).digest()


@dataclass(frozen=True, slots=True)
class _Refs:
    """Ids that events and briefings may reference, known before events are read."""

    actors: Mapping[str, Actor]
    regions: Mapping[str, Region]
    sources: Mapping[str, Source]
    shapes: Mapping[str, Shape]
    existing: Mapping[str, frozenset[str]]
    """Ids of every actors/regions/sources file, valid or not: a reference to a file that has its
    own errors is not reported again as unknown."""


def _read_all(docs: Iterable[RawDocument], problems: list[Problem],
              read: Callable[[Reader, RawDocument], Any], what: str,
              memo: Mapping[tuple[str, str], tuple[Any, tuple[Problem, ...]]] | None = None,
              used: dict[tuple[str, str], tuple[Any, tuple[Problem, ...]]] | None = None) -> dict[str, Any]:
    """Read each document; keep the valid ones by id and report ids used twice or differing in case.

    What reading a file gave (its object, its problems) is taken from `memo` when there, by the
    file's path and digest, and recorded in `used`."""
    out: dict[str, Any] = {}
    seen: dict[str, RawDocument] = {}
    for doc in docs:
        reader = Reader(doc, problems)
        if not _check_id(reader, doc, what):
            continue
        folded = doc.id.lower()
        if folded in seen:
            first = seen[folded]
            reader.report((), f"{what} id '{doc.id}' is already used by {first.path}",
                          "ids must be unique (ignoring case); rename one of the files")
            continue
        seen[folded] = doc
        at = (doc.path, doc.digest)
        outcome = memo.get(at) if memo is not None and doc.digest else None
        if outcome is None:
            outcome = _read_one(doc, read)
        if used is not None and doc.digest:
            used[at] = outcome
        problems.extend(outcome[1])
        if outcome[0] is not None:
            out[doc.id] = outcome[0]
    return out


def _read_one(doc: RawDocument,
              read: Callable[[Reader, RawDocument], Any]) -> tuple[Any, tuple[Problem, ...]]:
    """Return the object read from `doc` (None if it failed) and the problems found in it."""
    found: list[Problem] = []
    reader = Reader(doc, found)
    obj = read(reader, doc)
    if reader.suppressed:
        found.append(Problem(doc.path, 1, 1,
                             f"{reader.suppressed} more problem(s) in this file are not listed",
                             "fix the ones listed and run check again",
                             "error" if reader.failed else "warning"))
    return (obj if obj is not None and not reader.failed else None), tuple(found)


def _check_id(reader: Reader, doc: RawDocument, what: str) -> bool:
    if not isinstance(doc.data, dict):
        article = "an" if what[0] in "aeiou" else "a"
        reader.report((), f"{article} {what} file must hold 'key: value' fields, got {typename(doc.data)}",
                      "see content/README or `build.py new event` for the layout")
        return False
    pattern = REGION_ID if what == "region" else SLUG
    if not pattern.match(doc.id):
        expected = ("an ISO 3166-2 code such as SY-HL" if what == "region"
                    else "lowercase letters, digits and hyphens, at most 100 characters")
        reader.report((), f"file name '{doc.id}' is not a valid {what} id", f"rename the file to {expected}")
        return False
    if doc.id.lower() in RESERVED_NAMES:  # its page folder could not exist on Windows or be checked out there
        reader.report((), f"file name '{doc.id}' is reserved on Windows and cannot be an id",
                      "rename the file")
        return False
    declared = doc.data.get("id")
    if declared is not None and declared != doc.id:
        reader.report(("id",), f"id '{declared}' does not match the file name '{doc.id}'",
                      "ids are stable forever: rename the file or remove the 'id' line")
        return False
    return True


def _pos(doc: RawDocument) -> Pos:
    return Pos(doc.path, 1, 1)


def _read_actor(r: Reader, doc: RawDocument) -> Actor | None:
    d = doc.data
    r.only_keys(d, (), ("id", "name", "aliases", "kind", "affiliations", "native_name", "description",
                        "imported", *_IMPORT_KEYS), "an actor")
    r.import_block(d, codes_allowed=False)
    name = r.text(d, (), "name", required=True, what="the actor", single_line=True, max_len=200)
    kind = r.choice(d, (), "kind", vocab.ACTOR_KINDS, required=True, what="the actor")
    return Actor(
        id=doc.id, name=name or "", kind=kind or "", pos=_pos(doc),
        aliases=r.texts(d, (), "aliases"),
        native_name=r.text(d, (), "native_name", single_line=True, max_len=200),
        affiliations=r.texts(d, (), "affiliations", slug=True),
        description=r.markdown(d, (), "description") or "",
        imported=r.flag(d, (), "imported"),
    )


def _read_region(r: Reader, doc: RawDocument) -> Region | None:
    d = doc.data
    r.only_keys(d, (), ("id", "name", "alt_names", "country", "iso_3166_2", "native_name", "description"),
                "a region")
    name = r.text(d, (), "name", required=True, what="the region", single_line=True, max_len=200)
    country = r.text(d, (), "country", required=True, what="the region", single_line=True)
    if country and not _COUNTRY.match(country):
        r.report(("country",), f"country must be a two-letter ISO 3166-1 code, got {country!r}", "e.g. SY")
    iso = r.text(d, (), "iso_3166_2", required=True, what="the region", single_line=True)
    if iso and iso != doc.id:
        r.report(("iso_3166_2",), f"iso_3166_2 '{iso}' does not match the file name '{doc.id}'",
                 f"rename the file to {iso}.yaml or fix the code")
    if iso and country and not iso.startswith(country + "-"):
        r.report(("iso_3166_2",), f"iso_3166_2 '{iso}' is not a subdivision of country '{country}'",
                 f"codes of {country} start with '{country}-'")
    return Region(
        id=doc.id, name=name or "", country=country or "", iso_3166_2=iso or doc.id, pos=_pos(doc),
        alt_names=r.texts(d, (), "alt_names"),
        native_name=r.text(d, (), "native_name", single_line=True, max_len=200),
        description=r.markdown(d, (), "description") or "",
    )


def _read_source(r: Reader, doc: RawDocument) -> Source | None:
    d = doc.data
    r.only_keys(d, (), ("id", "name", "kind", "url", "reliability", "aliases", "native_name", "description",
                        "imported", *_IMPORT_KEYS), "a source")
    r.import_block(d, codes_allowed=False)
    name = r.text(d, (), "name", required=True, what="the source", single_line=True, max_len=200)
    kind = r.choice(d, (), "kind", vocab.SOURCE_KINDS, required=True, what="the source")
    return Source(
        id=doc.id, name=name or "", kind=kind or "", pos=_pos(doc),
        url=r.url(d, (), "url"),
        reliability=r.choice(d, (), "reliability", vocab.RELIABILITY_GRADES),
        aliases=r.texts(d, (), "aliases"),
        native_name=r.text(d, (), "native_name", single_line=True, max_len=200),
        description=r.markdown(d, (), "description") or "",
        imported=r.flag(d, (), "imported"),
    )


def _read_briefing(r: Reader, doc: RawDocument, refs: _Refs) -> Briefing | None:
    d = doc.data
    r.only_keys(d, (), ("id", "title", "from", "to", "regions", "actors", "author", "status", "summary"),
                "a briefing's front matter")
    title = r.text(d, (), "title", required=True, what="the briefing", single_line=True, max_len=300)
    start = r.day(d, (), "from", required=True, what="the briefing")
    end = r.day(d, (), "to", required=True, what="the briefing")
    if start and end and start > end:
        r.report(("to",), f"the period ends ({end}) before it starts ({start})", "swap 'from' and 'to'")
    regions = r.texts(d, (), "regions")
    actors = r.texts(d, (), "actors", slug=True)
    _check_known(r, ("regions",), regions, refs.existing["regions"], "region", "content/regions/")
    _check_known(r, ("actors",), actors, refs.existing["actors"], "actor", "content/actors/")
    r.check_markdown(doc.body, ("body",), "narrative", line_base=doc.body_line)
    if r.failed or start is None or end is None:
        return None
    return Briefing(
        id=doc.id, title=title or "", period_from=start, period_to=end, pos=_pos(doc), body=doc.body,
        body_line=doc.body_line, regions=regions, actors=actors,
        author=r.text(d, (), "author", single_line=True, max_len=200),
        status=r.choice(d, (), "status", vocab.BRIEFING_STATUSES, default="published"),
        summary=r.markdown(d, (), "summary") or "",
    )


def content_pages_root(doc: RawDocument) -> Path:
    """Return the pages/ folder a page document sits in (pages may be nested)."""
    path = Path(doc.path)
    return next(p for p in path.parents if p.name == "pages")


def _check_page(r: Reader, doc: RawDocument, root: Path) -> None:
    """Editorial pages: no raw HTML or unsafe links, and no name the build uses for its own pages."""
    r.check_markdown(doc.body, ("body",), "the page", line_base=1)
    first = Path(doc.path).relative_to(root).parts[0]
    name = first[:-3] if first.endswith(".md") and len(Path(doc.path).relative_to(root).parts) == 1 else first
    if name in GENERATED_TOP_LEVEL:
        r.report((), f"editorial page '{doc.path}' would replace the generated /{name}/",
                 f"rename it; these names are taken: {', '.join(sorted(GENERATED_TOP_LEVEL))}")


def _check_known(r: Reader, at: tuple[str, ...], ids: Iterable[str], known: Collection[str],
                 what: str, folder: str) -> None:
    for i, ref in enumerate(ids):
        if ref not in known:
            r.report((*at, i), f"unknown {what} '{ref}'", f"add {folder}{ref}.yaml or fix the id")


def _read_shapes(docs: Iterable[RawDocument], problems: list[Problem]) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for doc in docs:
        try:
            found = geo.shapes_from_collection(doc.data)
        except geo.GeoError as exc:
            problems.append(Problem(doc.path, 1, 1, f"invalid GeoJSON: {exc}",
                                    "each feature needs an 'id' (ISO 3166-2) and a Polygon or MultiPolygon"))
            continue
        except (AttributeError, TypeError, ValueError):  # e.g. a geometry that is a list, not an object
            problems.append(Problem(doc.path, 1, 1, "invalid GeoJSON: a feature or geometry is not an object",
                                    "each feature needs an 'id' (ISO 3166-2) and a Polygon or MultiPolygon"))
            continue
        for shape in found:
            if shape.id in shapes:
                problems.append(Problem(doc.path, 1, 1, f"shape '{shape.id}' is defined twice",
                                        "keep one feature per region"))
            shapes[shape.id] = shape
    return shapes


def _check_regions(regions: Mapping[str, Region], shapes: Mapping[str, Shape],
                   problems: list[Problem]) -> None:
    for region in regions.values():
        if shapes and region.id not in shapes:
            problems.append(Problem(region.pos.path, 1, 1,
                                    f"no shape for region '{region.id}' in content/geo/",
                                    "add a GeoJSON feature with this id, or maps will omit the region",
                                    "warning"))


def _check_actor_links(actors: Mapping[str, Actor], docs: Iterable[RawDocument],
                       problems: list[Problem]) -> None:
    paths = {d.id: d for d in docs}
    for actor in actors.values():
        for i, other in enumerate(actor.affiliations):
            if other == actor.id or other not in paths:
                reason = "an actor cannot be affiliated with itself" if other == actor.id \
                    else f"unknown actor '{other}' in affiliations"
                line, col = locate(paths[actor.id].path, ("affiliations", i))
                problems.append(Problem(actor.pos.path, line, col, reason,
                                        f"add content/actors/{other}.yaml or fix the id"))


def _check_event_links(events: Mapping[str, Event], docs: Iterable[RawDocument],
                       problems: list[Problem]) -> None:
    """Successors must exist; former ids must not collide with live ids or each other."""
    redirects: dict[str, str] = {}
    for event in events.values():
        if event.superseded_by is not None and event.superseded_by not in events:
            line, col = locate(event.pos.path, ("superseded_by",))
            problems.append(Problem(event.pos.path, line, col,
                                    f"superseded_by names unknown event '{event.superseded_by}'",
                                    "use the id (file name) of the event that replaces this one"))
        for i, old in enumerate(event.redirect_from):
            clash = "an existing event" if old in events else redirects.get(old)
            if clash:
                line, col = locate(event.pos.path, ("redirect_from", i))
                problems.append(Problem(event.pos.path, line, col,
                                        f"former id '{old}' is already taken by {clash}",
                                        "a former id can redirect to one event only"))
            redirects[old] = event.id
