"""JSON Schema: the committed files are current, content passes them, and schema and validator agree."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sitrep import schema, vocab
from sitrep.fields import SAFE_URL, SLUG
from sitrep.load import KeyPath, RawDocument, load
from sitrep.validate import _COUNTRY, check
from sitrep.validate_event import EVENT_KEYS
from tests.conftest import BUNDLED, MINIMAL, ROOT

KIND_OF = {"events": "event", "actors": "actor", "regions": "region", "sources": "source",
           "briefings": "briefing"}
SCHEMAS = schema.schemas()
ATTACK = "2019-04-13-aleppo-western-checkpoints-attack"
PROBE = "zzqqxxjj"  # an unknown key no known key resembles, so the validator lists every known key


def as_json(value: Any) -> Any:
    """Return `value` as yaml-language-server sees it: YAML dates are plain strings there."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


@cache
def _json_validator(kind: str) -> jsonschema.Draft202012Validator:
    # The format checker makes "format": "date" an assertion, as editors treat it.
    return jsonschema.Draft202012Validator(SCHEMAS[kind], format_checker=jsonschema.FormatChecker())


def schema_errors(kind: str, data: Any) -> list[str]:
    """Return '<json path>: message' for each schema error of `data`."""
    return [f"{e.json_path}: {e.message[:120]}" for e in _json_validator(kind).iter_errors(as_json(data))]


@pytest.fixture(scope="module")
def minimal_docs() -> tuple[RawDocument, ...]:
    return load(MINIMAL)


def _doc(docs: tuple[RawDocument, ...], kind: str, doc_id: str | None = None) -> RawDocument:
    return next(d for d in docs if d.kind == kind and (doc_id is None or d.id == doc_id))


def validator_errors(docs: tuple[RawDocument, ...], target: RawDocument, data: Any) -> list[str]:
    """Return the validator's errors in `target` when its data is replaced by `data`."""
    changed = tuple(dataclasses.replace(d, data=data) if d is target else d for d in docs)
    return [f"{p.message} ({p.hint})" for p in check(changed).problems
            if p.path == target.path and p.severity == "error"]


# -- (1) the committed files are what the code generates --------------------------------------------

