"""A folder of files by cache key, shared safely by concurrent builds: briefing PDFs, search shards.

What goes in is the output of an expensive, deterministic step (printing a PDF, indexing a search
shard) keyed by a digest of everything that step reads, so a hit is always what the step would make.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

PRUNE_AFTER_S = 24 * 3600
"""Entries no build used for this long are deleted by `prune`."""


class BlobCache:
    """Files by cache key in a folder (`<key><suffix>`); `prune` drops old ones no build asked for.

    Several builds may share the folder (site/ and a preview, parallel tests): entries are written
    atomically, a hit refreshes the entry's mtime, and only entries unused for a day are pruned, so
    builds never delete what another build is using."""

    def __init__(self, folder: Path | None, suffix: str = ".pdf") -> None:
        self.folder = folder
        self.suffix = suffix
        self.used: set[str] = set()
        self.hits = 0

    def has(self, key: str) -> bool:
        """Return whether an entry is stored under `key` (another build may prune it a moment later)."""
        return self.folder is not None and (self.folder / f"{key}{self.suffix}").is_file()

    def get_or_make(self, key: str, make: Callable[[], bytes]) -> bytes:
        """Return the bytes cached under `key`, or make, store and return them."""
        self.used.add(key)
        if self.folder is None:
            return make()
        path = self.folder / f"{key}{self.suffix}"
        try:
            data = path.read_bytes()
            os.utime(path)
            self.hits += 1
            return data
        except OSError:
            pass  # not cached yet (or pruned by another build a moment ago)
        data = make()
        self.put(key, data)
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing what is there."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{key}{self.suffix}"
        tmp = path.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a concurrent or killed build never leaves half a file

    def prune(self, max_age_s: float = PRUNE_AFTER_S) -> None:
        """Delete entries this build did not use and nothing has used for `max_age_s` seconds."""
        if self.folder is None or not self.folder.is_dir():
            return
        cutoff = time.time() - max_age_s
        for path in self.folder.glob(f"*{self.suffix}"):
            try:
                if path.name[: -len(self.suffix)] not in self.used and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue  # another build pruned or refreshed it
