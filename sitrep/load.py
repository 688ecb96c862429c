"""Load stage: content/ files → RawDocuments (parsed YAML/front matter), with a parse cache.

Parsing is the hot path of a build, so documents are parsed without position marks; `locate()`
recomposes a file's YAML node tree only when a problem has to be reported in it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import yaml

from sitrep.errors import Problem
from sitrep.pickle_file import write_pickle

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 1 << 20
"""Content files are small; anything larger is a mistake or an attack, and parsing it is refused."""
MAX_NESTING = 64
KINDS = ("events", "actors", "regions", "sources", "briefings", "geo", "pages")
_SUFFIXES = {
    "events": (".yaml", ".yml"),
    "actors": (".yaml", ".yml"),
    "regions": (".yaml", ".yml"),
    "sources": (".yaml", ".yml"),
    "briefings": (".md",),
    "geo": (".geojson", ".json"),
    "pages": (".md",),  # editorial Markdown that MkDocs renders; loaded so `check` sees it too
}
_NOT_CONTENT = ("README.md",)
"""Top-level entries that are not content documents: the editors' guide."""
_CACHE_VERSION = 3  # 2: duplicate keys are refused; 3: the files' stamps are kept
SAVE_SHARE = 200
"""The parse cache is saved when at least one in this many of its entries, or of the files'
stamps, changed (ParseCache.save)."""

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One content file, parsed: `data` is the YAML (front matter for briefings) or GeoJSON."""

    path: str
    kind: str
    id: str
    data: Any
    body: str = ""
    body_line: int = 0
    problems: tuple[Problem, ...] = ()
    """Problems found while loading (unreadable, empty, invalid YAML); `data` is None then."""
    digest: str = ""
    """The file's kind and a hash of its bytes (the parse cache's key); empty when it was not read."""


FileStamps = dict[str, tuple[tuple[int, int, int, int], str]]
"""Path → ((mtime_ns, ctime_ns, size, inode), parse cache key) of the content files a load read."""


PARSED_GLOBALS = frozenset({("datetime", "date"), ("datetime", "datetime"), ("datetime", "timedelta"),
                            ("datetime", "timezone"), ("builtins", "set"), ("builtins", "frozenset")})
"""The (module, name) pairs a pickle of parsed YAML may name; caches read back allow no others."""


class _CacheUnpickler(pickle.Unpickler):
    """Unpickle parsed YAML only: a cache restored from elsewhere (a CI cache) could otherwise name any
    callable and run it on load."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in PARSED_GLOBALS:
            raise pickle.UnpicklingError(f"the parse cache may not hold {module}.{name}")
        return super().find_class(module, name)


@dataclass(slots=True)
class ParseCache:
    """Parsed documents keyed by a hash of the file's bytes; entries unused in a build are dropped.

    It also keeps the content files' stamps (FileStamps) as they were when it was saved: a build
    passes a copy to `load`, which then neither reads nor hashes a file whose stamp is unchanged."""

    path: Path | None
    entries: dict[str, tuple[Any, str, int]] = field(default_factory=dict)
    used: dict[str, tuple[Any, str, int]] = field(default_factory=dict)
    stamps: FileStamps = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path | None) -> ParseCache:
        """Return the cache stored at `path`, or an empty one when it is missing or unreadable."""
        if path is None or not path.is_file():
            return cls(path)
        try:
            with path.open("rb") as fh:
                version, entries, *rest = _CacheUnpickler(fh).load()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
                KeyError, MemoryError, RecursionError):
            return cls(path)
        if version != _CACHE_VERSION or len(rest) != 1 or not isinstance(entries, dict) \
                or not isinstance(rest[0], dict):
            return cls(path)
        return cls(path, entries, stamps=rest[0])

    def get(self, key: str) -> tuple[Any, str, int] | None:
        hit = self.entries.get(key)
        if hit is not None:
            self.used[key] = hit
        return hit

    def put(self, key: str, value: tuple[Any, str, int]) -> None:
        self.used[key] = value

    def save(self, stamps: FileStamps | None = None, *, force: bool = False) -> None:
        """Write the entries used in this build and `stamps` (what `load` left in the copy it was
        given), atomically, so a killed build leaves no torn cache.

        Only when at least one in SAVE_SHARE of them changed, unless `force`: at 100k events a save
        takes ~5 s, and a build that finds the file a few edits behind reads and parses just those
        files again (~1 ms each)."""
        stamps = self.stamps if stamps is None else stamps
        if self.path is None:
            return
        changes = len(self.used.keys() ^ self.entries.keys()) + _stamp_changes(self.stamps, stamps)
        if changes == 0 or (not force and changes * SAVE_SHARE < len(self.used)):
            return
        write_pickle(self.path, (_CACHE_VERSION, self.used, stamps))


