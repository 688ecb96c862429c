"""What an import needs to know about the content tree it writes into, read once without validating.

A tree with errors can still be imported into (that is how editors fix things in bulk), so this
reads the raw documents rather than a validated Corpus: ids, names, external ids and, for curated
events, the (day, region, actors) signature used to spot likely duplicates.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sitrep import geo
from sitrep.importers.model import ImportedLocation, RowError
from sitrep.importers.text import fold, region_keys
from sitrep.load import RawDocument, load
from sitrep.model import Shape

log = logging.getLogger(__name__)

ExternalKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Signature:
    """An existing event as the duplicate check sees it."""

    id: str
    path: Path
    actors: frozenset[str]
    has_import_block: bool  # written by an importer; only curated if edited since (checked lazily)


@dataclass(slots=True)
class Lookup:
    """Ids and names of the content tree, updated as the import adds files."""

    content_dir: Path
    regions: dict[str, str] = field(default_factory=dict)  # region id → country code
    region_names: dict[str, str | None] = field(default_factory=dict)  # key → id, None if ambiguous
    shapes: dict[str, Shape] = field(default_factory=dict)
    actor_names: dict[str, str] = field(default_factory=dict)  # folded name → actor id
    actor_ids: set[str] = field(default_factory=set)
    source_names: dict[str, str] = field(default_factory=dict)
    source_ids: set[str] = field(default_factory=set)
    event_paths: dict[str, Path] = field(default_factory=dict)  # event id → file
    by_external: dict[ExternalKey, str] = field(default_factory=dict)  # (key, value) → event id
    signatures: dict[tuple[date, str], list[Signature]] = field(default_factory=lambda: defaultdict(list))

    def region_for(self, loc: ImportedLocation) -> tuple[str, str | None]:
        """Return (region id, warning or None) for a location; raise RowError when none fits."""
        if loc.region_id and loc.region_id in self.regions:
            return loc.region_id, None
        named = self._region_by_name(loc.admin1) if loc.admin1 else None
        if named:
            return named, None
        point = None
        if loc.by_coordinates and loc.lat is not None and loc.lon is not None:
            point = geo.region_for_point(self.shapes, loc.lon, loc.lat)
        if point and point in self.regions:
            if not loc.admin1:
                return point, None
            return point, (f"region {loc.admin1!r} matches no region by name; "
                           f"placed in {point} by its coordinates")
        if loc.admin1:
            raise RowError(f"region {loc.admin1!r} matches no region in content/regions/ by name, "
                           "alternative name or coordinates",
                           f"add {loc.admin1!r} to the alt_names of the right region")
        if not loc.by_coordinates:
            raise RowError("the row names no first-level region and its location is known only to the "
                           "country", "events need a region; add the row by hand if its region is known")
        raise RowError("the row names no first-level region and its coordinates are in no region's shape",
                       "fill in the admin1 column or the coordinates")

    def _region_by_name(self, name: str) -> str | None:
        for key in region_keys(name):
            if key in self.region_names:
                return self.region_names[key]
        return None

    def actor_id(self, name: str) -> str | None:
        return self.actor_names.get(fold(name))

    def source_id(self, name: str) -> str | None:
        return self.source_names.get(fold(name))

    def add_actor(self, actor_id: str, names: Iterable[str]) -> None:
        self.actor_ids.add(actor_id)
        _index_names(self.actor_names, actor_id, names)

    def add_source(self, source_id: str, names: Iterable[str]) -> None:
        self.source_ids.add(source_id)
        _index_names(self.source_names, source_id, names)

    def add_event(self, event_id: str, path: Path, external: Iterable[ExternalKey]) -> None:
        self.event_paths[event_id] = path
        for key in external:
            self.by_external.setdefault(key, event_id)


def _index_names(index: dict[str, str], ident: str, names: Iterable[str]) -> None:
    """Map every folded name to `ident`; the first owner of a name keeps it (files load in order)."""
    for name in (ident, *names):
        key = fold(name)
        if key:
            index.setdefault(key, ident)


def _texts(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def _names(data: Any, *, primary: bool) -> list[str]:
    """Return a document's own name (primary) or its other names: aliases, alt_names, native_name."""
    if not isinstance(data, dict):
        return []
    if primary:
        return _texts(data, "name")
    return _texts(data, "aliases") + _texts(data, "alt_names") + _texts(data, "native_name")


def build_lookup(content_dir: Path) -> Lookup:
    """Return the Lookup of `content_dir` (which may be empty or missing)."""
    lookup = Lookup(content_dir)
    docs = load(content_dir) if content_dir.is_dir() else ()
    for doc in docs:
        if doc.kind == "regions" and isinstance(doc.data, dict):
            _add_region(lookup, doc)
    # Own names first, then aliases: an actor's name beats another actor's alias of the same spelling.
    for primary in (True, False):
        for doc in docs:
            if doc.kind == "actors":
                lookup.add_actor(doc.id, _names(doc.data, primary=primary))
            elif doc.kind == "sources":
                lookup.add_source(doc.id, _names(doc.data, primary=primary))
    for doc in docs:
        if doc.kind == "events":
            _add_event(lookup, doc)
        elif doc.kind == "geo" and doc.data is not None:
            _add_shapes(lookup, doc)
    return lookup


def _add_region(lookup: Lookup, doc: RawDocument) -> None:
    lookup.regions[doc.id] = str(doc.data.get("country") or "")
    names = [doc.id, *_names(doc.data, primary=True), *_names(doc.data, primary=False)]
    for name in names:
        for key in region_keys(name):
            owner = lookup.region_names.get(key, doc.id)
            lookup.region_names[key] = doc.id if owner == doc.id else None  # None: ambiguous, never used


def _add_shapes(lookup: Lookup, doc: RawDocument) -> None:
    try:
        shapes = geo.shapes_from_collection(doc.data)
    except geo.GeoError as exc:
        log.warning("%s: shapes not used for region matching: %s", doc.path, exc)
        return
    for shape in shapes:
        if shape.id in lookup.regions:
            lookup.shapes.setdefault(shape.id, shape)


def _add_event(lookup: Lookup, doc: RawDocument) -> None:
    path = Path(doc.path)
    data = doc.data if isinstance(doc.data, dict) else {}
    ext = data.get("external_ids")
    external = [(str(k), str(v)) for k, v in ext.items()] if isinstance(ext, dict) else []
    lookup.add_event(doc.id, path, external)
    start, region = _start(data.get("date")), _region(data.get("location"))
    if start is None or region is None:
        return
    actors = frozenset(str(a.get("actor")) for a in data.get("actors") or () if isinstance(a, dict))
    lookup.signatures[(start, region)].append(Signature(doc.id, path, actors, "import" in data))


def _start(value: Any) -> date | None:
    if isinstance(value, dict):
        value = value.get("start")
    return value if isinstance(value, date) else None


def _region(value: Any) -> str | None:
    return str(value["region"]) if isinstance(value, dict) and value.get("region") else None
