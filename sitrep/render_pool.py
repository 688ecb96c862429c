"""A second process that renders event pages while the build renders the rest of the site.

A build that must make most of its pages (the first one, or any after a template change) would
render them all on one core. An event's page is a function of its Deferred inputs, the config and
the geography alone (render_pages.Deferred), and event pages are most of a site, so the render
stage hands some of them to a worker process: it sends a page's `make` (pickled, with the config
and the map maker standing for the worker's own) a few dozen pages ahead of the writer, renders
the pages it did not hand over itself meanwhile, and takes the worker's bytes when the writer
reaches the page. Rebuilds that make only a few pages never start the worker (START_AFTER).

The worker is a fresh interpreter (spawned), set up from the config and the geography alone. A
child forked from the build would share the build's memory only until the build wrote to it, and
rendering writes to every object it reads (reference counts), so the build's heap would end up
copied once per process: at 100k events, over a GB. Its pages are the bytes the build would have
made: tests compare whole sites built with and without it. Anything going wrong in the worker (an
error, a page that will not pickle, the worker dying) makes the build render that page itself, so
errors are raised, and reported, as without the pool.
"""

from __future__ import annotations

import copyreg
import dataclasses
import io
import itertools
import logging
import operator
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache, partial
from multiprocessing.connection import Connection
from types import MappingProxyType

from sitrep import markup
from sitrep.child import interpreter, start_child, widen_pipe
from sitrep.config import SiteConfig

log = logging.getLogger(__name__)

PageRenderer = Callable[[str, object], bytes]
"""(template name, page context) → the page's bytes."""

START_AFTER = 64
"""Event pages to make the build sees before it starts the worker: starting one (~0.4 s of the
other core) costs more than rendering a few pages."""
DEPTH = 6
"""Pages handed to the worker and not yet done: enough to keep it busy, few enough that the build
renders the rest itself instead of queueing them."""
READY_WAIT = 0.0
"""Seconds the first hand-over waits for the worker to be set up; the build renders pages itself
meanwhile if 0. Tests that need pages handed over on a small site raise it."""
LOOKAHEAD = 48
"""Files the render stage holds back from the writer, so it can hand pages over before they are due."""


def workers_wanted(config: SiteConfig) -> bool:
    """Whether this build may start a render worker: on Linux (the one system it is tested on),
    with a second core, unless mkdocs.yml sets extra.sitrep.render_workers to 0."""
    sitrep = config.extra.get("sitrep") or {}
    if not int(sitrep.get("render_workers", 1)):
        return False
    # No interpreter to start when Python is embedded in another program.
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1 and bool(sys.executable)


def _proxy(items: dict[object, object]) -> MappingProxyType[object, object]:
    return MappingProxyType(items)


@cache
def _rebuilder(cls: type, names: tuple[str, ...]) -> Callable[..., object]:
    """Return a function making a `cls` from its fields' values, bypassing its frozen __setattr__.

    Written out per class: a loop over names and values cost twice as much, and unpickling is most
    of what the worker spends on a page besides rendering it. The names come with the values, and
    must be the class's own: a worker started after Sitrep was upgraded could otherwise put values
    in the wrong fields (it fails instead, and the build renders the page)."""
    if names != _field_names(cls):
        raise TypeError(f"{cls.__qualname__} has other fields in this process")
    lines = [f"    set(obj, {name!r}, v{i})" for i, name in enumerate(names)]
    source = (f"def rebuild({', '.join(f'v{i}' for i in range(len(names)))}):\n"
              "    obj = new(cls)\n" + "\n".join(lines) + "\n    return obj\n")
    scope: dict[str, object] = {"new": object.__new__, "set": object.__setattr__, "cls": cls}
    exec(source, scope)  # the source is made of the class's own field names (identifiers) only
    return scope["rebuild"]  # type: ignore[return-value]


def _rebuild(cls: type, names: tuple[str, ...], *values: object) -> object:
    return _rebuilder(cls, names)(*values)


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """Return the fields of a dataclass whose instances hold nothing else (slotted), else None."""
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        return None
    names = tuple(f.name for f in dataclasses.fields(cls))
    return names or None


class _Reducers(dict[type, Callable[[object], tuple[object, ...]]]):
    """Pickle reductions by type. A slotted dataclass (the model's records) goes as its fields'
    values, taken in C: its own reduction calls dataclasses.fields per object, which made pickling
    a page's inputs cost a quarter of rendering it."""

    def __missing__(self, cls: type) -> Callable[[object], tuple[object, ...]]:
        names = _field_names(cls)
        if names is None:
            raise KeyError(cls)
        get = operator.attrgetter(*names)
        if len(names) == 1:
            reducer = self[cls] = lambda obj: (_rebuild, (cls, names, get(obj)))
        else:
            reducer = self[cls] = lambda obj: (_rebuild, (cls, names, *get(obj)))
        return reducer


MODEL_REDUCERS = _Reducers({**copyreg.dispatch_table, MappingProxyType: lambda m: (_proxy, (dict(m),))})
"""A pickler's dispatch table for the model (also used by check_cache)."""


@dataclass(frozen=True, slots=True)
class _Held:
    """Stands for an object the worker holds itself, named in RenderPool's `shared`."""

    name: str


def _pickled(make: Callable[[], object], held: dict[int, str]) -> bytes | None:
    """Return a page's `make` (a partial) pickled, its arguments the worker holds as _Held."""
    if not isinstance(make, partial):
        return None
    args = tuple(_Held(held[id(a)]) if id(a) in held else a for a in make.args)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = MODEL_REDUCERS
    try:
        pickler.dump((make.func, args, make.keywords))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    return buffer.getvalue()


