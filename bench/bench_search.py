"""Benchmark: the search index built from the model against the pagefind CLI over the written HTML.

    .venv/bin/python bench/bench_search.py [--events 10000] [--events 100000] [--no-html] [--stock 100]
                                           [--shard-size 10000] [--html-max 20000]

For each size N, on a synthetic corpus (sitrep.synth, the same as `build.py synth --events N`):

1. model path, what the build runs (`sitrep.search`): one custom record per public event, actor,
   region, source and briefing, streamed to `pagefind --service` by our client, one service process
   per shard of --shard-size dated records; times for making the records, adding them and building
   the bundle (GetFiles); wall and child CPU time; the largest shard's service peak memory; index
   size.
2. HTML path (skipped with --no-html): the render stage writes the HTML pages (timed apart, as
   context), then `pagefind --site` indexes them; wall time, peak memory and index size. These pages
   carry no data-pagefind-filter attributes, so this index has no filters at all.
3. once, at a small size (--stock records): records/s through the pagefind Python API as shipped
   (its reader sleeps 0.1 s before each answer) against our client on the same records.

Results are printed and written to bench/results/search-<date>.txt.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import run  # noqa: E402
from sitrep import render, search  # noqa: E402
from sitrep.config import SiteConfig  # noqa: E402
from sitrep.index import build_indexes  # noqa: E402
from sitrep.pagefind_client import PAGEFIND_VERSION, PagefindService, Record, binary_path  # noqa: E402
from sitrep.search_records import dated_records, iter_records, undated_records  # noqa: E402
from sitrep.synth import synth  # noqa: E402
from sitrep.validate import load_corpus  # noqa: E402
from sitrep.write import write_site  # noqa: E402

Say = Callable[[str], None]


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def model_path(corpus: Any, indexes: Any, config: SiteConfig, say: Say) -> None:
    """Time the build's own search stage, from records to bundle files, on `corpus`, shard by shard."""
    t_rec, n_records = _timed(lambda: sum(1 for _ in iter_records(corpus, indexes, config)))
    say(f"  records from the model: {n_records} in {t_rec:.2f} s (Python, included below)")
    plan = search.ShardPlan.for_corpus(corpus, indexes, config)
    shards = plan.split(dated_records(corpus, indexes, config), undated_records(corpus, indexes, config))
    totals = {"records": 0.0, "add_s": 0.0, "write_s": 0.0, "service_peak_mb": 0.0}
    cpu0 = _child_cpu()
    size = count = 0
    started = time.perf_counter()
    for subdir, records in zip(plan.dirs, shards, strict=True):
        stats: dict[str, float] = {}
        for f in search.index_files(records, config.language, stats, subdir=subdir):
            size += len(f.data)
            count += 1
        for key in ("records", "add_s", "write_s"):
            totals[key] += stats[key]
        totals["service_peak_mb"] = max(totals["service_peak_mb"], stats["service_peak_mb"])
    wall = time.perf_counter() - started
    size_text = f"{search.shard_size(config, search.count_records(corpus, indexes)[0]):,}"
    say(f"  model → service, {plan.count} shard(s) of about {size_text} dated records and the primary "
        f"bundle: {wall:.1f} s wall "
        f"(add {totals['add_s']:.1f} s, build bundle {totals['write_s']:.1f} s, stabilise "
        f"{wall - totals['add_s'] - totals['write_s']:.1f} s); service CPU {_child_cpu() - cpu0:.1f} s; "
        f"{totals['records'] / totals['add_s']:,.0f} records/s while adding")
    say(f"  model index: {_mb(size)} in {count} files; service peak memory "
        f"{totals['service_peak_mb']:.0f} MB (largest shard); this process's peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def html_path(corpus: Any, indexes: Any, config: SiteConfig, work: Path, say: Say) -> None:
    """Write the HTML pages, then time the pagefind CLI over them."""
    site = work / "site"
    t_html, _ = _timed(lambda: write_site(render.iter_files(corpus, indexes, config), site))
    pages = sum(1 for _ in site.rglob("*.html"))
    say(f"  render + write HTML (context, not search): {t_html:.1f} s, {pages} pages")
    out = work / "pagefind-cli"
    cpu0 = _child_cpu()
    done = run([str(binary_path()), "--site", str(site), "--output-path", str(out)])
    cpu = _child_cpu() - cpu0
    if done.returncode != 0:
        say(f"  pagefind CLI failed (exit {done.returncode}): {done.output[-500:]}")
        return
    found = re.search(r"Indexed (\d+) pages", done.output)
    indexed = found.group(1) if found else "?"
    size, count = _tree_size(out)
    say(f"  HTML → pagefind CLI: {done.seconds:.1f} s wall, CPU {cpu:.1f} s, over {indexed} pages; "
        f"peak memory {done.peak_mb:.0f} MB; index {_mb(size)} in {count} files (no filters)")
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


async def _stock_add(records: Sequence[Record], out: Path) -> float:
    from pagefind.index import PagefindIndex

    async with PagefindIndex(config={"force_language": "en", "output_path": str(out)}) as index:
        started = time.perf_counter()
        for r in records:
            filters = {k: list(v) for k, v in r.filters.items()}
            await index.add_custom_record(url=r.url, content=r.content, language=r.language,
                                          meta=dict(r.meta), filters=filters, sort=dict(r.sort))
        return time.perf_counter() - started


def stock_vs_client(records: Sequence[Record], work: Path, say: Say) -> None:
    """Compare records/s: the pagefind Python API as shipped against our client."""
    t_stock = asyncio.run(_stock_add(records, work / "stock"))
    with PagefindService() as service:
        index = service.new_index({"force_language": "en"})
        t_ours, _ = _timed(lambda: service.add_records(index, records))
    n = len(records)
    say(f"adding {n} records: pagefind Python API {t_stock:.2f} s ({n / t_stock:,.1f} records/s); "
        f"sitrep client {t_ours:.3f} s ({n / t_ours:,.0f} records/s); {t_stock / t_ours:,.0f}× faster")


@click.command()
@click.option("--events", "sizes", multiple=True, type=int, default=[10_000], show_default=True,
              help="Corpus size; repeat for several (e.g. --events 10000 --events 100000).")
@click.option("--html/--no-html", default=True, show_default=True, help="Also time the CLI over the HTML.")
@click.option("--html-max", default=20_000, show_default=True,
              help="Skip the HTML path above this size (the CLI needs ~150 KB of memory per page).")
@click.option("--stock", default=100, show_default=True,
              help="Records for the stock API comparison (0: skip).")
@click.option("--seed", default=1, show_default=True)
@click.option("--shard-size", default=search.SHARD_SIZE, show_default=True,
              help="Dated records per index shard, about (as mkdocs.yml extra.sitrep.search_shard_size).")
def main(sizes: Sequence[int], html: bool, html_max: int, stock: int, seed: int, shard_size: int) -> None:
    """Run the benchmark and write bench/results/search-<date>.txt."""
    lines: list[str] = []

    def say(text: str) -> None:
        click.echo(text)
        lines.append(text)

    say(f"search benchmark, {date.today()}: pagefind {PAGEFIND_VERSION}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    config = SiteConfig(extra={"sitrep": {"search_shard_size": shard_size}})
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="sitrep-bench-search-") as tmp:
            work = Path(tmp)
            summary = synth(n, work / "content", seed=seed)
            say(f"N = {n:,}: {summary}")
            t_load, corpus = _timed(lambda: load_corpus(work / "content"))  # noqa: B023
            indexes = build_indexes(corpus)
            say(f"  load + validate + index: {t_load:.1f} s (not search; load average "
                f"{os.getloadavg()[0]:.1f})")
            model_path(corpus, indexes, config, say)
            if html and n <= html_max:
                html_path(corpus, indexes, config, work, say)
            elif html:
                say(f"  HTML → pagefind CLI: skipped above --html-max {html_max:,}")
            if stock and n == sizes[0]:
                records = list(itertools.islice(iter_records(corpus, indexes, config), stock))
                stock_vs_client(records, work, say)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    target = results / f"search-{date.today()}.txt"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
