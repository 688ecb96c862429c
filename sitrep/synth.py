"""Deterministic synthetic corpus for benchmarks: `synth(n, out_dir, seed)` writes a content tree.

The corpus has the shape of a real conflict tracker (14 regions, ~200 actors with skewed activity,
~50 sources, several years, readable Markdown summaries, a few briefings) in a made-up country
"XA" laid out on a grid, so nothing here assumes any real geography. Files are written with a
small YAML emitter because PyYAML's pure-Python dumper would take minutes at 100k events.
"""

from __future__ import annotations

import calendar
import json
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Any

from yaml.resolver import Resolver

from sitrep import vocab

COUNTRY = "XA"
COUNTRY_NAME = "Xandria"
FIRST_DAY = date(2017, 1, 1)
YEARS = 6
GRID_COLS, CELL_LON, CELL_LAT, ORIGIN = 7, 1.5, 1.2, (30.0, 10.0)
REGION_NAMES = ("Northmarch", "Harrowfield", "Eastvale", "Corran", "Lowmere", "Saltreach", "Dunmoor",
                "Westhold", "Brackenridge", "Ostrava Plain", "Kelvar", "Southfen", "Irongate", "Marrow Coast")
# (type, share of events, sub-types with weights) roughly as in ACLED's coding of a civil war.
TYPE_SHARES = {"Explosions/Remote violence": 52, "Battles": 25, "Violence against civilians": 9,
               "Strategic developments": 8, "Protests": 5, "Riots": 1}
_SYL = "al bar cer dun el far gal hor is jen kar lom mar nor os pel qar ros sal tor ur val wen zan".split()
_ADJ = "Free Northern Southern Eastern Western Loyal United Popular Revolutionary Independent".split()
_NOUN = "Shield Dawn Banner Lions Falcons Valley Mountain River Harvest Storm".split()
_TAGS = "checkpoint-attack convoy market hospital school bridge road-closure displacement ceasefire-breach \
night-raid prison detention water-supply power-station".split()
_FILLER = (
    "{source} reported the incident the same day, citing contacts in the area.",
    "The toll could not be independently verified, and figures may change as reports come in.",
    "The area had seen repeated incidents over the preceding weeks, according to local monitors.",
    "Humanitarian groups said access to **{place}** remained limited after the incident.",
    "Residents described damage to homes, shops and a section of the main road.",
    "Earlier reports gave a lower figure, which was later revised by {source}.",
    "No group had commented on the incident by the evening, {source} said.",
    "Medical staff at a clinic in {admin2} said they had received several wounded people.",
    "Further details were published in [a report by {source}]({url}).",
    "The road between {place} and {admin2} was closed for several hours afterwards.",
    "Local sources said families had begun leaving the outlying villages of {admin2}.",
    "{target} did not respond to requests for comment.",
    "Footage shared online appeared to show smoke rising over the eastern part of {place}.",
    "Schools in {place} were closed the following day as a precaution.",
    "A similar incident was recorded in the same district a month earlier.",
    "The incident took place near a market that is usually crowded in the morning.",
    "Aid workers warned that shortages of fuel and medicine were worsening in {region}.",
    "Several buildings, including a *mosque* and a bakery, were reported damaged.",
    "Monitors noted that communications in the area were cut for part of the day.",
    "Statements from both sides gave conflicting accounts of who fired first.",
)
_LEAD = {
    "Battles": ("Fighters of {perp} clashed with {target} on the outskirts of {place}, in {region}.",
                "{perp} said it had taken several positions near {place}, a claim {target} denied."),
    "Explosions/Remote violence": (
        "A {sub} hit a residential area of {place}, in {region}; {perp} was blamed.",
        "{perp} carried out a {sub} on positions held by {target} near {place}."),
    "Violence against civilians": (
        "Gunmen believed to belong to {perp} attacked civilians in {place}, {region}.",
        "Residents of {place} accused {perp} of abducting people at a checkpoint."),
    "Protests": ("Hundreds of residents gathered in the main square of {place} to protest against {perp}.",
                 "A protest in {place} called for the release of detainees held by {perp}."),
    "Riots": ("A crowd set fire to tyres and blocked roads in {place} after an arrest by {perp}.",),
    "Strategic developments": ("{perp} and {target} reached a local arrangement over {place}, in {region}.",
                               "{perp} was reported to have moved reinforcements towards {place}."),
}
_TOLL = ("{source} said {best} people were killed.", "At least {best} people died, according to {source}.")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/()'-]*$")
_ESCAPE = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]")
# A literal block (|-) keeps text exactly when it starts and ends with a visible character and holds
# nothing YAML reads as a line break or refuses as non-printable.
_BAD_IN_BLOCK = r"\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" r"\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff"
_MULTILINE_OK = re.compile(rf"^(?=\S)[^{_BAD_IN_BLOCK}]*(?<=\S)$", re.S)


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What `synth` wrote, and how long it took."""

    out_dir: Path
    events: int
    actors: int
    regions: int
    sources: int
    briefings: int
    first_date: date
    last_date: date
    files: int
    bytes: int
    seconds: float

    def __str__(self) -> str:
        return (f"{self.events} events ({self.first_date} to {self.last_date}), {self.actors} actors, "
                f"{self.regions} regions, {self.sources} sources, {self.briefings} briefings: "
                f"{self.files} files, {self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s")


# --- YAML emitter ---------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    """Return `value` as a YAML scalar that loads back as exactly the same value."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is int or kind is date:
        return value.isoformat() if kind is date else repr(value)
    if value is None or kind is bool:
        return "null" if value is None else "true" if value else "false"
    if kind is float:
        return _float(value)
    return _text(str(value))