def test_committed_schemas_are_current() -> None:
    """A vocabulary or rule change without regenerating schemas/ fails here, saying how to fix it."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "schemas").glob("*")}
    expected = {schema.filename(kind): schema.dumps(doc) for kind, doc in SCHEMAS.items()}
    stale = sorted(n for n in committed.keys() | expected.keys() if committed.get(n) != expected.get(n))
    assert not stale, f"schemas/ is out of date ({', '.join(stale)}): run `{schema.REGENERATE}` and commit it"


def test_write_schemas_and_site_files(tmp_path: Path) -> None:
    """write_schemas and the site stage produce the same bytes: valid 2020-12 schemas, stable JSON."""
    written = schema.write_schemas(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(f"{k}.schema.json" for k in schema.KINDS)
    site = {f.path: f.data for f in schema.iter_files(None, None, None)}  # type: ignore[arg-type]
    assert sorted(site) == sorted(f"schemas/{p.name}" for p in written)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert site[f"schemas/{path.name}"] == text.encode("utf-8")
        assert text.endswith("}\n") and "\r" not in text
        doc = json.loads(text)
        jsonschema.Draft202012Validator.check_schema(doc)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema.write_schemas(tmp_path / "out") == written  # idempotent, and overwrites in place


def _properties(node: Any, at: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, property schema) for every property of every object in a schema."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{at}/{name}", sub
        for key, sub in node.items():
            if key not in ("if", "not"):  # conditions restate properties without describing them
                yield from _properties(sub, f"{at}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{at}/{i}")


def test_every_property_has_a_description() -> None:
    """Hover help: each field an editor can complete explains itself."""
    undescribed = [f"{kind}{at}" for kind, doc in SCHEMAS.items() for at, prop in _properties(doc)
                   if at.split("/")[-2] == "properties" and "/allOf/" not in at
                   and not prop.get("description")]
    assert undescribed == []


def test_enums_come_from_the_vocabularies() -> None:
    event = SCHEMAS["event"]["properties"]
    assert event["event_type"]["enum"] == list(vocab.EVENT_TYPES)
    assert sorted(event["sub_event_type"]["enum"]) == sorted(vocab.SUB_EVENT_TYPES)
    assert event["status"]["enum"] == list(vocab.STATUSES)
    assert event["assessment"]["enum"] == list(vocab.ASSESSMENTS)
    assert event["actors"]["items"]["properties"]["role"]["enum"] == list(vocab.ROLES)
    supports = event["sources"]["items"]["properties"]["supports"]
    assert supports["items"]["enum"] == list(vocab.SUPPORTABLE_FIELDS)
    assert SCHEMAS["actor"]["properties"]["kind"]["enum"] == list(vocab.ACTOR_KINDS)
    assert SCHEMAS["source"]["properties"]["reliability"]["enum"] == list(vocab.RELIABILITY_GRADES)
    assert SCHEMAS["briefing"]["properties"]["status"]["enum"] == list(vocab.BRIEFING_STATUSES)


# -- (2) every content file passes its schema ---------------------------------------------------

@pytest.mark.parametrize("tree", [BUNDLED, MINIMAL], ids=["bundled", "minimal"])
def test_content_validates_against_schemas(tree: Path) -> None:
    docs = [d for d in load(tree) if d.kind in KIND_OF]
    assert {d.kind for d in docs} == set(KIND_OF)  # every schema is exercised by real files
    errors = [f"{d.path}: {e}" for d in docs for e in schema_errors(KIND_OF[d.kind], d.data)]
    assert errors == []


# -- (3) what the validator rejects, the schema rejects ------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: KeyPath, value: Any) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return apply


def _drop(key: str) -> Mutation:
    return lambda data: data.pop(key)


BROKEN_EVENTS: dict[str, Mutation] = {
    "unknown field": _set(("casualties",), 13),
    "unknown nested field": _set(("location", "city"), "Aleppo"),
    "missing required field": _drop("summary"),
    "bad status": _set(("status",), "publish"),
    "bad role": _set(("actors", 0, "role"), "attacker"),
    "sub-type of another type": _set(("sub_event_type",), "Air/drone strike"),
    "unknown sub-type": _set(("sub_event_type",), "Skirmish"),
    "negative fatalities": _set(("fatalities", "best"), -1),
    "negative breakdown": _set(("fatalities", "breakdown", "side_a"), -2),
    "fractional source toll": _set(("sources", 0, "fatalities"), 12.5),
    "javascript: URL": _set(("sources", 0, "url"), "javascript:alert(1)"),
    "bad id pattern": _set(("id",), "Bad_Id"),
    "bad tag": _set(("tags",), ["Checkpoint Attack"]),
    "bad region code": _set(("location", "region"), "Aleppo"),
    "latitude out of range": _set(("location", "lat"), 136.2),
    "lat without lon": lambda d: d["location"].pop("lon"),
    "no coordinates at geo_precision 2": lambda d: [d["location"].pop(k) for k in ("lat", "lon")],
    "impossible date": _set(("date", "start"), "2019-02-30"),
    "unsupportable field": _set(("sources", 0, "supports"), ["casualties"]),
    "title on two lines": _set(("title",), "Attack\non checkpoints"),
    "blank title": _set(("title",), "   "),
    "control character": _set(("location", "place"), "western\x07edges"),
    "raw HTML in summary": _set(("summary",), "Killed <b>13</b>."),
    "superseded without successor": _set(("status",), "superseded"),
    "successor while published": _set(("superseded_by",), "2019-04-11-homs-eastern-desert-attacks"),
    "published without sources": lambda d: [d.pop(k) for k in ("sources", "fatalities")],
    "toll no source backs": lambda d: [s.pop(k) for s in d["sources"] for k in ("supports", "fatalities")],
    "bad ucdp type": _set(("ucdp_type_of_violence",), 4),
    "bad import hash": _set(("import",), {"source": "ucdp", "sha256": "abc"}),
    "bad import source": _set(("import",), {"source": "gdelt", "sha256": "0" * 64}),
}


@pytest.mark.parametrize("mutate", list(BROKEN_EVENTS.values()), ids=list(BROKEN_EVENTS))
def test_broken_event_rejected_by_both(minimal_docs: tuple[RawDocument, ...], mutate: Mutation) -> None:
    target = _doc(minimal_docs, "events", ATTACK)
    assert validator_errors(minimal_docs, target, target.data) == []
    assert schema_errors("event", target.data) == []
    data = copy.deepcopy(target.data)
    mutate(data)
    assert validator_errors(minimal_docs, target, data), "the validator accepts it"
    assert schema_errors("event", data), "the schema accepts it"


BROKEN_OTHERS: dict[str, tuple[str, Mutation]] = {
    "actor: bad kind": ("actors", _set(("kind",), "militia")),
    "actor: unknown field": ("actors", _set(("website",), "https://example.org/")),
    "actor: bad affiliation id": ("actors", _set(("affiliations",), ["Syrian Army"])),
    "actor: import with codes": ("actors", _set(("import",), {"source": "acled", "sha256": "0" * 64,
                                                               "codes": {"inter1": 1}})),
    "region: bad country": ("regions", _set(("country",), "Syria")),
    "region: missing iso code": ("regions", _drop("iso_3166_2")),
    "source: ftp URL": ("sources", _set(("url",), "ftp://example.org/")),
    "source: bad grade": ("sources", _set(("reliability",), "G")),
    "source: raw HTML": ("sources", _set(("description",), "A <script>monitor</script>.")),
    "briefing: missing to": ("briefings", _drop("to")),
    "briefing: bad status": ("briefings", _set(("status",), "superseded")),
    "briefing: bad date": ("briefings", _set(("from",), "7 April 2019")),
}


@pytest.mark.parametrize(("kind", "mutate"), list(BROKEN_OTHERS.values()), ids=list(BROKEN_OTHERS))
def test_broken_document_rejected_by_both(minimal_docs: tuple[RawDocument, ...], kind: str,
                                          mutate: Mutation) -> None:
    target = _doc(minimal_docs, kind)
    data = copy.deepcopy(target.data)
    mutate(data)
    assert validator_errors(minimal_docs, target, data), "the validator accepts it"
    assert schema_errors(KIND_OF[kind], data), "the schema accepts it"


def test_published_with_empty_sources_rejected_by_both(minimal_docs: tuple[RawDocument, ...]) -> None:
    target = _doc(minimal_docs, "events", ATTACK)
    data = {k: v for k, v in copy.deepcopy(target.data).items() if k != "fatalities"} | {"sources": []}
    assert schema_errors("event", data)
    assert validator_errors(minimal_docs, target, data)


def test_sub_types_checked_against_their_type() -> None:
    """Every (type, sub-type) pair: the schema accepts exactly the ACLED codebook's pairs."""
    base = {"title": "t", "status": "draft", "date": "2019-04-13", "assessment": "reported", "summary": "s",
            "location": {"country": "SY", "region": "SY-HL", "geo_precision": 3}}
    for event_type, own in vocab.EVENT_TYPES.items():
        for sub in vocab.SUB_EVENT_TYPES:
            errors = schema_errors("event", {**base, "event_type": event_type, "sub_event_type": sub})
            assert (errors == []) == (sub in own), (event_type, sub, errors)