def _stamp_changes(old: FileStamps, new: FileStamps) -> int:
    return sum(1 for path, stamp in new.items() if old.get(path) != stamp) + len(old.keys() - new.keys())


_RACY_NS = 50_000_000
"""A file whose mtime or ctime is this close to when it was stamped may change again within one
clock tick without its stamp changing (kernels keep them in ticks): it is not remembered."""


def load(content_dir: Path, cache: ParseCache | None = None,
         stamps: FileStamps | None = None) -> tuple[RawDocument, ...]:
    """Return every content document under `content_dir`, in a stable order.

    With `stamps` (a long-lived process's, see warm.py, or a copy of the parse cache's), a file
    whose stamp is the one recorded there is taken from the cache without being read; `stamps` is
    then updated to this load's."""
    cache = cache or ParseCache(None)
    _marks.cache_clear()  # files may have changed since the last build in this process (serve)
    if stamps is None:
        files = [_read_file(path, kind, cache) for kind, path in _walk(content_dir)]
    else:
        known = dict(stamps)
        stamps.clear()
        files = [_read_stamped(path, kind, cache, known, stamps) for kind, path in _walk(content_dir)]
    misses = {f.key: (f.raw, f.kind) for f in files if f.parsed is None and f.problem is None}
    parsed = dict(zip(misses, _parse_many(list(misses.values())), strict=True))
    docs = []
    for f in files:
        where, stem = f.path, os.path.basename(f.path).rsplit(".", 1)[0]
        outcome = f.parsed or parsed.get(f.key) or _Failed()
        if isinstance(outcome, _Failed):
            problem = f.problem or _LoadError(*outcome.args)
            docs.append(RawDocument(where, f.kind, stem, None, problems=(problem.problem(where),)))
            continue
        if f.parsed is None:
            cache.put(f.key, outcome)
        data, body, body_line = outcome
        docs.append(RawDocument(where, f.kind, stem, data, body, body_line, digest=f.key))
    docs.extend(_stray_entries(content_dir))
    return tuple(docs)


@dataclass(frozen=True, slots=True)
class _File:
    path: str
    kind: str
    key: str = ""
    raw: bytes = b""
    parsed: tuple[Any, str, int] | None = None
    problem: _LoadError | None = None


def _read_file(path: str, kind: str, cache: ParseCache) -> _File:
    try:
        raw = _read_bytes(path)
    except _LoadError as exc:
        return _File(path, kind, problem=exc)
    key = f"{kind}:{hashlib.blake2b(raw, digest_size=16).hexdigest()}"
    return _File(path, kind, key, raw, cache.get(key))


def _read_stamped(path: str, kind: str, cache: ParseCache, known: FileStamps, fresh: FileStamps) -> _File:
    """Return the file from the cache when its stamp is the known one, else read it; record its stamp."""
    try:
        st = os.lstat(path)
    except OSError:
        return _read_file(path, kind, cache)
    stamp = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    hit = known.get(path)
    if hit is not None and hit[0] == stamp and stat.S_ISREG(st.st_mode):
        parsed = cache.get(hit[1])
        if parsed is not None:
            fresh[path] = hit
            return _File(path, kind, hit[1], b"", parsed)
    read = _read_file(path, kind, cache)
    if read.key and max(st.st_mtime_ns, st.st_ctime_ns) < time.time_ns() - _RACY_NS:
        fresh[path] = (stamp, read.key)  # stamped before the read: a change during it shows next time
    return read


PARALLEL_MIN = 2000
"""Parse this many files or more in a pool of processes, one per core (a cold build parses every
file: ~1 ms each, 100 s at 100k events on one core)."""


class _Failed:
    """A file that did not parse: _LoadError's arguments, which a worker can send back."""

    def __init__(self, message: str = "", hint: str = "", line: int = 1, col: int = 1) -> None:
        self.args = (message, hint, line, col)


def _parse_or_fail(item: tuple[bytes, str]) -> tuple[Any, str, int] | _Failed:
    try:
        return _parse(*item)
    except _LoadError as exc:
        return _Failed(exc.message, exc.hint, exc.line, exc.col)