def _unpickled(payload: bytes, shared: dict[str, object]) -> Callable[[], object]:
    func, args, keywords = pickle.loads(payload)
    return partial(func, *(shared[a.name] if isinstance(a, _Held) else a for a in args), **keywords)


class RenderPool:
    """One worker process rendering pages the render stage hands it, in the order it hands them.

    `setup` (a partial of module-level functions, pickled to the worker) returns the worker's
    page renderer (template name, context → bytes) and the objects it holds itself, by name;
    `held` maps the build's own objects of the same names (id → name), which the pages' `make`s
    then refer to by name."""

    def __init__(self, setup: Callable[[], tuple[PageRenderer, dict[str, object]]],
                 held: dict[int, str]) -> None:
        self._setup = setup
        self._held = held
        self._requests: Connection | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._done: dict[int, tuple[bytes, list[tuple[bytes, str]]] | None] = {}
        self._cond = threading.Condition()
        self._broken = False
        self._finished = False
        self._ready = False
        self.handed = 0
        self._received = 0
        self.worker_seconds = 0.0

    def _start(self) -> bool:
        setup = _pickled(self._setup, {})
        if setup is None:
            self._broken = True
            return False
        requests_out, requests_in = os.pipe()
        results_out, results_in = os.pipe()
        widen_pipe(requests_in)  # room for every request in flight: sending never waits
        command, env = interpreter(__name__, str(os.getpid()), str(requests_out), str(results_in))
        try:
            self._process = subprocess.Popen(command, pass_fds=(requests_out, results_in),
                                             stdin=subprocess.DEVNULL, env=env)
        except OSError as exc:  # no memory or no processes left: render alone
            log.info("render: not using a second process (%s)", exc)
            os.close(requests_in)
            os.close(results_out)
            self._broken = True
            return False
        finally:  # the worker's ends: the build holds only its own
            os.close(requests_out)
            os.close(results_in)
        self._requests = Connection(requests_in, readable=False)
        # A thread takes results as they come, so the worker never waits on a full pipe while the
        # build renders pages itself, and the build knows at once how busy the worker is.
        threading.Thread(target=self._receive, args=(Connection(results_out, writable=False),),
                         name="sitrep-render-results", daemon=True).start()
        try:
            self._requests.send_bytes(setup)
        except OSError:
            self._broken = True
            return False
        return True

    def _receive(self, results: Connection) -> None:
        try:
            while True:
                ticket, data, made, seconds = results.recv()
                with self._cond:
                    if ticket < 0:  # set up: pages may be handed over from now on
                        self._ready = True
                        self._cond.notify_all()
                        continue
                    self._done[ticket] = (data, made) if data is not None else None
                    self._received += 1
                    self.worker_seconds += seconds
                    self._cond.notify_all()
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        finally:
            results.close()
            with self._cond:
                self._broken = True
                self._cond.notify_all()

    def hand(self, template: str, make: Callable[[], object]) -> int | None:
        """Send a page to the worker; return its ticket, or None if the build should render it
        (the worker has DEPTH pages to do already, or the page cannot be sent)."""
        if self._broken or self._finished or self.handed - self._received >= DEPTH:
            return None
        if self._requests is None and not self._start():
            return None
        if not self._ready:
            with self._cond:
                self._cond.wait_for(lambda: self._ready or self._broken, timeout=READY_WAIT)
            if not self._ready:
                return None
        payload = _pickled(make, self._held)
        if payload is None or self._requests is None:
            return None
        ticket = self.handed
        try:
            self._requests.send_bytes(template.encode() + b"\0" + payload)
        except OSError:  # the worker is gone
            self._broken = True
            return None
        self.handed += 1
        return ticket

    def take(self, ticket: int, fallback: Callable[[], bytes]) -> bytes:
        """Return the worker's bytes for `ticket`; render the page here if the worker could not."""
        with self._cond:
            while ticket not in self._done and not self._broken:
                self._cond.wait()
            result = self._done.pop(ticket, None)
        if result is None:
            return fallback()
        data, made = result
        markup.adopt(made)
        return data

    def finish(self) -> None:
        """Hand over no more pages: the worker does those it has and exits, freeing its memory."""
        self._finished = True
        if self._requests is not None:
            self._requests.close()
            self._requests = None

    def close(self) -> None:
        """Stop the worker (every page handed over was taken, or the build is failing)."""
        self.finish()
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self.handed:
            log.info("render: %d pages made in a second process (%.1f s of its time)",
                     self.handed, self.worker_seconds)


def main() -> None:
    """The worker's entry point: `python -c ... <build's pid> <requests fd> <results fd>`."""
    # Ctrl-C reaches the whole process group: the build stops, and the worker sees its pipe close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent, requests, results = (int(a) for a in sys.argv[1:4])
    with suppress(OSError):  # the build is gone or closed its end: nothing is left to do
        _work(parent, Connection(requests, writable=False), Connection(results, readable=False))


def _work(parent: int, requests: Connection, results: Connection) -> None:
    start_child(parent)
    try:
        try:
            render, shared = _unpickled(requests.recv_bytes(), {})()  # type: ignore[misc]
        except Exception:  # the build renders every page itself, and reports what goes wrong
            return
        made = markup.log_conversions()
        results.send((-1, None, [], 0.0))
        for ticket in itertools.count():
            try:
                message = requests.recv_bytes()
            except EOFError:
                return
            start = time.perf_counter()
            template, _, payload = message.partition(b"\0")
            try:
                data: bytes | None = render(template.decode(), _unpickled(payload, shared)())
            except Exception:  # the build renders this page itself and reports what goes wrong
                data = None
            results.send((ticket, data, made.take(), time.perf_counter() - start))
    finally:
        results.close()
