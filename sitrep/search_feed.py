"""Indexing a large site's search shards in a helper process while the build renders its pages.

At 100k events Pagefind spends ~1 ms a record, about 90 s of one core. Run in the build's process
before the other stages (search.RUNS_EARLY), that leaves the second core idle; run ahead in a forked
child (search.runs_ahead), the child's reads of the model write its reference counts and copy the
build's heap page by page, which with Pagefind's own ~100 KB a record would pass the 2 GB the build
may hold. So the build makes each shard's records itself (~0.1 ms a record: the model is in its
process), writes them to a file in the search cache, and a fresh interpreter that holds nothing
else feeds them to Pagefind, one shard at a time, and stores each bundle in the cache under the
key the build gave it. Both run at the lowest CPU priority: the build's own process sets the pace,
and Pagefind takes only the time it leaves idle. The search stage then yields the bundles from the
cache at its turn (search.Beside), as it would a bundle an earlier build made.

The helper runs this module's main() (child.interpreter) with the build's pid and the cache folder.
It reads one job a line on stdin (JSON: records, key, subdir, language), writes one line of JSON on
stdout per shard it indexed (its stats, which the build logs), exits 0 at the end of its input, and
on an error writes it to stderr and exits 1.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO

from sitrep.blob_cache import BlobCache
from sitrep.child import interpreter, widen_pipe
from sitrep.pagefind_client import Record

log = logging.getLogger(__name__)

NICENESS = 19
"""The helper and its Pagefind run at the lowest priority: see main()."""
STALE_AFTER_S = 24 * 3600
"""Records files older than this are left over by a build that was killed (SIGKILL) while indexing."""


class Feed:
    """The helper process, seen from the build: hand it shards, then wait for it to finish them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started = time.perf_counter()
        self._jobs: list[Path] = []
        self.made = 0
        """Bundles indexed by the helper (at finish())."""
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._stdout: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder)
        command, env = interpreter(__name__, str(os.getpid()), str(folder))
        try:
            self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=self._stdout, stderr=self._stderr, env=env)
        except OSError:
            self._stdout.close()
            self._stderr.close()
            raise
        assert self._process.stdin is not None
        widen_pipe(self._process.stdin.fileno())  # room for every job line: handing one over never waits

    def add(self, key: str, subdir: str, language: str, records: Sequence[Record]) -> None:
        """Have the helper index `records` as the bundle at BUNDLE_DIR/`subdir` and cache it under `key`."""
        process = self._running()
        path = self.folder / f".feed-{os.getpid()}-{len(self._jobs)}.records"
        self._jobs.append(path)
        with path.open("wb") as fh:
            pickle.dump(list(records), fh, protocol=pickle.HIGHEST_PROTOCOL)
        job = {"records": str(path), "key": key, "subdir": subdir, "language": language}
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(job).encode() + b"\n")
            process.stdin.flush()
        except BrokenPipeError:
            pass  # it failed: finish() says why

    def finish(self) -> float:
        """Wait for the helper to index every shard it was given; return how long it ran (s).

        Raises RuntimeError with the helper's message if it failed."""
        process = self._running()
        assert process.stdin is not None
        with suppress(BrokenPipeError):
            process.stdin.close()
        code = process.wait()
        seconds = time.perf_counter() - self.started
        self._stdout.seek(0)
        for line in self._stdout.read().decode("utf-8", "replace").splitlines():
            try:
                stats = json.loads(line)
            except ValueError:  # cut short by the helper's failure, reported below
                continue
            self.made += 1
            log.info("search: %d records indexed in %.1f s, bundle built in %.1f s (%s, in a helper process)",
                     stats["records"], stats["add_s"], stats["write_s"], stats["bundle"])
        if code != 0:
            self._stderr.seek(0)
            detail = self._stderr.read()[-4000:].decode("utf-8", "replace").strip()
            self.stop()
            raise RuntimeError(f"the search index's helper process failed (exit status {code})"
                               f"{': ' + detail if detail else ''}")
        self.stop()
        return seconds

    def stop(self) -> None:
        """Stop the helper if it still runs, and remove what it was not given the time to read."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        for path in self._jobs:
            path.unlink(missing_ok=True)
        self._jobs.clear()
        self._stdout.close()
        self._stderr.close()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the search index's helper process was stopped")
        return self._process


def _remove_stale(folder: Path) -> None:
    """Remove records files a build killed before it could remove them left a day or more ago."""
    cutoff = time.time() - STALE_AFTER_S
    for path in folder.glob(".feed-*.records"):
        with suppress(OSError):  # another build's, removed a moment ago
            if path.stat().st_mtime < cutoff:
                path.unlink()


def main() -> None:
    """The helper's entry point (see the module's docstring)."""
    from sitrep.child import start_child
    from sitrep.search import BUNDLE_SUFFIX

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which stops this
    start_child(int(sys.argv[1]))
    # Only what the build leaves idle (its own process sets the pace of a large build): at the same
    # priority, Pagefind took its CPU from the renderers and a 100k build took longer, not less.
    with suppress(OSError):
        os.nice(NICENESS)
    try:
        _work(BlobCache(Path(sys.argv[2]), BUNDLE_SUFFIX))
    except Exception as exc:  # the build raises it, with this message
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.exit(1)


def _work(bundles: BlobCache) -> None:
    from sitrep.search import BUNDLE_DIR, _pack, index_files

    for line in sys.stdin:
        job = json.loads(line)
        path = Path(job["records"])
        with path.open("rb") as fh:
            records = pickle.load(fh)
        path.unlink()
        stats: dict[str, float] = {}
        blob = _pack(index_files(_drained(records), job["language"], stats, subdir=job["subdir"]))
        bundles.put(job["key"], blob)
        sys.stdout.write(json.dumps({**stats, "bundle": f"{BUNDLE_DIR}/{job['subdir']}"}) + "\n")
        sys.stdout.flush()


def _drained(records: list[Record]) -> Iterator[Record]:
    """Yield `records` in order, letting go of each once sent: Pagefind's peak, which comes after,
    then adds to less of this process."""
    records.reverse()
    while records:
        yield records.pop()
