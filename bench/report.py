"""Benchmark report: the machine, Markdown tables of the measurements, the targets, the results file."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGE_ORDER = ("load", "validate", "index", "render", "editorial", "briefing", "export", "exports", "search",
               "write")
MAX_PEAK_MB = 2048


def machine() -> dict[str, Any]:
    """Describe the machine and software without naming the host or any path."""
    return {"cpu": _cpu(), "cores": os.cpu_count(), "ram_gb": _ram_gb(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "hugo": _output(["hugo", "version"]).split(" BuildDate")[0], "commit": _commit(),
            "date": datetime.now().strftime("%Y-%m-%d %H:%M")}


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(encoding="utf-8")).group(1))
        return round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        return 0.0


def _output(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, check=False, cwd=ROOT).stdout.strip()
    except OSError:
        return "not installed"


def _commit() -> str:
    commit = _output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = _output(["git", "status", "--porcelain", "--untracked-files=no"])
    return f"{commit}{' + local changes' if dirty else ''}"


def by_folder(paths: Iterable[str]) -> dict[str, int]:
    """Count paths by their first folder ('.' for files at the site root)."""
    return dict(Counter(p.split("/", 1)[0] if "/" in p else "." for p in paths).most_common())


def _f(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return out


def _first_total(query: dict[str, Any]) -> str:
    """Return a search's "first result / total" seconds (the total alone from older results)."""
    if query.get("first_s") is None:
        return _f(query.get("total_s"))
    return f"{_f(query['first_s'])} / {_f(query.get('total_s'))}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _as_dicts(results: Sequence[Any]) -> list[dict[str, Any]]:
    return [asdict(r) if is_dataclass(r) else r for r in results]


