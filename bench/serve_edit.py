"""Time `serve`'s rebuild after one edit: the warm path (sitrep/warm.py) its live preview takes.

    python bench/serve_edit.py CONTENT SITE    (prints one JSON object)

Makes a Preview as `serve` does, without its HTTP server and watcher, over a site already built
from CONTENT; builds once (nothing to write: this fills the preview's warm state, as the build
`serve` starts with does), edits one event as bench/run.py's edit does, and times the rebuild.
Run by bench/run.py in its own process, so its memory and time are the preview's alone.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.measure import changes, snapshot  # noqa: E402
from sitrep.serve import Preview  # noqa: E402


def main(argv: list[str]) -> int:
    from bench.run import edit_one_event

    content, site = Path(argv[0]), Path(argv[1])
    # As `./run serve` names it (bench/run.py runs this in ROOT, as it runs build.py).
    preview = Preview(content, site, Path("mkdocs.yml"))
    start = time.perf_counter()
    if not preview.rebuild():
        raise SystemExit(f"the preview's first build failed: {preview.error}")
    first = time.perf_counter() - start
    _, event_id = edit_one_event(content)
    before = snapshot(site)
    time.sleep(0.05)  # a rewrite within the same mtime tick would otherwise go unseen
    start = time.perf_counter()
    if not preview.rebuild():
        raise SystemExit(f"the preview's rebuild failed: {preview.error}")
    seconds = time.perf_counter() - start
    diff = changes(before, snapshot(site))
    assert preview.last is not None
    print(json.dumps({
        "seconds": seconds, "first_s": first, "event": event_id, "written": len(diff.written),
        "pages": diff.pages, "search_updated": any(p.startswith("pagefind/") for p in diff.written),
        "event_page_written": f"events/{event_id}/index.html" in diff.written,
        "written_by_folder": report.by_folder(diff.written), "stages": preview.last.timings}))
    preview.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
