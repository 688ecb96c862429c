"""JSON Schema for content files, generated from the vocabularies and mirroring the validator's rules.

Editors point yaml-language-server (VS Code's YAML extension, and other editors) at
schemas/<kind>.schema.json and get completion, hover help and red squiggles while typing. The
validator (`build.py check`) stays the authority: it also checks what a schema cannot express
(references to other files, low <= best <= high, coordinates inside the region).

The documents declare draft 2020-12 but keep to keywords draft-07 has too (no $ref, no
dependentRequired, no unevaluatedProperties): yaml-language-server validates with a draft-07
engine and would silently skip newer keywords.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitrep import vocab
from sitrep.fields import IMPORT_SOURCES, RAW_HTML, SHA256, SLUG
from sitrep.validate import REGION_ID
from sitrep.write import RESERVED_NAMES, OutputFile

if TYPE_CHECKING:
    from sitrep.config import SiteConfig
    from sitrep.model import Corpus

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = "python -m sitrep.schema schemas/"
SITE_DIR = "schemas"

# The character classes the validator refuses in text (fields._CONTROL; tab and line breaks aside),
# written as \u escapes that both ECMA-262 (editors) and Python's re (tests) understand.
_TEXT_CHARS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"
_LINE_CHARS = r"\u0000-\u0008\u000a-\u001f\u007f"  # the same, plus line breaks
# fields.SAFE_URL is case-insensitive (re.I); JSON Schema patterns have no flags, so the scheme's
# letters are spelled out. A parity test keeps the two in step.
SAFE_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/$.?#][^\s]*$"
COUNTRY_PATTERN = "^[A-Z]{2}$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def ecma(pattern: re.Pattern[str]) -> str:
    """Return a validator regex as a JSON Schema pattern: ECMA-262 has no \\Z, and there `$`
    (without the multiline flag) already means the end of the text."""
    return pattern.pattern.replace(r"\Z", "$")


# -- field builders ------------------------------------------------------------------------------

def _text(desc: str, *, max_len: int | None = 10_000, single_line: bool = False, required: bool = False,
          markdown: bool = False) -> Schema:
    """A text field with the validator's limits: length, one line, not blank, no control characters."""
    ahead, rules, prefix = "", [], ""
    if required:
        ahead += r"(?=[\s\S]*\S)"
        rules.append("non-empty")
    if markdown:
        ahead += rf"(?![\s\S]*?(?:{RAW_HTML.pattern}))"
        prefix = "Markdown with no raw HTML: write **bold** and [text](https://...), not tags or entities. "
    if single_line:
        rules.append("on one line")
    rules.append("free of invisible control characters")
    out: Schema = {"description": desc, "type": "string"}
    if max_len is not None:
        out["maxLength"] = max_len
    out["pattern"] = f"^{ahead}[^{_LINE_CHARS if single_line else _TEXT_CHARS}]*$"
    out["patternErrorMessage"] = f"{prefix}Text must be {', '.join(rules)}."
    return out


def _line(desc: str, *, max_len: int = 10_000, required: bool = False) -> Schema:
    return _text(desc, max_len=max_len, single_line=True, required=required)


def _item(desc: str) -> Schema:
    """An item of a list of names: not blank, no control characters (fields.Reader.texts)."""
    return _text(desc, max_len=None, required=True)


def _slug(desc: str) -> Schema:
    return {"description": desc, "type": "string", "pattern": ecma(SLUG),
            "patternErrorMessage": "Ids are lowercase letters, digits and hyphens, e.g. islamic-state."}


def _region_id(desc: str) -> Schema:
    return {"description": desc, "type": "string", "pattern": ecma(REGION_ID),
            "patternErrorMessage": "Write an ISO 3166-2 code, e.g. SY-HL."}


def _own_id(*, region: bool = False) -> Schema:
    """The optional `id` key: it must equal the file name, which must be a valid id."""
    desc = "Optional; defaults to the file name and must match it. Ids are stable forever."
    if region:
        return _region_id(desc)
    # A page folder named CON or NUL could not exist on Windows, so the validator refuses those ids.
    return {**_slug(desc), "not": {"enum": sorted(RESERVED_NAMES)}}


