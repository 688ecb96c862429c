"""Smoke test of the benchmark harness (bench/) at a tiny size: it measures, converts and reports."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from sitrep.synth import synth

# bench/ is a folder of scripts at the repo root, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import hugo_site, report, search_latency
from bench.measure import busy_by_tenth, changes, pause_after, run, snapshot, tree_stats
from bench.run import main as bench_main

needs_hugo = pytest.mark.skipif(shutil.which("hugo") is None, reason="Hugo is not installed (bench/setup.sh)")


def test_run_measures_time_and_peak_memory_of_the_process_tree() -> None:
    # A child that allocates ~120 MB in a grandchild: the sampler must see the whole tree.
    code = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import time; b = bytearray(120 * 2**20); b[::4096] = b\"x\" * len(b[::4096]); "
            "time.sleep(0.6)'])")
    result = run([sys.executable, "-c", code])
    assert result.returncode == 0
    assert 0.5 < result.seconds < 30
    assert 100 < result.peak_mb < 400
    assert result.max_rss_mb > 100


def test_run_counts_the_cpu_time_of_the_tree_and_the_cores_kept_busy() -> None:
    # The child spins ~1 s itself and ~1 s in a grandchild it waits for: both count.
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass\n"
    code = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {spin!r}])\n{spin}"
    result = run([sys.executable, "-c", code])
    assert result.returncode == 0, result.output
    cores = os.cpu_count() or 1
    assert 1.9 <= result.cpu_s <= result.seconds * cores + 0.5
    assert len(result.busy) == 10
    assert all(0 <= b <= cores for b in result.busy)
    assert sum(result.busy) / 10 >= 0.5  # a core spinning most of the time, whatever else runs


def test_busy_by_tenth_finds_where_the_cores_were_idle() -> None:
    # 2 cores, 10 s sampled every 0.1 s: both busy for 4 s, one for 3 s, none for 3 s (ticks of 0.01 s).
    samples, total, idle = [], 0, 0
    for i in range(101):
        samples.append((i / 10, total, idle))
        busy = 2 if i < 40 else 1 if i < 70 else 0
        total, idle = total + 20, idle + 10 * (2 - busy)
    assert busy_by_tenth(samples, cores=2) == (2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0)
    assert busy_by_tenth(samples[:10], cores=2) == ()  # too short to split in tenths
    assert busy_by_tenth([(i / 10, 0, 0) for i in range(50)], cores=2) == ()  # /proc/stat unread


def test_the_sampler_keeps_to_a_tenth_of_a_core_on_a_large_tree() -> None:
    assert pause_after(0.002) == pytest.approx(0.1)  # a small tree: every 0.1 s
    took = 0.1  # Hugo's 6 GB: ~0.1 s to sum its PSS
    assert took / (took + pause_after(took)) == pytest.approx(0.1)


def test_changes_sees_rewrites_even_with_identical_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for name in ("a/index.html", "b.txt", "c.txt"):
        (tmp_path / name).write_text("same", encoding="utf-8")
    before = snapshot(tmp_path)
    (tmp_path / "a/index.html").write_text("same", encoding="utf-8")  # rewritten, not changed
    os.utime(tmp_path / "a/index.html", ns=(1, 1))
    (tmp_path / "c.txt").unlink()
    (tmp_path / "d.txt").write_text("new", encoding="utf-8")
    diff = changes(before, snapshot(tmp_path))
    assert diff.written == ("a/index.html", "d.txt")
    assert diff.removed == ("c.txt",)
    assert diff.pages == 1
    assert tree_stats(tmp_path).files == 3


@needs_hugo
def test_hugo_site_has_a_page_per_event_region_actor_source_and_month(tmp_path: Path) -> None:
    content = tmp_path / "content"
    synth(60, content, seed=3)
    assert hugo_site.prepare(content, tmp_path / "hugo", workers=1) == 60
    result = run(["hugo", "--quiet", "--source", str(tmp_path / "hugo"),
                  "--destination", str(tmp_path / "public"), "--cacheDir", str(tmp_path / "cache")])
    assert result.returncode == 0, result.output
    public = tmp_path / "public"
    published = [p.stem for p in hugo_site.event_files(content)
                 if "status: draft" not in p.read_text("utf-8")]
    assert all((public / "events" / eid / "index.html").is_file() for eid in published)
    for kind in ("regions", "actors", "sources", "months"):
        terms = [p for p in (public / kind).iterdir() if p.is_dir() and p.name != "page"]
        assert terms and all((t / "index.html").is_file() for t in terms)
    some_event = (public / "events" / published[0] / "index.html").read_text("utf-8")
    assert "<h2>Sources</h2>" in some_event and 'href="/actors/' in some_event


@needs_hugo
@pytest.mark.slow
def test_bench_runs_end_to_end_and_writes_its_report(tmp_path: Path) -> None:
    assert bench_main(["--sizes", "40", "--workdir", str(tmp_path / "work"), "--results", str(tmp_path)]) == 0
    [md] = tmp_path.glob("*-40.md")
    text = md.read_text("utf-8")
    assert "| 40 |" in text and "## Targets (issue 8)" in text
    assert "/work/" not in text and "/tmp/" not in text  # no machine paths in results
    [res] = json.loads(md.with_suffix(".json").read_text("utf-8"))["results"]
    assert res["sitrep"]["pages"] > 40 and res["hugo"]["pages"] > 40
    assert res["stages"].get("total", 0) > 0
    assert res["edit"]["event_page_written"]
    assert res["edit"]["written"] < res["sitrep"]["files"]  # a one-event edit is not a full rewrite
    assert res["noop"]["rewritten"] == 0, res["noop"]["examples"]
    assert res["serve_edit"]["event_page_written"] and res["serve_edit"]["search_updated"]
    assert res["serve_edit"]["written"] < res["sitrep"]["files"]
    assert "serve edit s" in text
    assert res["sitrep"]["cpu_s"] > 0 and res["hugo"]["cpu_s"] > 0
    assert "| Sitrep CPU s |" in text
    assert res["serve_live"]["page_updated"] and res["serve_live"]["seconds"] > 0
    assert "save to new page s" in text
    queries = res["search"]["queries"]
    assert set(queries) == set(search_latency.QUERIES)
    assert all(q["total_s"] >= q["first_s"] >= q["ready_s"] > 0 for q in queries.values())
    listed = queries["filters alone"]
    assert 0 < listed["results"] <= 40 and listed["shown"] == min(listed["results"], 20)
    assert "## A reader's search in Chromium" in text


def test_targets_report_pass_fail_and_not_measured() -> None:
    row = {"n": 10_000, "sitrep": {"seconds": 20.0}, "hugo": {"seconds": 25.0}, "stages": {},
           "noop": {"rewritten": 0},
           "edit": {"seconds": 1.8, "written": 9, "pages": 7, "search_updated": True},
           "serve_edit": {"seconds": 0.8, "written": 9, "pages": 7, "search_updated": True},
           "serve_live": {"seconds": 1.4, "page_updated": True}, "hugo_edit": {}}
    lines = report.targets([row])
    assert any("at 10k ≤ 1 s (command line): 1.80 s, 9 files written (7 pages)" in line and "FAIL" in line
               for line in lines)
    assert any("at 10k ≤ 1 s (serve): 0.80 s, 9 files written (7 pages)" in line and "PASS" in line
               for line in lines)
    assert any("at 10k ≤ 1 s (serve, from the save to the new page): 1.40 s, page shows the edit: True"
               in line and "FAIL" in line for line in lines)
    assert any(line.startswith("1.") and "not measured" in line for line in lines)
    assert lines[-1].endswith("PASS")


def test_a_second_run_of_the_same_day_is_kept_beside_the_first(tmp_path: Path) -> None:
    machine = {"date": "2026-12-04T10:00:00", "cpu": "AMD EPYC", "cores": 2, "ram_gb": 23.5}
    first = report.save("first", [], machine, [10_000], tmp_path)
    second = report.save("second", [], machine, [10_000], tmp_path)
    assert first.name == "2026-12-04-amd-epyc-2c-24gb-10k.md"
    assert second.name == "2026-12-04-amd-epyc-2c-24gb-10k-2.md"
    assert first.read_text() == "first" and second.read_text() == "second"
    assert json.loads(second.with_suffix(".json").read_text())["machine"] == machine
