"""Page keys: a digest of everything a page is made from, so a rebuild can keep what it made before.

A page is a pure function of its typed context, the templates, Sitrep's own code and the site's
config. The key is a digest of a pickle of the context, salted with a digest of the other three;
the writer keeps the previous build's file when its recorded key is the same (write.PendingFile),
so an edit re-renders only the pages whose contexts it changes.

A key that changes when nothing did costs a render; one that stays the same when something did
would publish a stale page. So the salt covers every template and every file of the package, and
contexts are pickled whole. Two shortcuts: model records (events, actors, ...) appear in many
contexts, so each is pickled once per build and stands in the others by its digest (an event read
from a file needs no pickle: its digest is the file's, Corpus.file_digest); and a builder
may defer a context (render_pages.Deferred, used for event pages, most of a site): its key is then
taken from the records the context is made from, plus the geography, and the context (summary
HTML, maps, charts) is made only when the page is rendered. An event page's records are joined
by their digests without a pickle (render_pages.EventInputs.digest, PageKeys.of_digests).
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import os
import pickle
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import cache, partial
from importlib.metadata import PackageNotFoundError, version
from operator import attrgetter, is_
from pathlib import Path
from types import MappingProxyType
from typing import Any

from markupsafe import Markup

from sitrep.config import SiteConfig
from sitrep.model import Actor, Briefing, Event, Region, Shape, Source

PACKAGE_DIR = Path(__file__).resolve().parent
SHARED_TYPES: frozenset[type] = frozenset({Event, Actor, Region, Source, Briefing, Shape})
"""Model records: immutable, shared by many pages, so each is pickled once per build."""
_LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "pyyaml")


def _digest(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


def _stand_in(digest: bytes) -> bytes:
    """What a shared record is pickled as inside a context: its digest (never called)."""
    return digest


def tree_digest(folders: Iterable[Path]) -> bytes:
    """Return a digest of every file under `folders`: relative paths and bytes, in a stable order."""
    h = hashlib.blake2b(digest_size=20)
    for folder in folders:
        h.update(f"{folder.name}\0".encode())
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            h.update(_digest(path.read_bytes()))
    return h.digest()


def library_versions() -> str:
    found = []
    for name in _LIBRARIES:
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=-")
    return ",".join(found)


@cache
def code_digest() -> bytes:
    """Sitrep's own files and the libraries pages depend on: fixed for the life of a process."""
    return _digest(tree_digest((PACKAGE_DIR,)) + library_versions().encode())


def salt(config: SiteConfig, *extra: bytes) -> bytes:
    """Return what the keys of one kind of output share: package code, libraries, the config and
    `extra` (what else that kind is made with). The config's repr is used without its cache
    folder, which says where work is kept, not what a page shows, and with its own and the
    content's paths made absolute: `serve` and `build.py --config ./mkdocs.yml` name the same files
    as `build.py` does, and must find the same keys."""
    h = hashlib.blake2b(digest_size=20)
    for part in extra:
        h.update(part)
    h.update(code_digest())
    same = dataclasses.replace(config, cache_dir=None, config_path=_absolute(config.config_path),
                               content_dir=_absolute(config.content_dir))
    h.update(repr(same).encode("utf-8", "surrogatepass"))
    return h.digest()


def _absolute(path: Path | str | None) -> Path | None:
    return None if path is None else Path(os.path.abspath(path))


def build_salt(config: SiteConfig, templates: Path) -> bytes:
    """Return what every page key of a build shares: the salt, with every template.

    Templates are read at every build (`serve` rebuilds when one is saved)."""
    return salt(config, tree_digest((templates,)))