def _country(desc: str) -> Schema:
    return {"description": desc, "type": "string", "pattern": COUNTRY_PATTERN,
            "patternErrorMessage": "Write a two-letter ISO 3166-1 code in capitals, e.g. SY."}


def _date(desc: str) -> Schema:
    # yaml-language-server reads an unquoted 2019-04-13 as a string, so "format" applies to it.
    return {"description": desc, "type": "string", "format": "date", "pattern": DATE_PATTERN,
            "patternErrorMessage": "Write the date as YYYY-MM-DD, e.g. 2019-04-13."}


def _url(desc: str) -> Schema:
    return {"description": desc, "type": "string", "maxLength": 2000, "pattern": SAFE_URL_PATTERN,
            "patternErrorMessage": "Only http:// and https:// addresses are allowed."}


def _count(desc: str) -> Schema:
    return {"description": desc, "type": "integer", "minimum": 0}


def _enum(desc: str, values: Iterable[Any]) -> Schema:
    return {"description": desc, "enum": list(values)}


def _list(desc: str, items: Schema) -> Schema:
    return {"description": desc, "type": "array", "items": items}


def _object(desc: str, props: dict[str, Schema], required: Iterable[str] = ()) -> Schema:
    """An object with exactly the keys of `props` (the validator's only_keys), as completion lists them."""
    out: Schema = {"description": desc, "type": "object", "properties": props}
    if required := list(required):
        out["required"] = required
    out["additionalProperties"] = False
    return out


def _external_id(desc: str) -> Schema:
    return {**_text(desc, max_len=None, required=True), "type": ["integer", "string"]}


def _when(condition: Schema, then: Schema) -> Schema:
    return {"if": condition, "then": then}


def _document(title: str, body: Schema) -> Schema:
    """Wrap a top-level object schema with the dialect and the title editors show."""
    return {"$schema": DIALECT, "title": title, **body}


def _import_block(*, codes: bool) -> Schema:
    props: dict[str, Schema] = {
        "source": _enum("Which importer wrote this file: ucdp (UCDP GED) or acled.", IMPORT_SOURCES),
        "sha256": {"description": "Hash of the text the importer wrote. When the file no longer matches it, "
                                  "the file counts as edited by hand and is never overwritten.",
                   "type": "string", "pattern": ecma(SHA256),
                   "patternErrorMessage": "64 lowercase hexadecimal digits, as the importer wrote them."},
    }
    if codes:
        props["codes"] = {"description": "The imported file's own codes, e.g. UCDP where_prec.",
                          "type": "object", "additionalProperties": {"type": "integer"}}
    return _object("Left by `build.py import`. Leave it as written, or delete the whole block.", props,
                   ("source", "sha256"))


_NATIVE_NAME = "The name in its own script, e.g. Arabic."
_MARKDOWN_DESC = "Markdown, no raw HTML."
_IMPORTED = "true while an importer wrote the file and no editor has reviewed it yet."


# -- events --------------------------------------------------------------------------------------

def _event_date() -> Schema:
    period = _object("When it happened: a period, and how precisely it is known.", {
        "start": _date("First day (YYYY-MM-DD)."),
        "end": _date("Last day (YYYY-MM-DD); defaults to start; not before start."),
        "precision": _enum("How well the date is known: day, week (the report only says recently) or "
                           "month (the event spans the whole month). Defaults to day.",
                           vocab.DATE_PRECISIONS),
    }, ("start",))
    return {"description": "When it happened: a date (YYYY-MM-DD) for a one-day event, or "
                           "{start, end, precision}.",
            "anyOf": [_date("The day of a one-day event."), period]}


