"""Benchmark: import a 100k-row UCDP GED file into a content tree; rows/s and peak memory.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--small 10000]

The CSV is generated deterministically from the real rows in tests/fixtures/ucdp (CC BY 4.0): each
output row is a fixture row with a new id and its dates moved on, every 50th row has a quoted
multi-line field, and the file starts with a BOM, so the importer meets the same quirks as in real
files (and the ~2% of rows real data gives that cannot be placed in a region are rejected).
Each import runs in a fresh process; its peak RSS and CPU time come from the kernel (wait4's
rusage), so rows per CPU second stays comparable when other work shares the machine. A
smaller run shows that memory does not grow with the file; a second run over the same tree shows
the cost of re-importing (every row matched, nothing written).
Results are printed and written to bench/results/import-<date>.txt.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "ucdp" / "ged_syria_2018_sample.csv"
RESULTS = ROOT / "bench" / "results"
_CHILD = """
import json, sys, time
from pathlib import Path
from sitrep.importers import run_import
t = time.perf_counter()
s = run_import("ucdp", Path(sys.argv[1]), Path(sys.argv[2]), progress=False)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": s.rows, "added": s.added, "matched": s.matched,
                  "updated": s.updated, "rejected": len(s.rejected), "duplicates": len(s.duplicates),
                  "actors": len(s.actors_added), "sources": len(s.sources_added)}))
"""


def make_csv(path: Path, n_rows: int) -> None:
    """Write `n_rows` UCDP-format rows made from the fixture's real rows, deterministically."""
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, base = list(reader.fieldnames or ()), list(reader)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\r\n")
        writer.writeheader()
        for i in range(n_rows):
            row = dict(base[i % len(base)])
            shift = timedelta(days=(i // len(base)) % 3650)
            row["id"] = str(10_000_000 + i)
            for col in ("date_start", "date_end"):
                row[col] = (date.fromisoformat(row[col][:10]) + shift).isoformat()
            if i % 50 == 0:
                row["source_article"] = row["source_article"].replace(" ", "\n", 2)
            writer.writerow(row)


def run_child(csv_path: Path, content: Path) -> tuple[dict, float, float, float]:
    """Import in a fresh process; return (its summary, wall s, CPU s, its own peak RSS in MB)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(csv_path), str(content)], env=env,
                                stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if proc.returncode:
            err.seek(0)
            raise click.ClickException(err.read().decode(errors="replace")[-2000:])
    return json.loads(out), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def fresh_tree(root: Path) -> Path:
    content = root / "content"
    for folder in ("regions", "geo"):
        shutil.copytree(ROOT / "content" / folder, content / folder)
    return content


@click.command()
@click.option("--rows", default=100_000, show_default=True, type=click.IntRange(1000))
@click.option("--small", default=10_000, show_default=True, type=click.IntRange(100))
def main(rows: int, small: int) -> None:
    """Generate the files, import them, report rows/s and peak memory."""
    lines = [f"# Import benchmark {date.today().isoformat()}",
             f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}", ""]
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-import-") as tmp:
        work = Path(tmp)
        for label, n in (("small", small), ("large", rows)):
            csv_path = work / f"ged-{n}.csv"
            make_csv(csv_path, n)
            content = fresh_tree(work / label)
            for run in ("first import", "re-import"):
                summary, wall, cpu, peak = run_child(csv_path, content)
                rate = summary["rows"] / summary["seconds"]
                # Other work on the machine slows the run: the 1-minute load average says how much.
                load = os.getloadavg()[0]
                lines.append(f"{n:>7} rows, {run:<12}: {summary['seconds']:7.1f} s import "
                             f"({wall:.1f} s with start-up), {rate:6.0f} rows/s; {cpu:.1f} CPU s "
                             f"({summary['rows'] / cpu:.0f} rows per CPU s); peak RSS {peak:5.1f} MB; "
                             f"added {summary['added']}, matched {summary['matched']}, "
                             f"rejected {summary['rejected']}, actors {summary['actors']}, "
                             f"sources {summary['sources']}; load average {load:.1f}")
                click.echo(lines[-1])
            size = csv_path.stat().st_size / 1e6
            files = sum(1 for _ in content.rglob("*.yaml"))
            lines.append(f"{'':>7}  file {size:.1f} MB; {files} content files")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"import-{date.today().isoformat()}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