def _float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return ".nan" if value != value else ".inf" if value > 0 else "-.inf"
    text = repr(value)
    # YAML 1.1 floats need a dot: '1e+20' would read back as text.
    return text if "." in text else text.replace("e", ".0e", 1)


@lru_cache(maxsize=8192)
def _text(text: str) -> str:
    if _PLAIN.fullmatch(text) and not text.endswith(" ") and not _resolves(text):
        return text
    # JSON strings are YAML double-quoted scalars, once the characters YAML reads as line breaks or
    # refuses as non-printable are escaped too.
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _resolves(text: str) -> bool:
    """Return True when YAML would read the plain scalar `text` as something other than a string."""
    return any(regexp.match(text) for _tag, regexp in Resolver.yaml_implicit_resolvers.get(text[0], ()))


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join([_flow(v) for v in value]) + "]"
    return _scalar(value)


def _short(value: Any) -> bool:
    """Return True for what reads best on one line: a flat mapping of up to 3 keys, or a scalar."""
    if not isinstance(value, dict):
        return True
    return len(value) <= 3 and not any(isinstance(v, dict | list | tuple) or (type(v) is str and "\n" in v)
                                       for v in value.values())


def _block(mapping: Mapping[str, Any], indent: str, out: list[str]) -> None:
    for key, value in mapping.items():
        key = _text(str(key))
        if type(value) is str and "\n" in value and _MULTILINE_OK.fullmatch(value):
            out.append(f"{indent}{key}: |-")
            out.extend([f"{indent}  {line}" if line else "" for line in value.split("\n")])
        elif isinstance(value, dict) and value and not _short(value):
            out.append(f"{indent}{key}:")
            _block(value, indent + "  ", out)
        elif isinstance(value, list | tuple) and value and all(isinstance(v, dict) and v for v in value):
            out.append(f"{indent}{key}:")
            for item in value:
                _item(item, indent, out)
        else:
            out.append(f"{indent}{key}: {_flow(value)}")


def _item(item: Mapping[str, Any], indent: str, out: list[str]) -> None:
    if _short(item):
        out.append(f"{indent}  - {_flow(item)}")
        return
    first = len(out)
    _block(item, indent + "    ", out)
    out[first] = f"{indent}  - {out[first].lstrip()}"


def to_yaml(mapping: Mapping[str, Any]) -> str:
    """Return block-style YAML for a mapping of scalars, flat mappings and lists (flow style inside)."""
    out: list[str] = []
    _block(mapping, "", out)
    return "\n".join(out) + "\n" if out else "{}\n"


# --- Reference data: regions, places, actors, sources ---------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _zipf(n: int, s: float = 1.1) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** s for rank in range(n)))