def _parse_many(items: list[tuple[bytes, str]]) -> list[tuple[Any, str, int] | _Failed]:
    """Parse `items` in order: in this process when they are few, else in forked workers."""
    workers = min(len(os.sched_getaffinity(0)), 4) if hasattr(os, "sched_getaffinity") else 1
    if len(items) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_parse_or_fail(item) for item in items]
    # Not multiprocessing.Pool: a worker that died (a libyaml crash) would leave its map waiting
    # forever; the executor raises BrokenProcessPool instead, and the build fails cleanly.
    # gc.enable: a build loads with automatic collection paused (heap.settled), which forked
    # workers would inherit; their parsing makes garbage of its own.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=gc.enable) as pool:
        return list(pool.map(_parse_or_fail, items, chunksize=256))


def _walk(content_dir: Path) -> Iterator[tuple[str, str]]:
    """Yield (kind, path) for each file to load. Paths are strings, as str(Path) gives them (the parse
    cache's stamps are kept under them): at 100k files, making Path objects took ~0.5 s a build."""
    for kind in KINDS:
        root = content_dir / kind
        if not root.is_dir():
            continue
        top = str(root)
        paths = (_entries(top) if kind in ("events", "pages")
                 else [os.path.join(top, name) for name in sorted(os.listdir(top))])
        suffix = _SUFFIXES[kind]
        for path in paths:
            name = os.path.basename(path)
            if name.startswith(".") or not name.endswith(suffix):
                continue
            yield kind, path


def _entries(root: str) -> list[str]:
    """Return every entry under `root`, as sorted(Path(root).glob("**/*")) does (folders too, links to
    folders not followed) in a tenth of its time: at 100k events, seconds of every build."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        found.extend(os.path.join(folder, name) for name in dirs)
        found.extend(os.path.join(folder, name) for name in files)
    found.sort(key=lambda p: p.split(os.sep))  # how Paths sort: name by name
    return found


def _stray_entries(content_dir: Path) -> Iterator[RawDocument]:
    """Warn about top-level entries the build ignores, so nothing an editor wrote is silently lost."""
    if not content_dir.is_dir():
        return
    for path in sorted(content_dir.iterdir()):
        if path.name.startswith(".") or path.name in KINDS or path.name in _NOT_CONTENT:
            continue
        yield RawDocument(str(path), "stray", path.stem, None, problems=(Problem(
            str(path), 1, 1, f"'{path.name}' is not a content folder and is ignored",
            f"move it under one of: {', '.join(KINDS)}", "warning"),))


class _LoadError(Exception):
    def __init__(self, message: str, hint: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message, self.hint, self.line, self.col = message, hint, line, col

    def problem(self, path: str) -> Problem:
        return Problem(path, self.line, self.col, self.message, self.hint)


def _read_bytes(path: str) -> bytes:
    try:
        st = os.lstat(path)
        # A link could pull in any file of the machine (or /dev/zero) and show it in messages or pages.
        if stat.S_ISLNK(st.st_mode):
            raise _LoadError("content files must be regular files, not symbolic links",
                             "replace the link with a copy of the file")
        if stat.S_ISDIR(st.st_mode):
            raise _LoadError("expected a file but found a directory",
                             "remove the directory or rename it so it does not end in "
                             f"{os.path.splitext(path)[1]}")
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            raise _LoadError("expected a regular file, found a pipe, socket or device",
                             "replace it with a text file")
        if st.st_size > MAX_FILE_BYTES:
            raise _LoadError(f"file is {st.st_size} bytes, more than the {MAX_FILE_BYTES} allowed",
                             "split it; one event, actor, region or source per file")
        with open(path, "rb") as fh:
            # Sized by the file, not by the limit: reading into a buffer of MAX_FILE_BYTES, which
            # malloc maps on its own and then shrinks in place, left one memory mapping per file.
            # At 100k files that reached the kernel's limit (vm.max_map_count, 65,530), after
            # which no thread could start: the parsing pool hung.
            data = fh.read(min(st.st_size, MAX_FILE_BYTES) + 1)
            if len(data) > st.st_size:  # it grew while being read: the rest, still bounded
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))
        if len(data) > MAX_FILE_BYTES:
            raise _LoadError(f"file is more than the {MAX_FILE_BYTES} bytes allowed",
                             "split it; one event, actor, region or source per file")
        return data
    except OSError as exc:
        raise _LoadError(f"cannot read file: {exc.strerror}", "check its permissions") from None


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _LoadError("file is saved as UTF-16, not UTF-8", "save it as UTF-8 text")
    if b"\x00" in raw:
        raise _LoadError("file contains NUL bytes and is not text", "save it as UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8-sig", "replace")) + 1
        raise _LoadError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", "save the file as UTF-8",
                         line, col) from None
    if not text.strip():
        raise _LoadError("file is empty", "fill it in, or delete it (see `build.py new event`)")
    return text


def _parse(raw: bytes, kind: str) -> tuple[Any, str, int]:
    text = _decode(raw)
    if kind == "geo":
        return _parse_json(text), "", 0
    if kind == "briefings":
        front, body, body_line = split_front_matter(text)
        return _parse_yaml(front, line_offset=1), body, body_line
    if kind == "pages":
        return {}, text, 1
    return _parse_yaml(text), "", 0


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _LoadError(f"invalid JSON: {exc.msg}", "fix the JSON syntax", exc.lineno, exc.colno) from None
    except RecursionError:
        raise _LoadError("JSON is nested too deeply", "flatten the document") from None


_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?^)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Return (front matter YAML, Markdown body, 1-based line where the body starts)."""
    match = _FRONT.match(text)
    if not match:
        raise _LoadError("briefing has no front matter", "start the file with '---', the YAML fields, "
                         "then '---' and the narrative")
    front = match.group(1)
    body_line = text.count("\n", 0, match.end()) + 1
    return front, text[match.end():], body_line


