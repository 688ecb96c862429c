"""Live preview: serve the built site on 127.0.0.1, rebuild when content, templates or mkdocs.yml
change, and make open pages reload themselves.

The watcher is told of changes by the operating system (watchfiles: inotify, FSEvents, ...), so an
idle preview costs nothing and an edit is seen at once; where that cannot start it compares file
stamps twice a second instead (which at 100k content files takes ~0.6 s a round). A rebuild goes through
the same pipeline as `python build.py`, keeping what it can for the next rebuild (warm.py); its
writer swaps the new site in only when the build succeeds, so after a content error the last good
site keeps being served. The error is logged to the terminal and shown on every served page in a
banner (inserted by the server, so it shows without JavaScript). Pages reload through
/__sitrep/reload.js, a static script polling /__sitrep/version; both exist only in the preview,
never in the built site.
"""

from __future__ import annotations

import html
import json
import logging
import os
import signal
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sitrep import heap
from sitrep.config import SiteConfig, load_config
from sitrep.errors import ContentError
from sitrep.urls import base_path
from sitrep.warm import Warm
from sitrep.write import WriteError, build_lock

if TYPE_CHECKING:
    from sitrep.pipeline import BuildResult

log = logging.getLogger(__name__)

RELOAD_JS = Path(__file__).resolve().parent / "static" / "js" / "reload.js"
POLL_SECONDS = 0.5
Stamp = dict[str, tuple[int, int]]


def watched_roots(content_dir: Path, config_path: Path) -> tuple[Path, ...]:
    """Return what a change in triggers a rebuild: content, the templates beside mkdocs.yml, mkdocs.yml."""
    root = config_path.resolve().parent
    return (content_dir, root / "templates", config_path)


def snapshot(roots: tuple[Path, ...]) -> Stamp:
    """Return {path: (mtime_ns, size)} of every file under `roots` (a root may be a single file).

    Links to files count, as their targets; links to folders are not followed. By os.scandir, one
    stat a file: at 100k content files, 0.5-0.6 s instead of Path.rglob's 1.9-2.4 s (the watcher
    stamps the content when it starts, and the polling fallback at every round)."""
    stamp: Stamp = {}
    for root in roots:
        if root.is_file():
            st = _stat(str(root))
            if st is not None:
                stamp[str(root)] = (st.st_mtime_ns, st.st_size)
        elif root.is_dir():
            _stamp_folder(str(root), stamp)
    return stamp


def _stamp_folder(folder: str, stamp: Stamp) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # removed while we looked: the next poll sees it gone
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _stamp_folder(entry.path, stamp)
                continue
            st = entry.stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            stamp[entry.path] = (st.st_mtime_ns, st.st_size)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


class _NoNotice(Exception):
    """The operating system's change notices are not available here."""


def changes(roots: tuple[Path, ...], last: Stamp, stop: threading.Event) -> Iterator[None]:
    """Yield once for each change to a file under `roots` since the stamp `last`, until `stop` is set.

    Changes made while the caller works on the previous one (a rebuild) are kept and yielded next.
    Editors' swap and backup files (watchfiles.DefaultFilter) cause no rebuild."""
    try:
        yield from _noticed(roots, last, stop)
    except _NoNotice as exc:
        log.info("watching for changes by polling (%s)", exc)
        yield from _polled(roots, last, stop)


def _noticed(roots: tuple[Path, ...], last: Stamp, stop: threading.Event) -> Iterator[None]:
    folders = tuple(r for r in roots if r.is_dir())
    # mkdocs.yml, a missing templates folder: a notice on a file is lost when an editor saves it by
    # replacing it, so these few are stamped at each wake-up instead (every POLL_SECONDS at most).
    others = tuple(r for r in roots if r not in folders)
    try:
        from watchfiles import watch as notices

        batches = notices(*folders, stop_event=stop, step=100, rust_timeout=int(POLL_SECONDS * 1000),
                          yield_on_timeout=True, raise_interrupt=False)
        first = next(batches, None)  # returns once the watcher runs, so nothing after is missed
    except (ImportError, OSError, RuntimeError) as exc:  # e.g. the inotify watch limit
        raise _NoNotice(f"{type(exc).__name__}: {exc}") from None
    stamped = snapshot(others)
    pending = bool(first) or snapshot(roots) != last
    while first is not None and not stop.is_set():
        if pending:
            yield
        try:
            batch = next(batches, None)
        except (OSError, RuntimeError) as exc:  # the watcher failed: changes() polls from here
            raise _NoNotice(f"{type(exc).__name__}: {exc}") from None
        if batch is None:  # stopped
            return
        now = snapshot(others)
        pending, stamped = bool(batch) or now != stamped, now


def _polled(roots: tuple[Path, ...], last: Stamp, stop: threading.Event) -> Iterator[None]:
    while not stop.wait(POLL_SECONDS):
        now = snapshot(roots)
        if now != last:
            stop.wait(POLL_SECONDS / 2)  # let an editor finish writing the file
            last = snapshot(roots)
            yield


