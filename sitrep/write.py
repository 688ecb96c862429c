"""Write stage: put a build's files in place atomically, touching only files whose bytes changed.

The new site is assembled in a staging folder beside the output folder that starts as a copy of
the old site made of hard links (which keeps unchanged files' inodes and mtimes); changed files
replace their links, files no build produced any more are left out, and then staging and output
are swapped in one step. A build that fails or is killed at any moment leaves the old site as it
was; the next build clears the leftovers.

With a manifest, the site the swap retires is kept beside the output as `.<name>.spare` instead of
being deleted. It differs from the new site only in the paths that build wrote or removed, which
the manifest records, so the next build makes its staging folder by renaming the spare and
re-linking just those paths: staging and clean-up then cost in proportion to what changed, not to
the size of the site (at 10k events, linking 22k files into 11k folders and deleting the old tree
took seconds of every rebuild).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import itertools
import logging
import os
import pickle
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import click

from sitrep.pickle_file import write_pickle

log = logging.getLogger(__name__)

RESERVED_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                            *(f"lpt{i}" for i in range(10))})
"""Device names Windows will not create as files or folders, whatever the extension."""
_RESERVED = RESERVED_NAMES
MAX_NAME = 200
MARKER = ".sitrep-site"
"""Written into every site the writer builds; a non-empty folder without it is never replaced, so
`--out ~` or `--out .` cannot wipe a folder of other files."""
_MARKER_TEXT = b"Written by sitrep's build: every build replaces this folder's contents.\n"


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the built site: a POSIX path relative to the site root, and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class PendingFile:
    """A file made only if the site does not already hold it: `key` digests all it is made from.

    When the previous build wrote this path with the same key and the file is still as it left it,
    the writer keeps it and never calls `make` (see page_keys)."""

    path: str
    key: bytes
    make: Callable[[], bytes]

    @property
    def data(self) -> bytes:
        return self.make()


SiteFile = OutputFile | PendingFile


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: int
    removed: int
    kept: int = 0
    """How many of the unchanged files were kept by their key, without being made again."""
    from_spare: bool = False
    """Whether staging was the previous build's spare site, updated by the paths that changed."""

    @property
    def total(self) -> int:
        return len(self.written) + self.unchanged


class WriteError(click.ClickException):
    """The output cannot be written: a bad or duplicate path, or another build holds the lock."""


_MANIFEST_VERSION = 4
"""4: file digests by SHA-256 (_digest); a manifest of another version is set aside, and the old
site's files are then compared by reading them back, so none is rewritten for it."""
Stamp = tuple[int, int, int, bytes, bytes]
"""(size, mtime_ns, inode, digest (_digest), key or b"") of one file of the site as this writer left it."""


FolderStamps = dict[str, tuple[int, int, tuple[str, ...] | None]]
"""Relative folder path ("." for the root) → (inode, mtime_ns, names): adding, removing or renaming
a file in a folder changes its mtime, so equal stamps mean no file came or went. A folder changed
less than a clock tick before it was stamped could change again without a new mtime (kernels
without fine-grained timestamps keep mtimes in ticks), so for those the names it held are kept."""
_RACY_NS = 50_000_000
"""Longer than a kernel's timestamp tick (10 ms at HZ=100)."""


@dataclass(frozen=True, slots=True)
class SpareRecord:
    """The spare site a build left and the site it made, as it left them.

    Trusted only while the two folders keep their inodes and the spare its folder stamps. Every
    swap gives the output folder a new inode, so a build killed after its swap but before it saved
    the manifest leaves a record that no longer matches. The stamps catch files added to or removed
    from the site after its build (or from the spare since): such a spare is not used."""

    site_ino: int
    spare_ino: int
    delta: frozenset[str]
    """Paths whose files differ between the site and the spare: written or removed by that build."""
    spare_folders: FolderStamps
    """The spare's folders as they were when it was still the site, just built."""
    site_folders: FolderStamps
    """The site's folders right after its swap: the next build's spare_folders."""


