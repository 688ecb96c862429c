"""Convert a Sitrep content tree into the equivalent Hugo site (bench/hugo/ plus content files).

Each event becomes content/events/<id>.md whose front matter carries the same YAML fields and whose
body is the summary; regions, actors, sources and months are Hugo taxonomies, each term with an
_index.md giving its title, so Hugo writes one paginated page per term as Sitrep does.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sitrep.synth import to_yaml

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - platform without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

SKELETON = Path(__file__).resolve().parent / "hugo"
_CITE = re.compile(r"\[\[([a-z0-9-]+)\]\]")
_CHUNK = 2000


def prepare(content: Path, site: Path, workers: int | None = None) -> int:
    """Write the Hugo site for `content` into `site` (created afresh); return the events converted."""
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(SKELETON, site)
    out = site / "content"
    for kind in ("events", "regions", "actors", "sources", "months", "briefings"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    _reference(content, out)
    _briefings(content, out)
    paths = sorted(str(p) for p in (content / "events").rglob("*.yaml"))
    chunks = [paths[i:i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    months: set[str] = set()
    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        for found in pool.map(_convert_chunk, chunks, [str(out)] * len(chunks)):
            months.update(found)
    for month in months:
        year, mm = month.split("-")
        _front(out / "months" / month / "_index.md",
               {"title": f"{calendar.month_name[int(mm)]} {year}", "outputs": ["HTML"]})
    return len(paths)


def convert_event(path: Path, out: Path) -> str:
    """Write the Hugo page of one event file into content folder `out`; return its month key."""
    return _convert_chunk([str(path)], str(out))[0]


def _convert_chunk(paths: Sequence[str], out: str) -> list[str]:
    months = []
    for path in paths:
        with open(path, "rb") as fh:
            doc = yaml.load(fh, Loader=Loader)
        event_id = os.path.basename(path)[:-5]
        front, month = _event_front(doc)
        with open(f"{out}/events/{event_id}.md", "w", encoding="utf-8") as fh:
            fh.write(f"---\n{to_yaml(front)}---\n{doc.get('summary', '')}\n")
        months.append(month)
    return months


def _event_front(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    start: date = doc["date"]["start"]
    month = f"{start.year}-{start.month:02d}"
    front: dict[str, Any] = {
        "title": doc["title"], "date": start, "draft": doc.get("status") == "draft",
        "status": doc.get("status"), "event_type": doc["event_type"], "sub_event_type": doc["sub_event_type"],
        "assessment": doc.get("assessment"),
        "regions": [doc["location"]["region"]],
        "actors": list(dict.fromkeys(a["actor"] for a in doc.get("actors", ()))),
        "sources": list(dict.fromkeys(s["source"] for s in doc.get("sources", ()))),
        "months": [month],
        "parties": doc.get("actors", []), "location": doc["location"], "source_refs": doc.get("sources", []),
    }
    for key in ("fatalities", "claims", "revisions", "tags"):
        if key in doc:
            front[key] = doc[key]
    return front, month


def _reference(content: Path, out: Path) -> None:
    """Write a term page (_index.md) for each region, actor and source, titled by its name."""
    feeds = {"regions": ["HTML", "RSS"], "actors": ["HTML", "RSS"], "sources": ["HTML"]}
    for kind, outputs in feeds.items():
        for path in sorted((content / kind).glob("*.yaml")):
            doc = yaml.load(path.read_bytes(), Loader=Loader)
            front = {"title": doc["name"], "outputs": outputs}
            body = doc.get("description", "")
            _front(out / kind / path.stem.lower() / "_index.md", front, body)


def _briefings(content: Path, out: Path) -> None:
    for path in sorted((content / "briefings").glob("*.md")):
        _, front_text, body = path.read_text(encoding="utf-8").split("---\n", 2)
        front = yaml.load(front_text, Loader=Loader)
        body = _CITE.sub(lambda m: f"[{m.group(1)}](/events/{m.group(1)}/)", body)
        _front(out / "briefings" / path.name, {"title": front["title"], "date": front["to"]}, body)


def _front(path: Path, front: dict[str, Any], body: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{to_yaml(front)}---\n{body}\n", encoding="utf-8")


def event_files(content: Path) -> Iterator[Path]:
    """Yield the event files of a content tree in a stable order."""
    yield from sorted((content / "events").rglob("*.yaml"))