@dataclass(frozen=True, slots=True)
class _Place:
    name: str
    admin2: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class _World:
    """Everything events are drawn from."""

    regions: tuple[tuple[str, str, tuple[float, float, float, float]], ...]  # id, name, bbox
    places: tuple[tuple[_Place, ...], ...]  # per region
    armed: tuple[tuple[str, str], ...]  # (id, name), in activity rank order
    local: Mapping[tuple[str, int], tuple[str, str]]  # (kind, region index) -> actor
    sources: tuple[tuple[str, str, str], ...]  # (id, name, kind), in activity rank order
    armed_cum: list[float]
    source_cum: list[float]
    actor_docs: Mapping[str, dict[str, Any]]
    source_docs: Mapping[str, dict[str, Any]]


def _name(rng: Random, taken: set[str]) -> str:
    while True:
        name = (rng.choice(_SYL) + rng.choice(_SYL) + rng.choice(("", "a", "en", "ir"))).capitalize()
        if name not in taken:
            taken.add(name)
            return name


def _regions(rng: Random, names: set[str]) -> tuple[tuple[Any, ...], tuple[tuple[_Place, ...], ...]]:
    regions, places = [], []
    for i, rname in enumerate(REGION_NAMES):
        x0 = ORIGIN[0] + (i % GRID_COLS) * CELL_LON
        y0 = ORIGIN[1] + (i // GRID_COLS) * CELL_LAT
        bbox = (x0, y0, x0 + CELL_LON, y0 + CELL_LAT)
        districts = [_name(rng, names) for _ in range(3)]
        places.append(tuple(_Place(_name(rng, names), rng.choice(districts),
                                   round(rng.uniform(x0 + 0.1, x0 + CELL_LON - 0.1), 4),
                                   round(rng.uniform(y0 + 0.1, y0 + CELL_LAT - 0.1), 4)) for _ in range(24)))
        regions.append((f"{COUNTRY}-{i + 1:02d}", rname, bbox))
    return tuple(regions), tuple(places)


def _armed_names(rng: Random, names: set[str]) -> Iterator[tuple[str, str]]:
    for n in range(1, 9):
        yield f"{COUNTRY_NAME} Army {n}th Division", "state-forces"
    yield f"Police Forces of {COUNTRY_NAME}", "state-forces"
    yield f"Air Force of {COUNTRY_NAME}", "state-forces"
    for _ in range(90):
        name = rng.choice((f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} Brigade",
                           f"Army of the {rng.choice(_NOUN)}", f"{_name(rng, names)} Liberation Front"))
        yield name, "rebel-group"
    for _ in range(30):
        yield f"{_name(rng, names)} Defence Units", "political-militia"
    for _ in range(20):
        yield f"{_name(rng, names)} Clan Militia", "identity-militia"
    for _ in range(8):
        yield rng.choice(("Unidentified Armed Group", f"{_name(rng, names)} Contractors",
                          f"Military Forces of {_name(rng, names)}")), "external-other"