class _DuplicateKey(yaml.MarkedYAMLError):
    def __init__(self, key: str, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=again)
        self.key, self.first_mark = key, first


class _StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate keys, which YAML would resolve by dropping all but the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep)
        if len(mapping) != len(node.value):  # cheap: only a duplicate (or merge) makes them differ
            seen: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise _DuplicateKey(str(key), seen[key], key_node.start_mark)
                seen[key] = key_node.start_mark
        return mapping

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Values the resolver accepts can still fail to convert (2019-02-30, 5000-digit numbers,
        # "!!int abc"); report them at their position instead of crashing on a bare ValueError.
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read the value {str(value)[:40]!r}: {exc}", node.start_mark) from None


def _parse_yaml(text: str, line_offset: int = 0) -> Any:
    _refuse_hostile_yaml(text, line_offset)
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as exc:
        first, _ = _at(text, exc.first_mark, line_offset)
        raise _LoadError(f"duplicate key '{exc.key}' (first on line {first})",
                         "YAML keeps only the last value, silently; remove or merge one of them",
                         *_at(text, exc.problem_mark, line_offset)) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, line_offset) from None
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow in text
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        at = max(text.find(chr(char)), 0)  # libyaml counts bytes, not characters
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        raise _LoadError(f"invalid YAML: control character U+{char:04X} is not allowed",
                         "remove it; it is invisible in most editors", line + line_offset, col) from None
    except yaml.YAMLError as exc:
        raise _LoadError(f"invalid YAML: {exc}", "fix the YAML syntax", 1 + line_offset) from None
    except RecursionError:
        raise _LoadError("YAML is nested too deeply", "flatten the document", 1 + line_offset) from None
    if data is None:
        raise _LoadError("file holds no fields", "write the document's fields as 'key: value' lines",
                         1 + line_offset)
    return data


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, line_offset: int) -> _LoadError:
    """Return the load error for a YAML syntax error, pointing where the editor has to look."""
    mark, start = exc.problem_mark or exc.context_mark, exc.context_mark
    message = f"invalid YAML: {exc.problem or exc.context}"
    hint = ("fix the value at this position" if isinstance(exc, yaml.constructor.ConstructorError)
            else "fix the YAML syntax at this position")
    if mark is None:
        return _LoadError(message, hint, 1 + line_offset)
    lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)  # as YAML counts them
    if mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
        return _LoadError("invalid YAML: tab characters cannot indent YAML", "indent with spaces",
                          *_at(text, mark, line_offset))
    if exc.context == "while scanning an alias" or (exc.problem or "").startswith("found undefined alias"):
        return _LoadError("YAML aliases (*name) are not allowed in content",
                          "a value that starts with '*' reads as an alias: put the text in quotes",
                          *_at(text, start or mark, line_offset))
    if exc.problem and exc.context and exc.problem.startswith("but "):
        message = f"invalid YAML: {exc.context}, {exc.problem}"
    elif exc.problem and exc.context and start is not None and start.line != mark.line:
        # The problem is often found far from its cause (an unclosed quote at the end of the file)
        line, col = _at(text, start, line_offset)
        message += f", {exc.context} that starts at line {line}, column {col}"
    return _LoadError(message, hint, *_at(text, mark, line_offset))


