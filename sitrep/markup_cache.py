"""Markdown converted in earlier builds, kept on disk so a rebuild converts only what changed.

Python-Markdown costs about 0.7 ms per event summary: at 10k events that is most of the time spent
building event pages, every build, for text that did not change. The cache is an SQLite file in the
build's cache folder (`.sitrep-cache/markdown.sqlite`, beside the parse cache), keyed by a hash of
the text, the heading shift and a fingerprint of the converter (this package's Markdown and
sanitising code and the versions of markdown and nh3), so an upgrade or a change to the allow-list
never serves stale HTML. Entries no build used are dropped when they outnumber the used ones.

A cache that cannot be opened or read (corrupt, read-only disk) is set aside with a warning: the
build converts everything itself, as without a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
from importlib.metadata import version
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "markdown.sqlite"
_SCHEMA = "CREATE TABLE IF NOT EXISTS html (key BLOB PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
_FLUSH_EVERY = 2000
"""New entries written per transaction: bounds memory, and what a killed build loses."""


def converter_fingerprint() -> bytes:
    """Return a digest of everything that decides the HTML for a given text."""
    h = hashlib.blake2b(digest_size=16)
    h.update((Path(__file__).resolve().parent / "markup.py").read_bytes())
    h.update(f"markdown {version('markdown')} nh3 {version('nh3')}".encode())
    return h.digest()


def cache_key(salt: bytes, text: str, heading_shift: int) -> bytes:
    """Return the key of a conversion: `salt` is converter_fingerprint()."""
    h = hashlib.blake2b(salt, digest_size=16)
    h.update(heading_shift.to_bytes(2, "little", signed=True))
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


class MarkdownCache:
    """An SQLite table of converted Markdown: key (digest) → sanitised HTML."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._salt = converter_fingerprint()
        self._pending: list[tuple[bytes, str]] = []
        self._used: set[bytes] = set()
        self._known: set[bytes] = set()
        """The keys stored when the build opened the cache: a cold build then asks SQLite nothing
        (a lookup that finds nothing cost ~0.2 ms, ~20 s of a 100k-event build)."""
        self._db: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        except sqlite3.OperationalError as exc:  # locked, read-only, disk full: leave the file be
            self._give_up(exc)
        except sqlite3.DatabaseError:  # not a database (a torn or foreign file): start afresh
            path.unlink(missing_ok=True)
            try:
                self._db = self._open()
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
        except OSError as exc:
            self._give_up(exc)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute(_SCHEMA)
            self._known = {row[0] for row in db.execute("SELECT key FROM html")}
        except sqlite3.Error:
            db.close()
            raise
        return db

    def key(self, text: str, heading_shift: int) -> bytes:
        return cache_key(self._salt, text, heading_shift)

    def get(self, key: bytes) -> str | None:
        """Return the HTML stored under `key`, or None."""
        self._used.add(key)
        if self._db is None:
            return None
        if key not in self._known:  # (one another build stored since is converted again: the same)
            self.misses += 1
            return None
        try:
            row = self._db.execute("SELECT value FROM html WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._give_up(exc)
            return None
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return str(row[0])

    def put(self, key: bytes, html: str) -> None:
        if self._db is None:
            return
        self._pending.append((key, html))
        self._known.add(key)
        if len(self._pending) >= _FLUSH_EVERY:
            self._flush()

    def adopt(self, key: bytes, html: str) -> None:
        """Keep a conversion made elsewhere (a render worker) as one this build used and made."""
        self.misses += 1
        self._used.add(key)
        self.put(key, html)

    def close(self) -> None:
        """Write what is pending, drop entries no conversion of this build used if they dominate."""
        if self._db is None:
            return
        try:
            self._flush()
            if self._db is not None:
                total = self._db.execute("SELECT count(*) FROM html").fetchone()[0]
                if total > 2 * len(self._used) + 1000:
                    self._prune()
        except sqlite3.Error as exc:
            self._give_up(exc)
        finally:
            if self._db is not None:
                self._db.close()
                self._db = None
        log.info("markdown: %d conversions from the cache, %d made", self.hits, self.misses)

    def _flush(self) -> None:
        if not self._pending or self._db is None:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO html (key, value) VALUES (?, ?)", self._pending)
        self._pending.clear()

    def _prune(self) -> None:
        assert self._db is not None
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("CREATE TEMP TABLE keep (key BLOB PRIMARY KEY) WITHOUT ROWID")
            self._db.executemany("INSERT INTO keep VALUES (?)", ((k,) for k in self._used))
            self._db.execute("DELETE FROM html WHERE key NOT IN (SELECT key FROM keep)")
            self._db.execute("DROP TABLE keep")
        self._db.execute("VACUUM")

    def _give_up(self, exc: Exception) -> None:
        log.warning("markdown cache %s is not usable (%s); converting without it", self.path, exc)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._pending.clear()