def _actors(rng: Random, names: set[str], regions: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    taken: set[str] = set()
    docs: dict[str, dict[str, Any]] = {}
    armed = []
    for name, kind in _armed_names(rng, names):
        aid = _unique(_slug(name), taken)
        armed.append((aid, name))
        doc: dict[str, Any] = {"name": name, "kind": kind}
        if rng.random() < 0.3:
            doc["aliases"] = ["".join(w[0] for w in name.split() if w[0].isupper())]
        if armed and rng.random() < 0.1 and len(armed) > 1:
            doc["affiliations"] = [armed[rng.randrange(len(armed) - 1)][0]]
        since = 2010 + rng.randrange(8)
        doc["description"] = f"Active in {COUNTRY_NAME} since {since} ({kind.replace('-', ' ')})."
        docs[aid] = doc
    rng.shuffle(armed)  # activity rank is independent of the generation order
    local = {}
    for kind, label in (("civilians", "Civilians"), ("protesters", "Protesters"), ("rioters", "Rioters")):
        for i, (_rid, rname, _bbox) in enumerate(regions):
            name = f"{label} ({rname})"
            aid = _unique(_slug(name), taken)
            local[(kind, i)] = (aid, name)
            docs[aid] = {"name": name, "kind": kind, "description": f"{label} in {rname}."}
    return tuple(armed), local, docs


def _sources(rng: Random, names: set[str]) -> tuple[tuple[tuple[str, str, str], ...], dict[str, Any]]:
    patterns = (("{p} Observatory for Human Rights", "monitor"), ("{a} News Agency", "news-agency"),
                ("The {p} Herald", "newspaper"), ("{p} Daily", "newspaper"),
                ("Ministry of Information of {p}", "government"), ("{p} Media Office", "armed-group-media"),
                ("UN Office in {p}", "un-agency"), ("{a} Relief Network", "ngo"))
    taken: set[str] = set()
    out, docs = [], {}
    for i in range(50):
        pattern, kind = patterns[i % len(patterns)]
        name = pattern.format(p=_name(rng, names), a=rng.choice(_ADJ))
        sid = _unique(_slug(name), taken)
        out.append((sid, name, kind))
        docs[sid] = {"name": name, "kind": kind, "url": f"https://{sid}.example.org/",
                     "reliability": rng.choice(vocab.RELIABILITY_GRADES[:5]),
                     "description": f"A {kind.replace('-', ' ')} reporting on {COUNTRY_NAME}."}
    rng.shuffle(out)
    return tuple(out), docs


def _world(rng: Random) -> _World:
    names: set[str] = set()
    regions, places = _regions(rng, names)
    armed, local, actor_docs = _actors(rng, names, regions)
    sources, source_docs = _sources(rng, names)
    return _World(regions, places, armed, local, sources, _zipf(len(armed)), _zipf(len(sources), 0.9),
                  actor_docs, source_docs)


def synth(n_events: int, out_dir: Path, seed: int = 1) -> SynthSummary:
    """Write a synthetic content tree of `n_events` events into `out_dir` (which must be empty or absent)."""
    if n_events < 1:
        raise ValueError("n_events must be at least 1")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; synth writes into a new directory only")
    started = time.perf_counter()
    rng = Random(seed)
    world = _world(rng)
    files, size = _write_reference(world, out_dir)
    ev_files, ev_size, n_brief, first, last = _write_events(world, n_events, out_dir, rng)
    return SynthSummary(out_dir, n_events, len(world.actor_docs), len(world.regions), len(world.sources),
                        n_brief, first, last, files + ev_files, size + ev_size, time.perf_counter() - started)


class _Writer:
    """Writes files on a background thread: file creation is I/O-bound and releases the GIL, so it
    overlaps with generating the next events (measured at 100k events: 17.5 s instead of 23 s)."""

    BATCH = 512

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1)
        self._batch: list[tuple[str, bytes]] = []
        self._pending: list[Future[None]] = []

    def __enter__(self) -> _Writer:
        return self

    def put(self, path: str, data: bytes) -> None:
        self._batch.append((path, data))
        if len(self._batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if len(self._pending) > 2:  # bound memory: at most a few batches in flight
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(_write_batch, self._batch))
        self._batch = []

    def __exit__(self, *exc: object) -> None:
        self._flush()
        for future in self._pending:
            future.result()  # re-raises a write error in the caller
        self._pool.shutdown()


