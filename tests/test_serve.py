"""Live preview: serves the built site, rebuilds on save, shows a content error in the terminal and
on the page while the last good site keeps being served, and reloads the browser."""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sitrep.serve import Preview, Stamp, _polled, changes, snapshot, start_preview
from tests.conftest import CONFIG, ROOT

CHECKPOINTS = "events/2019/2019-04-13-aleppo-western-checkpoints-attack.yaml"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Return a private copy of mkdocs.yml, templates/ and content/pages: the preview watches them."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "content" / "pages", root / "content" / "pages")
    shutil.copy(CONFIG, root / "mkdocs.yml")
    return root / "mkdocs.yml"


@pytest.fixture
def preview(minimal_copy: Path, tmp_path: Path, project: Path) -> Iterator[tuple[Preview, str]]:
    p = start_preview(minimal_copy, tmp_path / "site", project, port=0)
    assert p.server is not None
    try:
        yield p, f"http://127.0.0.1:{p.server.server_address[1]}"
    finally:
        p.stop()


def test_snapshot_sees_changes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x")
    first = snapshot((tmp_path,))
    (tmp_path / "a.yaml").write_text("xy")
    assert snapshot((tmp_path,)) != first
    assert snapshot((tmp_path / "missing",)) == {}


def test_snapshot_stamps_files_and_links_to_files_not_links_to_folders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("yy")
    (tmp_path / "a.yaml").write_text("x")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "folder-link").symlink_to(tmp_path / "sub")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere")
    stamp = snapshot((tmp_path, tmp_path / "a.yaml"))
    assert sorted(stamp) == sorted(str(tmp_path / p) for p in ("a.yaml", "link.yaml", "sub/b.yaml"))
    assert stamp[str(tmp_path / "link.yaml")] == stamp[str(tmp_path / "a.yaml")]
    assert stamp[str(tmp_path / "sub/b.yaml")][1] == 2  # (mtime_ns, size)


class Watching:
    """Runs a watcher (changes() or _polled()) on a thread; `seen` gets one item per change it yields."""

    def __init__(self, watcher: Callable[..., Iterator[None]], roots: tuple[Path, ...], last: Stamp) -> None:
        self.stop = threading.Event()
        self.seen: queue.Queue[float] = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(watcher, roots, last), daemon=True)
        self.thread.start()

    def _run(self, watcher: Callable[..., Iterator[None]], roots: tuple[Path, ...], last: Stamp) -> None:
        for _ in watcher(roots, last, self.stop):
            self.seen.put(time.monotonic())

    def next_change(self, timeout: float) -> bool:
        try:
            self.seen.get(timeout=timeout)
            return True
        except queue.Empty:
            return False

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def _watched_tree(tmp_path: Path) -> tuple[Path, Path, tuple[Path, ...]]:
    content, config = tmp_path / "content", tmp_path / "mkdocs.yml"
    (content / "events").mkdir(parents=True)
    (content / "events" / "a.yaml").write_text("title: A\n")
    config.write_text("site_name: x\n")
    return content, config, (content, tmp_path / "templates", config)


