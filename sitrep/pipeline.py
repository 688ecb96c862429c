"""The build: load → validate → index → (render, exports, briefings, editorial, search) → write.

Stages stream OutputFiles into the writer, so a build never holds the whole site in memory; each
stage's time is measured while its generator runs. A stage may say it runs ahead (`runs_ahead`;
search does for a small index, briefing when a PDF must be printed): it then runs from the start
in a forked process, on the other core (at its AHEAD_NICENESS, if it has one), and its files are
handed to the writer in their turn. A process, not a thread: the search stage's many small reads
from Pagefind would fight the renderers for the GIL, which in a thread made both twice as slow. A
stage may also hand its work to a helper process of its own at the start (`start_beside`; search
does for a large index, see search_feed), and its files are likewise taken in their turn.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field, replace
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Protocol

from sitrep import heap
from sitrep.check_cache import memo_path, open_memo, save_memo
from sitrep.child import start_child
from sitrep.config import SiteConfig, load_config
from sitrep.errors import ContentError, Problem
from sitrep.load import ParseCache, RawDocument, load
from sitrep.markup import disk_cache, leave_disk_cache
from sitrep.model import Corpus
from sitrep.validate import Checked, check
from sitrep.warm import Warm
from sitrep.write import (
    Manifest,
    OutputFile,
    PendingFile,
    SiteFile,
    WriteReport,
    build_lock,
    write_site,
)

log = logging.getLogger(__name__)

OUTPUT_STAGES: tuple[str, ...] = ("render", "editorial", "briefing", "export", "schema", "search")
"""Modules with an `iter_files(corpus, indexes, config)` generator, in the order they run (but see
RUNS_EARLY in _chain_stages). The writer refuses two stages writing one path."""


BESIDE_DONE_BEFORE = "export"
"""A stage working in a helper process of its own (start_beside) is waited for, and its files
written, before this stage runs: its whole-corpus files are the build's largest moment in memory
(at 100k events the build grew by 120 to 600 MB there), which must not come on top of Pagefind's
(up to ~600 MB)."""


@dataclass(slots=True)
class BuildResult:
    corpus: Corpus
    report: WriteReport
    warnings: tuple[Problem, ...]
    timings: dict[str, float] = field(default_factory=dict)


def default_cache(out_dir: Path) -> Path:
    """Return where the parse cache lives: beside the output folder, never inside it."""
    return out_dir.absolute().parent / ".sitrep-cache" / f"parse-{out_dir.name}.pickle"


def manifest_path(cache_path: Path) -> Path:
    """Return where the writer records what it wrote, beside the parse cache of the same build."""
    return cache_path.with_name(f"{cache_path.stem}.written.pickle")


def build(content_dir: Path, out_dir: Path, config: SiteConfig | None = None, *,
          cache_path: Path | None = None, strict: bool = False, warm: Warm | None = None) -> BuildResult:
    """Build the site of `content_dir` into `out_dir`; raise ContentError and leave the old site on errors.

    A long-lived process passes the same `warm` to each build of the site (see warm.py)."""
    with build_lock(out_dir):
        config = replace(config or load_config(None), content_dir=content_dir,
                         cache_dir=cache_path.parent if cache_path else None)
        return _build(content_dir, out_dir, config, cache_path, strict,
                      warm.for_site(content_dir, out_dir, cache_path) if warm else None)


def _build(content_dir: Path, out_dir: Path, config: SiteConfig, cache_path: Path | None,
           strict: bool, warm: Warm | None) -> BuildResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with heap.settled():  # what is made here lives to the end of the build
        checked = _read(content_dir, cache_path, timings, warm)
        warnings = tuple(p for p in checked.problems if p.severity == "warning")
        if checked.corpus is None or (strict and warnings):
            raise ContentError(checked.problems)
        corpus = checked.corpus
        from sitrep.index import build_indexes

        indexes = _timed(timings, "index", lambda: build_indexes(corpus))
        records, kept = _records(cache_path, warm)
    ahead: set[str] = set()
    # A first build collects garbage as usual: see heap.paused.
    with heap.paused() if records.entries else nullcontext(), disk_cache(config.cache_dir):
        # Never given to a stage that runs ahead: search indexes two shards at once only when it
        # runs before the other stages, with both cores to itself.
        extra: dict[str, dict[str, object]] = {"render": {"previous": records.previous_key,
                                                          "timings": timings},
                                               "search": {"in_pairs": True}}
        # What the pipeline's own process asks a stage before it may run ahead.
        asked: dict[str, dict[str, object]] = {}
        if warm is not None:
            extra["render"]["memo"] = warm.keys
            extra["export"] = {"memo": warm.exports}
            asked["search"] = {"memo": warm.search}
        files = _chain_stages(corpus, indexes, config, timings, ahead, extra, asked)
        write_started = time.perf_counter()
        report = _write(files, out_dir, records, kept, cache_path, warm)
    # What the writer's loop spent waiting for stages in this thread is theirs, not the writer's.
    timings["write"] = time.perf_counter() - write_started - sum(
        timings.get(f"{s}_wait" if s in ahead else s, 0.0) + timings.get(f"{s}_start", 0.0)
        for s in OUTPUT_STAGES)
    timings["total"] = time.perf_counter() - started
    return BuildResult(corpus, report, warnings, timings)


def _records(cache_path: Path | None, warm: Warm | None) -> tuple[Manifest, bool]:
    """Return the writer's records of the last build, and whether a long-lived process keeps them
    in memory between builds (saved by Warm.save); a build from the command line reads them here
    and saves them after writing."""
    path = manifest_path(cache_path) if cache_path else None
    kept = warm.manifest if warm is not None and path is not None else None
    if warm is not None:  # until this build succeeds: after a failure, the file says what is there
        warm.manifest = None
    return (kept.following(), True) if kept is not None else (Manifest.open(path), False)


def _write(files: Iterable[SiteFile], out_dir: Path, records: Manifest, kept: bool,
           cache_path: Path | None, warm: Warm | None) -> WriteReport:
    report = write_site(files, out_dir, lock=False, manifest=records,  # build() holds the lock
                        save=not kept)
    if warm is not None and cache_path is not None:
        warm.manifest = records
    return report


def _read(content_dir: Path, cache_path: Path | None, timings: dict[str, float],
          warm: Warm | None) -> Checked:
    """Load and validate; the parsed YAML is kept on disk for the next build and let go of here,
    once the model is made (at 100k events, hundreds of MB the later stages can use), unless a
    long-lived process keeps it in memory for its next build.

    Such a process saves the cache at its first build only: the file then lacks just the files
    edited since, which a build in another process parses again (Warm.save brings it up to date).
    Files whose stamps are the saved ones are not read at all (ParseCache.stamps)."""
    kept = warm.parse if warm is not None else None
    cache = kept or ParseCache.open(cache_path)
    stamps = warm.stamps if warm is not None else dict(cache.stamps)
    if warm is not None and kept is None:
        stamps.update(cache.stamps)  # a long-lived process's first build: the saved ones
    docs = _timed(timings, "load", lambda: load(content_dir, cache, stamps))
    checked = _timed(timings, "validate", lambda: _check(docs, cache_path, warm))
    if kept is None:
        cache.save(stamps)
    if warm is not None:
        warm.parse = ParseCache(cache.path, cache.used)
    return checked


def _check(docs: Sequence[RawDocument], cache_path: Path | None, warm: Warm | None) -> Checked:
    """Validate `docs` with what the last check kept: in memory for a long-lived process (read from
    disk at its first build), else on disk beside the parse cache (check_cache)."""
    if cache_path is None:
        return check(docs, warm.check if warm is not None else None)
    path = memo_path(cache_path)
    if warm is not None:
        if warm.check.refs is None:
            warm.check, warm.check_found = open_memo(path)
            warm.check_changes = 0
        checked = check(docs, warm.check)
        warm.check_changes += warm.check.changes
        return checked
    memo, found = open_memo(path)
    checked = check(docs, memo)
    save_memo(memo, path, found=found)
    return checked


def _timed(timings: dict[str, float], name: str, fn: Callable[[], object]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    timings[name] = time.perf_counter() - start
    return result


def _chain_stages(corpus: Corpus, indexes: object, config: SiteConfig, timings: dict[str, float],
                  ahead: set[str], extra: dict[str, dict[str, object]] | None = None,
                  asked: dict[str, dict[str, object]] | None = None) -> Iterator[SiteFile]:
    """Yield every stage's files in OUTPUT_STAGES order, RUNS_EARLY ones that do not run ahead first;
    stages that run ahead, or beside (start_beside), are started first.

    `ahead` receives their names. Their time in `timings` is their own process's; `<name>_wait` is
    how long the writer then waited for them. If the build fails, they are stopped. `extra` holds
    further keyword arguments of a stage's iter_files, by stage name (never for one run ahead);
    `asked`, of its runs_ahead, which runs in this process (search keys its shards there)."""
    modules = [(name, importlib.import_module(f"sitrep.{name}")) for name in OUTPUT_STAGES]
    started: dict[str, _Ahead] = {}
    beside: list[str] = []
    taken: set[str] = set()
    try:
        for name, module in modules:
            if _runs_ahead(module, corpus, indexes, config, (asked or {}).get(name, {})):
                started[name] = _Forked(name, module, corpus, indexes, config)
            elif (helper := _started_beside(module, name, corpus, indexes, config, timings)) is not None:
                started[name] = helper
                beside.append(name)
        ahead.update(started)
        # A stage whose memory is mostly a helper process's (search: Pagefind) runs first when it
        # does not run ahead, while the build holds least: at 100k events its peak then adds to
        # ~1 GB instead of to the ~1.8 GB the build holds once every page is rendered.
        early = [(n, m) for n, m in modules if n not in started and getattr(m, "RUNS_EARLY", False)]
        for name, module in early + [(n, m) for n, m in modules if (n, m) not in early]:
            if name == BESIDE_DONE_BEFORE:
                taken.update(beside)
                for helped in beside:
                    yield from _taken(started[helped], helped, timings)
            if name not in started:
                yield from _clocked(module.iter_files(corpus, indexes, config, **(extra or {}).get(name, {})),
                                    name, timings)
            elif name not in taken:
                yield from _taken(started[name], name, timings)
    finally:
        for forked in started.values():
            forked.stop()


def _taken(stage: _Ahead, name: str, timings: dict[str, float]) -> list[SiteFile]:
    start = time.perf_counter()
    files, timings[name] = stage.result()
    timings[f"{name}_wait"] = time.perf_counter() - start
    return files


class _Ahead(Protocol):
    def result(self) -> tuple[list[SiteFile], float]: ...
    def stop(self) -> None: ...


def _started_beside(module: ModuleType, name: str, corpus: Corpus, indexes: object, config: SiteConfig,
                    timings: dict[str, float]) -> _Ahead | None:
    """Start a stage's work that runs in a helper process of its own (search: search_feed), if it
    has any; `<name>_start` is the time the build spent handing it its work."""
    start_beside = getattr(module, "start_beside", None)
    if start_beside is None or not sys.platform.startswith("linux"):
        return None
    start = time.perf_counter()
    beside = start_beside(corpus, indexes, config)
    timings[f"{name}_start"] = time.perf_counter() - start
    return beside


def _runs_ahead(module: ModuleType, corpus: Corpus, indexes: object, config: SiteConfig,
                asked: dict[str, object]) -> bool:
    if not sys.platform.startswith("linux"):  # fork is the start method that shares the model for free
        return False
    runs_ahead = getattr(module, "runs_ahead", None)
    return bool(runs_ahead and runs_ahead(corpus, indexes, config, **asked))


class _Forked:
    """One stage's iter_files run in a forked child, which inherits the model instead of pickling it."""

    def __init__(self, name: str, module: ModuleType, corpus: Corpus, indexes: object,
                 config: SiteConfig) -> None:
        context = multiprocessing.get_context("fork")
        self.name = name
        self._results, sender = context.Pipe(duplex=False)
        # daemon: a build that dies takes its stage with it.
        self._process = context.Process(target=_run_stage,
                                        args=(os.getpid(), sender, module, corpus, indexes, config),
                                        name=f"sitrep-{name}", daemon=True)
        self._process.start()
        sender.close()

    def result(self) -> tuple[list[SiteFile], float]:
        """Return the stage's files and its time, or raise what it raised."""
        try:
            status, payload, seconds = self._results.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the {self.name} stage's process ended without a result "
                               f"(exit code {self._process.exitcode})") from None
        except Exception as exc:  # e.g. an exception of the child's that will not unpickle
            raise RuntimeError(f"the {self.name} stage's result could not be read: {exc}") from exc
        self._process.join()
        if status != "ok":
            raise payload
        return payload, seconds

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._results.close()


