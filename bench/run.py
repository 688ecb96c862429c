"""Benchmark: Sitrep against Hugo on the same synthetic corpus, at several sizes.

    python bench/run.py [--sizes 1000,10000,100000] [--profile] [--no-hugo]   (or: ./run bench ...)

For each size: synthesise a corpus; build it with Sitrep cold (no cache) and with Hugo (converted
from the same YAML); rebuild Sitrep with nothing changed (no file may be rewritten) and after
editing one event (only dependent files may be rewritten), from the command line and in `serve`'s
preview (which keeps its work between builds). Prints tables and writes them, with the
machine and date, to bench/results/. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `bench` and `sitrep` importable
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench import hugo_site, report  # noqa: E402
from bench.measure import Run, changes, run, snapshot, tree_stats  # noqa: E402
from sitrep.synth import synth, to_yaml  # noqa: E402

log = logging.getLogger("bench")
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(slots=True)
class SizeResult:
    """Everything measured at one corpus size (times in s, memory and sizes in MB)."""

    n: int
    load_avg: float = 0.0
    """The 1-minute load average before this size ran: other work on the machine skews timings."""
    synth_s: float = 0.0
    sitrep: dict[str, Any] = field(default_factory=dict)
    hugo: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    noop: dict[str, Any] = field(default_factory=dict)
    edit: dict[str, Any] = field(default_factory=dict)
    hugo_edit: dict[str, Any] = field(default_factory=dict)
    serve_edit: dict[str, Any] = field(default_factory=dict)
    """The same kind of edit rebuilt by `serve`'s preview, which keeps its work between builds."""
    serve_live: dict[str, Any] = field(default_factory=dict)
    """The same kind of edit saved while `build.py serve` runs: from the save to the new page."""
    search: dict[str, Any] = field(default_factory=dict)
    """A reader's searches on the built site in Chromium (bench/search_latency.py)."""
    profile: str = ""


def sitrep_cmd(content: Path, site: Path, timings: Path, *, profile: Path | None = None) -> list[str]:
    """Return the command that builds `content` into `site` the way a user runs it."""
    prefix = [sys.executable] + (["-m", "cProfile", "-o", str(profile)] if profile else [])
    return [*prefix, str(ROOT / "build.py"), "--content", str(content), "--out", str(site),
            "--timings-json", str(timings)]


def hugo_cmd(source: Path, public: Path, cache: Path) -> list[str]:
    return ["hugo", "--quiet", "--source", str(source), "--destination", str(public),
            "--cacheDir", str(cache)]


def _checked(result: Run, what: str) -> Run:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (exit {result.returncode}):\n{result.output[-4000:]}")
    return result


def _timings(path: Path) -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _cold(work: Path) -> None:
    """Remove the site and every cache beside it, so the next build starts from nothing."""
    for name in ("site", ".sitrep-cache"):
        shutil.rmtree(work / name, ignore_errors=True)


def _build_stats(result: Run, out: Path) -> dict[str, Any]:
    stats = tree_stats(out)
    return {"seconds": result.seconds, "peak_mb": result.peak_mb, "max_rss_mb": result.max_rss_mb,
            "cpu_s": result.cpu_s, "busy": list(result.busy),
            "files": stats.files, "pages": stats.pages, "mb": stats.bytes / 1e6}


