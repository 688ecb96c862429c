"""A small synchronous client for `pagefind --service`, the backend the pagefind Python API drives.

Why not the Python API itself: `pagefind.service.PagefindService` sleeps 0.1 s before reading each
response, so adding records through it runs at about 10 records/s (100k events would take hours).
The backend is fast; only the reader is slow. This client speaks the same protocol without the pause
and keeps many requests in flight.

The protocol (pagefind 1.5.2, `pagefind/src/service/mod.rs`), tested with PAGEFIND_VERSION:

- Each message, in both directions, is base64(JSON) followed by one ",".
- A request is `{"message_id": n, "payload": {"type": "NewIndex" | "AddRecord" | "GetFiles" | ...}}`.
- The service reads stdin on its own thread into an unbounded queue and handles requests one at a
  time, in order, so responses come back in request order, one per request, each with its
  `message_id`. A request it cannot parse gets an `Error` response whose `message_id` is null and
  whose `original_message` holds the request's JSON.
- Responses are written by another thread from an unbounded queue, so the service never stops
  reading requests because we have not read its answers yet: writing ahead cannot deadlock. We
  still cap the requests in flight (`window`) so the service's queue of answers stays small and an
  error surfaces close to the record that caused it.
- At EOF on stdin the service exits with status 0.
- GetFiles answers with every file of the bundle, base64 in one message. (WriteFiles is left out on
  purpose: in 1.5.2 it can answer before its last files are flushed to disk, as tokio file writes
  are dropped unflushed, so a reader may find them empty.)
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

log = logging.getLogger(__name__)

PAGEFIND_VERSION = "1.5.2"
"""The pagefind release this client was written and tested against (pinned in pyproject.toml)."""

_READ_CHUNK = 1 << 20


class PagefindError(RuntimeError):
    """The pagefind service failed, refused a request, or answered out of protocol."""


@dataclass(frozen=True, slots=True)
class Record:
    """One search result that is not read from HTML: Pagefind's "custom record"."""

    url: str
    content: str
    language: str = "en"
    meta: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    sort: Mapping[str, str] = field(default_factory=dict)

    def payload(self, index_id: int) -> dict[str, Any]:
        """Return the AddRecord request body for this record."""
        return {"type": "AddRecord", "index_id": index_id, "url": self.url, "content": self.content,
                "language": self.language, "meta": dict(self.meta),
                "filters": {k: list(v) for k, v in self.filters.items()}, "sort": dict(self.sort)}


def binary_path() -> Path:
    """Return the pagefind executable: $PAGEFIND_BINARY_PATH, else the one the pagefind_bin wheel ships."""
    from pagefind.service import get_executable

    path = get_executable()
    if path is None or not path.is_file():
        raise PagefindError("no pagefind binary found; install pagefind[bin] (pyproject.toml pins it)")
    return path


def binary_version(binary: Path) -> str:
    """Return the version the pagefind binary reports, e.g. '1.5.2'."""
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip().rsplit(" ", 1)[-1]


def _encode(message_id: int, payload: Mapping[str, Any]) -> bytes:
    body = json.dumps({"message_id": message_id, "payload": payload}, ensure_ascii=False).encode("utf-8")
    return base64.b64encode(body) + b","


def _decoded(files: list[dict[str, str]]) -> Iterator[tuple[str, bytes]]:
    while files:
        item = files.pop()  # drop each base64 copy as soon as it is decoded
        yield item["path"], base64.b64decode(item["content"])


