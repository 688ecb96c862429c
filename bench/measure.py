"""Measuring a build: wall time, peak memory of the whole process tree, and what changed on disk."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_EVERY_S = 0.1  # ~2% of one core; the same for Sitrep and Hugo
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
               b"".join(chunks).decode("utf-8", "replace"))


class _Sampler(threading.Thread):
    """Polls /proc for the tree under `root`; PSS counts pages shared by forked workers only once."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, sum(_memory_kb(pid) for pid in _tree(self.root)))
            self._halt.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._halt.set()
        self.join()


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
