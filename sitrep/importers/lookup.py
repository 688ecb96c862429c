"""What an import needs to know about the content tree it writes into, read once without validating.

A tree with errors can still be imported into (that is how editors fix things in bulk), so this
reads the files rather than a validated Corpus, one at a time (memory stays small): ids, names,
external ids and, for curated events, the (day, region, actors) signature used to spot likely
duplicates. Files an importer wrote and nobody edited are indexed from their text, without
parsing, which keeps re-importing into a tree of 100k imported events fast.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sitrep import geo
from sitrep.importers.model import ImportedLocation, RowError
from sitrep.importers.text import fold, region_keys
from sitrep.importers.yamlfile import untouched
from sitrep.load import MAX_FILE_BYTES
from sitrep.model import Shape

try:  # the C parser; building Python objects stays the slow part, hence the fast path for imports
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

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
    event_paths: dict[str, str] = field(default_factory=dict)
    """Event id → its file, or "" for the usual events/<yyyy>/<id>.yaml (most files: saves memory)."""
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
                           f"add {loc.admin1!r} to the alt_names of the right region", loc.admin1_column)
        if not loc.by_coordinates:
            raise RowError("the row names no first-level region and its location is known only to the "
                           "country", "events need a region; add the row by hand if its region is known",
                           loc.admin1_column)
        raise RowError("the row names no first-level region and its coordinates are in no region's shape",
                       f"fill in the {loc.admin1_column} column or the coordinates", loc.admin1_column)

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
        self.event_paths[event_id] = "" if path == self._usual_path(event_id) else str(path)
        for key in external:
            self.by_external.setdefault(key, event_id)

    def event_path(self, event_id: str) -> Path:
        """Return the file of a known event."""
        return Path(self.event_paths[event_id] or self._usual_path(event_id))

    def _usual_path(self, event_id: str) -> Path:
        return self.content_dir / "events" / event_id[:4] / f"{event_id}.yaml"


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
    """Return the Lookup of `content_dir` (which may be empty or missing), reading files one by one."""
    lookup = Lookup(content_dir)
    for path in _files(content_dir / "regions"):
        data = _parse(path)
        if isinstance(data, dict):
            _add_region(lookup, path.stem, data)
    for kind, add in (("actors", lookup.add_actor), ("sources", lookup.add_source)):
        docs = [(path.stem, _parse(path)) for path in _files(content_dir / kind)]
        # Own names first, then aliases: an actor's name beats another actor's alias of that spelling.
        for primary in (True, False):
            for ident, data in docs:
                add(ident, _names(data, primary=primary))
    for path in _files(content_dir / "geo", "*", (".geojson", ".json")):
        _add_shapes(lookup, path)
    for path in _event_files(content_dir / "events"):
        _add_event(lookup, path)
    return lookup


def _event_files(folder: Path) -> Iterator[Path]:
    """Yield event files folder by folder, in order, without listing 100k paths at once."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith(".") and name.endswith((".yaml", ".yml")):
                yield Path(root, name)


def _files(folder: Path, pattern: str = "*", suffixes: tuple[str, ...] = (".yaml", ".yml")) -> list[Path]:
    """Return the files the loader would read in `folder`, in its order (hidden files skipped)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(pattern)
                  if not p.name.startswith(".") and p.name.endswith(suffixes) and p.is_file())


def _parse(path: Path) -> Any:
    """Return a content file's YAML, or None when it is unreadable, too large or uses anchors."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        text = path.read_bytes().decode("utf-8-sig")
        if ("&" in text or "*" in text) and any(
                isinstance(t, yaml.AnchorToken | yaml.AliasToken) for t in yaml.scan(text, Loader=_Loader)):
            return None  # the validator reports it; an import only needs to know the file is there
        return yaml.load(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError):
        return None


def _add_region(lookup: Lookup, ident: str, data: dict[str, Any]) -> None:
    lookup.regions[ident] = str(data.get("country") or "")
    for name in (ident, *_names(data, primary=True), *_names(data, primary=False)):
        for key in region_keys(name):
            owner = lookup.region_names.get(key, ident)
            lookup.region_names[key] = ident if owner == ident else None  # None: ambiguous, never used


def _add_shapes(lookup: Lookup, path: Path) -> None:
    try:
        shapes = geo.shapes_from_collection(json.loads(path.read_bytes()))
    except (OSError, ValueError, geo.GeoError) as exc:
        log.warning("%s: shapes not used for region matching: %s", path, exc)
        return
    for shape in shapes:
        if shape.id in lookup.regions:
            lookup.shapes.setdefault(shape.id, shape)


def _add_event(lookup: Lookup, path: Path) -> None:
    """Index one event file: untouched imports by their external ids alone (fast, no YAML parse)."""
    found = untouched(path)
    if found is not None and (external := _flow_external_ids(found[0])) is not None:
        lookup.add_event(path.stem, path, external)
        return  # an untouched import is nobody's curated event: no duplicate signature
    data = _parse(path)
    data = data if isinstance(data, dict) else {}
    ext = data.get("external_ids")
    external = [(str(k), str(v)) for k, v in ext.items()] if isinstance(ext, dict) else []
    lookup.add_event(path.stem, path, external)
    start, region = _start(data.get("date")), _region(data.get("location"))
    if start is None or region is None:
        return
    actors = frozenset(str(a.get("actor")) for a in data.get("actors") or () if isinstance(a, dict))
    lookup.signatures[(start, region)].append(Signature(path.stem, path, actors, "import" in data))


_EXTERNAL_LINE = re.compile(r"^external_ids: (\{.*\})$", re.M)


def _flow_external_ids(body: str) -> list[ExternalKey] | None:
    """Return the external ids of a generated body (one flow-style line), None if not found so."""
    if "\nexternal_ids:" not in body:
        return []
    m = _EXTERNAL_LINE.search(body)
    if m is None:
        return None
    try:
        ids = yaml.load(m.group(1), Loader=_Loader)
    except yaml.YAMLError:
        return None
    return [(str(k), str(v)) for k, v in ids.items()] if isinstance(ids, dict) else None


def _start(value: Any) -> date | None:
    if isinstance(value, dict):
        value = value.get("start")
    return value if isinstance(value, date) else None


def _region(value: Any) -> str | None:
    return str(value["region"]) if isinstance(value, dict) and value.get("region") else None