def _write_batch(batch: Sequence[tuple[str, bytes]]) -> None:
    for path, data in batch:
        with open(path, "wb") as fh:
            fh.write(data)


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _write_reference(world: _World, out: Path) -> tuple[int, int]:
    """Write regions, geo, actors, sources and pages; return (files, bytes)."""
    for sub in ("regions", "geo", "actors", "sources", "pages", "briefings", "events"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    size = files = 0
    features = []
    for rid, name, (x0, y0, x1, y1) in world.regions:
        size += _write(out / "regions" / f"{rid}.yaml", to_yaml(
            {"name": name, "alt_names": [name.split()[0]], "country": COUNTRY, "iso_3166_2": rid}))
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]  # counter-clockwise, as RFC 7946 asks
        features.append({"type": "Feature", "id": rid, "properties": {"name": name, "iso_3166_2": rid},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
        files += 1
    size += _write(out / "geo" / f"{COUNTRY.lower()}-admin1.geojson",
                   json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")))
    for folder, docs in (("actors", world.actor_docs), ("sources", world.source_docs)):
        for doc_id, doc in docs.items():
            size += _write(out / folder / f"{doc_id}.yaml", to_yaml(doc))
            files += 1
    for page, text in (("about", "A synthetic corpus for benchmarking Sitrep."),
                       ("methodology", "Events, actors and sources here are generated and fictional.")):
        size += _write(out / "pages" / f"{page}.md", f"# {page.capitalize()}\n\n{text}\n")
        files += 1
    return files + 1, size


# --- Events and briefings -------------------------------------------------------------------------

SUB_WEIGHTS = {"Shelling/artillery/missile attack": 45, "Air/drone strike": 35,
               "Remote explosive/landmine/IED": 14, "Chemical weapon": 0.2,
               "Armed clash": 80, "Attack": 60, "Peaceful protest": 70,
               "Abduction/forced disappearance": 25, "Looting/property destruction": 10, "Arrests": 10}
_PREP = {"Battles": "near", "Explosions/Remote violence": "on", "Strategic developments": "near"}
_LETHAL = ("Battles", "Explosions/Remote violence", "Violence against civilians")
_TYPES = tuple(TYPE_SHARES)
_TYPE_CUM = list(accumulate(TYPE_SHARES.values()))
_SUBS = {t: (subs, list(accumulate(SUB_WEIGHTS.get(s, 3) for s in subs)))
         for t, subs in vocab.EVENT_TYPES.items()}
_ASSESS = ("reported", "corroborated", "confirmed", "claimed")


@dataclass(frozen=True, slots=True)
class _Skel:
    """The part of an event fixed before any is written: ids, titles and dates others refer to."""

    id: str
    title: str
    start: date
    end: date
    precision: str
    region: int
    place: _Place
    etype: str
    sub: str
    perp: tuple[str, str]
    target: tuple[str, str] | None
    status: str
    redirect: str | None


def _dates(rng: Random, n: int) -> list[tuple[date, date, str]]:
    """Return n date ranges, sorted, with monthly intensity rising and falling in waves."""
    months = [(FIRST_DAY.year + m // 12, m % 12 + 1) for m in range(YEARS * 12)]
    cum = list(accumulate(1.2 + math.sin(m / 3.0) + rng.random() * 0.6 for m in range(len(months))))
    out = []
    for year, month in rng.choices(months, cum_weights=cum, k=n):
        days = calendar.monthrange(year, month)[1]
        roll = rng.random()
        if roll < 0.03:
            out.append((date(year, month, 1), date(year, month, days), "month"))
        else:
            start = date(year, month, rng.randint(1, days))
            week = roll < 0.08
            out.append((start, start + timedelta(days=6) if week else start, "week" if week else "day"))
    out.sort()
    return out


def _parties(rng: Random, w: _World, etype: str, region: int) -> tuple[Any, Any]:
    """Return (perpetrator, target or None) as (id, name) pairs; armed actors by skewed activity."""
    perp, other = rng.choices(w.armed, cum_weights=w.armed_cum, k=2)
    other = None if other == perp else other
    if etype in ("Protests", "Riots"):
        kind = "protesters" if etype == "Protests" else "rioters"
        return w.local[(kind, region)], other if rng.random() < 0.4 else None
    if etype == "Violence against civilians" or (etype in _LETHAL and rng.random() < 0.4):
        return perp, w.local[("civilians", region)]
    return perp, other if etype == "Battles" or rng.random() < 0.5 else None


def _skeletons(rng: Random, w: _World, n: int) -> list[_Skel]:
    region_cum = _zipf(len(w.regions), 0.7)
    taken: set[str] = set()
    out = []
    for start, end, precision in _dates(rng, n):
        etype = rng.choices(_TYPES, cum_weights=_TYPE_CUM)[0]
        subs, cum = _SUBS[etype]
        sub = rng.choices(subs, cum_weights=cum)[0]
        region = rng.choices(range(len(w.regions)), cum_weights=region_cum)[0]
        place = rng.choice(w.places[region])
        eid = _unique(f"{start.isoformat()}-{_slug(place.name)}-{_slug(sub)}", taken)
        redirect = None
        if rng.random() < 0.003:
            redirect = _unique(f"{start.isoformat()}-{_slug(place.name)}-incident", taken)
        roll = rng.random()
        status = "draft" if roll < 0.015 else "retracted" if roll < 0.019 else \
            "superseded" if roll < 0.023 else "published"
        perp, target = _parties(rng, w, etype, region)
        title = f"{sub} {_PREP.get(etype, 'in')} {place.name}"
        out.append(_Skel(eid, title, start, end, precision, region, place, etype, sub, perp, target, status,
                         redirect))
    return out


def _fatalities(rng: Random, etype: str, n_sources: int) -> dict[str, Any] | None:
    if (etype not in _LETHAL and not (etype == "Riots" and rng.random() < 0.1)) or rng.random() < 0.25:
        return None
    best = int(rng.expovariate(0.2)) * (10 if rng.random() < 0.02 else 1)
    low = high = best
    if n_sources > 1 and best > 2 and rng.random() < 0.3:
        low, high = best - rng.randint(1, best // 2 + 1), best + rng.randint(1, best // 2 + 1)
        low = max(low, 0)
    out: dict[str, Any] = {"low": low, "best": best, "high": high}
    if best and rng.random() < 0.25:
        a = rng.randint(0, best)
        b = rng.randint(0, best - a)
        out["breakdown"] = {"side_a": a, "side_b": b, "civilians": best - a - b}
    return out


def _source_refs(rng: Random, w: _World, sk: _Skel, fat: dict[str, Any] | None) -> list[dict[str, Any]]:
    ranged = fat is not None and fat["low"] != fat["high"]
    k = rng.choice((2, 3)) if ranged else rng.choices((1, 2, 3), cum_weights=(55, 85, 100))[0]
    chosen: list[tuple[str, str, str]] = []
    while len(chosen) < k:
        src = rng.choices(w.sources, cum_weights=w.source_cum)[0]
        if src not in chosen:
            chosen.append(src)
    refs = []
    tolls = (fat["best"], fat["low"], fat["high"]) if fat else ()
    for i, (sid, _name, _kind) in enumerate(chosen):
        ref: dict[str, Any] = {"source": sid, "url": f"https://{sid}.example.org/{sk.start.year}/{sk.id}",
                               "published": sk.end + timedelta(days=rng.randint(0, 2))}
        supports = ["actors", "location", "date"] if i == 0 else ["actors"]
        if fat and i < 3:
            supports.append("fatalities")
            ref["fatalities"] = tolls[i]
        ref["supports"] = supports
        refs.append(ref)
    return refs


def _summary(rng: Random, w: _World, sk: _Skel, fat: dict[str, Any] | None, src: dict[str, Any]) -> str:
    fill = {"perp": sk.perp[1], "target": sk.target[1] if sk.target else "local forces",
            "place": sk.place.name, "admin2": sk.place.admin2, "region": w.regions[sk.region][1],
            "sub": sk.sub.lower(), "source": w.source_docs[src["source"]]["name"], "url": src["url"],
            "best": fat["best"] if fat else 0}
    sentences = [rng.choice(_LEAD[sk.etype]).format(**fill)]
    if fat:
        sentences.append(rng.choice(_TOLL).format(**fill) if fat["best"] else "No deaths were reported.")
    target, words = rng.randint(80, 200), sum(len(s.split()) for s in sentences)
    fillers = rng.sample(_FILLER, len(_FILLER))
    while words < target:
        sentence = fillers[len(sentences) % len(fillers)].format(**fill)
        sentences.append(sentence)
        words += len(sentence.split())
    third = max(1, len(sentences) // 3)
    paras = [" ".join(sentences[i:i + third]) for i in range(0, len(sentences), third)]
    return "\n\n".join(paras)


def _event_doc(rng: Random, w: _World, sk: _Skel, successor: str | None, serial: int) -> dict[str, Any]:
    fat = _fatalities(rng, sk.etype, 3)
    refs = _source_refs(rng, w, sk, fat)
    if fat is None:
        refs = refs[:1]
    doc: dict[str, Any] = {"title": sk.title, "status": sk.status}
    if sk.status == "superseded" and successor:
        doc["superseded_by"] = successor
    elif sk.status == "superseded":
        doc["status"] = "published"
    doc["date"] = {"start": sk.start, "end": sk.end, "precision": sk.precision}
    doc["event_type"], doc["sub_event_type"] = sk.etype, sk.sub
    if sk.etype in _LETHAL and rng.random() < 0.3:
        doc["ucdp_type_of_violence"] = 3 if sk.etype == "Violence against civilians" else 1
    doc["actors"] = [{"actor": sk.perp[0], "role": "perpetrator"}]
    if sk.target:
        doc["actors"].append({"actor": sk.target[0], "role": "target"})
    precision = rng.choices((1, 2, 3), cum_weights=(70, 95, 100))[0]
    loc: dict[str, Any] = {"country": COUNTRY, "region": w.regions[sk.region][0], "admin2": sk.place.admin2,
                           "place": sk.place.name}
    if precision < 3:
        loc["lat"] = round(sk.place.lat + rng.uniform(-0.05, 0.05), 4)
        loc["lon"] = round(sk.place.lon + rng.uniform(-0.05, 0.05), 4)
    loc["geo_precision"] = precision
    doc["location"] = loc
    if fat:
        doc["fatalities"] = fat
    if sk.etype != "Protests" and sk.perp[0] in w.actor_docs and rng.random() < 0.08:
        doc["claims"] = [{"by": sk.perp[0], "channel": f"{sk.perp[1]} statement", "date": sk.start,
                          "source": refs[0]["source"]}]
        refs[0]["supports"].append("claims")
    doc["sources"] = refs
    doc["assessment"] = "contested" if fat and fat["low"] != fat["high"] else \
        rng.choices(_ASSESS, cum_weights=(50, 75, 90, 100))[0]
    doc["summary"] = _summary(rng, w, sk, fat, refs[0])
    if rng.random() < 0.4:
        doc["tags"] = rng.sample(_TAGS, rng.randint(1, 2))
    if rng.random() < 0.25:
        doc["external_ids"] = {"ucdp_ged": 400000 + serial, "acled": f"XAA{serial:06d}"}
    if sk.status in ("retracted", "superseded") or rng.random() < 0.06:
        note = {"retracted": "Retracted: the only report was withdrawn by its source.",
                "superseded": "Merged into a fuller record of the same incident."}.get(
                    doc["status"], "Toll and sources updated after a later report.")
        doc["revisions"] = [{"date": sk.end + timedelta(days=rng.randint(1, 20)), "note": note}]
    if sk.redirect:
        doc["redirect_from"] = [sk.redirect]
    return doc


def _briefing(w: _World, skels: Sequence[_Skel], year: int, month: int) -> tuple[str, str] | None:
    """Return (id, text) of a monthly briefing on the busiest region of a month, citing its events."""
    in_month = [s for s in skels if s.start.year == year and s.start.month == month]
    in_month = [s for s in in_month if s.status == "published"]
    if not in_month:
        return None
    region = max(range(len(w.regions)), key=lambda r: sum(s.region == r for s in in_month))
    cited = [s for s in in_month if s.region == region]
    cited = cited[:: max(1, len(cited) // 6)][:6]
    rid, rname, _ = w.regions[region]
    actors = list(dict.fromkeys(s.perp[0] for s in cited))[:2]
    front = {"title": f"{COUNTRY_NAME}: {rname}, {calendar.month_name[month]} {year}",
             "from": date(year, month, 1), "to": date(year, month, calendar.monthrange(year, month)[1]),
             "regions": [rid], "actors": actors, "author": "Synthetic editors", "status": "published",
             "summary": f"The month's main events in {rname}."}
    lines = ["## Overview", "", f"Violence in {rname} continued through {calendar.month_name[month]}, with "
             "incidents reported across several districts. The entries below are the events editors "
             "judged most significant.", "", "## Key events", ""]
    lines += [f"- {s.title} ([[{s.id}]])." for s in cited]
    lines += ["", "## Outlook", "", "Monitors expect the pattern to continue while access for reporters "
              "stays limited."]
    body = "\n".join(lines)
    return f"{year}-{month:02d}-{rid.lower()}-monthly", f"---\n{to_yaml(front)}---\n\n{body}\n"


def _write_events(w: _World, n: int, out: Path, rng: Random) -> tuple[int, int, int, date, date]:
    """Write events and briefings; return (files, bytes, briefings, first day, last day)."""
    skels = _skeletons(rng, w, n)
    size = 0
    for year in sorted({s.start.year for s in skels}):
        (out / "events" / str(year)).mkdir(parents=True, exist_ok=True)
    folder = str(out / "events")
    with _Writer() as writer:
        for i, sk in enumerate(skels):
            successor = None
            if sk.status == "superseded":
                successor = next((s.id for s in skels[i + 1:i + 50] if s.status == "published"), None)
            data = to_yaml(_event_doc(rng, w, sk, successor, i)).encode("utf-8")
            writer.put(f"{folder}/{sk.start.year}/{sk.id}.yaml", data)
            size += len(data)
    n_brief = 0
    for k in range(3 + n // 20000):
        m = (k + 1) * YEARS * 12 // (4 + n // 20000)
        made = _briefing(w, skels, FIRST_DAY.year + m // 12, m % 12 + 1)
        if made:
            size += _write(out / "briefings" / f"{made[0]}.md", made[1])
            n_brief += 1
    return n + n_brief, size, n_brief, skels[0].start, max(s.end for s in skels)