def _digest(data: bytes) -> bytes:
    # SHA-256, which CPUs compute in hardware (x86 SHA extensions, ARMv8): 0.15 s for 230 MB here,
    # against 0.29 s for BLAKE2b. Every file a build writes is hashed: ~3 GB at 100k events.
    return hashlib.sha256(data).digest()[:16]


@dataclass(slots=True)
class Manifest:
    """What the last build wrote: path → Stamp, so a rebuild need not read every old file back.

    An entry is trusted only while the file's size, mtime and inode are still the recorded ones:
    any rewrite (ours always makes a new inode; an editor's changes mtime) falls back to comparing
    bytes. Lost or stale manifests therefore cost time, never correctness."""

    path: Path | None
    entries: dict[str, Stamp] = field(default_factory=dict)
    fresh: dict[str, Stamp] = field(default_factory=dict)
    spare: SpareRecord | None = None
    fresh_spare: SpareRecord | None = None

    @classmethod
    def open(cls, path: Path | None) -> Manifest:
        """Return the manifest stored at `path`, or an empty one when it is missing or unreadable."""
        if path is None or not path.is_file():
            return cls(path)
        try:
            with path.open("rb") as fh:
                version, entries, *rest = pickle.load(fh)  # our own cache folder, written only by save()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                IndexError, KeyError, MemoryError, RecursionError):
            return cls(path)
        if version != _MANIFEST_VERSION or not isinstance(entries, dict) or len(rest) != 1:
            return cls(path)
        spare = rest[0] if isinstance(rest[0], SpareRecord) else None
        return cls(path, entries, spare=spare)

    def _intact(self, rel: str, target: str | Path) -> Stamp | None:
        """Return the record of `rel` if `target` is still the file it describes."""
        stamp = self.entries.get(rel)
        if stamp is None:
            return None
        try:
            st = os.stat(target)
        except OSError:
            return None
        return stamp if (st.st_size, st.st_mtime_ns, st.st_ino) == stamp[:3] else None

    def same(self, rel: str, target: str | Path, data: bytes, key: bytes = b"") -> bool | None:
        """Return whether `target` holds `data` by its record; None when the record cannot be trusted."""
        stamp = self._intact(rel, target)
        if stamp is None or stamp[0] != len(data):
            return None
        same = stamp[3] == _digest(data)
        if same:
            self.fresh[rel] = (*stamp[:4], key)
        return same

    def previous_key(self, rel: str) -> bytes | None:
        """Return the key the last build wrote `rel` with; None if it did not write it."""
        stamp = self.entries.get(rel)
        return stamp[4] if stamp is not None else None

    def same_key(self, rel: str, target: str | Path, key: bytes) -> bool:
        """Return whether `target` is the intact file the previous build made from the same `key`."""
        stamp = self._intact(rel, target)
        if stamp is None or not key or stamp[4] != key:
            return False
        self.fresh[rel] = stamp
        return True

    def record(self, rel: str, st: os.stat_result, data: bytes, key: bytes = b"") -> None:
        if self.path is not None:
            self.note(rel, st, _digest(data), key)

    def note(self, rel: str, st: os.stat_result, digest: bytes, key: bytes = b"") -> None:
        """Record `rel` as written, its bytes' digest (_digest) already taken."""
        if self.path is not None:
            self.fresh[rel] = (st.st_size, st.st_mtime_ns, st.st_ino, digest, key)

    def following(self) -> Manifest:
        """Return the manifest the next build reads: this build's records, without a file read."""
        return Manifest(self.path, dict(self.fresh), spare=self.fresh_spare)

    def save(self) -> None:
        """Write this build's records, atomically (the build lock serialises writers)."""
        if self.path is not None:
            write_pickle(self.path, (_MANIFEST_VERSION, self.fresh, self.fresh_spare))