def _refuse_hostile_yaml(text: str, line_offset: int) -> None:
    """Refuse anchors/aliases (alias bombs) and deep flow nesting before the parser sees them.

    Content never needs anchors, and refusing them outright bounds the size of what a document can
    expand to. The checks run on the token stream only when cheap text tests say they could matter.
    """
    if _MAYBE_ANCHOR.search(text):
        try:
            for token in yaml.scan(text, Loader=_Loader):
                if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                    mark = token.start_mark
                    raise _LoadError("YAML anchors and aliases (&name, *name) are not allowed in content",
                                     "write the value out in full", *_at(text, mark, line_offset))
        except yaml.YAMLError:  # syntax errors and forbidden characters alike
            return  # the parser reports the error with its position
    if text.count("[") + text.count("{") > MAX_NESTING // 2 or _DEEP_BLOCK.search(text):
        _refuse_deep_nesting(text, line_offset)


# An anchor starts a token: '&' after a line start, blank, bracket or comma, then a name. "R&D" and
# "A & B" cannot match, so few files pay for the token scan. Aliases ('*name') need not be looked
# for: one without its anchor is a parse error, reported at its position; and looking for them would
# scan every summary with an *italic* word.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},*]")

# Block nesting needs indentation (or compact "- - -" runs) about as wide as it is deep; only text
# with such a line, or with many brackets, can be too deep, and only then are events counted.
_DEEP_BLOCK = re.compile(rf"^[ \t?:-]{{{MAX_NESTING // 3},}}", re.M)


def _refuse_deep_nesting(text: str, line_offset: int) -> None:
    """Refuse nesting deeper than MAX_NESTING, block or flow: libyaml's composer recurses in C and
    a few KB of '- - - ...' would overflow the stack and kill the process."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    mark = event.start_mark
                    raise _LoadError(f"YAML is nested more than {MAX_NESTING} levels deep",
                                     "flatten the document", *_at(text, mark, line_offset))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:  # syntax errors and forbidden characters alike
        return  # the parser reports the error with its position


# -- positions, computed only when a problem is reported ---------------------------------------

@lru_cache(maxsize=256)
def _marks(path: str) -> tuple[Mapping[KeyPath, tuple[int, int]], Mapping[KeyPath, tuple[int, int]]]:
    """Return (value marks, key marks): 1-based (line, col) for every key path in a YAML file."""
    values: dict[KeyPath, tuple[int, int]] = {}
    keys: dict[KeyPath, tuple[int, int]] = {}
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
        offset = 0
        if path.endswith(".md"):
            front, _, _ = split_front_matter(text)
            text, offset = front, 1
        node = yaml.compose(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _LoadError, RecursionError):
        return values, keys
    if node is not None:
        _walk_marks(node, (), values, keys, partial(_at, text, line_offset=offset))
    return values, keys


def _walk_marks(node: yaml.Node, at: KeyPath, values: dict, keys: dict,
                position: Callable[[yaml.Mark], tuple[int, int]]) -> None:
    values[at] = position(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = (*at, str(key_node.value))
            keys[sub] = position(key_node.start_mark)
            _walk_marks(value_node, sub, values, keys, position)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_marks(item, (*at, i), values, keys, position)


# YAML 1.1 (PyYAML, libyaml) also breaks lines at NEL, LS and PS, which editors show inside a line.
_EDITOR_BREAK = re.compile("\r\n|[\r\n]")
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")


def _at(text: str, mark: yaml.Mark, line_offset: int = 0) -> tuple[int, int]:
    """Return a YAML mark as the 1-based (line, col) an editor shows."""
    if not any(c in text for c in _ODD_BREAKS):
        return mark.line + 1 + line_offset, mark.column + 1
    offset = min(mark.index, len(text))  # in characters, with PyYAML's and libyaml's loaders alike
    lines = [0, *(m.end() for m in _EDITOR_BREAK.finditer(text, 0, offset))]
    return len(lines) + line_offset, offset - lines[-1] + 1


def locate(path: str, at: KeyPath, key: bool = False) -> tuple[int, int]:
    """Return the (line, col) of the value (or key) at key path `at`, or its nearest ancestor."""
    values, keys = _marks(path)
    if key and at in keys:
        return keys[at]
    while at:
        if at in values:
            return values[at]
        at = at[:-1]
    return values.get((), (1, 1))