class PageKeys:
    """Keys of one build's pages. Shared records are remembered by identity, so use one per build."""

    def __init__(self, salt: bytes, known: Callable[[Event], bytes | None] | None = None) -> None:
        self.salt = salt
        self.known = known
        """Digests of events known without pickling them (Corpus.file_digest), when given."""
        self.digests: dict[int, tuple[bytes, object]] = {}  # id → (digest, the record, kept alive)
        self.reducers = _KeyReducers(self)

    def key(self, template: str, context: object) -> bytes | None:
        """Return the key of a page, or None when its context cannot be pickled (always render it)."""
        try:
            data = self._pickle((template, context))
        except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
            return None
        return _digest(self.salt + data)

    def of_digests(self, template: str, *parts: bytes) -> bytes:
        """Return the key of a page made with `template` from what `parts` digest (each part's length
        known from its bytes, as in render_pages.EventInputs.digest). Never the key of a pickled
        context: after the salt, a pickle starts with its protocol's opcode, never with a name."""
        return _digest(b"".join((self.salt, template.encode("utf-8"), b"\0", *parts)))

    def _pickle(self, obj: object) -> bytes:
        buf = io.BytesIO()
        _Pickler(buf, self).dump(obj)
        return buf.getvalue()

    def records(self, records: Iterable[object]) -> bytes:
        """Return one digest of many model records (in the order given)."""
        return _digest(b"".join(self.shared(r) for r in records))

    def shared(self, obj: object) -> bytes:
        """Return the digest of a model record, pickling it the first time it is seen in this build."""
        entry = self.digests.get(id(obj))
        if entry is None:
            known = self.known(obj) if self.known is not None and type(obj) is Event else None
            data = b"file\0" + known if known is not None else self._pickle(self.state(obj))
            entry = self.digests[id(obj)] = (_digest(data), obj)
        return entry[0]

    def state(self, obj: object) -> tuple[Any, ...]:
        """Return a dataclass instance as (its class's name, its field values)."""
        cls = type(obj)
        return (cls.__qualname__, *_field_getter(cls)(obj))  # type: ignore[misc]


_LEAVES: frozenset[type] = frozenset({str, bytes, int, float, bool, type(None), date, datetime, Markup})


def same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    """Whether two sequences hold the very same objects, in the same order: a long-lived process's
    memo holds while the model objects it was made from are the ones the next build has."""
    return len(a) == len(b) and all(map(is_, a, b))


def same_items(a: tuple[tuple[str, object], ...], b: tuple[tuple[str, object], ...]) -> bool:
    """Whether two mappings' items are the same ids, in the same order, holding the very same objects."""
    return len(a) == len(b) and all(x[0] == y[0] and x[1] is y[1] for x, y in zip(a, b, strict=True))


def identical(a: object, b: object) -> bool:
    """Return whether two contexts are made of the same data: model records the very same objects,
    everything else of the same types and equal (not 1 == 1.0 == True, which would render apart).

    False for anything else (an unknown type), which only costs computing a key."""
    if a is b:
        return True
    cls = type(a)
    if cls is not type(b) or cls in SHARED_TYPES:
        return False
    if cls in _LEAVES:
        return a == b
    if cls is tuple or cls is list:
        # The common case first, in C: the same records in the same order.
        return len(a) == len(b) and (all(map(is_, a, b)) or all(map(identical, a, b)))  # type: ignore[arg-type]
    if cls is dict or cls is MappingProxyType:
        # In order: a page shows a mapping's items in the order it holds them.
        if len(a) != len(b):  # type: ignore[arg-type]
            return False
        if all(map(is_, a.values(), b.values())) and all(map(is_, a, b)):  # type: ignore[attr-defined]
            return True  # the common case, in C: the same keys and records
        return (identical(tuple(a), tuple(b))  # type: ignore[arg-type]
                and identical(tuple(a.values()), tuple(b.values())))  # type: ignore[attr-defined]
    if cls is partial:  # a chart's drawing (render_context.Chart): the same function, same arguments
        return (a.func is b.func and identical(a.args, b.args)  # type: ignore[attr-defined]
                and identical(a.keywords, b.keywords))  # type: ignore[attr-defined]
    fields = _field_getter(cls)
    return fields is not None and identical(fields(a), fields(b))


@cache
def _field_getter(cls: type) -> Callable[[object], tuple[object, ...]] | None:
    """Return a function giving a dataclass instance's field values as a tuple; None for other types."""
    if not dataclasses.is_dataclass(cls):
        return None
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return attrgetter(*names) if names else (lambda obj: ())  # type: ignore[return-value]