def edit_one_event(content: Path) -> tuple[Path, str]:
    """Edit the title and summary of the middle published event, as an editor fixing a text would."""
    files = list(hugo_site.event_files(content))
    for path in files[len(files) // 2:] + files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if doc.get("status") == "published":
            break
    doc["title"] = f"{doc['title']} (updated)"
    doc["summary"] = doc["summary"] + "\n\nEditors added this paragraph after a correction."
    path.write_text(to_yaml(doc), encoding="utf-8")
    return path, path.stem


def bench_sitrep(res: SizeResult, content: Path, work: Path) -> None:
    """Build from nothing; fills res.sitrep and res.stages."""
    site, timings = work / "site", work / "timings.json"
    _cold(work)
    cold = _checked(run(sitrep_cmd(content, site, timings), cwd=ROOT), "Sitrep build")
    res.sitrep = _build_stats(cold, site)
    res.stages = _timings(timings)
    log.info("  sitrep cold %.1f s, %d pages", cold.seconds, res.sitrep["pages"])


def bench_rebuilds(res: SizeResult, content: Path, work: Path) -> None:
    """No-op rebuild, then a rebuild after editing one event; fills res.noop and res.edit."""
    site, timings = work / "site", work / "timings.json"
    before = snapshot(site)
    time.sleep(0.05)  # a rewrite within the same mtime tick would otherwise go unseen
    noop = _checked(run(sitrep_cmd(content, site, timings), cwd=ROOT), "Sitrep no-op rebuild")
    diff = changes(before, snapshot(site))
    res.noop = {"seconds": noop.seconds, "rewritten": len(diff.written), "removed": len(diff.removed),
                "examples": list(diff.written[:5]), "stages": _timings(timings)}
    _, event_id = edit_one_event(content)
    before = snapshot(site)
    time.sleep(0.05)
    edit = _checked(run(sitrep_cmd(content, site, timings), cwd=ROOT), "Sitrep rebuild after edit")
    diff = changes(before, snapshot(site))
    res.edit = {"seconds": edit.seconds, "event": event_id, "written": len(diff.written),
                "pages": diff.pages, "removed": len(diff.removed),
                "search_updated": any(p.startswith("pagefind/") for p in diff.written),
                "event_page_written": f"events/{event_id}/index.html" in diff.written,
                "written_by_folder": report.by_folder(diff.written), "stages": _timings(timings)}
    log.info("  sitrep no-op %.2f s (%d rewritten), edit %.2f s (%d written)", noop.seconds,
             res.noop["rewritten"], edit.seconds, len(diff.written))


def _script(name: str, args: list[Path], what: str) -> dict[str, Any]:
    """Run bench/`name` in its own process (so its memory and time are its own) and return the JSON
    object it prints last, with the peak memory of its process tree as peak_mb."""
    result = _checked(run([sys.executable, str(ROOT / "bench" / name), *map(str, args)], cwd=ROOT), what)
    found = json.loads(next(line for line in reversed(result.output.splitlines()) if line.startswith("{")))
    found["peak_mb"] = result.peak_mb
    return dict(found)


def bench_serve_edit(res: SizeResult, content: Path, work: Path) -> None:
    """Edit one event again and time the rebuild `serve` makes of it (bench/serve_edit.py)."""
    res.serve_edit = _script("serve_edit.py", [content, work / "site"], "serve's rebuild after edit")
    log.info("  serve edit %.2f s (%d written)", res.serve_edit["seconds"], res.serve_edit["written"])


def bench_serve_live(res: SizeResult, content: Path, work: Path) -> None:
    """Edit one event again while `build.py serve` runs and time the save to the new page
    (bench/serve_live.py): the rebuild, and the watcher noticing the save."""
    res.serve_live = _script("serve_live.py", [content, work / "site"], "serve's live rebuild after edit")
    log.info("  serve live: save to new page %.2f s", res.serve_live["seconds"])


def bench_search(res: SizeResult, work: Path) -> None:
    """Time a reader's searches on the built site in Chromium (bench/search_latency.py)."""
    from bench import search_latency

    if not search_latency.available():
        log.info("  reader's search: not measured (no Chromium or Playwright; ./run bench installs them)")
        return
    res.search = _script("search_latency.py", [work / "site"], "reader's search in Chromium")
    log.info("  reader's search: %s", ", ".join(f"{k} {v['total_s']:.2f} s"
                                                for k, v in res.search["queries"].items()))


def profile_build(content: Path, work: Path) -> str:
    """Return the top of a cProfile of a cold build (a separate run: profiling slows the build)."""
    import pstats
    from io import StringIO

    _cold(work)
    prof = work / "build.prof"
    _checked(run(sitrep_cmd(content, work / "site", work / "timings.json", profile=prof), cwd=ROOT),
             "profiled Sitrep build")
    text = StringIO()
    stats = pstats.Stats(str(prof), stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(25)
    return report.trim_profile(text.getvalue())


def bench_hugo(res: SizeResult, content: Path, work: Path) -> None:
    """Convert the corpus (not timed) and build it with Hugo from nothing."""
    source, public, cache = work / "hugo", work / "public", work / "hugo-cache"
    for path in (public, cache):
        shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    hugo_site.prepare(content, source)
    res.hugo["convert_s"] = time.perf_counter() - started
    cold = _checked(run(hugo_cmd(source, public, cache)), "Hugo build")
    res.hugo.update(_build_stats(cold, public))
    log.info("  hugo cold %.1f s, %d pages", cold.seconds, res.hugo["pages"])


def bench_hugo_edit(res: SizeResult, content: Path, work: Path) -> None:
    """Replay Sitrep's one-event edit for Hugo (convert that file) and time Hugo's rebuild."""
    source, public = work / "hugo", work / "public"
    edited = next(p for p in hugo_site.event_files(content) if p.stem == res.edit["event"])
    hugo_site.convert_event(edited, source / "content")
    before = snapshot(public)
    again = _checked(run(hugo_cmd(source, public, work / "hugo-cache")), "Hugo rebuild")
    res.hugo_edit = {"seconds": again.seconds, "written": len(changes(before, snapshot(public)).written)}


def bench_size(n: int, work: Path, args: argparse.Namespace) -> SizeResult:
    res = SizeResult(n, os.getloadavg()[0])
    content = work / "content"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log.info("N=%d: synthesising", n)
    res.synth_s = synth(n, content, seed=args.seed).seconds
    if not args.no_hugo:
        bench_hugo(res, content, work)  # first, on the corpus before Sitrep's edit
    bench_sitrep(res, content, work)
    if not args.cold_only:
        bench_rebuilds(res, content, work)
        if not args.no_hugo:
            bench_hugo_edit(res, content, work)
        bench_serve_edit(res, content, work)
        bench_serve_live(res, content, work)
    bench_search(res, work)
    if args.profile and n == max(args.sizes):
        res.profile = profile_build(content, work)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def _hugo_ready() -> bool:
    if shutil.which("hugo"):
        return True
    log.info("hugo not found; running bench/setup.sh")
    return subprocess.run(["bash", str(Path(__file__).with_name("setup.sh"))], check=False).returncode == 0 \
        and shutil.which("hugo") is not None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sizes", default="1000,10000,100000",
                   type=lambda s: sorted(int(x.replace("k", "000")) for x in s.split(",")),
                   help="comma-separated event counts (default: 1000,10000,100000; '10k' works too)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", type=Path, help="where corpora and sites go (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep corpora and built sites")
    p.add_argument("--no-hugo", action="store_true", help="measure Sitrep only")
    p.add_argument("--cold-only", action="store_true", help="skip the no-op and one-edit rebuilds")
    p.add_argument("--profile", action="store_true", help="also cProfile Sitrep at the largest size")
    p.add_argument("--results", type=Path, default=RESULTS, help="folder for the results file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s")
    args = parse_args(argv)
    if not args.no_hugo and not _hugo_ready():
        raise SystemExit("Hugo is missing and bench/setup.sh could not install it; try --no-hugo")
    base = args.workdir or Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    results = [bench_size(n, base / f"n{n}", args) for n in args.sizes]
    if not args.keep and args.workdir is None:
        shutil.rmtree(base, ignore_errors=True)
    machine = report.machine()
    text = report.render(results, machine)
    print(text)
    path = report.save(text, [asdict(r) for r in results], machine, args.sizes, args.results)
    log.info("results written to %s", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
