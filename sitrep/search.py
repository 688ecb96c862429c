"""Search stage: a Pagefind index built from the model (not from the written HTML), and /search/.

One custom record per public event, actor, region, source and published briefing (search_records)
goes to `pagefind --service` through `pagefind_client` (the stock Python API reads answers at ~10
records/s; see that module). Building from the model keeps indexing linear and fast: measured in
bench/bench_search.py against running the pagefind CLI over the written pages.

Shards. pagefind 1.5.2 holds about 100 KB per record while it builds an index (10 GB at 100k events),
and an edit makes it index again every record of the bundle the edited record is in. So a large
corpus's dated records (events and briefings) are split, in date order, into shards of about
`search_shard_size` records (mkdocs.yml `extra.sitrep.search_shard_size`, by default by the
index's size: SMALL_SHARD_SIZES, then SHARD_SIZE), each an index-only bundle at
pagefind/<shard name>/ built by its own service process, one after another, so memory stays
bounded and a rebuild indexes only the shards whose records changed (ShardPlan.cut says how shards
stay put when events come and go). The bundle at pagefind/ (with pagefind.js) then
holds the actors, regions and sources, and static/search.js merges the shards into it with
Pagefind's mergeIndex. Each dated record carries a `shard` filter and its shard's word
(shard_word), so the page can list a date-sorted search shard by shard (Pagefind's own merge orders
results by score, which for a sorted search is a per-shard rank, not a date).

Where Pagefind runs. With up to AHEAD_MAX records to index (a small site, or a rebuild that takes
all but a shard or two from the cache): in a forked child, beside the other stages (runs_ahead).
With more (a large site's first build): the build makes the records and a helper process at the
lowest priority indexes them in the time the build leaves a core idle (start_beside, search_feed).
Without a cache to hand bundles back through: in the build's process, before the other stages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sitrep.blob_cache import BlobCache
from sitrep.config import SiteConfig
from sitrep.index import Indexes
from sitrep.model import Briefing, Corpus, Event
from sitrep.page_keys import PageKeys, code_digest, same_items, same_objects
from sitrep.pagefind_client import PagefindService, Record
from sitrep.pagefind_files import is_unstable, stabilise
from sitrep.search_records import (
    EVERY,
    briefing_refs,
    cited_events,
    count_records,
    dated_items,
    dated_record,
    dated_records,
    dated_urls,
    event_refs,
    filter_counts,
    undated_records,
)
from sitrep.urls import output_path, url_for
from sitrep.write import OutputFile, PendingFile, SiteFile

if TYPE_CHECKING:
    from sitrep.search_feed import Feed

log = logging.getLogger(__name__)
T = TypeVar("T")

BUNDLE_DIR = "pagefind"
"""Where the index goes inside the site; static/search.js imports BUNDLE_DIR/pagefind.js."""
BUNDLE_SUFFIX = ".bundle"
"""The suffix of the search cache's entries (_bundles; search_feed's helper writes them too)."""
SHARD_SIZE = 4_000
"""Dated records per shard by default above AHEAD_MAX of them (3,000 to 6,000): Pagefind holds about
100 KB per record while it builds a shard and takes ~1.3 ms per record, so an edit re-indexes its
shard in ~5 s. More, smaller shards would cost the reader, as every search reads every shard:
measured in Chromium on a 10k-event site, a query took 0.5-0.7 s with the index in 1 or 4 shards
and 0.9-1.1 s in 10."""
AHEAD_MAX = 25_000
"""Up to this many dated records the index is built beside the other stages (runs_ahead)."""
SMALL_SHARD_SIZES: tuple[tuple[int, int], ...] = ((2_000, 2_000), (12_500, 1_000), (AHEAD_MAX, 2_000))
"""(most dated records, records per shard) for smaller indexes: a dozen shards at most, each small, and
none for the smallest (up to 2,000 dated records, one bundle, indexed again in ~2 s after an edit,
as one shard of a larger site would be, and one file fewer for each search). An edit's wait is its
shard's indexing, a reader's grows with the number of shards. At 10k events, 9 shards of ~1,100
instead of 5 of ~2,000: `serve`'s rebuild after an edit went from 3.7-4.2 s to 2.1-2.4 s (Pagefind's
re-indexing of the shard no longer the longest part), the command line's from 4.6-5.8 s to 4.1-4.6
s. A reader's searches in Chromium, each in a fresh page, 4 runs of each site alternating: medians
1.26-1.37 s with 9 shards against 1.19-1.31 s with 5 for searches with words, 1.93 against 1.98 s
for filters alone (static/search.js then asked one shard at a time for any date-sorted list, after
one merged search counting each shard's results; it now walks the shards by their words for filters
alone: see shard_word). Before, 5 shards
instead of 3 had taken `serve` from 7.3-7.6 s to 3.6-3.9 s for the same searches' times. A site that
grows past a size has its index cut again, once."""
PAIRS_MAX = 60_000
"""Most dated records an index may have for its shards to be made two at a time (_in_pairs). Two
Pagefind processes hold ~800 MB beside the build: measured at 100k events, the cold build's peak
went from 1848 to 2038 MB (for 49 s less), so larger sites index one shard at a time."""
RUNS_EARLY = True
"""When neither run ahead nor beside (no cache), the pipeline runs this stage before the others:
Pagefind's memory then adds to the build's while it is smallest."""
FILTERS: tuple[tuple[str, str], ...] = (
    ("kind", "Show"), ("region", "Region"), ("actor", "Actor"), ("type", "Event type"),
    ("sub_type", "Sub-type"), ("assessment", "Assessment"), ("year", "Year"), ("month", "Month"),
)
"""(filter key, label) in the order the search page shows them; the URL uses the same keys."""
# Pagefind's own UI bundles: the site uses static/search.js on pagefind.js instead.
_UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.",
           "playground/")
# What only the primary bundle needs: a merged shard is read by the primary's scripts and WebAssembly.
_PRIMARY_ONLY = ("pagefind.js", "pagefind-worker.js", "wasm.")


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """Where each record goes: the shards of the dated records, in date order, by name and length.

    With one shard, the whole index is the bundle at BUNDLE_DIR/. With more, that bundle holds the
    actors, regions and sources (a few hundred records, which change only when an event is added or
    removed) and each shard of dated records is an index-only bundle at BUNDLE_DIR/<name>/."""

    names: tuple[str, ...]
    lengths: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.lengths)

    @property
    def dirs(self) -> tuple[str, ...]:
        """Return each bundle's folder relative to BUNDLE_DIR/: '' for the primary, then the shards'."""
        return ("",) if self.count <= 1 else ("", *(f"{name}/" for name in self.names))

    @classmethod
    def for_corpus(cls, corpus: Corpus, indexes: Indexes, config: SiteConfig) -> ShardPlan:
        return cls.cut(dated_urls(corpus, indexes), shard_size(config, count_records(corpus, indexes)[0]))

    @classmethod
    def cut(cls, urls: Iterable[str], size: int) -> ShardPlan:
        """Return the plan for dated records with these URLs (in date order), about `size` to a shard.

        Where a shard ends depends on the URLs near its end, not on how many records come before:
        once a shard has 3/4 of `size` records it ends after the first record whose URL's hash is 0
        modulo size/4 (or at 3/2 of `size`). So an event added, removed or moved changes only the
        shard it is in (and, rarely, the next), instead of shifting every later shard's records
        and making Pagefind index them all again. A shard is named after its first record's URL,
        which an edit of that record leaves alone."""
        low, period = max(1, size * 3 // 4), max(1, size // 4)
        high = max(low, size * 3 // 2)
        names: list[str] = []
        lengths: list[int] = []
        length = 0
        for url in urls:
            if length == 0:
                names.append("shard-" + hashlib.blake2b(url.encode(), digest_size=5).hexdigest())
            length += 1
            if length >= high or (length >= low and _mark(url) % period == 0):
                lengths.append(length)
                length = 0
        if length:
            lengths.append(length)
        return cls(tuple(names), tuple(lengths))

    def chunks(self, dated: Iterator[T]) -> Iterator[tuple[str, list[T]]]:
        """Yield each shard's name and what its records are made from (with more than one shard)."""
        for name, length in zip(self.names, self.lengths, strict=True):
            yield name, list(itertools.islice(dated, length))

    def split(self, dated: Iterator[Record], undated: Iterable[Record]) -> Iterator[Iterator[Record]]:
        """Yield the records of each bundle in `dirs` order, lazily."""
        if self.count <= 1:
            yield itertools.chain(dated, undated)
            return
        yield iter(undated)
        for name, part in self.chunks(dated):
            yield _in_shard(part, name)