class _FrameReader:
    """Split the service's stdout into comma-terminated frames without rescanning bytes already seen."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._scanned = 0

    def next_frame(self) -> bytes:
        while True:
            end = self._buf.find(b",", self._scanned)
            if end >= 0:
                frame = bytes(self._buf[:end])
                del self._buf[: end + 1]
                self._scanned = 0
                return frame
            self._scanned = len(self._buf)
            chunk = self._stream.read1(_READ_CHUNK)  # type: ignore[attr-defined]
            if not chunk:
                raise EOFError("pagefind service closed its output")
            self._buf += chunk


class PagefindService:
    """A running `pagefind --service` process. Use as a context manager; it stops the process on exit."""

    def __init__(self, binary: Path | None = None, *, window: int = 256) -> None:
        self._binary = binary or binary_path()
        self._window = max(1, window)
        self._next_id = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: _FrameReader | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> PagefindService:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start the service process."""
        version = binary_version(self._binary)
        if version != PAGEFIND_VERSION:
            log.warning("pagefind %s found; this client was tested with %s", version, PAGEFIND_VERSION)
        # stderr goes to a file, not a pipe nobody reads, so a chatty service can never block on it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close(), with the process)
        self._proc = subprocess.Popen([str(self._binary), "--service"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, cwd=tempfile.gettempdir())
        assert self._proc.stdout is not None
        self._reader = _FrameReader(self._proc.stdout)

    def close(self) -> None:
        """Stop the service: close its input (it exits at EOF), and kill it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
            except OSError:
                pass  # already gone
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    # --- requests -------------------------------------------------------------------------------

    def new_index(self, config: Mapping[str, Any] | None = None) -> int:
        """Create an index (config as pagefind's IndexConfig: force_language, ...); return its id."""
        return int(self.request({"type": "NewIndex", "config": dict(config) if config else None})["index_id"])

    def add_records(self, index_id: int, records: Iterable[Record]) -> int:
        """Add custom records, many requests in flight at once; return how many were indexed."""
        pending: deque[tuple[int, str]] = deque()
        done = 0
        for record in records:
            pending.append((self._send(record.payload(index_id)), record.url))
            if len(pending) >= self._window:
                self._receive_for(*pending.popleft())
                done += 1
        while pending:
            self._receive_for(*pending.popleft())
            done += 1
        return done

    def get_files(self, index_id: int) -> Iterator[tuple[str, bytes]]:
        """Build the index and return its files as (path inside the bundle, bytes), all in one answer."""
        return _decoded(self.request({"type": "GetFiles", "index_id": index_id})["files"])

    def peak_memory_mb(self) -> float | None:
        """Return the service's peak resident memory so far (Linux /proc), or None where unknown."""
        try:
            with open(f"/proc/{self._running().pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except (OSError, ValueError):
            pass
        return None

    def request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request and return its response payload; raise PagefindError on an error answer."""
        return self._receive_for(self._send(payload), str(payload.get("type")))

    # --- framing --------------------------------------------------------------------------------

    def _send(self, payload: Mapping[str, Any]) -> int:
        proc = self._running()
        self._next_id += 1
        assert proc.stdin is not None
        try:
            proc.stdin.write(_encode(self._next_id, payload))
            proc.stdin.flush()
        except BrokenPipeError:
            raise self._died("stopped reading requests") from None
        return self._next_id

    def _receive_for(self, message_id: int, what: str) -> dict[str, Any]:
        """Read the next response, which must answer `message_id` (responses come in request order)."""
        assert self._reader is not None
        try:
            frame = self._reader.next_frame()
        except EOFError:
            raise self._died(f"exited before answering {what}") from None
        response = json.loads(base64.b64decode(frame))
        payload = response.get("payload") or {}
        got = response.get("message_id")
        if got is None and payload.get("original_message"):
            got = json.loads(payload["original_message"]).get("message_id")
        if payload.get("type") == "Error":
            raise PagefindError(f"pagefind refused {what}: {payload.get('message')}")
        if got != message_id:
            raise PagefindError(f"pagefind answered message {got} while {message_id} ({what}) was expected")
        return payload

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise PagefindError("the pagefind service is not running; use it as a context manager")
        return self._proc

    def _died(self, what: str) -> PagefindError:
        proc = self._running()
        code = proc.poll()
        detail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            detail = self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        return PagefindError(f"pagefind service {what} (exit status {code}){': ' + detail if detail else ''}")