def test_patterns_match_the_validator_regexes() -> None:
    """The hand-translated patterns (no flags, no \\Z in JSON Schema) accept what the validator does."""
    urls = ["https://example.org/a?b=1", "HTTP://EXAMPLE.ORG", "http://x", "javascript:alert(1)", "ftp://x.org",
            "https:// spaced", "https://a b", "http://.x", "//example.org", "mailto:a@b.org", "https://x/\u00e9"]
    for url in urls:
        assert bool(re.search(schema.SAFE_URL_PATTERN, url)) == bool(SAFE_URL.match(url)), url
    for code in ["SY", "sy", "SYR", "S", "S1", "US"]:
        assert bool(re.search(schema.COUNTRY_PATTERN, code)) == bool(_COUNTRY.match(code)), code
    for slug in ["a", "a-b", "-a", "a-", "A", "a" * 100, "a" * 101, "2019-04-13-x", "a_b", "é"]:
        assert bool(re.search(schema.ecma(SLUG), slug)) == bool(SLUG.match(slug)), slug


# -- (4) the keys each object allows are the validator's -------------------------------------------

# Where an object sits in a document of each kind; the validator is asked what keys it knows there.
OBJECTS: list[tuple[str, KeyPath]] = [
    ("events", ()), ("events", ("date",)), ("events", ("actors", 0)), ("events", ("location",)),
    ("events", ("fatalities",)), ("events", ("fatalities", "breakdown")), ("events", ("claims", 0)),
    ("events", ("figures", 0)), ("events", ("sources", 0)), ("events", ("revisions", 0)),
    ("events", ("import",)), ("actors", ()), ("actors", ("import",)), ("regions", ()), ("sources", ()),
    ("sources", ("import",)), ("briefings", ()),
]