def _run_stage(parent: int, sender: Connection, module: ModuleType, corpus: Corpus, indexes: object,
               config: SiteConfig) -> None:
    start_child(parent)
    leave_disk_cache()
    if niceness := getattr(module, "AHEAD_NICENESS", 0):
        with suppress(OSError):
            os.nice(niceness)
    start = time.perf_counter()
    try:
        # A PendingFile goes as it is: its key and a `make` that pickles (search's reads the cache),
        # which the build calls only if its site lacks the file.
        files = [f if isinstance(f, PendingFile) else OutputFile(f.path, f.data)
                 for f in module.iter_files(corpus, indexes, config)]
        sender.send(("ok", files, time.perf_counter() - start))
    except Exception as exc:  # handed to the build, which raises it
        try:
            sender.send(("error", exc, 0.0))
        except Exception:  # an exception that cannot be pickled
            sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), 0.0))
    finally:
        sender.close()


def _clocked(files: Iterable[SiteFile], name: str, timings: dict[str, float]) -> Iterator[SiteFile]:
    """Yield from `files`, adding the time spent producing them (not consuming them) to timings[name].

    A PendingFile is made later, inside the writer, so its `make` is wrapped to clock it here too."""
    it = iter(files)
    while True:
        start = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
            return
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
        if isinstance(item, PendingFile):  # not dataclasses.replace: this runs for every page
            item = PendingFile(item.path, item.key, partial(_clocked_make, item.make, name, timings))
        yield item


def _clocked_make(make: Callable[[], bytes], name: str, timings: dict[str, float]) -> bytes:
    start = time.perf_counter()
    try:
        return make()
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
