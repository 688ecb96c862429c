"""The one writer every importer shares: ImportedEvent → event (and actor, source) YAML files.

Rules: a curated file is never overwritten; an event already imported (same external id or id) is
replaced only while its file is untouched; a likely duplicate of a curated event (same day, region
and actors) is reported instead of added; re-running an import changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitrep.errors import Problem
from sitrep.importers import yamlfile
from sitrep.importers.lookup import Lookup, Signature
from sitrep.importers.model import ImportedEvent, RowError
from sitrep.importers.text import safe_markdown, slug


@dataclass(slots=True)
class ImportSummary:
    """What one import did. `rejected` holds errors, `duplicates` and `warnings` warnings: each a
    Problem at the CSV row's line and, when one column is at fault, that column's position."""

    path: Path
    kind: str
    dry_run: bool = False
    rows: int = 0
    added: int = 0
    updated: int = 0
    matched: int = 0
    edited: int = 0  # of `matched`: files edited by hand since import, left as they are
    actors_added: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def report_lines(self) -> list[str]:
        """Return one `FILE.csv:LINE:COL: severity: message (hint)` line per finding, in file order
        (a row's errors before its warnings), then the totals."""
        found = sorted(self.rejected + self.duplicates + self.warnings,
                       key=lambda p: (p.line, p.severity, p.col))
        return [*(p.format() for p in found), self.totals()]

    def warning(self, line: int, message: str, hint: str) -> Problem:
        """Return a warning about the row at `line` as a whole (a duplicate, a region guessed)."""
        return Problem(str(self.path), line, 1, message, hint, "warning")

    def totals(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (f"{self.kind}: {self.rows} rows: {self.added} added, {self.updated} updated, "
                f"{self.matched} matched ({self.edited} edited by hand, left alone), "
                f"{len(self.duplicates)} likely duplicates, {len(self.rejected)} rejected; "
                f"{len(self.actors_added)} actors and {len(self.sources_added)} sources {verb} created")


@dataclass(frozen=True, slots=True)
class _NewFile:
    kind: str  # actors | sources
    id: str
    names: tuple[str, ...]
    body: dict[str, Any]


@dataclass(slots=True)
class _Resolved:
    body: dict[str, Any]
    new_files: list[_NewFile]
    actor_ids: frozenset[str]
    region: str
    warnings: list[str]


class Writer:
    """Applies ImportedEvents to a content tree, keeping `lookup` and `summary` up to date."""

    def __init__(self, lookup: Lookup, summary: ImportSummary, *, dry_run: bool = False) -> None:
        self.lookup = lookup
        self.summary = summary
        self.dry_run = dry_run
        self.content = lookup.content_dir
        self._touched: dict[str, int] = {}  # event id → line of the row that imported it in this run

    def apply(self, ev: ImportedEvent) -> None:
        """Add, update or match one event; record a duplicate or raise RowError for the summary."""
        existing = next((self.lookup.by_external[k] for k in ev.external_ids if k in self.lookup.by_external),
                        ev.id if ev.id in self.lookup.event_paths else None)
        target = existing or ev.id
        if (first := self._touched.get(target)) is not None:
            label = " ".join(ev.external_ids[0]) if ev.external_ids else target
            self._duplicate(ev.line, f"repeats the event of line {first} ({label})",
                            "the first row was imported; remove the repeated one")
            return
        resolved = resolve(ev, self.lookup)
        self._touched[target] = ev.line
        for w in resolved.warnings:
            self.summary.warnings.append(self.summary.warning(ev.line, w, "check the region"))
        if existing is not None:
            self._update(ev, existing, resolved)
        elif dup := self._curated_twin(ev, resolved):
            self._duplicate(ev.line, f"likely duplicate of curated event '{dup.id}' (same day, region "
                            "and actors); not added", f"merge it by hand into {dup.path}")
        else:
            self._add(ev, resolved)

    def _duplicate(self, line: int, message: str, hint: str) -> None:
        self.summary.duplicates.append(self.summary.warning(line, message, hint))

    def _text(self, ev: ImportedEvent, body: dict[str, Any]) -> tuple[str, str]:
        text = yamlfile.dump_body(body)
        return text, text + yamlfile.import_block(ev.origin, text, dict(ev.codes))

    def _add(self, ev: ImportedEvent, resolved: _Resolved) -> None:
        path = self.content / "events" / f"{ev.start.year:04d}" / f"{ev.id}.yaml"
        self._create_new_files(resolved.new_files)
        _, text = self._text(ev, resolved.body)
        if not self.dry_run and not yamlfile.create(path, text):
            raise RowError(f"{path} already exists", "an event file with this id exists but could not be "
                           "read; fix or remove it and import again")
        self.lookup.add_event(ev.id, path, ev.external_ids)
        self.summary.added += 1

    def _update(self, ev: ImportedEvent, existing: str, resolved: _Resolved) -> None:
        path = self.lookup.event_path(existing)
        found = yamlfile.untouched(path) if path.exists() else None
        if found is None:  # curated, or edited by hand since it was imported: never overwritten
            self.summary.matched += 1
            self.summary.edited += path.exists()
            return
        old, origin = found
        body, text = self._text(ev, resolved.body)
        # Only the importer that wrote a file updates it: another format would drop what it knew.
        if body == old or origin != ev.origin:
            self.summary.matched += 1
            return
        self._create_new_files(resolved.new_files)
        if not self.dry_run and not yamlfile.replace_untouched(path, text):
            self.summary.matched += 1
            self.summary.edited += 1
            return
        self.summary.updated += 1

    def _curated_twin(self, ev: ImportedEvent, resolved: _Resolved) -> Signature | None:
        for sig in self.lookup.signatures.get((ev.start, resolved.region), ()):
            mine, theirs = resolved.actor_ids, sig.actors
            same_actors = (not mine and not theirs) or bool(
                mine and theirs and (mine <= theirs or theirs <= mine))
            if same_actors and not (sig.has_import_block and yamlfile.untouched_body(sig.path) is not None):
                return sig
        return None

    def _create_new_files(self, files: list[_NewFile]) -> None:
        for f in files:
            known = self.lookup.actor_ids if f.kind == "actors" else self.lookup.source_ids
            if f.id in known:  # created for an earlier row of this import
                continue
            body = yamlfile.dump_body(f.body)
            text = body + yamlfile.import_block(self.summary.kind, body)
            if not self.dry_run:
                yamlfile.create(self.content / f.kind / f"{f.id}.yaml", text)
            if f.kind == "actors":
                self.lookup.add_actor(f.id, f.names)
                self.summary.actors_added.append(f.id)
            else:
                self.lookup.add_source(f.id, f.names)
                self.summary.sources_added.append(f.id)


def resolve(ev: ImportedEvent, lookup: Lookup) -> _Resolved:
    """Return the event body with names resolved to ids, plus the actor and source files it needs."""
    region, warning = lookup.region_for(ev.location)
    new_files: list[_NewFile] = []
    actors = _actor_refs(ev, lookup, new_files)
    sources = _source_refs(ev, lookup, new_files)
    body = _event_body(ev, region, lookup.regions.get(region) or "", actors, sources)
    return _Resolved(body, new_files, frozenset(a["actor"] for a in actors), region,
                     [warning] if warning else [])


def _new_id(name: str, what: str) -> str:
    ident = slug(name)
    if not ident:
        raise RowError(f"{what} name {name!r} has no letters or digits to make an id from",
                       f"spell the {what} name in Latin letters, or add it by hand")
    return ident


def _actor_refs(ev: ImportedEvent, lookup: Lookup, new_files: list[_NewFile]) -> list[dict[str, str]]:
    refs: list[dict[str, str]] = []
    for a in ev.actors:
        ident = lookup.actor_id(a.name)
        if ident is None:
            ident = _new_id(a.name, "actor")
            new_files.append(_NewFile("actors", ident, (a.name,),
                                      {"name": a.name, "kind": a.kind, "imported": True}))
        ref = {"actor": ident, "role": a.role}
        if ref not in refs:
            refs.append(ref)
    return refs


def _source_refs(ev: ImportedEvent, lookup: Lookup, new_files: list[_NewFile]) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    seen: set[tuple[str, Any]] = set()
    for s in ev.sources:
        ident = lookup.source_id(s.name)
        if ident is None:
            ident = _new_id(s.name, "source")
            new_files.append(_NewFile("sources", ident, (s.name,),
                                      {"name": s.name, "kind": s.kind, "imported": True}))
        if (ident, s.published) in seen:
            continue
        seen.add((ident, s.published))
        ref: dict[str, Any] = {"source": ident}
        if s.published:
            ref["published"] = s.published
        if s.supports:
            ref["supports"] = list(s.supports)
        if s.note:
            ref["note"] = s.note
        refs.append(ref)
    return refs


def _event_body(ev: ImportedEvent, region: str, country: str, actors: list[dict[str, str]],
                sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the event's fields in the order editors write them (schema.md)."""
    body: dict[str, Any] = {
        "title": ev.title,
        "status": ev.status,
        "date": {"start": ev.start, "end": ev.end, "precision": ev.precision},
        "event_type": ev.event_type,
        "sub_event_type": ev.sub_event_type,
    }
    if ev.ucdp_type_of_violence is not None:
        body["ucdp_type_of_violence"] = ev.ucdp_type_of_violence
    if actors:
        body["actors"] = actors
    body["location"] = _location(ev, region, country)
    if ev.fatalities is not None:
        body["fatalities"] = _fatalities(ev)
    if sources:
        body["sources"] = sources
    body["assessment"] = ev.assessment
    body["summary"] = safe_markdown(ev.summary)
    if ev.tags:
        body["tags"] = list(ev.tags)
    if ev.external_ids:
        body["external_ids"] = dict(ev.external_ids)
    if ev.revisions:
        body["revisions"] = [{"date": d, "note": n} for d, n in ev.revisions]
    if ev.superseded_by:
        body["superseded_by"] = ev.superseded_by
    body["imported"] = True
    return body


def _location(ev: ImportedEvent, region: str, country: str) -> dict[str, Any]:
    loc = ev.location
    out: dict[str, Any] = {"country": country, "region": region}
    if loc.admin2:
        out["admin2"] = loc.admin2
    if loc.place:
        out["place"] = loc.place
    has_point = loc.lat is not None and loc.lon is not None
    if has_point:
        out["lat"], out["lon"] = loc.lat, loc.lon
    # Without coordinates an event can only be placed in its region (validator rule).
    out["geo_precision"] = loc.geo_precision if has_point else 3
    return out


def _fatalities(ev: ImportedEvent) -> dict[str, Any]:
    assert ev.fatalities is not None
    low, best, high = ev.fatalities
    out: dict[str, Any] = {"low": low, "best": best, "high": high}
    if ev.breakdown:
        out["breakdown"] = dict(ev.breakdown)
    if ev.fatalities_note:
        out["note"] = ev.fatalities_note
    return out