_UNSAFE_CHARACTER = re.compile(r"[\x00-\x1f\x7f\\]")
"""Control characters, and backslashes (a folder separator on Windows)."""


def check_path(path: str) -> str:
    """Return `path` if it is a safe relative POSIX path inside the site, else raise WriteError."""
    # Not PurePosixPath: it would hide "a//b" and "./a", which alias "a/b" and "a".
    if (not path or path.startswith("/") or _UNSAFE_CHARACTER.search(path) is not None
            or any(map(_bad_part, path.split("/")))):
        raise WriteError(f"refusing to write unsafe output path {path[:80]!r}")
    return path


@lru_cache(maxsize=1 << 16)
def _bad_part(part: str) -> bool:
    """Whether one name of a path is unsafe: empty, "." or "..", too long, a Windows device name, or
    ending in a dot or space (Windows drops those, so "a." and "a" would be one file there).
    Cached: a site's paths share most of their folder and file names."""
    return (part in ("..", ".", "") or len(part.encode()) > MAX_NAME
            or part.split(".")[0].lower() in _RESERVED or part.endswith((".", " ")))


def resolve_out(out_dir: Path) -> Path:
    """Return the real path of an output folder: no "..", and a link builds into the folder it names."""
    return Path(os.path.realpath(out_dir))


_HELD_LOCKS: set[int] = set()
"""File descriptors of the build locks this process holds. A forked helper closes its copies
(close_inherited_locks): a copy would hold the lock for as long as the helper lives, so a build
killed with SIGKILL would leave the next one locked out."""


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock for `out_dir` so two builds at once cannot corrupt it."""
    out_dir = resolve_out(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out_dir.parent / f".{out_dir.name}.lock"
    with lock_path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WriteError(f"another build is writing {out_dir}; wait for it to finish "
                             f"(lock: {lock_path})") from None
        _HELD_LOCKS.add(fh.fileno())
        try:
            yield
        finally:
            _HELD_LOCKS.discard(fh.fileno())
            fcntl.flock(fh, fcntl.LOCK_UN)


def close_inherited_locks() -> None:
    """In a forked child: close its copies of the parent's lock files; the parent keeps its lock.

    Only close: flock(LOCK_UN) on a copy would release the parent's lock too (one open file)."""
    for fd in tuple(_HELD_LOCKS):
        with suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


def write_site(files: Iterable[SiteFile], out_dir: Path, *, lock: bool = True,
               manifest: Path | Manifest | None = None, save: bool = True) -> WriteReport:
    """Write `files` as the complete new content of `out_dir`, atomically; return what changed.

    With lock=False the caller already holds `build_lock(out_dir)`: the pipeline takes it before it
    loads content, so a second build fails at once instead of after all its work. `manifest` is a
    file (outside `out_dir`) recording what was written, so the next build can skip reading it back,
    and keep a PendingFile whose key has not changed without making it. A long-lived process may
    pass the Manifest itself (`Manifest.following` of its last build's) and not `save` it each time.
    """
    out_dir = resolve_out(out_dir)
    records = manifest if isinstance(manifest, Manifest) else Manifest.open(manifest)
    if lock:
        with build_lock(out_dir):
            return _write_locked(files, out_dir, records, save)
    return _write_locked(files, out_dir, records, save)


