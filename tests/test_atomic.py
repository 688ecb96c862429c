"""Issue 9: a build killed at any moment, a build that fails, or two builds at once never damage the site.

The real command line runs as a child process on a synthetic corpus large enough to take a few
seconds, and is SIGKILLed at seeded random moments (and once as soon as its staging folder exists).
After each kill the output folder must be byte-identical to the previous site (or, if the kill came
after the swap, to the complete new site); the next build must succeed and clear the leftovers.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitrep import pipeline
from sitrep.cli import main
from sitrep.config import load_config
from sitrep.errors import ContentError
from sitrep.load import load
from sitrep.write import OutputFile, build_lock
from tests.conftest import CONFIG, MINIMAL, ROOT

SEED = 20190413
EVENTS = 150
RANDOM_KILLS = 4
LOCK_MESSAGE = "another build is writing"

Snapshot = dict[str, str]


def snapshot(root: Path) -> Snapshot:
    """Return {relative path: sha256} for every file under `root`."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Staging or moved-aside folders a build left beside `out` (the lock file and the spare site,
    which the next build stages from, are meant to stay)."""
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*")
                  if p.name not in (f".{out.name}.lock", f".{out.name}.spare"))


def cli(content: Path, out: Path) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out),
            "--config", str(CONFIG)]


def run_build(content: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(content, out), cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two versions of a synthetic corpus: v2 renames every region and drops ten events."""
    root = tmp_path_factory.mktemp("atomic")
    v1 = root / "v1"
    command = [sys.executable, str(ROOT / "build.py"), "synth", "--events", str(EVENTS), "--out", str(v1)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    v2 = Path(shutil.copytree(v1, root / "v2"))
    for region in (v2 / "regions").glob("*.yaml"):
        text = region.read_text(encoding="utf-8")
        region.write_text(text.replace("name: ", "name: Renamed ", 1), encoding="utf-8")
    for event in sorted((v2 / "events").rglob("*.yaml"))[-10:]:
        event.unlink()  # the last ten by date: no briefing cites them
    return v1, v2


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_at_random_moments_never_damages_the_site(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    """Kill `build.py` at several points: the site is always the previous one or the complete new one."""
    v1, v2 = corpora
    out = tmp_path / "site"
    started = time.perf_counter()
    assert run_build(v1, out).returncode == 0
    build_seconds = time.perf_counter() - started
    assert run_build(v1, out).returncode == 0  # now a spare site exists: the killed builds stage from it
    assert (out.parent / f".{out.name}.spare").is_dir()
    rng = random.Random(SEED)
    points: list[float | str] = sorted(rng.uniform(0.1, 0.95) * build_seconds for _ in range(RANDOM_KILLS))
    outcomes: list[str] = []
    not_previous: list[Snapshot] = []
    for point in [*points, "staging"]:
        previous = snapshot(out)
        proc = subprocess.Popen(cli(v2, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if point == "staging":
            _wait_for_staging(out, proc)
        else:
            time.sleep(float(point))
        mid_write = bool(list(out.parent.glob(f".{out.name}.staging-*")))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        now = snapshot(out)
        if now == previous:
            outcomes.append("previous site, killed mid-write" if mid_write else "previous site")
        else:  # killed after the swap: must be the whole new site, checked against a clean build below
            outcomes.append("new site")
            not_previous.append(now)
    assert sum(o.endswith("mid-write") for o in outcomes) >= 2, outcomes

    done = run_build(v2, out)
    assert done.returncode == 0, done.stderr
    new = snapshot(out)
    for seen in not_previous:
        assert seen == new, f"a kill left a site that is neither old nor complete: {_diff(seen, new)}"
    assert leftovers(out) == []


def _diff(a: Snapshot, b: Snapshot) -> list[str]:
    """The first paths that differ between two snapshots, for a readable failure."""
    return sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))[:10]


def _wait_for_staging(out: Path, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the build has started writing its staging folder (or has ended)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        staging = list(out.parent.glob(f".{out.name}.staging-*"))
        if staging and sum(1 for _ in staging[0].rglob("*")) > 50:
            return
        time.sleep(0.005)


@pytest.fixture(scope="module")
def minimal_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal content and its site, built once per module through the real CLI."""
    root = tmp_path_factory.mktemp("minimal")
    shutil.copytree(MINIMAL, root / "content")
    done = run_build(root / "content", root / "site")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def minimal_site(minimal_built: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the minimal content and its built site (mtimes kept)."""
    content = Path(shutil.copytree(minimal_built / "content", tmp_path / "content"))
    out = Path(shutil.copytree(minimal_built / "site", tmp_path / "site"))
    return content, out


def test_build_fails_with_a_clear_message_while_another_holds_the_lock(
        minimal_site: tuple[Path, Path]) -> None:
    """A second build while one is writing exits 1 with one clear line, and leaves the site alone."""
    content, out = minimal_site
    event = next(content.glob("events/**/*.yaml"))
    text = event.read_text(encoding="utf-8")
    event.write_text(text.replace("title: ", "title: Changed ", 1), encoding="utf-8")
    before = snapshot(out)
    with build_lock(out.absolute()):
        done = run_build(content, out)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert LOCK_MESSAGE in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: {LOCK_MESSAGE} {out}; wait for it to finish (lock: {out.parent / '.site.lock'})"]
    assert snapshot(out) == before
    assert run_build(content, out).returncode == 0  # and once the lock is free, the build goes through


def test_lock_is_released_when_the_holder_is_killed(minimal_site: tuple[Path, Path]) -> None:
    """flock dies with its process: a killed build never leaves a stale lock behind."""
    content, out = minimal_site
    code = ("import sys, time; from pathlib import Path; from sitrep.write import build_lock\n"
            "with build_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out.absolute())], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with open(out.parent / ".site.lock", "a+") as fh:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free now
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert run_build(content, out).returncode == 0


@pytest.mark.slow
def test_two_builds_at_once(minimal_site: tuple[Path, Path], tmp_path: Path) -> None:
    """Two builds started together: each succeeds or fails on the lock; the site ends complete."""
    content, out = minimal_site
    for path in content.glob("regions/*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("name: ", "name: New ", 1), encoding="utf-8")
    reference = tmp_path / "reference"
    assert run_build(content, reference).returncode == 0
    procs = [subprocess.Popen(cli(content, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    for code, err in results:
        assert code == 0 or (code == 1 and LOCK_MESSAGE in err), err
        assert "Traceback" not in err
    assert any(code == 0 for code, _ in results)
    assert snapshot(out) == snapshot(reference)
    assert leftovers(out) == []


def test_content_errors_keep_every_byte_and_mtime(minimal_site: tuple[Path, Path]) -> None:
    """A build stopped by content errors exits 1 and touches nothing: same bytes, same mtimes."""
    content, out = minimal_site
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    before = snapshot(out)
    (content / "actors" / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    done = run_build(content, out)
    assert done.returncode == 1
    assert f"{content}/actors/broken.yaml:2:1: error: invalid YAML" in done.stderr
    assert snapshot(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    assert leftovers(out) == []


def test_a_stage_crashing_mid_write_keeps_the_old_site(minimal_site: tuple[Path, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug that raises after some pages were written: exit 1, one clear line, the old site intact."""
    content, out = minimal_site
    for path in content.glob("regions/*.yaml"):  # so the aborted build has real changes to write
        path.write_text(path.read_text(encoding="utf-8").replace("name: ", "name: New ", 1), encoding="utf-8")
    before = snapshot(out)
    real = pipeline._chain_stages

    def crashing(*args: object, **kwargs: object) -> Iterator[OutputFile]:
        for n, f in enumerate(real(*args, **kwargs)):  # type: ignore[arg-type]
            if n == 30:
                raise RuntimeError("template exploded")
            yield f

    monkeypatch.setattr(pipeline, "_chain_stages", crashing)
    result = CliRunner().invoke(main, ["--content", str(content), "--out", str(out), "--config", str(CONFIG)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "internal error: RuntimeError: template exploded. The previous site is untouched." in result.output
    assert snapshot(out) == before
    assert leftovers(out) == []
    with pytest.raises(RuntimeError):
        pipeline.build(content, out, load_config(CONFIG))
    assert snapshot(out) == before


def test_build_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    """`--out` pointed at a folder of other files is refused before anything is touched."""
    precious = tmp_path / "documents"
    (precious / "notes").mkdir(parents=True)
    (precious / "notes" / "a.txt").write_text("keep me", encoding="utf-8")
    done = run_build(MINIMAL, precious)
    assert done.returncode == 1
    assert "refusing to replace" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(precious) == {"notes/a.txt": hashlib.sha256(b"keep me").hexdigest()}


def test_content_error_in_process_leaves_no_staging(minimal_site: tuple[Path, Path]) -> None:
    """The library call raises ContentError before the writer starts: no staging folder is made."""
    content, out = minimal_site
    (content / "sources" / "x.yaml").write_text("kind: nothing\n", encoding="utf-8")
    with pytest.raises(ContentError):
        pipeline.build(content, out, load_config(CONFIG))
    assert leftovers(out) == []


def _big_acled_csv(path: Path, rows: int) -> None:
    """Write an ACLED export of `rows` distinct events, cloned from the handmade fixture's first row."""
    with (ROOT / "tests/fixtures/acled/acled_syria_handmade.csv").open(encoding="utf-8", newline="") as fh:
        base = next(csv.DictReader(fh))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(base))
        writer.writeheader()
        for i in range(rows):
            day = date(2015, 1, 1) + timedelta(days=i)
            writer.writerow({**base, "event_id_cnty": f"SYR{50000 + i}", "event_date": day.isoformat(),
                             "year": str(day.year), "fatalities": str(i % 20),
                             "notes": f"On {day}, militants hit post {i}. {i % 20} fighters were killed."})


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_import_killed_midway_leaves_no_half_written_file(tmp_path: Path) -> None:
    """SIGKILL an import twice while it writes: every visible file is whole; a rerun completes the job."""
    content = Path(shutil.copytree(MINIMAL, tmp_path / "content"))
    big = tmp_path / "acled.csv"
    _big_acled_csv(big, 3000)
    command = [sys.executable, str(ROOT / "build.py"), "import", "acled", str(big), "--content", str(content)]
    for threshold in (200, 1500):
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if sum(1 for _ in (content / "events").rglob("*.yaml")) >= threshold:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        visible = [p for p in (content / "events").rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert all(p.suffix == ".yaml" for p in visible), "a temporary file is visible to the loader"
        broken = [d for d in load(content) if d.problems and d.kind == "events"]
        assert broken == [], broken[:3]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert sum(1 for _ in (content / "events").rglob("[!.]*.yaml")) == 3003
    assert not [d for d in load(content) if d.problems and d.kind == "events"]
