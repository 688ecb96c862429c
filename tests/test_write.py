"""Writer: safe paths, atomic swaps, only changed files touched, collisions refused, foreign folders kept."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitrep import write
from sitrep.write import (
    MARKER,
    MAX_NAME,
    Manifest,
    OutputFile,
    PendingFile,
    WriteError,
    build_lock,
    check_path,
    folder_stamps,
    write_site,
)


@pytest.fixture(autouse=True, params=["in the loop", "beside"])
def large_files(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test twice: files written in the writer's loop, and every file taken as a large one,
    written on the thread beside it (write.BESIDE_BYTES)."""
    if request.param == "beside":
        monkeypatch.setattr(write, "BESIDE_BYTES", 1)
    return str(request.param)


def files(paths: dict[str, str] | None = None, **named: str) -> list[OutputFile]:
    """OutputFiles from a {path: text} dict and keyword arguments ('__' in a name stands for '/')."""
    named = {k.replace("__", "/"): v for k, v in named.items()}
    return [OutputFile(k, v.encode()) for k, v in {**(paths or {}), **named}.items()]


def snapshot(root: Path) -> dict[str, str]:
    """Return {relative path: sha256} of every file under root (the marker included)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Return staging or aside folders the writer left beside `out`."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")
                  and not p.name.endswith(".lock"))


@pytest.mark.parametrize("path", [
    "index.html", "events/2019-04-13-x/index.html", "data/events.csv", "feeds/regions/sy-hl.xml",
    "static/css/site.css", "a" * MAX_NAME, ".well-known/security.txt", "console/index.html",
])
def test_check_path_accepts_site_paths(path: str) -> None:
    """Ordinary relative POSIX paths pass unchanged."""
    assert check_path(path) == path


@pytest.mark.parametrize("path", [
    "", "/etc/passwd", "../outside", "events/../../outside", "a//b", "./a", "a/./b", "a/", "a\\..\\b",
    "a\x00b", "events/x\n/index.html", "events/\x1b[31m/index.html", "con", "CON.html", "nul/index.html",
    "events/aux/index.html", "com1.txt", "LPT9", "a" * (MAX_NAME + 1), "é" * (MAX_NAME // 2 + 1),
    "a b./index.html", "trailing /x", "x.",
])
def test_check_path_refuses_escapes_and_reserved_names(path: str) -> None:
    """Absolute, parent, empty, backslash, control-character, reserved and over-long paths are refused."""
    with pytest.raises(WriteError, match="unsafe output path"):
        check_path(path)


def test_first_build_writes_everything_and_the_marker(tmp_path: Path) -> None:
    """A first build writes every file, plus the marker that lets later builds replace the folder."""
    out = tmp_path / "site"
    report = write_site(files({"index.html": "home", "events/a/index.html": "a"}), out)
    assert sorted(report.written) == [MARKER, "events/a/index.html", "index.html"]
    assert (out / "events/a/index.html").read_text() == "a"
    assert (out / MARKER).is_file()
    assert leftovers(out) == []


def test_unchanged_files_keep_inode_and_mtime(tmp_path: Path) -> None:
    """A rebuild with the same bytes touches nothing: same inode and mtime, so rsync sees no change."""
    out = tmp_path / "site"
    write_site(files(a="1", b__c="2"), out)
    before = {p: ((out / p).stat().st_ino, (out / p).stat().st_mtime_ns) for p in ("a", "b/c")}
    report = write_site(files(a="1", b__c="2"), out)
    assert report.written == () and report.unchanged == 3 and report.removed == 0
    assert {p: ((out / p).stat().st_ino, (out / p).stat().st_mtime_ns) for p in before} == before


def test_changed_file_never_writes_through_the_old_sites_inode(tmp_path: Path) -> None:
    """Staging hard-links the old site; a changed file must replace the link, not write into it."""
    out = tmp_path / "site"
    write_site(files(a="old"), out)
    keep = tmp_path / "keep"
    os.link(out / "a", keep)  # holds the old inode, as a web server mid-read would
    write_site(files(a="new"), out)
    assert (out / "a").read_text() == "new"
    assert keep.read_text() == "old"


def test_stale_files_and_empty_folders_are_removed(tmp_path: Path) -> None:
    """Files no build produces any more go, and so do folders left empty."""
    out = tmp_path / "site"
    write_site(files(a="1", old__deep__x="2", keep__y="3"), out)
    report = write_site(files(a="1", keep__y="3"), out)
    assert report.removed == 1
    assert not (out / "old").exists()
    assert set(snapshot(out)) == {"a", "keep/y", MARKER}


@pytest.mark.parametrize("outputs, message", [
    (files(a="1") + files(a="2"), "two outputs map to the same file 'a'"),
    (files({"events/A/index.html": "1", "events/a/index.html": "2"}), "differ only in case"),
    (files(a="1", a__b="2"), "is both a file and a folder"),
    (files(a__b="1", a="2"), "is both a file and a folder"),
    ([*files(ok="1"), OutputFile("../escape", b"x")], "unsafe output path"),
])
def test_colliding_or_unsafe_outputs_fail_and_keep_the_old_site(tmp_path: Path, outputs: list[OutputFile],
                                                                  message: str) -> None:
    """Two outputs on one file (or on one file after case folding) fail the build; the old site stays."""
    out = tmp_path / "site"
    write_site(files({"index.html": "v1"}, a__x="v1"), out)
    before = snapshot(out)
    with pytest.raises(WriteError, match=message):
        write_site(outputs, out)
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert not (tmp_path / "escape").exists()


def test_file_and_folder_may_swap_between_builds(tmp_path: Path) -> None:
    """An old file where a folder must go (and the reverse) is replaced, not a crash."""
    out = tmp_path / "site"
    write_site(files(a="file", b__x="in folder", b__y__z="deeper"), out)
    write_site(files({"a/index.html": "now a folder"}, b="now a file"), out)
    assert set(snapshot(out)) == {"a/index.html", "b", MARKER}
    assert (out / "b").read_text() == "now a file"


def test_failing_stage_leaves_old_site_and_no_staging(tmp_path: Path) -> None:
    """An exception while files are produced aborts the build; the old site is byte-identical."""
    out = tmp_path / "site"
    write_site(files({"index.html": "v1"}, a="v1"), out)
    before = snapshot(out)

    def broken() -> Iterator[OutputFile]:
        yield OutputFile("index.html", b"v2")
        yield OutputFile("new", b"v2")
        raise RuntimeError("template exploded")

    with pytest.raises(RuntimeError, match="template exploded"):
        write_site(broken(), out)
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_leftovers_of_a_killed_build_are_cleared(tmp_path: Path) -> None:
    """Staging folders of a killed build are removed by the next; a site moved aside is restored first."""
    out = tmp_path / "site"
    write_site(files(a="1"), out)
    (tmp_path / ".site.staging-99999/half").mkdir(parents=True)
    write_site(files(a="2"), out)
    assert leftovers(out) == [] and (out / "a").read_text() == "2"
    os.rename(out, tmp_path / ".site.old")  # as if killed inside a non-atomic swap
    write_site(files(a="3"), out)
    assert leftovers(out) == [] and (out / "a").read_text() == "3"


def test_lock_held_by_another_build(tmp_path: Path) -> None:
    """While one build holds the lock, another fails at once with a clear message and changes nothing."""
    out = tmp_path / "site"
    write_site(files(a="1"), out)
    before = snapshot(out)
    with build_lock(out), pytest.raises(WriteError, match="another build is writing"):
        write_site(files(a="2"), out)
    assert snapshot(out) == before
    write_site(files(a="2"), out)  # the lock is released afterwards
    assert (out / "a").read_text() == "2"


@pytest.mark.parametrize("target", ["home", "project"])
def test_foreign_folder_is_never_replaced(tmp_path: Path, target: str) -> None:
    """`--out ~` or `--out .` must not wipe a folder of other files: without the marker it is refused."""
    out = tmp_path / target
    (out / "notes").mkdir(parents=True)
    (out / "notes/precious.txt").write_text("do not lose me")
    (out / "content.yaml").write_text("x: 1")
    before = snapshot(out)
    with pytest.raises(WriteError, match="not empty and no sitrep build wrote it"):
        write_site(files({"index.html": "site"}), out)
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_empty_folder_and_file_in_the_way(tmp_path: Path) -> None:
    """An existing empty folder is fine to build into; a file named like the output is refused."""
    empty = tmp_path / "empty"
    empty.mkdir()
    write_site(files(a="1"), empty)
    assert (empty / "a").read_text() == "1"
    afile = tmp_path / "afile"
    afile.write_text("keep")
    with pytest.raises(WriteError, match="is not a folder"):
        write_site(files(a="1"), afile)
    assert afile.read_text() == "keep"


def test_dotdot_and_symlinked_output_folders(tmp_path: Path) -> None:
    """'x/../site' writes to site; a link to a folder builds into that folder and the link survives."""
    (tmp_path / "x").mkdir()
    write_site(files(a="1"), tmp_path / "x" / ".." / "site")
    assert (tmp_path / "site/a").read_text() == "1"
    assert not (tmp_path / "x/.site.lock").exists()
    (tmp_path / "link").symlink_to(tmp_path / "site")
    write_site(files(a="2"), tmp_path / "link")
    assert (tmp_path / "link").is_symlink()
    assert (tmp_path / "site/a").read_text() == "2"


def test_manifest_spares_reading_unchanged_files_back(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With a manifest, a no-op rebuild trusts its records: no old file is read, none rewritten."""
    import sitrep.write as write

    out, manifest = tmp_path / "site", tmp_path / "cache" / "written.pickle"
    write_site(files(a="1", b__c="2"), out, manifest=manifest)
    assert manifest.is_file()
    before = {p: (out / p).stat().st_ino for p in ("a", "b/c")}

    def no_reads(path: Path, data: bytes) -> bool:
        raise AssertionError(f"{path} was read back although the manifest vouches for it")

    monkeypatch.setattr(write, "_same_bytes", no_reads)
    report = write_site(files(a="1", b__c="2"), out, manifest=manifest)
    assert report.written == () and report.unchanged == 3
    assert {p: (out / p).stat().st_ino for p in before} == before