def _location() -> Schema:
    out = _object("Where it happened. Coordinates are checked against the region's shape.", {
        "country": _country("Two-letter ISO 3166-1 code of the country, e.g. SY; must be the region's."),
        "region": _region_id("ISO 3166-2 code of the first-level region; a file must exist under "
                             "content/regions/."),
        "admin2": _line("Second-level division (district), optional.", max_len=200),
        "place": _line("The place as the report describes it.", max_len=300),
        "lat": {"description": "Latitude in degrees (WGS84), -90 to 90.", "type": "number",
                "minimum": -90, "maximum": 90},
        "lon": {"description": "Longitude in degrees (WGS84), -180 to 180.", "type": "number",
                "minimum": -180, "maximum": 180},
        "geo_precision": _enum("ACLED geo-precision: 1 exact place, 2 near a place or part of a region, "
                               "3 region only (no coordinates needed). Defaults to 1.",
                               vocab.GEO_PRECISIONS),
    }, ("country", "region"))
    out["allOf"] = [
        _when({"required": ["lat"]}, {"required": ["lon"]}),  # both or neither
        _when({"required": ["lon"]}, {"required": ["lat"]}),
        {"if": {"properties": {"geo_precision": {"const": 3}}, "required": ["geo_precision"]},
         "else": {"required": ["lat", "lon"]}},
    ]
    return out


def _fatalities() -> Schema:
    breakdown = _object("Optional UCDP-style split of the toll; adds up to no more than high.", {
        "side_a": _count("Deaths on side A (in state-based violence, the government side)."),
        "side_b": _count("Deaths on side B (the opposing armed group)."),
        "civilians": _count("Civilian deaths."),
        "unknown": _count("Deaths whose side is not known."),
    })
    return _object("Reported deaths; keep disagreements as a range (low <= best <= high). Leave it out when "
                   "no toll was reported.", {
                       "low": _count("Lowest credible toll reported; defaults to best."),
                       "best": _count("The editors' best estimate, usually the most detailed or recent "
                                      "credible source's figure; never an average."),
                       "high": _count("Highest credible toll reported; defaults to best."),
                       "breakdown": breakdown,
                       "note": _text("What the toll covers and whose losses were not reported.",
                                     max_len=2000),
                   }, ("best",))


def _source_ref() -> Schema:
    return _object("A source for this event.", {
        "source": _slug("Id of the original source, a file under content/sources/."),
        "via": _slug("Optional: id of the outlet that carried it (under content/sources/)."),
        "url": _url("Link to the report; http(s) only."),
        "archive_url": _url("Link to an archived copy; http(s) only."),
        "published": _date("When the original source published it (YYYY-MM-DD)."),
        "supports": _list("Which fields this source backs.", _enum("A field a source can back.",
                                                                    vocab.SUPPORTABLE_FIELDS)),
        "fatalities": _count("The toll this source gave; must lie within low..high."),
        "note": _text("Anything else about this source's report.", max_len=2000),
    }, ("source",))


def _event_rules() -> list[Schema]:
    """Cross-field rules of the validator that JSON Schema can express."""
    sub_types = [_when({"properties": {"event_type": {"const": t}}, "required": ["event_type"]},
                       {"properties": {"sub_event_type": {"enum": list(subs)}}})
                 for t, subs in vocab.EVENT_TYPES.items()]
    sourced = [s for s in vocab.STATUSES if s != "draft"]
    gives_toll = {"properties": {"supports": {"contains": {"const": "fatalities"}}}, "required": ["supports"]}
    backed = {"anyOf": [{"required": ["fatalities"]}, gives_toll]}
    return [
        *sub_types,
        _when({"properties": {"status": {"enum": sourced}}, "required": ["status"]},
              {"required": ["sources"], "properties": {"sources": {"minItems": 1}}}),
        _when({"properties": {"status": {"const": "superseded"}}, "required": ["status"]},
              {"required": ["superseded_by"]}),
        _when({"required": ["superseded_by"]}, {"properties": {"status": {"const": "superseded"}}}),
        # A toll on a non-draft event needs a source giving it (supports: [fatalities] or its own figure).
        _when({"properties": {"fatalities": {"type": "object"}, "status": {"not": {"const": "draft"}}},
               "required": ["fatalities"]},
              {"required": ["sources"], "properties": {"sources": {"contains": backed}}}),
    ]