class KeyMemo:
    """Page keys of the previous build by output path, with what each was taken from, for a
    long-lived process (serve; see warm.py): a page whose template, salt and inputs are identical
    to last time has last time's key without pickling them again."""

    def __init__(self) -> None:
        self._old: dict[str, tuple[bytes, str, object, bytes | None]] = {}
        self._new: dict[str, tuple[bytes, str, object, bytes | None]] = {}
        self.notes: dict[str, object] = {}
        """What a builder noted at the last build for the next (render.EventShortcut)."""
        self.new_notes: dict[str, object] = {}

    def start(self) -> None:
        """Begin a build (a build that failed may have left some of its keys)."""
        self._new = {}
        self.new_notes = {}

    def previous(self, path: str) -> tuple[bytes, str, object, bytes | None] | None:
        """Return the last build's (salt, template, inputs, key) for `path`."""
        return self._old.get(path)

    def carry(self, path: str) -> None:
        """Keep the last build's entry for `path`, whose inputs the caller found identical."""
        self._new[path] = self._old[path]

    def key(self, path: str, salt: bytes, template: str, inputs: object,
            compute: Callable[[], bytes | None]) -> bytes | None:
        """Return the key `compute` gives, or the last build's for `path` when made from the same."""
        old = self._old.get(path)
        if old is not None and old[0] == salt and old[1] == template and identical(old[2], inputs):
            self._new[path] = old
            return old[3]
        key = compute()
        self._new[path] = (salt, template, inputs, key)
        return key

    def done(self) -> None:
        """End a build: its keys are the ones the next build compares with (pages gone are dropped)."""
        self._old, self._new = self._new, {}
        self.notes, self.new_notes = self.new_notes, {}


class _Pickler(pickle.Pickler):
    """Pickles contexts for their digest only, quicker than the default for frozen slotted
    dataclasses (whose own reduction goes through Python per object). Pickle is deterministic for
    what contexts hold; a set would not be (its order varies between runs), but that only costs a
    render, never a stale page.

    The memo is off (`fast`): with it, an object met twice is written the second time as a
    reference, so equal data pickled differently depending on which strings happened to be one
    object. A build from freshly parsed YAML and one from the parse cache share strings
    differently, and at 100k events the first rebuild after a cold build rendered most pages
    again. Contexts hold no cycles (fast mode refuses one: no key, so the page is always rendered)."""

    def __init__(self, buf: io.BytesIO, keys: PageKeys) -> None:
        super().__init__(buf, protocol=pickle.HIGHEST_PROTOCOL)
        self.fast = True
        self.dispatch_table = keys.reducers


class _KeyReducers(dict[type, Callable[[object], tuple[object, ...]]]):
    """How _Pickler reduces each type: a model record to its digest, a read-only mapping to a dict,
    another dataclass to its class's name and field values.

    A dispatch table rather than Pickler.reducer_override: the pickler looks a type up here in C,
    and calls into Python only for the types found, while reducer_override was called for every
    object but the builtin containers and scalars, including each reduction's own callable
    (half of its ~460k calls for the keys of a 10k-event site). Holds its PageKeys weakly, which
    holds it: no reference cycle keeps a build's records alive after it."""

    def __init__(self, keys: PageKeys) -> None:
        super().__init__()
        self._keys = weakref.ref(keys)

    def __missing__(self, cls: type) -> Callable[[object], tuple[object, ...]]:
        reducer: Callable[[object], tuple[object, ...]]
        if cls in SHARED_TYPES:
            keys = self._keys()
            assert keys is not None  # it is pickling
            known, ref = keys.digests, self._keys

            def reducer(obj: object) -> tuple[object, ...]:
                entry = known.get(id(obj))
                return (_stand_in, (entry[0] if entry is not None else ref().shared(obj),))  # type: ignore[union-attr]
        elif cls is MappingProxyType:
            reducer = _as_dict
        elif (fields := _field_getter(cls)) is not None:
            name = cls.__qualname__
            reducer = lambda obj: (tuple, ((name, *fields(obj)),))  # noqa: E731
        elif cls in copyreg.dispatch_table:
            reducer = copyreg.dispatch_table[cls]
        else:
            raise KeyError(cls)  # pickled as pickle itself would
        self[cls] = reducer
        return reducer


def _as_dict(mapping: object) -> tuple[object, ...]:
    return (dict, (dict(mapping),))  # type: ignore[call-overload]