def _mark(url: str) -> int:
    return int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big")


def _in_shard(records: Iterable[Record], shard: str) -> Iterator[Record]:
    word = shard_word(shard)
    for record in records:
        every = f"{record.meta.get('every', '')} {word}".lstrip()
        yield dataclasses.replace(record, filters={**record.filters, "shard": [shard]},
                                  meta={**record.meta, "every": every})


def shard_word(name: str) -> str:
    """Return the word that only the records of shard `name` hold (in meta `every`, after EVERY).

    The page lists what filters alone select shard by shard, newest first, by searching for each
    shard's word: no other merged index holds it, so each such search scores one shard's records.
    Searching for EVERY with the shard filter instead scores every shard's records to keep one
    shard's (at 100k events, 1.6 s for each shard the page reads, and 4.2 s to count them all)."""
    return "sitrep" + name.replace("-", "")


def shard_size(config: SiteConfig, dated: int) -> int:
    """Return the records per shard of an index of `dated` dated records: mkdocs.yml
    extra.sitrep.search_shard_size, else the first of SMALL_SHARD_SIZES whose bound `dated` is
    within, else SHARD_SIZE."""
    sitrep = config.extra.get("sitrep") or {}
    if "search_shard_size" in sitrep:
        return max(1, int(sitrep["search_shard_size"]))
    return next((size for most, size in SMALL_SHARD_SIZES if dated <= most), SHARD_SIZE)


