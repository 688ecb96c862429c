"""Time what an editor waits for in `serve`: from saving an event's file to the preview's new page.

    python bench/serve_live.py CONTENT SITE    (prints one JSON object)

Starts `build.py serve` on a free port over a site already built from CONTENT, waits for its first
build (the server answers only after it), edits one event as bench/run.py's edit does, and asks
/__sitrep/version every POLL_S until the preview's version moves, as the page's reload script does
(every 250 ms, in view: an editor's page follows ~0.125 s later on average). Then it checks that the
event's page, fetched over HTTP, shows the edited title. Unlike bench/serve_edit.py, which times the
rebuild alone, this includes the watcher noticing the save and the HTTP server. serve is stopped
with SIGTERM, as a service manager would stop it.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from markupsafe import escape  # noqa: E402

from sitrep.config import load_config  # noqa: E402
from sitrep.urls import base_path  # noqa: E402

POLL_S = 0.02
FIRST_BUILD_LIMIT_S = 3600.0
REBUILD_LIMIT_S = 600.0
SETTLE_S = 5.0
"""Wait after the first build before editing: serve's watcher starts after its server and then
stamps the content once (~3 s at 100k events), and an editor's save comes later than that."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bytes(answer.read())
    except OSError:
        return None


def _state(base: str) -> dict[str, object] | None:
    data = _get(base + "__sitrep/version")
    return json.loads(data) if data is not None else None


def _wait(proc: subprocess.Popen[bytes], base: str, limit: float,
          moved_from: object = None) -> dict[str, object]:
    """Return the preview's state once it answers (and its version is not `moved_from`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}")
        state = _state(base)
        if state is not None and state["version"] != moved_from:
            return state
        time.sleep(POLL_S)
    raise SystemExit(f"serve did not answer within {limit:.0f} s")


def main(argv: list[str]) -> int:
    from bench.run import edit_one_event

    content, site = Path(argv[0]), Path(argv[1])
    port = free_port()
    base = f"http://127.0.0.1:{port}{base_path(load_config(ROOT / 'mkdocs.yml'))}"
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content),
                                 "--out", str(site), "--port", str(port)], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(proc, base, FIRST_BUILD_LIMIT_S)
            first_s = time.perf_counter() - start
            time.sleep(SETTLE_S)
            settled = _wait(proc, base, REBUILD_LIMIT_S)  # the version now, whatever ran meanwhile
            path, event_id = edit_one_event(content)
            saved = time.perf_counter()
            state = _wait(proc, base, REBUILD_LIMIT_S, moved_from=settled["version"])
            seconds = time.perf_counter() - saved
            title = yaml.safe_load(path.read_text(encoding="utf-8"))["title"]
            page = _get(f"{base}events/{event_id}/") or b""
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
    if state["error"] or code != 0:
        raise SystemExit(f"serve failed (exit {code}, error {state['error']!r}):\n{output[-4000:]}")
    print(json.dumps({"seconds": seconds, "first_s": first_s, "event": event_id,
                      "page_updated": str(escape(title)).encode() in page}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
