"""Measuring a build: wall time, CPU time and peak memory of the whole process tree, how many cores
the machine kept busy while it ran, and what changed on disk."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_EVERY_S = 0.1
"""How often the sampler reads the tree's memory, at most: see _Sampler."""
SAMPLER_SHARE = 0.1
"""The most of one core the sampler may take from the build it measures."""
Snapshot = Mapping[str, tuple[int, int]]  # relative path -> (mtime_ns, size)


@dataclass(frozen=True, slots=True)
class Run:
    """One finished command: how long it took and the most memory its process tree held at once."""

    seconds: float
    peak_mb: float
    """Highest sum of proportional set sizes (PSS) of the command and its descendants, sampled."""
    max_rss_mb: float
    """Largest resident set of any single process in the tree (from the kernel; not sampled)."""
    returncode: int
    output: str
    cpu_s: float = 0.0
    """User and system time of the command and every descendant it waited for (from the kernel)."""
    busy: tuple[float, ...] = ()
    """Cores the whole machine kept busy in each tenth of the run (from /proc/stat, sampled): shows
    where a build leaves a core idle. Other work on the machine counts too (see the load average)."""


def run(cmd: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Run:
    """Run `cmd`, sampling its process tree's memory until it exits; never raises on failure."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env) if env else None, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    sampler = _Sampler(proc.pid)
    sampler.start()
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    reader.join()
    return Run(seconds, sampler.peak_kb / 1024, usage.ru_maxrss / 1024, proc.returncode,
               b"".join(chunks).decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime,
               busy_by_tenth(sampler.cpu))


class _Sampler(threading.Thread):
    """Polls /proc for the tree under `root`; PSS counts pages shared by forked workers only once."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.cpu: list[CpuSample] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.cpu.append(_cpu_sample())
            started = time.perf_counter()
            self.peak_kb = max(self.peak_kb, sum(_memory_kb(pid) for pid in _tree(self.root)))
            # The kernel walks a process's page tables to sum its PSS: ~50 ms for 3 GB, so sampling
            # Hugo's 6 GB every 0.1 s took half a core from the build being timed. Sample less
            # often as the tree grows; the peak of a tree that large changes slowly anyway.
            self._halt.wait(pause_after(time.perf_counter() - started))
        self.cpu.append(_cpu_sample())

    def stop(self) -> None:
        self._halt.set()
        self.join()


def pause_after(took: float) -> float:
    """Return how long the sampler waits after a sample that took `took` seconds (SAMPLER_SHARE)."""
    return max(SAMPLE_EVERY_S, took * (1 - SAMPLER_SHARE) / SAMPLER_SHARE)


CpuSample = tuple[float, int, int]
"""(monotonic seconds, all CPU time, idle CPU time) of the whole machine, in clock ticks."""


def _cpu_sample() -> CpuSample:
    try:
        with open("/proc/stat", "rb") as fh:
            ticks = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        ticks = [0] * 8
    # user nice system idle iowait irq softirq steal: time waiting on the disk counts as idle.
    return time.monotonic(), sum(ticks), ticks[3] + ticks[4]


def _cores() -> int:
    """The CPUs /proc/stat's first line adds up (os.cpu_count may see more than a container has)."""
    try:
        with open("/proc/stat", "rb") as fh:
            return sum(1 for line in fh if line[:3] == b"cpu" and line[3:4].isdigit()) or 1
    except OSError:
        return os.cpu_count() or 1


def busy_by_tenth(samples: Sequence[CpuSample], cores: int | None = None) -> tuple[float, ...]:
    """Return the cores busy in each tenth of the time `samples` span; () for a run too short to
    split (fewer than two samples a tenth) or where /proc/stat could not be read."""
    if len(samples) < 20 or samples[-1][1] == samples[0][1]:
        return ()
    cores = cores or _cores()
    start, end = samples[0][0], samples[-1][0]
    out: list[float] = []
    for tenth in range(10):
        lo, hi = start + (end - start) * tenth / 10, start + (end - start) * (tenth + 1) / 10
        a, b = _nearest(samples, lo), _nearest(samples, hi)
        total, idle = b[1] - a[1], b[2] - a[2]
        out.append(round(cores * (1 - idle / total), 2) if total > 0 else 0.0)
    return tuple(out)


def _nearest(samples: Sequence[CpuSample], at: float) -> CpuSample:
    return min(samples, key=lambda s: abs(s[0] - at))


def _tree(root: int) -> list[int]:
    """Return `root` and its descendants (scanning /proc/*/stat, as /proc/*/children may be absent)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _memory_kb(pid: int) -> int:
    for name, field in (("smaps_rollup", b"Pss:"), ("status", b"VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as fh:
                for line in fh:
                    if line.startswith(field):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Return every file under `root` with its mtime (ns) and size."""
    out: dict[str, tuple[int, int]] = {}
    stack = [(str(root), "")]
    while stack:
        path, rel = stack.pop()
        with os.scandir(path) as it:
            for entry in it:
                name = f"{rel}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, name + "/"))
                else:
                    st = entry.stat(follow_symlinks=False)
                    out[name] = (st.st_mtime_ns, st.st_size)
    return out


@dataclass(frozen=True, slots=True)
class Changes:
    """Files a rebuild wrote (new or rewritten) and removed."""

    written: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def pages(self) -> int:
        return sum(p.endswith(".html") for p in self.written)


def changes(before: Snapshot, after: Snapshot) -> Changes:
    """Return what differs between two snapshots; an unchanged mtime and size means 'not rewritten'."""
    written = tuple(sorted(p for p, stamp in after.items() if before.get(p) != stamp))
    return Changes(written, tuple(sorted(set(before) - set(after))))


@dataclass(frozen=True, slots=True)
class TreeStats:
    files: int
    bytes: int
    pages: int
    """HTML pages: every .html file (each page is one, /x/ being x/index.html)."""


def tree_stats(root: Path) -> TreeStats:
    """Return how many files, bytes and HTML pages `root` holds."""
    snap = snapshot(root) if root.is_dir() else {}
    return TreeStats(len(snap), sum(size for _, size in snap.values()),
                     sum(p.endswith(".html") for p in snap))