def _write_locked(files: Iterable[SiteFile], out_dir: Path, manifest: Manifest, save: bool) -> WriteReport:
    _recover(out_dir)
    _refuse_foreign(out_dir)
    staging = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
    spare = spare_path(out_dir)
    old = _stage(out_dir, staging, spare, manifest)
    try:
        marked = itertools.chain(files, (OutputFile(MARKER, _MARKER_TEXT),))
        written, unchanged, produced, kept = _write_files(marked, staging, old.paths, manifest)
        stale = old.paths - produced
        _remove_stale(staging, stale, sweep=not old.from_spare)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # After the swap, staging holds the old site: kept as the next build's spare when a manifest
    # can say how the two differ.
    if manifest.path is not None and staging.is_dir():
        os.rename(staging, spare)
        manifest.fresh_spare = SpareRecord(out_dir.stat().st_ino, spare.stat().st_ino,
                                           frozenset(written) | stale | old.empty_folders, old.folders,
                                           _site_folders(out_dir, folders_of(produced), old,
                                                         itertools.chain(written, stale)))
    else:
        shutil.rmtree(staging, ignore_errors=True)
    if save:  # after the swap: a kill before this leaves records that no longer match, so unused
        manifest.save()
    return WriteReport(tuple(written), unchanged, len(stale), kept, old.from_spare)


@dataclass(frozen=True, slots=True)
class _OldSite:
    """The site a build starts from, as staged."""

    paths: set[str]
    folders: FolderStamps
    """Its folders' stamps (see SpareRecord.spare_folders)."""
    from_spare: bool
    empty_folders: frozenset[str] = frozenset()
    """Folders without files (made by hand): swept from staging, so they differ from the spare."""
    staged: FolderStamps | None = None
    """Staged from the spare: the spare's folders' stamps, checked just before it became staging."""
    synced: frozenset[str] = frozenset()
    """Staged from the spare: the paths re-linked from the site to make staging (SpareRecord.delta)."""


def spare_path(out_dir: Path) -> Path:
    """Return where the site a build retired is kept for the next build to stage from."""
    return out_dir.parent / f".{out_dir.name}.spare"


def _stage(out_dir: Path, staging: Path, spare: Path, manifest: Manifest) -> _OldSite:
    """Make `staging` a copy of the site, from the spare if it can be trusted, else by linking."""
    if not out_dir.is_dir():
        shutil.rmtree(spare, ignore_errors=True)
        return _OldSite(set(), {}, False)
    if spare.is_dir():
        if manifest.spare is not None and _stage_from_spare(out_dir, staging, spare, manifest.spare):
            return _OldSite(set(manifest.entries), manifest.spare.site_folders, True,
                            staged=manifest.spare.spare_folders, synced=manifest.spare.delta)
        shutil.rmtree(spare, ignore_errors=True)
    return _link_tree(out_dir, staging)


def _stage_from_spare(out_dir: Path, staging: Path, spare: Path, record: SpareRecord) -> bool:
    """Turn the spare into staging by re-linking the paths the last build changed; False if it cannot."""
    try:
        if ((out_dir.stat().st_ino, spare.stat().st_ino) != (record.site_ino, record.spare_ino)
                or not folders_unchanged(spare, record.spare_folders)):
            return False
        os.rename(spare, staging)  # from here a kill leaves a staging folder, which _recover clears
    except OSError:
        return False
    try:
        _sync_paths(out_dir, staging, record.delta)
    except OSError as exc:  # something changed the spare behind our back: fall back to linking all
        log.info("not staging from the spare site (%s); linking the whole site instead", exc)
        shutil.rmtree(staging, ignore_errors=True)
        return False
    return True


def folder_stamps(root: Path, folders: Iterable[str]) -> FolderStamps:
    """Return the stamps of `folders` (relative to `root`); a missing folder raises OSError."""
    before = time.time_ns()
    stamps: FolderStamps = {}
    for rel in folders:
        st = os.stat(root / rel)
        stamps[rel] = (st.st_ino, st.st_mtime_ns, None)
    for rel, (_ino, mtime, _names) in stamps.items():
        if mtime >= before - _RACY_NS:
            names = tuple(sorted(os.listdir(root / rel)))
            st = os.stat(root / rel)  # after listing: a change in between shows in this mtime
            stamps[rel] = (st.st_ino, st.st_mtime_ns, names)
    return stamps