def test_manifest_entry_of_a_file_changed_on_disk_is_not_trusted(tmp_path: Path) -> None:
    """A file edited behind the writer's back (new mtime) is compared by bytes and restored."""
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    write_site(files(a="same", b="keep"), out, manifest=manifest)
    st = (out / "a").stat()
    (out / "a").write_text("EDIT")  # same size, same inode: only the mtime tells
    os.utime(out / "a", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    report = write_site(files(a="same", b="keep"), out, manifest=manifest)
    assert report.written == ("a",) and (out / "a").read_text() == "same"
    again = write_site(files(a="same", b="keep"), out, manifest=manifest)
    assert again.written == ()


@pytest.mark.parametrize("junk", [b"", b"not a pickle", b"\x80\x05N."])
def test_unreadable_manifest_falls_back_to_comparing_bytes(tmp_path: Path, junk: bytes) -> None:
    """A torn or foreign manifest is ignored: the build compares bytes and still rewrites nothing."""
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    write_site(files(a="1"), out, manifest=manifest)
    manifest.write_bytes(junk)
    report = write_site(files(a="1", b="2"), out, manifest=manifest)
    assert report.written == ("b",) and report.unchanged == 2


class Maker:
    """Makes a PendingFile's bytes and counts how often it was asked to."""

    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.text.encode()


def test_pending_file_with_the_same_key_is_kept_without_being_made(tmp_path: Path) -> None:
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    first = Maker("page v1")
    report = write_site([PendingFile("p/index.html", b"k1", first)], out, manifest=manifest)
    assert first.calls == 1 and report.written == ("p/index.html", MARKER) and report.kept == 0
    ino = (out / "p/index.html").stat().st_ino
    again = Maker("page v1")
    report = write_site([PendingFile("p/index.html", b"k1", again)], out, manifest=manifest)
    assert again.calls == 0 and report.kept == 1 and report.written == ()
    assert (out / "p/index.html").stat().st_ino == ino and (out / "p/index.html").read_text() == "page v1"


def test_pending_file_with_a_new_key_is_made_and_written_only_if_its_bytes_changed(tmp_path: Path) -> None:
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    write_site([PendingFile("a", b"k1", Maker("A")), PendingFile("b", b"k1", Maker("B"))], out,
               manifest=manifest)
    same, changed = Maker("A"), Maker("B2")
    report = write_site([PendingFile("a", b"k2", same), PendingFile("b", b"k2", changed)], out,
                        manifest=manifest)
    assert same.calls == changed.calls == 1
    assert report.written == ("b",) and report.kept == 0 and (out / "b").read_text() == "B2"
    # The new keys were recorded, for "a" too although its bytes stayed: the next build keeps both.
    report = write_site([PendingFile("a", b"k2", Maker("A")), PendingFile("b", b"k2", Maker("B2"))], out,
                        manifest=manifest)
    assert report.kept == 2 and report.written == ()


def test_pending_file_edited_on_disk_is_made_again_whatever_its_key(tmp_path: Path) -> None:
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    write_site([PendingFile("a", b"k", Maker("same"))], out, manifest=manifest)
    st = (out / "a").stat()
    (out / "a").write_text("EDIT")
    os.utime(out / "a", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    maker = Maker("same")
    report = write_site([PendingFile("a", b"k", maker)], out, manifest=manifest)
    assert maker.calls == 1 and report.written == ("a",) and (out / "a").read_text() == "same"


def test_pending_file_is_made_without_a_manifest_or_an_old_file(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site([PendingFile("a", b"k", Maker("1"))], out)
    maker = Maker("1")
    report = write_site([PendingFile("a", b"k", maker), PendingFile("b", b"k", Maker("2"))], out)
    assert maker.calls == 1 and report.kept == 0 and report.written == ("b",)


@pytest.mark.parametrize("version", [1, 3])
def test_manifest_of_an_older_format_is_ignored(tmp_path: Path, version: int) -> None:
    """Version 1 records had no key, version 3 BLAKE2b digests: they are dropped, not misread, and
    the old site's files are compared by their bytes, so an upgrade rewrites none of them."""
    import pickle

    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    write_site(files(a="1"), out, manifest=manifest)
    st = (out / "a").stat()
    old = hashlib.blake2b(b"1", digest_size=16).digest()
    record = (st.st_size, st.st_mtime_ns, st.st_ino, old) + ((b"x" * 16,) if version > 1 else ())
    manifest.write_bytes(pickle.dumps((version, {"a": record}, None)[:2 if version == 1 else 3]))
    maker = Maker("1")
    report = write_site([PendingFile("a", b"x" * 16, maker)], out, manifest=manifest)
    assert maker.calls == 1 and report.kept == 0 and report.written == ()


# --- The spare site: staging from the site the previous build retired ------------------------

SPARE_PATHS = ["a", "b/c", "b/d", "e/f/g", "e/f/h", "e", "i/index.html", "i", "j/k/l/m"]
"""Paths of small sites; "e" and "e/f/..." (and "i", "i/index.html") swap file for folder."""


def _site_versions() -> st.SearchStrategy[list[dict[str, str]]]:
    def valid(site: dict[str, str]) -> bool:
        return not any(q.startswith(p + "/") for p in site for q in site)

    site = st.dictionaries(st.sampled_from(SPARE_PATHS), st.sampled_from(["1", "2", "3"])).filter(valid)
    return st.lists(site, min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(versions=_site_versions())
def test_builds_staged_from_the_spare_equal_builds_from_scratch(tmp_path_factory: pytest.TempPathFactory,
                                                                versions: list[dict[str, str]]) -> None:
    """Whatever sequence of sites is built, each comes out exactly as written (files, no empty
    folders), unchanged files keep their inodes, and the spare holds the site before it."""
    root = tmp_path_factory.mktemp("spare")
    out, manifest = root / "site", root / "cache" / "written.pickle"
    previous: dict[str, str] | None = None
    for n, version in enumerate(versions):
        inodes = {p: (out / p).stat().st_ino for p in version
                  if previous is not None and previous.get(p) == version[p]}
        report = write_site(files(version), out, manifest=manifest)
        assert report.from_spare == (n >= 2)
        expected = {p: hashlib.sha256(t.encode()).hexdigest() for p, t in version.items()}
        assert {p: h for p, h in snapshot(out).items() if p != MARKER} == expected
        assert {p: (out / p).stat().st_ino for p in inodes} == inodes
        folders = {str(d.relative_to(out)) for d in out.rglob("*") if d.is_dir()}
        assert all(any(p.startswith(f + "/") for p in version) for f in folders), "an empty folder was left"
        # The site's folder stamps, mostly carried over from the spare's, are what stamping it now gives.
        record = Manifest.open(manifest).spare
        assert (record is not None) == (n >= 1)
        if record is not None:
            now = folder_stamps(out, record.site_folders)
            assert {rel: s[:2] for rel, s in record.site_folders.items()} == {
                rel: s[:2] for rel, s in now.items()}
        if previous is not None:
            spare = snapshot(root / ".site.spare")
            assert {p: h for p, h in spare.items() if p != MARKER} == {
                p: hashlib.sha256(t.encode()).hexdigest() for p, t in previous.items()}
        previous = version
    assert leftovers(out) == [".site.spare"] if len(versions) > 1 else leftovers(out) == []


def _three_builds(out: Path, manifest: Path) -> None:
    write_site(files(a="1", b__c="1"), out, manifest=manifest)
    write_site(files(a="2", b__c="1"), out, manifest=manifest)
    assert write_site(files(a="3", b__c="1"), out, manifest=manifest).from_spare


def test_a_file_added_to_the_site_by_hand_is_not_carried_into_later_builds(tmp_path: Path) -> None:
    """A stray file put into the site goes at the next build and does not come back from the spare."""
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    _three_builds(out, manifest)
    (out / "b/stray").write_text("by hand")
    for text in ("4", "5", "6"):
        report = write_site(files(a=text, b__c="1"), out, manifest=manifest)
        assert not (out / "b/stray").exists()
    assert report.from_spare  # the site of the stray file was not used as a spare; later ones are


@pytest.mark.parametrize("tamper", ["add", "remove", "replace folder"])
def test_a_spare_changed_behind_the_writers_back_is_not_used(tmp_path: Path, tamper: str) -> None:
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    _three_builds(out, manifest)
    spare = tmp_path / ".site.spare"
    if tamper == "add":
        (spare / "b/junk").write_text("junk")
    elif tamper == "remove":
        (spare / "b/c").unlink()
    else:
        shutil.rmtree(spare / "b")
        (spare / "b").mkdir()
        (spare / "b/c").write_text("1")
    report = write_site(files(a="4", b__c="1"), out, manifest=manifest)
    assert not report.from_spare
    assert {p for p in snapshot(out)} == {"a", "b/c", MARKER} and (out / "a").read_text() == "4"


def test_a_stale_manifest_after_a_kill_is_not_trusted_with_the_spare(tmp_path: Path) -> None:
    """A build killed after its swap but before saving the manifest leaves the record of the build
    before: the site's new inode shows it, and the spare is not used."""
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    _three_builds(out, manifest)
    saved = manifest.read_bytes()
    write_site(files(a="4", b__c="2"), out, manifest=manifest)
    manifest.write_bytes(saved)  # as if this build had been killed before manifest.save()
    report = write_site(files(a="5", b__c="2"), out, manifest=manifest)
    assert not report.from_spare
    assert (out / "a").read_text() == "5" and (out / "b/c").read_text() == "2"
    assert write_site(files(a="6", b__c="2"), out, manifest=manifest).from_spare


def test_an_empty_folder_made_in_the_site_by_hand_does_not_come_back_from_the_spare(tmp_path: Path) -> None:
    """The build after it links the whole site and drops the folder; the one after that stages from
    the spare, which still holds it, and must drop it too."""
    out, manifest = tmp_path / "site", tmp_path / "written.pickle"
    write_site(files(a="1", b__c="1"), out, manifest=manifest)
    (out / "made/by/hand").mkdir(parents=True)
    for text in ("2", "3", "4"):
        report = write_site(files(a=text, b__c="1"), out, manifest=manifest)
        assert not (out / "made").exists(), text
    assert report.from_spare


def test_a_large_file_that_fails_to_write_fails_the_build_and_keeps_the_old_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large_files: str) -> None:
    # As a full disk would: the failure on the thread beside the loop is the build's, raised
    # before the swap, and the staging folder is gone.
    out = tmp_path / "site"
    write_site(files({"data/big.json": "old", "index.html": "home"}), out)
    before = snapshot(out)
    real = write._write_new

    def full_disk(target: Path, data: bytes, *, exclusive: bool = True) -> os.stat_result | None:
        if "big.json" in target.name:
            raise OSError(28, "No space left on device")
        return real(target, data, exclusive=exclusive)

    monkeypatch.setattr(write, "_write_new", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_site(files({"data/big.json": "new" * 10, "index.html": "home", "z/after.html": "later"}), out)
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".site.staging-*"))