def runs_ahead(corpus: Corpus, indexes: Indexes, config: SiteConfig,
               memo: ShardKeyMemo | None = None) -> bool:
    """Whether the pipeline may build the index beside the other stages (in a forked process).

    Yes when Pagefind has up to AHEAD_MAX dated records to index: it then works on the other core
    while pages render, one shard at a time, and the build beside it is small. That is any site of
    up to AHEAD_MAX dated records, and a rebuild of a larger one that takes most shards from the
    cache (after an edit: one). A larger index is indexed by a helper process from records the
    build makes (start_beside, search_feed), as a forked child would copy the build's heap; without
    a cache to hand its bundles back through, in the build's process before the other stages
    (RUNS_EARLY), so Pagefind's memory never adds to the renderers' at their peak.

    `memo` (serve): see ShardKeyMemo. A small site's shards are keyed in the forked child, beside
    the other stages, and the memo does not learn them."""
    dated = count_records(corpus, indexes)[0]
    return dated <= AHEAD_MAX or to_index(corpus, indexes, config, memo) <= AHEAD_MAX


def to_index(corpus: Corpus, indexes: Indexes, config: SiteConfig, memo: ShardKeyMemo | None = None) -> int:
    """Return how many dated records a build of the index must give Pagefind: those of the shards
    whose bundle is not in the cache by its inputs (ShardInputs). Counting stops above AHEAD_MAX
    (a cold build would otherwise key every shard twice)."""
    _KEYED.clear()  # holds the last build's corpus otherwise
    plan = ShardPlan.for_corpus(corpus, indexes, config)
    bundles = _bundles(config)
    if plan.count <= 1 or bundles.folder is None:
        return sum(plan.lengths)
    missing = 0
    shards = []
    for shard in _keyed_shards(plan, corpus, indexes, config.language, bundles, memo):
        shards.append(shard)
        if shard[2] is None or not bundles.has(shard[2]):
            missing += len(shard[1])
            if missing > AHEAD_MAX:
                return missing
    _KEYED.append((corpus, plan, config.language, shards))
    return missing