def event_schema() -> Schema:
    """Return the schema of content/events/<yyyy>/<id>.yaml."""
    props: dict[str, Schema] = {
        "id": _own_id(),
        "title": _line("One line saying what happened, in plain words.", max_len=300, required=True),
        "status": _enum("draft (not shown) | published | superseded (replaced; set superseded_by) | "
                        "retracted (stays visible, marked; say why in revisions).", vocab.STATUSES),
        "date": _event_date(),
        "event_type": _enum("One of ACLED's six event types.", vocab.EVENT_TYPES),
        "sub_event_type": _enum("One of ACLED's 25 sub-event types; it must belong to the event_type.",
                                [s for subs in vocab.EVENT_TYPES.values() for s in subs]),
        "ucdp_type_of_violence": _enum("Optional UCDP type of violence: 1 state-based, 2 non-state, "
                                       "3 one-sided.", vocab.UCDP_VIOLENCE_TYPES),
        "actors": _list("Who took part, each with a role.", _object("An actor and its role.", {
            "actor": _slug("Id of an actor, a file under content/actors/."),
            "role": _enum("perpetrator | target | claimant | associated.", vocab.ROLES),
        }, ("actor", "role"))),
        "location": _location(),
        "fatalities": _fatalities(),
        "claims": _list("Who said they did it. A claim is not a confirmation.", _object("A claim.", {
            "by": _slug("Id of the actor making the claim (under content/actors/)."),
            "channel": _line("Where the claim was made, e.g. the group's Telegram channel.", max_len=200),
            "date": _date("When the claim was made (YYYY-MM-DD)."),
            "source": _slug("Id of the source that carried the claim; it must be in this event's sources."),
            "text": _text("What the claim said.", max_len=5000),
        }, ("by",))),
        "figures": _list("Figures other than deaths (people displaced, in need); each cites a source.",
                         _object("A figure.", {
                             "label": _line("What is counted, e.g. people displaced.", max_len=200,
                                            required=True),
                             "value": {"description": "The number.", "type": "number"},
                             "unit": _line("Optional unit."),
                             "source": _slug("Id of the source that gave it; it must be in this event's "
                                             "sources."),
                             "note": _text("The source's wording, e.g. 'more than'.", max_len=2000),
                         }, ("label", "value", "source"))),
        "sources": _list("At least one for a published event; every figure cites one.", _source_ref()),
        "assessment": _enum("claimed | reported | corroborated | confirmed | contested: how well the event "
                            "is established.", vocab.ASSESSMENTS),
        "summary": _text(f"What happened, attributed to its sources. {_MARKDOWN_DESC}", max_len=50_000,
                         required=True, markdown=True),
        "tags": _list("Short ids grouping related events, e.g. checkpoint-attack.", _slug("A tag.")),
        "external_ids": {"description": "Ids in other datasets, for de-duplication and export.",
                         "type": "object",
                         "properties": {"ucdp_ged": _external_id("UCDP GED event id."),
                                        "acled": _external_id("ACLED event id.")},
                         "additionalProperties": _external_id("An id in another dataset.")},
        "revisions": _list("Public changelog of substantive edits.", _object("A revision.", {
            "date": _date("When the change was made (YYYY-MM-DD)."),
            "note": _text("What changed and why.", max_len=2000, required=True),
        }, ("date", "note"))),
        "superseded_by": _slug("Id of the event that replaces this one (status: superseded)."),
        "redirect_from": _list("Former ids of this event; their pages redirect here.", _slug("A former id.")),
        "imported": {"description": _IMPORTED, "type": "boolean"},
        "import": _import_block(codes=True),
    }
    body = _object("One event per file: content/events/<yyyy>/<id>.yaml.", props,
                   ("title", "status", "date", "event_type", "sub_event_type", "location", "assessment",
                    "summary"))
    body["allOf"] = _event_rules()
    return _document("Sitrep event", body)


# -- actors, regions, sources, briefings ---------------------------------------------------------

def actor_schema() -> Schema:
    """Return the schema of content/actors/<id>.yaml."""
    return _document("Sitrep actor", _object("An armed group, force, government or other party.", {
        "id": _own_id(),
        "name": _line("Name as shown on the site.", max_len=200, required=True),
        "native_name": _line(_NATIVE_NAME, max_len=200),
        "aliases": _list("Other names, for search (e.g. Daesh, ISIS).", _item("An alias.")),
        "kind": _enum("ACLED actor type.", vocab.ACTOR_KINDS),
        "affiliations": _list("Ids of other actors this one belongs to (e.g. a brigade to an army).",
                              _slug("An actor id.")),
        "description": _text(_MARKDOWN_DESC, max_len=50_000, markdown=True),
        "imported": {"description": _IMPORTED, "type": "boolean"},
        "import": _import_block(codes=False),
    }, ("name", "kind")))