@dataclass
class Preview:
    """The preview's state, shared by the watcher thread and the request handlers."""

    content_dir: Path
    out_dir: Path
    config_path: Path
    version: int = 0
    error: str | None = None
    builds: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop_event: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None
    warm: Warm = field(default_factory=Warm)
    """What a rebuild keeps for the next (warm.py): after an edit, only what it touched is redone."""
    last: BuildResult | None = None
    """The last successful build's result: what it wrote and how long each stage took."""

    @property
    def config(self) -> SiteConfig:
        return load_config(self.config_path)

    def rebuild(self) -> bool:
        """Build once; on a content error keep the old site, record and log the error. Return success."""
        from sitrep.pipeline import build, default_cache

        started = time.perf_counter()
        try:
            result = build(self.content_dir, self.out_dir, self.config,
                           cache_path=default_cache(self.out_dir), warm=self.warm)
        except ContentError as exc:
            problems = getattr(exc, "problems", None)
            message = "\n".join(p.format() for p in problems) if problems else str(exc)
            log.error("content error; still serving the last good site:\n%s", message)
            self._done(message)
            return False
        except Exception as exc:  # a template or stage bug must not kill the preview either
            log.exception("build failed; still serving the last good site")
            self._done(f"build failed: {type(exc).__name__}: {exc}")
            return False
        log.info("rebuilt in %.2f s: %d files written", time.perf_counter() - started,
                 len(result.report.written))
        self.last = result
        self._done(None)
        return True

    def _done(self, error: str | None) -> None:
        with self.lock:
            self.error = error
            self.version += 1
            self.builds += 1

    def watch(self, last: Stamp) -> None:
        """Watch the content, templates and config until stopped; rebuild after each change from
        `last` (the stamp the running site was built from, so an edit made before watching started
        is not missed)."""
        for _ in changes(watched_roots(self.content_dir, self.config_path), last, self.stop_event):
            self.rebuild()
            heap.tidy()  # while the editor reads the page: what the build let go of is freed

    def state(self) -> dict[str, object]:
        with self.lock:
            return {"version": self.version, "error": self.error}

    def stop(self) -> None:
        """Stop watching and serving."""
        self.stop_event.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        # For the next build from the command line, which then need not parse the edited files; not
        # while a build (the watcher's, or another process's) holds the lock: that one saves it.
        with suppress(WriteError), build_lock(self.out_dir):
            self.warm.save()


def _banner(error: str) -> bytes:
    return (f'<div class="serve-error" role="alert"><p><strong>Content error: the preview still shows the '
            f"last good build.</strong> Fix the files below and save; the page reloads.</p>"
            f"<pre>{html.escape(error)}</pre></div>").encode()


def _error_page(error: str, script: bytes) -> bytes:
    return (b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build error</title>"
            b"</head><body><main>" + _banner(error) + b"</main>" + script + b"</body></html>")


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serve out_dir under the site's base path, plus the preview's two endpoints."""

    preview: Preview
    base: str = "/"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/__sitrep/version":
            return self._send(200, "application/json", json.dumps(self.preview.state()).encode())
        if path == "/__sitrep/reload.js":
            return self._send(200, "text/javascript", RELOAD_JS.read_bytes())
        state = self.preview.state()
        if not (self.preview.out_dir / "index.html").is_file():
            page = _error_page(str(state["error"] or "building…"), self._script())
            return self._send(503, "text/html; charset=utf-8", page)
        if not path.startswith(self.base):
            return self._redirect(self.base)
        self.path = "/" + path[len(self.base):]
        if self.path.endswith("/") or self.path.endswith(".html"):
            return self._send_html(state)
        return super().do_GET()

    def _script(self) -> bytes:
        return b'<script src="/__sitrep/reload.js"></script>'

    def _send_html(self, state: dict[str, object]) -> None:
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        status = 200
        if not target.is_file():
            target, status = self.preview.out_dir / "404.html", 404
            if not target.is_file():
                return self._send(404, "text/plain", b"not found")
        data = target.read_bytes()
        if state["error"]:
            data = data.replace(b'<main id="main" tabindex="-1">',
                                b'<main id="main" tabindex="-1">' + _banner(str(state["error"])), 1)
        data = data.replace(b"</body>", self._script() + b"</body>", 1)
        self._send(status, "text/html; charset=utf-8", data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.end_headers()

    def _send(self, status: int, ctype: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


def start_preview(content_dir: Path, out_dir: Path, config_path: Path, host: str = "127.0.0.1",
                  port: int = 8000) -> Preview:
    """Build once, then serve and watch in background threads; return the running Preview."""
    preview = Preview(content_dir, out_dir, config_path)
    stamp = snapshot(watched_roots(content_dir, config_path))
    preview.rebuild()
    handler = type("BoundPreviewHandler", (PreviewHandler,),
                   {"preview": preview, "base": base_path(preview.config)})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(out_dir)))
    server.daemon_threads = True
    preview.server = server
    threading.Thread(target=server.serve_forever, name="sitrep-serve", daemon=True).start()
    threading.Thread(target=preview.watch, args=(stamp,), name="sitrep-watch", daemon=True).start()
    return preview


def serve(content_dir: Path, out_dir: Path, config_path: Path, host: str = "127.0.0.1",
          port: int = 8000) -> None:
    """Serve the site with rebuild-on-save until interrupted (Ctrl-C), terminated or hung up on.

    All three stop it the same way: the caches are saved for the next build (Preview.stop), which
    a service manager's SIGTERM or a closed terminal's SIGHUP would otherwise skip."""
    preview = start_preview(content_dir, out_dir, config_path, host, port)
    assert preview.server is not None
    real_port = preview.server.server_address[1]
    log.info("serving %s at http://%s:%s%s (Ctrl-C to stop)", out_dir, host, real_port,
             base_path(preview.config))
    before = _stop_on_signals(preview.stop_event)
    try:
        while not preview.stop_event.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping")
        preview.stop()
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """Make SIGTERM and SIGHUP set `stop`; return the handlers they had."""
    before: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)  # no SIGHUP on Windows
        if signum is not None:
            before[signum] = signal.signal(signum, lambda _signum, _frame: stop.set())
    return before