@dataclass(slots=True)
class ShardKeyMemo:
    """The last build's shard keys (ShardInputs) with the items each was taken from, for a
    long-lived process (serve; warm.py): at 100k events, keying every shard took ~1 s of each
    rebuild after an edit, in the build's process, before the search stage could start.

    A shard's key reads its events (by their files' digests), the regions, actors and sources
    they name, Sitrep's code and the language (ShardInputs.base), and a briefing's record the
    events it cites. So it is the last build's when its events are the very same objects
    (validate.CheckMemo gives an unchanged file's back), its briefings equal, the events they cite
    the same objects, and the regions, actors and sources the same objects under the same ids."""

    base: bytes = b""
    refs: tuple[tuple[tuple[str, object], ...], ...] = ()
    keys: dict[str, tuple[list[Event | Briefing], tuple[Event | None, ...], str]] = dataclasses.field(
        default_factory=dict)


_KEYED: list[tuple[Corpus, ShardPlan, str, list[tuple[str, list[Event | Briefing], str | None]]]] = []
"""The shards keyed by the last to_index that keyed them all, which the build then runs the stage
with (in a forked child, which inherits them): at 100k events, keying every shard takes ~1 s."""


def _shards_keyed(plan: ShardPlan, corpus: Corpus, indexes: Indexes, language: str,
                  bundles: BlobCache) -> Iterable[tuple[str, list[Event | Briefing], str | None]]:
    """Return _keyed_shards, taken from to_index when it keyed the same corpus object's plan."""
    if _KEYED:
        kept_corpus, kept_plan, kept_language, shards = _KEYED.pop()
        if kept_corpus is corpus and kept_plan == plan and kept_language == language:
            return shards
    return _keyed_shards(plan, corpus, indexes, language, bundles)


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig, *,
               in_pairs: bool = False) -> Iterator[SiteFile]:
    """Yield the search page and the Pagefind bundle (BUNDLE_DIR/...) for `corpus`.

    `in_pairs`: index two shards at a time (_in_pairs) if there are at most PAIRS_MAX dated
    records, for a build that runs this stage before the others (RUNS_EARLY), when nothing else
    uses the second core."""
    plan = ShardPlan.for_corpus(corpus, indexes, config)
    yield search_page(config, plan, filter_counts(corpus, indexes))
    bundles = _bundles(config)
    language = config.language
    undated = undated_records(corpus, indexes, config)
    if plan.count <= 1:
        dated = dated_records(corpus, indexes, config)
        yield from shard_files(itertools.chain(dated, undated), language, "", bundles)
    else:
        yield from shard_files(undated, language, "", bundles)
        shards = _shards_keyed(plan, corpus, indexes, language, bundles)
        if in_pairs and sum(plan.lengths) <= PAIRS_MAX:
            shards = _in_pairs(shards, bundles, corpus, language)
        for name, items, key in shards:
            if key is None:
                yield from shard_files(_shard_records(items, corpus, language, name), language, f"{name}/",
                                       bundles)
            else:
                yield from _cached_bundle(bundles, key, _shard_bundle(items, corpus, language, name))
    bundles.prune()
    if bundles.folder is not None:
        log.info("search: %d of %d bundles unchanged, taken from the cache", bundles.hits, len(plan.dirs))