def _site_folders(site: Path, folders: set[str], old: _OldSite, changed: Iterable[str]) -> FolderStamps:
    """Return the stamps of `folders` of the site just swapped in.

    A site staged from the spare is the spare's tree, whose folders were checked against their
    stamps just before, changed only above the paths staging re-linked and this build wrote or
    removed: only those folders (and new ones) are stamped again, not every folder of the site
    (at 100k events, 111k stats). A stamp carried over that no longer matches (something changed
    the folder meanwhile) only makes the next build link the whole site instead of using the spare."""
    if old.staged is None:
        return folder_stamps(site, folders)
    touched = folders_of(itertools.chain(old.synced, changed))
    carried = {rel: old.staged[rel] for rel in folders - touched if rel in old.staged}
    return {**carried, **folder_stamps(site, folders - carried.keys())}


def folders_unchanged(root: Path, stamps: FolderStamps) -> bool:
    """Return whether every folder in `stamps` is still as stamped (False if one is missing)."""
    top = str(root)
    try:
        for rel, (ino, mtime, names) in stamps.items():
            st = os.stat(f"{top}/{rel}")  # a str, not a Path: at 100k events this runs 111k times
            if (st.st_ino, st.st_mtime_ns) != (ino, mtime) or (
                    names is not None and tuple(sorted(os.listdir(f"{top}/{rel}"))) != names):
                return False
    except OSError:
        return False
    return True


def folders_of(paths: Iterable[str]) -> set[str]:
    """Return every folder that holds one of `paths`, relative, with "." for the root."""
    folders = {"."}
    for path in paths:
        cut = path.rfind("/")
        while cut > 0:
            folder = path[:cut]
            if folder in folders:
                break
            folders.add(folder)
            cut = folder.rfind("/")
    return folders


def _sync_paths(site: Path, copy: Path, paths: Iterable[str]) -> None:
    """Make `copy` hold the same files as `site` at `paths`: hard links to the site's, or nothing."""
    paths = sorted(paths)
    for rel in paths:  # clear first: a path may be a file in one tree and a folder in the other
        target = copy / rel
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
    for rel in paths:
        source = site / rel
        if source.is_file() and not source.is_symlink():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(source, copy / rel)
        else:
            _prune_empty_parents(copy, rel)