def render(results: Sequence[Any], mach: dict[str, Any]) -> str:
    """Return the whole report as Markdown."""
    rs = _as_dicts(results)
    lines = [f"# Sitrep benchmark, {mach['date']}", "",
             f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']} GB RAM, {mach['os']}. "
             f"Python {mach['python']}; {mach['hugo']}; Sitrep {mach['commit']}.", "",
             "## Full build from nothing (no cache)", ""]
    lines += _table(
        ("events", "load avg", "Sitrep s", "Hugo s", "ratio", "Sitrep peak MB", "Hugo peak MB",
         "Sitrep out MB", "Hugo out MB", "Sitrep pages", "Hugo pages", "Sitrep files", "Hugo files",
         "Sitrep ms/event"),
        [(r["n"], r.get("load_avg"), r["sitrep"].get("seconds"), r["hugo"].get("seconds"),
          _ratio(r["sitrep"].get("seconds"), r["hugo"].get("seconds")), r["sitrep"].get("peak_mb"),
          r["hugo"].get("peak_mb"), r["sitrep"].get("mb"), r["hugo"].get("mb"), r["sitrep"].get("pages"),
          r["hugo"].get("pages"), r["sitrep"].get("files"), r["hugo"].get("files"),
          1000 * r["sitrep"]["seconds"] / r["n"] if r["sitrep"].get("seconds") else None) for r in rs])
    lines += _cores_used(rs)
    stages = [s for s in STAGE_ORDER if any(s in r["stages"] for r in rs)]
    stages += [*sorted({s for r in rs for s in r["stages"]} - set(stages) - {"total"}), "total"]
    lines += ["", "## Sitrep's stages, cold build (s)", "",
              "Time in the build's process, except render_worker (the second render process's own "
              "time) and search where search_wait is given: then search is its own process's time "
              "(a forked child, or a low-priority helper for a large index, sitrep/search_feed.py, "
              "beside the other stages), search_start the build's time handing that helper its "
              "records, and search_wait the build's wait for it.", ""]
    lines += _table(("events", *stages), [(r["n"], *(r["stages"].get(s) for s in stages)) for r in rs])
    lines += ["", "## Rebuilds", "",
              "No-op: build again with nothing changed. Edit: change one event's title and summary, "
              "then build again. 'Written' counts files whose mtime or size changed, or that are new.", ""]
    lines += _table(
        ("events", "no-op s", "no-op rewritten", "edit s", "edit files written", "edit pages written",
         "search updated", "Hugo rebuild s", "Hugo files written"),
        [(r["n"], r["noop"].get("seconds"), r["noop"].get("rewritten"), r["edit"].get("seconds"),
          r["edit"].get("written"), r["edit"].get("pages"), r["edit"].get("search_updated"),
          r["hugo_edit"].get("seconds"), r["hugo_edit"].get("written")) for r in rs])
    if any(r.get("serve_edit") for r in rs):
        lines += ["", "The same kind of edit in `serve`'s preview, which keeps its work between builds "
                  "(sitrep/warm.py; bench/serve_edit.py): 'first' is its first build over the built site.",
                  ""]
        lines += _table(
            ("events", "serve edit s", "files written", "pages written", "search updated", "first build s",
             "peak MB", "stages (s)"),
            [(r["n"], r["serve_edit"].get("seconds"), r["serve_edit"].get("written"),
              r["serve_edit"].get("pages"), r["serve_edit"].get("search_updated"),
              r["serve_edit"].get("first_s"), r["serve_edit"].get("peak_mb"),
              ", ".join(f"{k} {v:.2f}" for k, v in r["serve_edit"].get("stages", {}).items() if v >= 0.05))
             for r in rs if r.get("serve_edit")])
    if any(r.get("serve_live") for r in rs):
        lines += ["", "The same kind of edit saved while `build.py serve` runs (bench/serve_live.py): from "
                  "the save to the preview's new version, so the watcher's noticing the save counts too.", ""]
        lines += _table(("events", "save to new page s", "page shows the edit", "first build s", "peak MB"),
                        [(r["n"], r["serve_live"].get("seconds"), r["serve_live"].get("page_updated"),
                          r["serve_live"].get("first_s"), r["serve_live"].get("peak_mb"))
                         for r in rs if r.get("serve_live")])
    searched = [r for r in rs if r.get("search", {}).get("queries")]
    if searched:
        names = list(searched[0]["search"]["queries"])
        lines += ["", "## A reader's search in Chromium", "",
                  "bench/search_latency.py: seconds from opening the search page with the query in its URL "
                  "to the first result shown / to the status line's total, by the page's clock; 'ready' "
                  "is when Pagefind is loaded and its shards merged, for the first query.", ""]
        lines += _table(("events", "shards", "ready s", *(f"{n} s" for n in names), "results"),
                        [(r["n"], r["search"].get("shards"), r["search"]["queries"][names[0]].get("ready_s"),
                          *(_first_total(r["search"]["queries"].get(n, {})) for n in names),
                          ", ".join(str(r["search"]["queries"].get(n, {}).get("results")) for n in names))
                         for r in searched])
    for r in rs:
        if r["edit"].get("written_by_folder"):
            lines += ["", f"Files written by the edit at {r['n']} events, by folder: "
                      + ", ".join(f"{k} {v}" for k, v in r["edit"]["written_by_folder"].items())]
        if r["noop"].get("examples"):
            examples = ", ".join(r["noop"]["examples"])
            lines += [f"Rewritten on the no-op rebuild at {r['n']}, e.g.: {examples}"]
    lines += ["", "## Targets (issue 8)", "", *targets(rs)]
    for r in rs:
        if r.get("profile"):
            lines += ["", f"## Profile of a cold build at {r['n']} events (cProfile; slower than unprofiled)",
                      "", "```", trim_profile(r["profile"]), "```"]
    return "\n".join(lines) + "\n"


def _cores_used(rs: Sequence[dict[str, Any]]) -> list[str]:
    """Return the table of CPU time and busy cores of both cold builds: the wall time a build could
    still gain on this machine by keeping every core busy, and where in the build it leaves one idle."""
    measured = [r for r in rs if r["sitrep"].get("cpu_s") or r["hugo"].get("cpu_s")]
    if not measured:
        return []
    lines = ["", "CPU time of each cold build's process tree (user + system), the cores it kept busy on "
             "average (CPU time / wall time), and the cores the machine kept busy in each tenth of the "
             "build's wall time (from /proc/stat: other work on the machine counts too).", ""]
    return lines + _table(
        ("events", "Sitrep CPU s", "Sitrep cores", "Sitrep cores by tenth", "Hugo CPU s", "Hugo cores",
         "Hugo cores by tenth"),
        [(r["n"], *_cpu_cells(r["sitrep"]), *_cpu_cells(r["hugo"])) for r in measured])