def test_watcher_yields_once_per_edit_and_ignores_editor_swap_files(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sitrep.serve")
    content, config, roots = _watched_tree(tmp_path)
    watching = Watching(changes, roots, snapshot(roots))
    try:
        assert not watching.next_change(1.0)  # nothing changed yet
        (content / "events" / "a.yaml").write_text("title: B\n")
        assert watching.next_change(10.0)
        (content / "events" / ".a.yaml.swp").write_text("swap")
        (content / "events" / "a.yaml~").write_text("backup")
        assert not watching.next_change(1.5)
        (content / "events" / "new").mkdir()
        (content / "events" / "new" / "b.yaml").write_text("title: C\n")  # in a folder made since
        assert watching.next_change(10.0)
        # mkdocs.yml saved the way many editors do: a new file renamed over the old one.
        (tmp_path / "mkdocs.tmp").write_text("site_name: y\n")
        os.replace(tmp_path / "mkdocs.tmp", config)
        assert watching.next_change(10.0)
        (tmp_path / "templates").mkdir()  # missing when watching started
        (tmp_path / "templates" / "base.html").write_text("<html>")
        assert watching.next_change(10.0)
    finally:
        watching.close()
    assert "polling" not in caplog.text  # told by the operating system, not by polling


def test_watcher_sees_an_edit_made_before_it_started(tmp_path: Path) -> None:
    content, _config, roots = _watched_tree(tmp_path)
    last = snapshot(roots)  # what the running site was built from
    (content / "events" / "a.yaml").write_text("title: B\n")
    watching = Watching(changes, roots, last)
    try:
        assert watching.next_change(10.0)
        assert not watching.next_change(1.0)
    finally:
        watching.close()


def test_polling_watcher_yields_after_an_edit(tmp_path: Path) -> None:
    """Where the operating system gives no change notices, the watcher compares stamps instead."""
    content, _config, roots = _watched_tree(tmp_path)
    watching = Watching(_polled, roots, snapshot(roots))
    try:
        assert not watching.next_change(1.0)
        (content / "events" / "a.yaml").write_text("title: B\n")
        assert watching.next_change(10.0)
    finally:
        watching.close()


@pytest.mark.slow
def test_serves_with_reload_script(preview: tuple[Preview, str]) -> None:
    _p, base = preview
    status, html = get(base + "/events/2019-04-13-aleppo-western-checkpoints-attack/")
    assert status == 200 and "11–13" in html
    assert html.count('<script src="/__sitrep/reload.js"></script>') == 1
    status, js = get(base + "/__sitrep/reload.js")
    assert status == 200 and "/__sitrep/version" in js
    assert json.loads(get(base + "/__sitrep/version")[1]) == {"version": 1, "error": None}
    status, css = get(base + "/static/css/site.css")
    assert status == 200 and "--ink" in css
    assert get(base + "/no/such/page/")[0] == 404


@pytest.mark.slow
def test_content_error_keeps_last_good_site(preview: tuple[Preview, str], minimal_copy: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    p, base = preview
    url = base + "/events/2019-04-13-aleppo-western-checkpoints-attack/"
    path = minimal_copy / CHECKPOINTS
    good = path.read_text()
    with caplog.at_level(logging.ERROR, logger="sitrep.serve"):
        path.write_text(good.replace("low: 11", "low: 99"))  # low > best: a content error
        wait_for(lambda: p.state()["error"] is not None)
    state = p.state()
    error = str(state["error"])
    assert "low" in error and "2019-04-13-aleppo-western-checkpoints-attack.yaml" in error
    assert any("content error" in r.getMessage() for r in caplog.records)  # in the terminal
    status, html = get(url)
    assert status == 200 and "11–13" in html  # the last good site
    assert 'class="serve-error" role="alert"' in html and "2019-04-13-aleppo-western" in html

    path.write_text(good.replace("Pro-government fighters;", "Loyalist fighters;"))
    wait_for(lambda: p.state()["error"] is None)
    html = get(url)[1]
    assert "Loyalist fighters;" in html and "serve-error" not in html


@pytest.mark.slow
@pytest.mark.browser
def test_browser_reloads_after_a_save(chromium: Any, preview: tuple[Preview, str],
                                      minimal_copy: Path) -> None:
    from playwright.sync_api import expect

    _p, base = preview
    page = chromium.new_page()
    try:
        page.goto(base + "/regions/sy-hl/")
        time.sleep(1.0)  # let reload.js read the current version
        path = minimal_copy / "regions" / "SY-HL.yaml"
        path.write_text(path.read_text().replace("name: Aleppo", "name: Aleppo Governorate"))
        expect(page.locator("h1")).to_have_text("Aleppo Governorate", timeout=60_000)
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_terminated_preview_saves_its_caches_like_ctrl_c(minimal_copy: Path, tmp_path: Path, project: Path,
                                                           signame: str) -> None:
    """A service manager's SIGTERM or a closed terminal's SIGHUP stops `serve` as Ctrl-C does: it
    exits 0 and saves the parse cache, so the next build need not parse the files edited meanwhile."""
    import signal
    import subprocess
    import sys

    from sitrep.load import ParseCache
    from sitrep.pipeline import default_cache

    out = tmp_path / "site"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(minimal_copy), "--out", str(out),
         "--config", str(project), "--port", "0"],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        log: list[str] = []
        for line in proc.stderr:
            log.append(line)
            if "serving " in line:
                break
        edited = minimal_copy / CHECKPOINTS
        edited.write_text(edited.read_text().replace("Pro-government fighters;", "Loyalist fighters;"))
        for line in proc.stderr:  # the preview's rebuild after the edit
            log.append(line)
            if "rebuilt in" in line:
                break
        proc.send_signal(getattr(signal, signame))
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(log) + rest
    assert "stopping" in rest
    # Saved at the stop, with the edited file's stamp: the serve's first build saved it before the edit.
    assert str(edited) in ParseCache.open(default_cache(out)).stamps
    stamp = ParseCache.open(default_cache(out)).stamps[str(edited)]
    st = edited.stat()
    assert stamp[0] == (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