def _refuse_foreign(out_dir: Path) -> None:
    """Refuse to replace anything but a folder this writer built (or an empty one)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise WriteError(f"{out_dir} exists and is not a folder; pass another --out")
    if out_dir.is_dir() and not (out_dir / MARKER).is_file() and any(out_dir.iterdir()):
        raise WriteError(f"refusing to replace {out_dir}: it is not empty and no sitrep build wrote it "
                         f"(it has no {MARKER} file); delete it or pass another --out")


def _recover(out_dir: Path) -> None:
    """Undo what a killed build left: restore a site moved aside, drop staging folders."""
    aside = out_dir.parent / f".{out_dir.name}.old"
    if aside.is_dir() and not out_dir.exists():
        os.rename(aside, out_dir)
    for leftover in out_dir.parent.glob(f".{out_dir.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.rmtree(aside, ignore_errors=True)


def _link_tree(src: Path, dst: Path) -> _OldSite:
    """Hard-link every file of `src` into `dst`; return what `src` holds."""
    paths: set[str] = set()
    empty: set[str] = set()
    dst.mkdir()
    for root, dirs, names in os.walk(src):
        rel = os.path.relpath(root, src)
        target = dst if rel == "." else dst / rel
        if not dirs and not names and rel != ".":
            empty.add(rel)
        for d in dirs:
            (target / d).mkdir()
        for name in names:
            os.link(os.path.join(root, name), target / name)
            paths.add(name if rel == "." else f"{rel}/{name}")
    return _OldSite(paths, folder_stamps(src, folders_of(paths | empty)), False, frozenset(empty))


def _write_files(files: Iterable[SiteFile], staging: Path, old: set[str],
                 manifest: Manifest | None = None) -> tuple[list[str], int, set[str], int]:
    manifest = manifest or Manifest(None)
    with _Putter(manifest) as putter:
        return _write_each(files, staging, old, manifest, putter)


def _write_each(files: Iterable[SiteFile], staging: Path, old: set[str], manifest: Manifest,
                putter: _Putter) -> tuple[list[str], int, set[str], int]:
    written: list[str] = []
    produced: set[str] = set()
    folded: dict[str, str] = {}
    unchanged = kept = 0
    made_dirs: set[Path] = set()
    root = str(staging)
    checked = manifest.entries  # paths this writer wrote before, checked then
    for f in files:
        path = f.path if f.path in checked else check_path(f.path)
        if path in produced:
            raise WriteError(f"two outputs map to the same file {path!r}; two ids or pages collide")
        # On case-insensitive file systems (macOS, Windows, some hosts) these would be one file.
        other = folded.setdefault(path.lower(), path)
        if other != path:
            raise WriteError(f"outputs {other!r} and {path!r} differ only in case; two ids or pages collide")
        produced.add(path)
        where = f"{root}/{path}"  # a str, not a Path: this loop runs for every file of the site
        key = b""
        if isinstance(f, PendingFile):
            key = f.key
            if path in old and manifest.same_key(path, where, key):
                unchanged += 1
                kept += 1
                continue
        data = f.data
        target = Path(where)
        if path in old and _unchanged(manifest, path, target, data, key):
            unchanged += 1
            continue
        if target.parent not in made_dirs:
            _make_parent(staging, path, produced)
            made_dirs.add(target.parent)
        written.append(path)
        if len(data) >= BESIDE_BYTES:
            if target.is_dir() and not target.is_symlink():  # a folder of the old site, now a file
                _clear_folder(target, path, produced)
            putter.put(path, target, data, key, path not in old)
            continue
        st = None if path in old else _write_new(target, data)
        if st is None:
            if target.is_dir() and not target.is_symlink():  # a folder of the old site, now a file
                _clear_folder(target, path, produced)
            st = _replace(target, data)
        manifest.record(path, st, data, key)
    putter.finish()
    return written, unchanged, produced, kept


BESIDE_BYTES = 4 << 20
"""Files this large (the whole-site exports, hundreds of MB at 100k events) are written and hashed
on a thread beside the writer's loop, which goes on with the next files meanwhile: both release
the GIL. One at a time, so at most one such file waits in memory beyond what the build holds."""


def _replace(target: Path, data: bytes) -> os.stat_result:
    """Write `data` at `target` through a temporary file: replacing the hard link leaves the old
    site's copy untouched."""
    tmp = target.with_name(f".{target.name}.tmp")
    st = _write_new(tmp, data, exclusive=False)
    os.replace(tmp, target)
    return st


class _Putter:
    """Writes large files on one thread beside the writer's loop (BESIDE_BYTES) and records them in
    the manifest once written. Leaving its `with` waits for the file in hand, so nothing writes into
    staging once the writer is done with it, whether the build succeeded or not."""

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest
        self._pool: ThreadPoolExecutor | None = None
        self._pending: tuple[str, bytes, Future[tuple[os.stat_result, bytes]]] | None = None

    def __enter__(self) -> _Putter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pending is not None:  # the build failed: let the write end, then fail as it did
            with suppress(Exception):
                self._pending[2].result()
            self._pending = None
        if self._pool is not None:
            self._pool.shutdown()

    def put(self, path: str, target: Path, data: bytes, key: bytes, fresh: bool) -> None:
        """Write `data` at `target` (`fresh`: no old file is there), once the file in hand is written."""
        self.finish()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="sitrep-write")
        hashed = self._manifest.path is not None
        self._pending = (path, key, self._pool.submit(_put, target, data, fresh, hashed))

    def finish(self) -> None:
        """Wait for the file in hand and record it; raise what writing it raised."""
        if self._pending is not None:
            path, key, job = self._pending
            self._pending = None
            st, digest = job.result()
            self._manifest.note(path, st, digest, key)