def region_schema() -> Schema:
    """Return the schema of content/regions/<ISO 3166-2>.yaml."""
    return _document("Sitrep region", _object("A first-level division, keyed by its ISO 3166-2 code.", {
        "id": _own_id(region=True),
        "name": _line("Name as shown on the site.", max_len=200, required=True),
        "native_name": _line(_NATIVE_NAME, max_len=200),
        "alt_names": _list("Other spellings, for search.", _item("A name.")),
        "country": _country("Two-letter ISO 3166-1 code, e.g. SY."),
        "iso_3166_2": _region_id("ISO 3166-2 code; equals the file name and starts with the country code."),
        "description": _text(_MARKDOWN_DESC, max_len=50_000, markdown=True),
    }, ("name", "country", "iso_3166_2")))


def source_schema() -> Schema:
    """Return the schema of content/sources/<id>.yaml."""
    return _document("Sitrep source", _object("An organisation or outlet that reports or claims.", {
        "id": _own_id(),
        "name": _line("Name as shown on the site.", max_len=200, required=True),
        "native_name": _line(_NATIVE_NAME, max_len=200),
        "aliases": _list("Other names, for search.", _item("An alias.")),
        "kind": _enum("What sort of source it is.", vocab.SOURCE_KINDS),
        "url": _url("Home page; http(s) only."),
        "reliability": _enum("Optional admiralty grade, A (completely reliable) to F (cannot be judged).",
                             vocab.RELIABILITY_GRADES),
        "description": _text(_MARKDOWN_DESC, max_len=50_000, markdown=True),
        "imported": {"description": _IMPORTED, "type": "boolean"},
        "import": _import_block(codes=False),
    }, ("name", "kind")))


def briefing_schema() -> Schema:
    """Return the schema of the YAML front matter of content/briefings/<id>.md."""
    desc = "Front matter of a briefing: the fields between the '---' lines at the top of the .md file."
    return _document("Sitrep briefing front matter", _object(desc, {
        "id": _own_id(),
        "title": _line("Title of the briefing.", max_len=300, required=True),
        "from": _date("First day of the period covered (YYYY-MM-DD)."),
        "to": _date("Last day of the period covered (YYYY-MM-DD); not before from."),
        "regions": _list("Regions covered (ISO 3166-2 codes).", _region_id("A region id.")),
        "actors": _list("Actors covered (ids).", _slug("An actor id.")),
        "author": _line("Who wrote it.", max_len=200),
        "status": _enum("draft | published (the default).", vocab.BRIEFING_STATUSES),
        "summary": _text(f"A short summary. {_MARKDOWN_DESC}", max_len=50_000, markdown=True),
    }, ("title", "from", "to")))


# -- output --------------------------------------------------------------------------------------

_BUILDERS = {"event": event_schema, "actor": actor_schema, "region": region_schema, "source": source_schema,
             "briefing": briefing_schema}
KINDS = tuple(_BUILDERS)


def schemas() -> dict[str, Schema]:
    """Return the JSON Schema document of each content kind, by kind."""
    return {kind: build() for kind, build in _BUILDERS.items()}


def dumps(schema: Schema) -> str:
    """Return `schema` as stable JSON text: key order as built, indent 2, trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def filename(kind: str) -> str:
    """Return the file name of `kind`'s schema, in schemas/ and in the built site."""
    return f"{kind}.schema.json"


def write_schemas(directory: Path) -> list[Path]:
    """Write <kind>.schema.json for every kind into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, schema in schemas().items():
        path = directory / filename(kind)
        path.write_text(dumps(schema), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def iter_files(corpus: Corpus, indexes: object, config: SiteConfig) -> Iterator[OutputFile]:
    """Yield schemas/<kind>.schema.json, so the built site publishes the schemas too."""
    for kind, schema in schemas().items():
        yield OutputFile(f"{SITE_DIR}/{filename(kind)}", dumps(schema).encode("utf-8"))


def main(argv: list[str]) -> int:
    """`python -m sitrep.schema [DIR]`: regenerate the committed schemas (default: schemas/)."""
    for path in write_schemas(Path(argv[0] if argv else SITE_DIR)):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
