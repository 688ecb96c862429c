"""The build: load → validate → index → (render, exports, briefings, editorial, search) → write.

Stages stream OutputFiles into the writer, so a build never holds the whole site in memory; each
stage's time is measured while its generator runs.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from sitrep.config import SiteConfig, load_config
from sitrep.errors import ContentError, Problem
from sitrep.load import ParseCache, load
from sitrep.markup import disk_cache
from sitrep.model import Corpus
from sitrep.validate import check
from sitrep.write import PendingFile, SiteFile, WriteReport, build_lock, write_site

log = logging.getLogger(__name__)

OUTPUT_STAGES: tuple[str, ...] = ("render", "editorial", "briefing", "export", "schema", "search")
"""Modules with an `iter_files(corpus, indexes, config)` generator, in the order they run.
Order matters only for timing reports; the writer refuses two stages writing one path."""


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
          cache_path: Path | None = None, strict: bool = False) -> BuildResult:
    """Build the site of `content_dir` into `out_dir`; raise ContentError and leave the old site on errors."""
    with build_lock(out_dir):
        config = replace(config or load_config(None), content_dir=content_dir,
                         cache_dir=cache_path.parent if cache_path else None)
        return _build(content_dir, out_dir, config, cache_path, strict)


def _build(content_dir: Path, out_dir: Path, config: SiteConfig, cache_path: Path | None,
           strict: bool) -> BuildResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    cache = ParseCache.open(cache_path)
    docs = _timed(timings, "load", lambda: load(content_dir, cache))
    checked = _timed(timings, "validate", lambda: check(docs))
    warnings = tuple(p for p in checked.problems if p.severity == "warning")
    if checked.corpus is None or (strict and warnings):
        raise ContentError(checked.problems)
    corpus = checked.corpus
    from sitrep.index import build_indexes

    indexes = _timed(timings, "index", lambda: build_indexes(corpus))
    with disk_cache(config.cache_dir):
        files = _chain_stages(corpus, indexes, config, timings)
        write_started = time.perf_counter()
        report = write_site(files, out_dir, lock=False,  # build() holds the lock
                            manifest=manifest_path(cache_path) if cache_path else None)
    timings["write"] = time.perf_counter() - write_started - sum(
        timings.get(s, 0.0) for s in OUTPUT_STAGES)
    cache.save()
    timings["total"] = time.perf_counter() - started
    return BuildResult(corpus, report, warnings, timings)


def _timed(timings: dict[str, float], name: str, fn: Callable[[], object]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    timings[name] = time.perf_counter() - start
    return result


def _chain_stages(corpus: Corpus, indexes: object, config: SiteConfig,
                  timings: dict[str, float]) -> Iterator[SiteFile]:
    for name in OUTPUT_STAGES:
        module = importlib.import_module(f"sitrep.{name}")
        yield from _clocked(module.iter_files(corpus, indexes, config), name, timings)


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
        if isinstance(item, PendingFile):
            item = replace(item, make=partial(_clocked_make, item.make, name, timings))
        yield item


def _clocked_make(make: Callable[[], bytes], name: str, timings: dict[str, float]) -> bytes:
    start = time.perf_counter()
    try:
        return make()
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
