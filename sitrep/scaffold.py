"""`build.py new event`: write a draft event file that already passes validation."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import click
import yaml

from sitrep import vocab
from sitrep.fields import SLUG


class _NoAliasDumper(yaml.SafeDumper):
    """Content refuses YAML aliases, so repeated values (start and end dates) are written out."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def slugify(text: str, max_len: int = 60) -> str:
    """Return a lowercase ASCII slug of `text` (letters, digits, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "event"


def new_event(content: Path, *, title: str, day: date, region: str, event_type: str, sub_type: str,
              event_id: str | None = None) -> Path:
    """Write content/events/<yyyy>/<id>.yaml as a draft; refuse to overwrite an existing file."""
    if event_type not in vocab.EVENT_TYPES:
        raise click.BadParameter(f"unknown event type {event_type!r}; use one of: "
                                 f"{', '.join(vocab.EVENT_TYPES)}", param_hint="--type")
    if sub_type not in vocab.EVENT_TYPES[event_type]:
        raise click.BadParameter(f"{sub_type!r} is not a sub-type of {event_type!r}; use one of: "
                                 f"{', '.join(vocab.EVENT_TYPES[event_type])}", param_hint="--sub-type")
    if not (content / "regions" / f"{region}.yaml").is_file():
        raise click.BadParameter(f"no region file content/regions/{region}.yaml", param_hint="--region")
    event_id = event_id or f"{day.isoformat()}-{slugify(title)}"
    if not SLUG.match(event_id):
        raise click.BadParameter("ids use lowercase letters, digits and hyphens", param_hint="--id")
    path = content / "events" / f"{day.year}" / f"{event_id}.yaml"
    if path.exists() or any((content / "events").glob(f"**/{event_id}.yaml")):
        raise click.ClickException(f"an event with id '{event_id}' already exists; choose another --id")
    country = region.split("-")[0]
    doc = {
        "title": title,
        "status": "draft",
        "date": {"start": day, "end": day, "precision": "day"},
        "event_type": event_type,
        "sub_event_type": sub_type,
        "actors": [],
        "location": {"country": country, "region": region, "geo_precision": 3},
        "sources": [],
        "assessment": "reported",
        "summary": "What happened, where and to whom, as the sources report it.",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, default_flow_style=None)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