def _put(target: Path, data: bytes, fresh: bool, hashed: bool) -> tuple[os.stat_result, bytes]:
    st = (_write_new(target, data) if fresh else None) or _replace(target, data)
    return st, _digest(data) if hashed else b""


def _unchanged(manifest: Manifest, path: str, target: Path, data: bytes, key: bytes = b"") -> bool:
    """Return whether the old site's file already holds `data`: by the manifest, else by reading it."""
    same = manifest.same(path, target, data, key)
    if same is None:
        same = _same_bytes(target, data)
        if same:
            manifest.record(path, target.stat(), data, key)
    return same


def _write_new(target: Path, data: bytes, *, exclusive: bool = True) -> os.stat_result | None:
    """Write `data` to `target` and return its stat; None if `exclusive` and something is already there.

    Staging is this build's own folder, so a path no old file has can be written in place: the
    rename through a temporary file is only needed to leave an old site's hard-linked copy alone."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(target, flags, 0o666)  # as open() does: the umask decides
    except (FileExistsError, IsADirectoryError):
        if exclusive:
            return None
        raise
    with open(fd, "wb", closefd=True) as fh:
        fh.write(data)
        fh.flush()
        return os.fstat(fh.fileno())


def _make_parent(staging: Path, path: str, produced: set[str]) -> None:
    """Create the folders above `path`, replacing old-site files that stand where a folder must go."""
    try:
        (staging / path).parent.mkdir(parents=True, exist_ok=True)
        return
    except (FileExistsError, NotADirectoryError):
        pass
    parts = PurePosixPath(path).parts[:-1]
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if prefix in produced:
            raise WriteError(f"output {prefix!r} is both a file and a folder (because of {path!r})")
        if (staging / prefix).is_file():
            (staging / prefix).unlink()  # a file of the old site; this build makes it a folder
    (staging / path).parent.mkdir(parents=True, exist_ok=True)


def _clear_folder(target: Path, path: str, produced: set[str]) -> None:
    """Remove an old-site folder that this build replaces with a file, unless it also wrote into it."""
    inside = next((p for p in produced if p.startswith(path + "/")), None)
    if inside is not None:
        raise WriteError(f"output {path!r} is both a file and a folder (because of {inside!r})")
    shutil.rmtree(target)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _remove_stale(staging: Path, stale: set[str], *, sweep: bool) -> None:
    """Remove files no build produces any more, and the folders they leave empty.

    With `sweep`, every empty folder goes (a staging tree linked from an old site copies its empty
    folders too); otherwise only those above removed files are looked at."""
    for rel in stale:
        target = staging / rel
        if target.is_file() or target.is_symlink():  # it may have become a folder, or lie under a new file
            target.unlink()
        if not sweep:
            _prune_empty_parents(staging, rel)
    if sweep:
        for root, _dirs, _names in os.walk(staging, topdown=False):
            if root != str(staging) and not os.listdir(root):
                os.rmdir(root)


def _prune_empty_parents(root: Path, rel: str) -> None:
    """Remove the folders above `rel` inside `root` that are empty, deepest first."""
    for parent in PurePosixPath(rel).parents:
        if parent == PurePosixPath("."):
            return
        try:
            os.rmdir(root / parent)
        except OSError:  # not empty (or gone): nothing above it can be empty
            return


_RENAME_EXCHANGE = 2


def _swap(staging: Path, out_dir: Path) -> None:
    """Make `staging` the output folder in one step; afterwards `staging` holds the old site."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if _exchange(staging, out_dir):
        return
    # No atomic exchange on this platform: move the old site aside; _recover() undoes a crash here.
    aside = out_dir.parent / f".{out_dir.name}.old"
    os.rename(out_dir, aside)
    os.rename(staging, out_dir)
    os.rename(aside, staging)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))