def _cpu_cells(run: dict[str, Any]) -> tuple[object, object, str]:
    cpu, secs = run.get("cpu_s"), run.get("seconds")
    return (cpu, cpu / secs if cpu and secs else None,
            " ".join(f"{b:.1f}" for b in run.get("busy") or ()) or "–")


def trim_profile(text: str) -> str:
    """Drop blank lines and pstats' header line, which names the profile file's path."""
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip() and ".prof" not in line)


def _at(rs: Sequence[dict[str, Any]], n: int) -> dict[str, Any] | None:
    return next((r for r in rs if r["n"] == n), None)


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else "PASS" if ok else "FAIL"


def targets(rs: Sequence[dict[str, Any]]) -> list[str]:
    """Return one line per target of the issue: the measured figure and PASS, FAIL or not measured."""
    k10, k100 = _at(rs, 10_000), _at(rs, 100_000)
    ratio = _ratio(k100["sitrep"].get("seconds"), k100["hugo"].get("seconds")) if k100 else None
    lines = [f"1. Cold build of 100k events no slower than Hugo: ratio {_f(ratio)} "
             f"→ {_verdict(None if ratio is None else ratio <= 1.0)}"]
    for n, limit, r in ((10_000, 1.0, k10), (100_000, 3.0, k100)):
        paths = (("command line", r["edit"]), ("serve", r.get("serve_edit") or {})) if r else (("", {}),)
        for how, edit in paths:
            secs = edit.get("seconds")
            label = f" ({how})" if how else ""
            lines.append(f"2. Rebuild after one edit at {n // 1000}k ≤ {limit:.0f} s{label}: {_f(secs)} s, "
                         f"{_f(edit.get('written'))} files written ({_f(edit.get('pages'))} pages), "
                         f"search updated: {_f(edit.get('search_updated'))} "
                         f"→ {_verdict(None if secs is None else secs <= limit)}")
        live = (r or {}).get("serve_live") or {}
        if live.get("seconds") is not None:
            lines.append(f"2. Rebuild after one edit at {n // 1000}k ≤ {limit:.0f} s (serve, from the save "
                         f"to the new page): {_f(live['seconds'])} s, page shows the edit: "
                         f"{_f(live.get('page_updated'))} → {_verdict(live['seconds'] <= limit)}")
    peak = k100["sitrep"].get("peak_mb") if k100 else None
    lines.append(f"3. Peak memory at 100k ≤ {MAX_PEAK_MB} MB: {_f(peak, 0)} MB "
                 f"→ {_verdict(None if peak is None else peak <= MAX_PEAK_MB)}")
    growth = None
    if k10 and k100 and k10["sitrep"].get("seconds") and k100["sitrep"].get("seconds"):
        growth = (k100["sitrep"]["seconds"] / 100_000) / (k10["sitrep"]["seconds"] / 10_000)
    lines.append(f"3. Time per event at 100k within 1.2× of 10k: {_f(growth)}× "
                 f"→ {_verdict(None if growth is None else growth <= 1.2)}")
    rewritten = [r["noop"]["rewritten"] for r in rs if "rewritten" in r["noop"]]
    lines.append(f"4. No file rewritten on a no-op rebuild: {sum(rewritten) if rewritten else '–'} rewritten "
                 f"over {len(rewritten)} sizes → {_verdict(None if not rewritten else not any(rewritten))}")
    return lines


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def save(text: str, raw: Sequence[Any], mach: dict[str, Any], sizes: Sequence[int], folder: Path) -> Path:
    """Write the report (.md) and the raw figures (.json) as bench/results/<date>-<machine>-<sizes>,
    with -2, -3... added when a run of the same day, machine and sizes is there already (kept: runs
    before and after a change are compared)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = "-".join([mach["date"][:10], _slug(mach["cpu"]), f"{mach['cores']}c", f"{round(mach['ram_gb'])}gb",
                     *(_size_label(n) for n in sizes)])
    path = folder / f"{stem}.md"
    n = 1
    while path.exists() or path.with_suffix(".json").exists():
        n += 1
        path = folder / f"{stem}-{n}.md"
    path.write_text(text, encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps({"machine": mach, "results": _as_dicts(raw)}, indent=1,
                                                    default=str), encoding="utf-8")
    return path