def _with_probe(data: dict[str, Any], at: KeyPath) -> dict[str, Any]:
    """Return a copy of `data` with the unknown key PROBE added in the object at `at` (made if missing)."""
    out = copy.deepcopy(data)
    node: Any = out
    for i, key in enumerate(at):
        empty: Any = [] if i + 1 < len(at) and isinstance(at[i + 1], int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append(empty)
        elif not isinstance(node.get(key), type(empty)):
            node[key] = empty
        node = node[key]
    node[PROBE] = 1
    return out


def _validator_keys(docs: tuple[RawDocument, ...], kind: str, at: KeyPath) -> set[str]:
    target = _doc(docs, kind, ATTACK if kind == "events" else None)
    probed = dataclasses.replace(target, data=_with_probe(target.data, at))
    found = [p for p in check(tuple(probed if d is target else d for d in docs)).problems
             if p.path == target.path and f"unknown field '{PROBE}'" in p.message]
    assert len(found) == 1 and found[0].hint.startswith("known fields: "), found
    return set(found[0].hint.removeprefix("known fields: ").split(", "))


def _schema_object(kind: str, at: KeyPath) -> dict[str, Any]:
    node = SCHEMAS[KIND_OF[kind]]
    for key in at:
        node = node["items"] if isinstance(key, int) else node["properties"][key]
    return next(n for n in node.get("anyOf", [node]) if n.get("type") == "object")


@pytest.mark.parametrize(("kind", "at"), OBJECTS,
                         ids=[f"{k}:{'.'.join(map(str, a)) or 'top'}" for k, a in OBJECTS])
def test_allowed_keys_equal_the_validators(minimal_docs: tuple[RawDocument, ...], kind: str,
                                           at: KeyPath) -> None:
    obj = _schema_object(kind, at)
    assert obj["additionalProperties"] is False
    assert set(obj["properties"]) == _validator_keys(minimal_docs, kind, at)


def test_allowed_keys_equal_the_validators_constants() -> None:
    event = SCHEMAS["event"]
    assert set(event["properties"]) == set(EVENT_KEYS)
    assert set(event["properties"]["fatalities"]["properties"]["breakdown"]["properties"]) == \
        set(vocab.BREAKDOWN_KEYS)


def test_scaffolded_event_passes_its_schema(tmp_path: Path) -> None:
    """What `build.py new event` writes is valid for the editor as well as for `check`."""
    import shutil

    import yaml

    from sitrep.scaffold import new_event

    root = Path(shutil.copytree(MINIMAL, tmp_path / "content"))
    path = new_event(root, title="Shelling of western Aleppo", day=date(2019, 4, 14), region="SY-HL",
                     event_type="Explosions/Remote violence", sub_type="Shelling/artillery/missile attack")
    assert schema_errors("event", yaml.safe_load(path.read_text(encoding="utf-8"))) == []