def start_beside(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Beside | None:
    """Start indexing in a helper process the bundles the cache lacks, for a build that does not run
    this stage ahead (more than AHEAD_MAX records to index): see search_feed. Return None where
    there is no cache to hand the bundles back through, or no second core to index them on."""
    bundles = _bundles(config)
    if bundles.folder is None or (os.cpu_count() or 1) < 2 or not sys.executable:
        return None
    from sitrep.search_feed import Feed

    plan = ShardPlan.for_corpus(corpus, indexes, config)
    try:
        feed = Feed(bundles.folder)
    except OSError as exc:  # no memory or no processes left: the stage runs in the build's process
        log.info("search: not indexing in a helper process (%s)", exc)
        return None
    try:
        page = search_page(config, plan, filter_counts(corpus, indexes))
        return Beside(page, list(_fed(feed, plan, corpus, indexes, config, bundles)), feed, bundles,
                      len(plan.dirs))
    except BaseException:
        feed.stop()
        raise


def _fed(feed: Feed, plan: ShardPlan, corpus: Corpus, indexes: Indexes, config: SiteConfig,
         bundles: BlobCache) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Yield each bundle's key and what makes it, in `plan.dirs` order, having handed `feed` the
    records of those the cache lacks."""
    language = config.language
    undated = list(undated_records(corpus, indexes, config))
    dated: Iterable[tuple[str, list[Event | Briefing], str | None]]
    if plan.count <= 1:
        undated = [*dated_records(corpus, indexes, config), *undated]
        dated = ()
    else:
        dated = _shards_keyed(plan, corpus, indexes, language, bundles)
    key = shard_key(undated, language, "")
    if not bundles.has(key):
        feed.add(key, "", language, undated)
    yield key, partial(_packed, lambda: undated, language, "")
    for name, items, known in dated:
        make = _shard_bundle(items, corpus, language, name)
        if known is not None and bundles.has(known):
            yield known, make
            continue
        records = list(_shard_records(items, corpus, language, name))
        key = known or shard_key(records, language, f"{name}/")
        feed.add(key, f"{name}/", language, records)
        yield key, make


class Beside:
    """The search stage's files once its helper process has indexed what the cache lacked."""

    def __init__(self, page: OutputFile, keys: list[tuple[str, Callable[[], bytes]]], feed: Feed,
                 bundles: BlobCache, count: int) -> None:
        self._page, self._keys, self._feed, self._bundles, self._count = page, keys, feed, bundles, count

    def result(self) -> tuple[list[SiteFile], float]:
        """Return the stage's files and the helper's time (s), or raise what failed."""
        seconds = self._feed.finish()
        files: list[SiteFile] = [self._page]
        for key, make in self._keys:
            files.extend(_cached_bundle(self._bundles, key, make))
        self._bundles.prune()
        log.info("search: %d of %d bundles unchanged, taken from the cache",
                 self._count - self._feed.made, self._count)
        return files, seconds

    def stop(self) -> None:
        self._feed.stop()


def _bundles(config: SiteConfig) -> BlobCache:
    """Return the cache of built bundles (folder None when the build keeps no cache)."""
    return BlobCache(config.cache_dir / "search" if config.cache_dir else None, BUNDLE_SUFFIX)


def _keyed_shards(plan: ShardPlan, corpus: Corpus, indexes: Indexes, language: str,
                  bundles: BlobCache, memo: ShardKeyMemo | None = None,
                  ) -> Iterator[tuple[str, list[Event | Briefing], str | None]]:
    """Yield each shard of dated records (with more than one shard): its name, what its records are
    made from, and its key by those inputs (None without a cache, or when ShardInputs has none).
    With a `memo`, a shard made of the same objects as at the last build keeps its key
    (ShardKeyMemo); the memo learns this build's once every shard is keyed."""
    inputs = ShardInputs(corpus, language)
    keyed = bundles.folder is not None
    refs = tuple(tuple(m.items()) for m in (corpus.regions, corpus.actors, corpus.sources))
    usable = memo is not None and memo.base == inputs.base and len(memo.refs) == len(refs) and all(
        map(same_items, memo.refs, refs))
    known = memo.keys if memo is not None and usable else {}
    new: dict[str, tuple[list[Event | Briefing], tuple[Event | None, ...], str]] = {}
    for name, items in plan.chunks(dated_items(corpus, indexes)):
        key: str | None = None
        if keyed:
            cited = tuple(corpus.events_by_id.get(e) for item in items if type(item) is not Event
                          for e in cited_events(item))  # type: ignore[arg-type]
            last = known.get(name)
            if (last is not None and _same_shard_items(last[0], items, inputs.keys)
                    and same_objects(last[1], cited)):
                key = last[2]
            else:
                key = inputs.key(items, f"{name}/")
            if key is not None:
                new[name] = (items, cited, key)
        yield name, items, key
    if memo is not None and keyed:
        memo.base, memo.refs, memo.keys = inputs.base, refs, new


def _same_shard_items(a: Sequence[object], b: Sequence[object], keys: PageKeys) -> bool:
    """Whether two shards' items are the very same objects, but for briefings, which validating
    makes anew at each build (they are checked against the events): those must have the same
    digest in `keys`, as ShardInputs.key takes it."""
    if same_objects(a, b):
        return True
    return len(a) == len(b) and all(
        x is y or (type(x) is Briefing and keys.shared(x) == keys.shared(y))
        for x, y in zip(a, b, strict=True))


def _in_pairs(shards: Iterable[tuple[str, list[Event | Briefing], str | None]], bundles: BlobCache,
              corpus: Corpus, language: str) -> Iterator[tuple[str, list[Event | Briefing], str | None]]:
    """Yield `shards` in order, having made the bundles of each pair at the same time: the second
    on a thread, each in its own Pagefind process, so a cold build indexes on both cores. A shard
    yielded is in the cache: the caller's _cached_bundle reads it back instead of making it.

    Memory: two Pagefind processes of one shard each (~100 KB a record), while this stage runs
    before the others, when the build holds least (see pipeline._chain_stages)."""
    def make(name: str, items: list[Event | Briefing], key: str) -> None:
        if not bundles.has(key):
            bundles.get_or_make(key, _shard_bundle(items, corpus, language, name))

    with ThreadPoolExecutor(1, thread_name_prefix="sitrep-search") as pool:
        shards = iter(shards)
        while pair := list(itertools.islice(shards, 2)):
            later = [pool.submit(make, *shard) for shard in pair[1:] if shard[2] is not None]
            first = pair[0]
            if first[2] is not None:
                make(first[0], first[1], first[2])
            for made in later:
                made.result()  # raises what making it raised
            yield from pair


def _shard_bundle(items: list[Event | Briefing], corpus: Corpus, language: str,
                  name: str) -> Callable[[], bytes]:
    """Return what makes a dated shard's bundle, packed for the cache (_cached_bundle)."""
    return partial(_packed, partial(_shard_records, items, corpus, language, name), language, f"{name}/")


def _shard_records(items: Sequence[Event | Briefing], corpus: Corpus, language: str,
                   name: str) -> Iterator[Record]:
    return _in_shard((dated_record(item, corpus, language) for item in items), name)


def _packed(records: Callable[[], Iterable[Record]], language: str, subdir: str) -> bytes:
    return _pack(index_files(records(), language, subdir=subdir))


class ShardInputs:
    """Keys a shard of dated records by what its records are made from, so a rebuild need not make
    the records of a shard it takes from the cache (at 100k events, making and hashing every record
    costs more than indexing the one shard an edit changed).

    An event's record reads the event (known by its file's digest, Corpus.file_digest) and
    search_records.event_refs; a briefing's, the briefing, briefing_refs and the events it cites
    (by title). Sitrep's code makes the rest. A shard holding an event not
    read from a file has no key here (shard_key then hashes its records)."""

    def __init__(self, corpus: Corpus, language: str) -> None:
        self.corpus = corpus
        self.keys = PageKeys(b"", corpus.file_digest)
        self.base = code_digest() + _code_fingerprint() + f"{language}\0".encode()

    def key(self, items: Sequence[Event | Briefing], subdir: str) -> str | None:
        h = hashlib.blake2b(self.base + f"{subdir}\0{len(items)}\0".encode(), digest_size=20)
        c = self.corpus
        for item in items:
            refs: list[object | None]
            if isinstance(item, Event):
                digest = c.file_digest(item)
                if digest is None:
                    return None
                h.update(digest)
                region, actors, sources = event_refs(item, c)
                refs = [region, *actors, *sources]
            else:
                regions, actors = briefing_refs(item, c)
                refs = [item, *regions, *actors, *(c.events_by_id.get(e) for e in cited_events(item))]
            for ref in refs:
                h.update(self.keys.shared(ref) if ref is not None else b"\0none")
        return "inputs-" + h.hexdigest()


def shard_files(records: Iterable[Record], language: str, subdir: str,
                bundles: BlobCache) -> Iterator[SiteFile]:
    """Yield one shard's bundle: from `bundles` when no record of the shard changed, else from Pagefind.

    An edit touches one shard (plus the primary bundle, which holds the actors, regions and sources,
    when it adds or removes an event), so a rebuild indexes only those. The key covers every byte
    Pagefind is given, its version and the code that shapes the bundle, so a hit is exactly the
    bundle Pagefind would make again."""
    if bundles.folder is None:
        yield from index_files(records, language, subdir=subdir)
        return
    shard = list(records)
    key = shard_key(shard, language, subdir)
    yield from _cached_bundle(bundles, key, lambda: _pack(index_files(shard, language, subdir=subdir)))


def shard_key(records: Sequence[Record], language: str, subdir: str) -> str:
    """Return the cache key of a shard's bundle."""
    h = hashlib.blake2b(digest_size=20)
    h.update(_code_fingerprint())
    h.update(f"{language}\0{subdir}\0{len(records)}\0".encode())
    for record in records:
        payload = json.dumps(record.payload(0), sort_keys=True, ensure_ascii=False)
        h.update(payload.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


@cache
def _code_fingerprint() -> bytes:
    here = Path(__file__).resolve().parent
    h = hashlib.blake2b(version("pagefind").encode(), digest_size=16)
    for name in ("search.py", "pagefind_client.py", "pagefind_files.py"):
        h.update((here / name).read_bytes())
    return h.digest()


def _cached_bundle(bundles: BlobCache, key: str, make: Callable[[], bytes]) -> Iterator[PendingFile]:
    """Yield the files of the bundle cached under `key` (made first if missing) as PendingFiles
    keyed by the bundle's key and their path, which read their bytes from the cache only if the
    site lacks them. The stage runs in a forked process: a rebuild then hands the build the names
    of a kept bundle's files, not their bytes (at 100k events, ~100k files and hundreds of MB)."""
    assert bundles.folder is not None
    blob = bundles.folder / f"{key}{bundles.suffix}"
    for path, at, size in _contents(bundles.get_or_make(key, make)):
        yield PendingFile(path, hashlib.blake2b(f"{key}\0{path}".encode(), digest_size=20).digest(),
                          partial(_bundle_file, blob, at, size))


def _bundle_file(blob: Path, at: int, size: int) -> bytes:
    """Return the `size` bytes at offset `at` of a cached bundle: one of its files."""
    try:
        with blob.open("rb") as fh:
            fh.seek(at)
            data = fh.read(size)
    except OSError as exc:
        raise RuntimeError(f"the search index's cache entry {blob.name} went away during the build "
                           f"({exc.strerror}); build again") from None
    if len(data) != size:
        raise RuntimeError(f"the search index's cache entry {blob.name} changed during the build; "
                           "build again")
    return data


def _pack(files: Iterable[OutputFile]) -> bytes:
    """Return files as one blob: per file, the path's and the data's lengths, then both."""
    out = bytearray()
    for f in files:
        path = f.path.encode("utf-8")
        out += struct.pack("<IQ", len(path), len(f.data)) + path + f.data
    return bytes(out)


def _contents(blob: bytes) -> Iterator[tuple[str, int, int]]:
    """Yield each file of a packed blob as (path, offset of its data, length of its data)."""
    at = 0
    while at < len(blob):
        path_len, data_len = struct.unpack_from("<IQ", blob, at)
        at += 12
        path = blob[at: at + path_len].decode("utf-8")
        at += path_len
        yield path, at, data_len
        at += data_len


# --- the index --------------------------------------------------------------------------------------

def index_files(records: Iterable[Record], language: str = "en", stats: dict[str, float] | None = None,
                *, subdir: str = "") -> Iterator[OutputFile]:
    """Yield one Pagefind bundle for `records` as OutputFiles under BUNDLE_DIR/`subdir`.

    The bundle comes back in memory (GetFiles): nothing touches the disk, and a shard's bundle is
    small (about 11 MB for 10k events). WriteFiles is not used: pagefind 1.5.2 can answer it before
    its last files are flushed, so reading them straight after may find them empty.
    `stats`, when given, receives records, add_s, write_s and service_peak_mb (for bench/).
    """
    stats = {} if stats is None else stats
    started = time.perf_counter()
    with PagefindService() as service:
        index = service.new_index({"force_language": language})
        stats["records"] = service.add_records(index, records)
        added = time.perf_counter()
        files = dict(service.get_files(index))
        stats["service_peak_mb"] = service.peak_memory_mb() or 0.0
    stats["add_s"], stats["write_s"] = added - started, time.perf_counter() - added
    log.info("search: %d records indexed in %.1f s, bundle built in %.1f s (%s)",
             stats["records"], stats["add_s"], stats["write_s"], f"{BUNDLE_DIR}/{subdir}")
    yield from _bundle_files(files, subdir)


def _bundle_files(files: dict[str, bytes], subdir: str) -> Iterator[OutputFile]:
    """Yield the bundle's files, the few that pagefind writes differently on each run put in order."""
    skip = _UNUSED if not subdir else (*_UNUSED, *_PRIMARY_ONLY)
    unstable = {rel: files.pop(rel) for rel in sorted(files) if is_unstable(rel)}
    for rel in sorted(files):
        data = files.pop(rel)  # let each file go once it is handed on
        if not rel.startswith(skip):
            yield OutputFile(f"{BUNDLE_DIR}/{subdir}{rel}", data)
    for rel, data in sorted(stabilise(unstable).items()):
        yield OutputFile(f"{BUNDLE_DIR}/{subdir}{rel}", data)


# --- the page -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SearchPage:
    """What templates/search.html needs besides the environment's globals."""

    bundle_url: str
    """URL of the Pagefind bundle folder, ending in '/'."""
    shards: tuple[str, ...] = ()
    """Folders of the shards to merge, relative to bundle_url (shard 0 is the bundle itself)."""
    filters: tuple[tuple[str, str], ...] = FILTERS
    every: str = EVERY
    """The word every record holds, which the page searches for when only filters are set."""
    shard_words: tuple[str, ...] = ()
    """The word of each shard in `shards`, in the same order (shard_word)."""
    options: str = ""
    """Each filter's values and how many records hold each, as JSON (search_records.filter_counts):
    the page's filter options. Empty: the page asks Pagefind (filters(), which reads every
    shard's filter index)."""


def search_page(config: SiteConfig, plan: ShardPlan | None = None,
                counts: Mapping[str, Mapping[str, int]] | None = None) -> OutputFile:
    """Return /search/: the form (works without JS as a plain GET form) and the results area."""
    from sitrep.render import make_environment
    from sitrep.render_context import Meta

    url = url_for("search", config=config)
    meta = Meta(title="Search", url=url, section="search", noindex=True,
                description="Search events, actors, regions, sources and briefings.")
    page = SearchPage(bundle_url=url_for("home", config=config) + BUNDLE_DIR + "/",
                      shards=plan.dirs[1:] if plan else (),
                      shard_words=tuple(map(shard_word, plan.names)) if plan and plan.count > 1 else (),
                      options=json.dumps(counts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                      if counts is not None else "")
    html = make_environment(config).get_template("search.html").render(page=page, meta=meta)
    return OutputFile(output_path(url, config), html.encode("utf-8"))
