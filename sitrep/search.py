"""Search stage: a Pagefind index built from the model (not from the written HTML), and /search/.

One custom record per public event, actor, region, source and published briefing (search_records)
goes to `pagefind --service` through `pagefind_client` (the stock Python API reads answers at ~10
records/s; see that module). Building from the model keeps indexing linear and fast: measured in
bench/bench_search.py against running the pagefind CLI over the written pages.

Shards. pagefind 1.5.2 holds about 100 KB per record while it builds an index (10 GB at 100k events),
so large corpora are split into shards of at most `search_shard_size` records (mkdocs.yml
`extra.sitrep.search_shard_size`, default SHARD_SIZE), each built by its own service process, one
after another, so memory stays bounded. Shards follow the date order: shard 0 holds the oldest
events and briefings, the last shard the newest plus every actor, region and source. Shard 0 is the
bundle at pagefind/ (with pagefind.js); the others are index-only bundles at pagefind/shard-<n>/,
which static/search.js merges with Pagefind's mergeIndex. With more than one shard each record
carries a `shard` filter, so the page can list a date-sorted search shard by shard (Pagefind's own
merge orders results by score, which for a sorted search is a per-shard rank, not a date).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import math
import struct
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from sitrep.blob_cache import BlobCache
from sitrep.config import SiteConfig
from sitrep.index import Indexes
from sitrep.model import Corpus
from sitrep.pagefind_client import PagefindService, Record
from sitrep.pagefind_files import is_unstable, stabilise
from sitrep.search_records import count_records, dated_records, undated_records
from sitrep.urls import output_path, url_for
from sitrep.write import OutputFile

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
"""Where the index goes inside the site; static/search.js imports BUNDLE_DIR/pagefind.js."""
SHARD_SIZE = 10_000
"""Records per shard by default: about 1 GB of memory for pagefind while it builds one."""
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
    """How many shards a corpus's index has, and where each one goes under BUNDLE_DIR/."""

    count: int
    size: int

    @property
    def dirs(self) -> tuple[str, ...]:
        """Return each shard's folder relative to BUNDLE_DIR/: '' for shard 0, then 'shard-1/', ..."""
        return ("", *(f"shard-{k}/" for k in range(1, self.count)))

    @classmethod
    def for_corpus(cls, corpus: Corpus, indexes: Indexes, config: SiteConfig) -> ShardPlan:
        return cls.for_count(count_records(corpus, indexes)[0], shard_size(config))

    @classmethod
    def for_count(cls, dated: int, size: int) -> ShardPlan:
        """Return the plan for `dated` dated records, at most `size` to a shard (at least one shard)."""
        return cls(max(1, math.ceil(dated / size)), size)

    def split(self, dated: Iterator[Record], undated: Iterable[Record]) -> Iterator[Iterator[Record]]:
        """Yield each shard's records, lazily; the last shard gets the undated ones too."""
        for k in range(self.count):
            part: Iterator[Record] = itertools.islice(dated, self.size)
            if k == self.count - 1:
                part = itertools.chain(part, dated, undated)  # `dated` is empty here unless miscounted
            yield part if self.count == 1 else _in_shard(part, k)


def _in_shard(records: Iterable[Record], shard: int) -> Iterator[Record]:
    for record in records:
        yield dataclasses.replace(record, filters={**record.filters, "shard": [str(shard)]})


def shard_size(config: SiteConfig) -> int:
    """Return the records per shard: mkdocs.yml extra.sitrep.search_shard_size, else SHARD_SIZE."""
    sitrep = config.extra.get("sitrep") or {}
    return max(1, int(sitrep.get("search_shard_size", SHARD_SIZE)))


def runs_ahead(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> bool:
    """Whether the pipeline may build the index beside the other stages (in a forked process).

    Yes when it fits one shard: Pagefind then works on the other core while pages render, and the
    bundle held until the writer takes it is small (about 11 MB at 10k events). A larger index is
    built one shard at a time after the other stages, so Pagefind's memory (about 1 GB per shard)
    never adds to the renderers'."""
    return ShardPlan.for_corpus(corpus, indexes, config).count == 1


def iter_files(corpus: Corpus, indexes: Indexes, config: SiteConfig) -> Iterator[OutputFile]:
    """Yield the search page and the Pagefind bundle (BUNDLE_DIR/...) for `corpus`."""
    plan = ShardPlan.for_corpus(corpus, indexes, config)
    yield search_page(config, plan)
    shards = plan.split(dated_records(corpus, indexes, config), undated_records(corpus, indexes, config))
    bundles = BlobCache(config.cache_dir / "search" if config.cache_dir else None, ".bundle")
    for subdir, records in zip(plan.dirs, shards, strict=True):
        yield from shard_files(records, config.language, subdir, bundles)
    bundles.prune()
    if bundles.folder is not None:
        log.info("search: %d of %d shards unchanged, taken from the cache", bundles.hits, plan.count)


def shard_files(records: Iterable[Record], language: str, subdir: str,
                bundles: BlobCache) -> Iterator[OutputFile]:
    """Yield one shard's bundle: from `bundles` when no record of the shard changed, else from Pagefind.

    An edit touches one shard (plus the last, which holds the actors, regions and sources), so a
    rebuild indexes only those. The key covers every byte Pagefind is given, its version and the code
    that shapes the bundle, so a hit is exactly the bundle Pagefind would make again."""
    if bundles.folder is None:
        yield from index_files(records, language, subdir=subdir)
        return
    shard = list(records)
    key = shard_key(shard, language, subdir)
    packed = bundles.get_or_make(key, lambda: _pack(index_files(shard, language, subdir=subdir)))
    yield from _unpack(packed)


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


def _pack(files: Iterable[OutputFile]) -> bytes:
    """Return files as one blob: per file, the path's and the data's lengths, then both."""
    out = bytearray()
    for f in files:
        path = f.path.encode("utf-8")
        out += struct.pack("<IQ", len(path), len(f.data)) + path + f.data
    return bytes(out)


def _unpack(blob: bytes) -> Iterator[OutputFile]:
    at = 0
    while at < len(blob):
        path_len, data_len = struct.unpack_from("<IQ", blob, at)
        at += 12
        path = blob[at: at + path_len].decode("utf-8")
        at += path_len
        yield OutputFile(path, blob[at: at + data_len])
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


def search_page(config: SiteConfig, plan: ShardPlan | None = None) -> OutputFile:
    """Return /search/: the form (works without JS as a plain GET form) and the results area."""
    from sitrep.render import make_environment
    from sitrep.render_context import Meta

    url = url_for("search", config=config)
    meta = Meta(title="Search", url=url, section="search", noindex=True,
                description="Search events, actors, regions, sources and briefings.")
    page = SearchPage(bundle_url=url_for("home", config=config) + BUNDLE_DIR + "/",
                      shards=(plan or ShardPlan(1, SHARD_SIZE)).dirs[1:])
    html = make_environment(config).get_template("search.html").render(page=page, meta=meta)
    return OutputFile(output_path(url, config), html.encode("utf-8"))
