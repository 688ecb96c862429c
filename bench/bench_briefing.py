"""Benchmark: make a one-month PDF briefing from a synthetic 10k-event corpus (target: under 5 s).

    .venv/bin/python bench/bench_briefing.py [--events 10000] [--month 2019-04] [--runs 3]

Times, separately: loading the corpus (the loader's cost, not the briefing's), the first PDF in a
fresh process (includes importing WeasyPrint and loading fonts), and warm PDFs (median of --runs);
also the Markdown, the page count, and the whole `build.py brief` command as a user runs it.
Results are printed and written to bench/results/briefing-<date>.txt.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.briefing import Scope, build_report, make_adhoc  # noqa: E402
from sitrep.config import load_config  # noqa: E402
from sitrep.synth import synth  # noqa: E402
from sitrep.validate import load_corpus  # noqa: E402


def _month(text: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{text}-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _cpu_timed(fn):  # type: ignore[no-untyped-def]
    """Return (wall s, CPU s of this process, result): CPU time shows the work even on a busy machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


@click.command()
@click.option("--events", default=10_000, show_default=True)
@click.option("--month", default="2019-04", show_default=True, help="YYYY-MM of the briefing.")
@click.option("--runs", default=3, show_default=True)
@click.option("--corpus", type=click.Path(path_type=Path), help="Reuse this content dir, do not synthesise.")
def main(events: int, month: str, runs: int, corpus: Path | None) -> None:
    """Run the benchmark and write bench/results/briefing-<date>.txt."""
    lines: list[str] = []

    def say(text: str) -> None:
        click.echo(text)
        lines.append(text)

    with tempfile.TemporaryDirectory() as tmp:
        content = corpus or Path(tmp) / "content"
        if corpus is None:
            t, summary = _timed(lambda: synth(events, content, seed=1))
            say(f"synth: {summary} ({t:.1f} s)")
        config = load_config(ROOT / "mkdocs.yml")
        t_load, loaded = _timed(lambda: load_corpus(content))
        say(f"load_corpus: {len(loaded.events)} events in {t_load:.2f} s (loader, not counted below)")
        first, last = _month(month)
        scope = Scope(first, last)
        t_sel, report = _timed(lambda: build_report(loaded, scope))
        say(f"scope {first}..{last}: {len(report.events)} events, {len(report.sources)} sources; "
            f"selection and figures {t_sel * 1000:.1f} ms")
        t_cold, c_cold, pdf = _cpu_timed(lambda: make_adhoc(loaded, scope, "pdf", config))
        say(f"PDF, first in process (WeasyPrint import, fonts): {t_cold:.2f} s wall, {c_cold:.2f} s CPU; "
            f"{_pages(pdf)} pages, {len(pdf) // 1024} KiB")
        warm = [_cpu_timed(lambda: make_adhoc(loaded, scope, "pdf", config))[:2] for _ in range(runs)]
        wall = statistics.median(w for w, _ in warm)
        cpu = statistics.median(c for _, c in warm)
        say(f"PDF, warm: median {wall:.2f} s wall, {cpu:.2f} s CPU over {runs} runs "
            f"(wall min {min(w for w, _ in warm):.2f}, max {max(w for w, _ in warm):.2f}); "
            f"target < 5 s: {'met' if wall < 5 else 'MISSED'}")
        say(f"load average while measuring: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
            f"on {os.cpu_count()} CPUs (wall times inflate when other work competes)")
        t_md, md = _timed(lambda: make_adhoc(loaded, scope, "md", config))
        say(f"Markdown: {t_md * 1000:.0f} ms, {len(md) // 1024} KiB")
        out = Path(tmp) / "brief.pdf"
        cmd = [sys.executable, str(ROOT / "build.py"), "brief", "--content", str(content), "--from",
               str(first), "--to", str(last), "--format", "pdf", "-o", str(out)]
        t_cli, done = _timed(lambda: subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT))
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.decode()[-300:]}"
        say(f"`build.py brief --format pdf` end to end (load + PDF, fresh process): {t_cli:.2f} s ({status})")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    target = results / f"briefing-{date.today()}.txt"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
