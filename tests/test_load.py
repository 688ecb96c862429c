"""Load stage: documents, front matter, positions, the parse cache, and hostile YAML refused cleanly."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitrep import load as load_mod
from sitrep.load import MAX_NESTING, ParseCache, RawDocument, load, locate, split_front_matter
from tests.conftest import MINIMAL, TreeWriter

EVENT = "events/2019/2019-04-10-x.yaml"


def _only(docs: tuple[RawDocument, ...], kind: str = "events") -> RawDocument:
    found = [d for d in docs if d.kind == kind]
    assert len(found) == 1, found
    return found[0]


def _problem(write_tree: TreeWriter, data: str | bytes, rel: str = EVENT) -> tuple[int, int, str, str]:
    """Load a one-file tree and return (line, col, message, hint) of the file's only problem."""
    docs = load(write_tree({rel: data}))
    doc = _only(docs, rel.split("/")[0])
    assert doc.data is None and len(doc.problems) == 1, doc
    p = doc.problems[0]
    return p.line, p.col, p.message, p.hint


def test_minimal_fixture_loads_every_kind_in_stable_order() -> None:
    """Every content kind is loaded; ids are file stems; order does not depend on the file system."""
    docs = load(MINIMAL)
    assert [d.kind for d in docs] == sorted((d.kind for d in docs), key=load_mod.KINDS.index)
    assert {d.kind for d in docs} == {"events", "actors", "regions", "sources", "briefings", "geo"}
    assert all(not d.problems for d in docs)
    events = [d.id for d in docs if d.kind == "events"]
    assert events == sorted(events) and len(events) == 3
    assert load(MINIMAL) == docs


def test_briefing_body_and_line() -> None:
    """A briefing's front matter is its data; the narrative and the line it starts on are kept."""
    brief = _only(load(MINIMAL), "briefings")
    assert brief.data["title"] == "Syria: week 15, 2019"
    text = (MINIMAL / "briefings" / "2019-04-week-15.md").read_text(encoding="utf-8")
    assert text.splitlines()[brief.body_line - 1] == brief.body.splitlines()[0]


@pytest.mark.parametrize("text, body, body_line", [
    ("---\na: 1\n---\nbody\n", "body\n", 4),
    ("---\r\na: 1\r\n---\r\nbody\r\n", "body\r\n", 4),
    ("---\na: 1\n...\nbody", "body", 4),
    ("---  \na: 1\n---", "", 3),
])
def test_front_matter_forms(text: str, body: str, body_line: int) -> None:
    """Front matter closes with '---' or '...', with LF or CRLF line ends, body or not."""
    front, got, line = split_front_matter(text)
    assert front.strip() == "a: 1"
    assert got == body
    assert line == body_line


def test_duplicate_key_is_refused_with_both_lines(write_tree: TreeWriter) -> None:
    """PyYAML keeps the last of two equal keys silently; the loader refuses and names both lines."""
    line, col, message, hint = _problem(write_tree, "title: a\nstatus: draft\ntitle: b\n")
    assert (line, col) == (3, 1)
    assert message == "duplicate key 'title' (first on line 1)"
    assert "only the last value" in hint


def test_duplicate_key_in_briefing_front_matter_counts_file_lines(write_tree: TreeWriter) -> None:
    """Lines inside front matter are counted from the top of the file, past the opening '---'."""
    line, col, message, _ = _problem(write_tree, "---\ntitle: a\nregions: [x]\ntitle: b\n---\ntext\n",
                                     "briefings/b.md")
    assert (line, col, message) == (4, 1, "duplicate key 'title' (first on line 2)")


def test_distinct_keys_that_look_alike_are_kept(write_tree: TreeWriter) -> None:
    """1 and '1' are different keys in YAML; neither is a duplicate."""
    doc = _only(load(write_tree({EVENT: "1: a\n'1': b\n"})))
    assert doc.data == {1: "a", "1": "b"} and not doc.problems


def test_alias_bomb_is_refused_fast(write_tree: TreeWriter) -> None:
    """A billion-laughs document is refused at its first anchor, before anything expands."""
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    line, col, message, _ = _problem(write_tree, "\n".join(levels) + "\n")
    assert time.perf_counter() - start < 1.0
    assert (line, col) == (1, 4)
    assert message.startswith("YAML anchors and aliases")


def test_a_value_starting_with_an_asterisk_is_explained(write_tree: TreeWriter) -> None:
    """An italic word opening a plain value is YAML's alias syntax: say so, and how to fix it."""
    for value in ("*Breaking* news", "*Breaking news"):
        line, col, message, hint = _problem(write_tree, f"title: x\nsummary: {value}\n")
        assert (line, col) == (2, 10)
        assert message.startswith("YAML aliases") and "quotes" in hint


def test_italics_in_a_block_summary_are_text(write_tree: TreeWriter) -> None:
    doc = _only(load(write_tree({EVENT: "summary: |-\n  A *mosque* and a bakery.\n  More & less.\n"})))
    assert doc.data == {"summary": "A *mosque* and a bakery.\nMore & less."} and not doc.problems


@pytest.mark.parametrize("text, where", [
    ("a: " + "[" * 100 + "]" * 100 + "\n", (1, 4 + MAX_NESTING - 1)),
    ("a: " + "{b: " * 100 + "1" + "}" * 100 + "\n", (1, 4 + 4 * (MAX_NESTING - 1))),
    ("a:\n" + "  - " * 100 + "x\n", (2, 4 * (MAX_NESTING - 1) + 3)),
    ("".join(" " * i + f"k{i}:\n" for i in range(100)) + " " * 100 + "v\n",
     (MAX_NESTING + 1, MAX_NESTING + 1)),
])
def test_deep_nesting_is_refused_at_the_level_that_is_too_deep(write_tree: TreeWriter, text: str,
                                                               where: tuple[int, int]) -> None:
    """Flow and block nesting deeper than MAX_NESTING (the document itself is level 1) is refused."""
    line, col, message, _ = _problem(write_tree, text)
    assert (line, col) == where
    assert message == f"YAML is nested more than {MAX_NESTING} levels deep"


def test_nesting_at_the_limit_is_accepted(write_tree: TreeWriter) -> None:
    """MAX_NESTING levels, the document's own mapping included, still load."""
    depth = MAX_NESTING - 1
    doc = _only(load(write_tree({EVENT: "a: " + "[" * depth + "1" + "]" * depth + "\n"})))
    assert not doc.problems
    value = doc.data["a"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [1]


def test_brackets_inside_quoted_text_are_not_nesting(write_tree: TreeWriter) -> None:
    """Only real collections count: a title made of brackets is just text."""
    doc = _only(load(write_tree({EVENT: "title: '" + "[{" * 200 + "'\n"})))
    assert doc.data == {"title": "[{" * 200} and not doc.problems


def test_compact_sequence_bomb_does_not_crash_the_process(tmp_path: Path) -> None:
    """'- - - ...' 100k deep once overflowed libyaml's recursive composer (SIGSEGV); now it is refused.

    Run in a child process, so a regression fails this test instead of killing the test run.
    """
    path = tmp_path / "content" / EVENT
    path.parent.mkdir(parents=True)
    path.write_text("- " * 100_000 + "x\n", encoding="utf-8")
    code = ("import sys; from pathlib import Path; from sitrep.load import load; "
            "d = [x for x in load(Path(sys.argv[1])) if x.kind == 'events'][0]; print(d.problems[0].message)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "content")], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"YAML is nested more than {MAX_NESTING} levels deep"


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="counts memory mappings in Linux's /proc")
def test_reading_many_files_leaves_no_memory_mapping_for_each(tmp_path: Path) -> None:
    # A read into a buffer of MAX_FILE_BYTES (which malloc maps on its own, then shrinks in place)
    # kept one mapping per file read: at 100k files the kernel's limit (vm.max_map_count) was
    # reached and the parsing pool hung, unable to start a thread. In a fresh process, as a build's:
    # the test run's own allocations could have moved malloc's threshold for mapping.
    path = tmp_path / "a.yml"
    path.write_text("title: a\n" * 200, encoding="utf-8")
    code = ("import sys; from sitrep.load import _read_bytes\n"
            "def maps(): return len(open('/proc/self/maps').readlines())\n"
            "before = maps(); kept = [_read_bytes(sys.argv[1]) for _ in range(3000)]\n"
            "print(maps() - before, len(kept[-1]))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          timeout=60, check=True)
    grown, size = map(int, done.stdout.split())
    assert size == path.stat().st_size and grown < 100


def test_a_file_that_grows_while_read_is_read_whole_and_still_bounded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # _read_bytes sizes its read by the file's size when it looked: should the file have grown
    # since, the rest is read too, up to the limit.
    path = tmp_path / "a.yml"
    path.write_bytes(b"title: a\n" * 500)
    real = os.lstat

    def shrunk(p: str) -> os.stat_result:  # as if it were measured before the editor's last write
        st = real(p)
        return os.stat_result((st.st_mode, *st[1:6], 10, *st[7:]))

    monkeypatch.setattr(load_mod.os, "lstat", shrunk)
    assert load_mod._read_bytes(str(path)) == path.read_bytes()
    path.write_bytes(b"#" * (load_mod.MAX_FILE_BYTES + 5))
    with pytest.raises(load_mod._LoadError, match="more than the"):
        load_mod._read_bytes(str(path))


@pytest.mark.parametrize("text, line, col, message", [
    ("a: 1\ndate: 2019-02-30\n", 2, 7,
     "invalid YAML: cannot read the value '2019-02-30': day is out of range for month"),
    ("a: !!int abc\n", 1, 4,
     "invalid YAML: cannot read the value 'abc': invalid literal for int() with base 10: 'abc'"),
    ("a: !!bool maybe\n", 1, 4, "invalid YAML: cannot read the value 'maybe': 'maybe'"),
    ("a: !!python/object/apply:os.system [ls]\n", 1, 4,
     "invalid YAML: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("a: b: c\n", 1, 5, "invalid YAML: mapping values are not allowed in this context"),
    ("a:\n\tb: 1\n", 2, 1, "invalid YAML: tab characters cannot indent YAML"),
    ("t: 'open\nb: 1\n", 3, 1, "invalid YAML: found unexpected end of stream, while scanning a quoted scalar "
                                "that starts at line 1, column 4"),
    ("---\na: 1\n---\nb: 2\n", 3, 1, "invalid YAML: expected a single document in the stream, "
                                      "but found another document"),
    ("a: 1\nb: حلب\x07\n", 2, 7, "invalid YAML: control character U+0007 is not allowed"),
])
def test_bad_values_and_syntax_are_positioned(write_tree: TreeWriter, text: str, line: int, col: int,
                                              message: str) -> None:
    """Syntax errors, values that cannot convert and unsafe tags are problems at their position."""
    got = _problem(write_tree, text)
    assert got[:3] == (line, col, message)


def test_huge_integer_is_a_problem_not_a_crash(write_tree: TreeWriter) -> None:
    """Python refuses to convert numbers over 4300 digits; that surfaces as a positioned problem."""
    line, col, message, _ = _problem(write_tree, "title: x\nbest: " + "9" * 5000 + "\n")
    assert (line, col) == (2, 7)
    assert message.startswith("invalid YAML: cannot read the value '9999")


@pytest.mark.parametrize("data, message, where", [
    (b"", "file is empty", (1, 1)),
    (b" \n\t\n", "file is empty", (1, 1)),
    (b"a: 1\nb: \x00\n", "file contains NUL bytes and is not text", (1, 1)),
    ("a: 1\n".encode("utf-16"), "file is saved as UTF-16, not UTF-8", (1, 1)),
    ("a: 1\nb: حلب é\n".encode().replace("é".encode(), b"\xe9"), "not valid UTF-8 (byte 0xe9)", (2, 8)),
    (b"# only a comment\n", "file holds no fields", (1, 1)),
])
def test_unreadable_bytes(write_tree: TreeWriter, data: bytes, message: str, where: tuple[int, int]) -> None:
    """Empty, binary and wrongly encoded files are one problem each; columns count characters."""
    line, col, got, _ = _problem(write_tree, data)
    assert (got, (line, col)) == (message, where)


def test_bom_is_accepted_and_positions_are_unchanged(write_tree: TreeWriter) -> None:
    """A UTF-8 byte-order mark (Windows editors add one) is dropped; lines and columns stay right."""
    root = write_tree({EVENT: b"\xef\xbb\xbftitle: x\nstatus: draft\n"})
    doc = _only(load(root))
    assert doc.data == {"title": "x", "status": "draft"} and not doc.problems
    assert locate(doc.path, ("status",)) == (2, 9)
    assert locate(doc.path, ("title",), key=True) == (1, 1)


def test_files_that_are_not_regular(write_tree: TreeWriter, tmp_path: Path) -> None:
    """Directories named like files, links and pipes are problems, and nothing behind them is read."""
    root = write_tree({"events/2019/ok.yaml": "title: x\n"})
    (root / "events/2019/dir.yaml").mkdir()
    (tmp_path / "outside.yaml").write_text("title: secret\n", encoding="utf-8")
    (root / "events/2019/link.yaml").symlink_to(tmp_path / "outside.yaml")
    (root / "events/2019/zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(root / "events/2019/pipe.yaml")
    docs = {d.id: d for d in load(root) if d.kind == "events"}
    assert docs["ok"].data == {"title": "x"}
    assert docs["dir"].problems[0].message == "expected a file but found a directory"
    assert docs["link"].problems[0].message == "content files must be regular files, not symbolic links"
    assert docs["zero"].problems[0].message == "content files must be regular files, not symbolic links"
    assert docs["pipe"].problems[0].message == "expected a regular file, found a pipe, socket or device"
    assert all(d.data is None for k, d in docs.items() if k != "ok")


def test_stray_entries_and_ignored_files(write_tree: TreeWriter) -> None:
    """Unknown top-level entries are warnings; hidden files and other suffixes are skipped quietly.
    Editorial pages are loaded as text, so `check` sees them too."""
    root = write_tree({"evnts/x.yaml": "a: 1\n", "events/.x.yaml": "a: [", "events/notes.txt": "hello",
                       "pages/about.md": "# About\n", "README.md": "# Editors' guide\n"})
    docs = load(root)
    assert [(d.kind, d.id) for d in docs] == [("pages", "about"), ("stray", "evnts")]
    assert docs[0].body == "# About\n" and docs[0].problems == ()
    problem = docs[1].problems[0]
    assert problem.severity == "warning" and "'evnts' is not a content folder" in problem.message


def test_locate_values_keys_and_nearest_ancestor(write_tree: TreeWriter) -> None:
    """Positions come from the YAML node tree: values, keys, list items, else the nearest ancestor."""
    root = write_tree({EVENT: "title: x\nsources:\n  - source: a\n    url: b\n  - {source: c}\n"})
    path = _only(load(root)).path
    assert locate(path, ("sources", 0, "url")) == (4, 10)
    assert locate(path, ("sources", 0, "url"), key=True) == (4, 5)
    assert locate(path, ("sources", 1, "source")) == (5, 14)
    assert locate(path, ("sources", 1, "missing")) == (5, 5)
    assert locate(path, ("nothing", "here")) == (1, 1)


def test_parse_cache_round_trip_skips_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A saved cache answers for unchanged files, so a second load parses nothing."""
    cache_path = tmp_path / "cache.pickle"
    cache = ParseCache.open(cache_path)
    first = load(MINIMAL, cache)
    cache.save()
    assert cache_path.is_file()

    def refuse(raw: bytes, kind: str) -> None:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(load_mod, "_parse", refuse)
    assert load(MINIMAL, ParseCache.open(cache_path)) == first


def test_parse_cache_keeps_only_entries_used(write_tree: TreeWriter, tmp_path: Path) -> None:
    """Entries of files that changed or went away are dropped on save."""
    root = write_tree({EVENT: "title: one\n"})
    cache_path = tmp_path / "cache.pickle"
    cache = ParseCache.open(cache_path)
    load(root, cache)
    cache.save()
    (root / EVENT).write_text("title: two\n", encoding="utf-8")
    cache = ParseCache.open(cache_path)
    assert _only(load(root, cache)).data == {"title": "two"}
    cache.save()
    assert len(ParseCache.open(cache_path).entries) == 1


def test_a_saved_cache_s_stamps_spare_reading_unchanged_files(
        write_tree: TreeWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree({EVENT: "title: one\n", "events/2019/2019-04-11-y.yaml": "title: two\n"})
    time.sleep(0.06)  # older than a clock tick: a file changed within one is never trusted by stamp
    cache_path = tmp_path / "cache.pickle"
    cache = ParseCache.open(cache_path)
    stamps = dict(cache.stamps)
    first = load(root, cache, stamps)
    cache.save(stamps)
    (root / EVENT).write_text("title: changed\n", encoding="utf-8")
    read: list[str] = []
    real = load_mod._read_bytes
    monkeypatch.setattr(load_mod, "_read_bytes", lambda path: read.append(Path(path).name) or real(path))
    cache = ParseCache.open(cache_path)
    again = load(root, cache, dict(cache.stamps))
    assert read == ["2019-04-10-x.yaml"]  # only the edited file is read
    assert again[1] == first[1] and again[0].data == {"title": "changed"}


def test_a_cache_is_saved_only_when_enough_of_it_changed_unless_forced(
        write_tree: TreeWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree({f"events/2019/e{i:03d}.yaml": f"title: event {i}\n" for i in range(20)})
    time.sleep(0.06)
    cache_path = tmp_path / "cache.pickle"
    cache = ParseCache.open(cache_path)
    stamps = dict(cache.stamps)
    load(root, cache, stamps)
    cache.save(stamps)
    saved = cache_path.read_bytes()
    (root / "events/2019/e000.yaml").write_text("title: edited\n", encoding="utf-8")
    monkeypatch.setattr(load_mod, "SAVE_SHARE", 6)  # 3 changes (entry in, entry out, stamp) in 20
    cache = ParseCache.open(cache_path)
    stamps = dict(cache.stamps)
    assert _only_title(load(root, cache, stamps)) == "edited"
    cache.save(stamps)
    assert cache_path.read_bytes() == saved  # not worth a save: the next build parses one file again
    cache.save(stamps, force=True)
    again = ParseCache.open(cache_path)
    assert len(again.entries) == 20 and again.stamps == stamps
    monkeypatch.setattr(load_mod, "SAVE_SHARE", 7)  # now 3 changes in 20 are enough (3 * 7 >= 20)
    cache_path.write_bytes(saved)
    cache = ParseCache.open(cache_path)
    stamps = dict(cache.stamps)
    load(root, cache, stamps)
    cache.save(stamps)
    assert ParseCache.open(cache_path).stamps == stamps


def _only_title(docs: tuple[RawDocument, ...]) -> str:
    return next(d.data["title"] for d in docs if d.path.endswith("e000.yaml"))


@pytest.mark.parametrize("payload", [b"", b"not a pickle", pickle.dumps((1, {"x": 1})), pickle.dumps("odd")])
def test_corrupt_or_old_cache_is_ignored(tmp_path: Path, payload: bytes) -> None:
    """A torn, foreign or older-version cache is treated as empty; it never breaks a build.

    Version 1 caches predate duplicate-key detection: reusing them would let duplicates through.
    """
    path = tmp_path / "cache.pickle"
    path.write_bytes(payload)
    cache = ParseCache.open(path)
    assert cache.entries == {}
    assert load(MINIMAL, cache)


def test_many_files_load_quickly(write_tree: TreeWriter) -> None:
    """Loading stays linear: 1,000 small events (duplicate-key checks included) load in well under 5 s."""
    files = {f"events/2019/e{i:04d}.yaml": f"title: event {i}\nstatus: draft\ntags: [a, b]\n"
             for i in range(1000)}
    root = write_tree(files)
    start = time.perf_counter()
    docs = load(root)
    assert time.perf_counter() - start < 5
    assert len(docs) == 1000 and all(not d.problems for d in docs)


class _Payload:
    """Pickles as a call to os.system: what a poisoned cache would hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def test_poisoned_cache_runs_nothing(tmp_path: Path) -> None:
    """A cache file from elsewhere (a restored CI cache) may only hold parsed YAML; code in it never runs."""
    path = tmp_path / "cache.pickle"
    marker = tmp_path / "pwned"
    path.write_bytes(pickle.dumps((load_mod._CACHE_VERSION, {"events:x": _Payload(marker)})))
    cache = ParseCache.open(path)
    assert cache.entries == {}
    assert not marker.exists()


def test_cache_round_trips_dates_and_timestamps(write_tree: TreeWriter, tmp_path: Path) -> None:
    """What YAML produces (dates, timestamps with zones, sets) survives the restricted unpickler."""
    root = write_tree({EVENT: "a: 2019-04-13\nb: 2019-04-13T10:00:00+03:00\nc: !!set {x, y}\n"})
    cache = ParseCache.open(tmp_path / "cache.pickle")
    first = load(root, cache)
    cache.save()
    again = ParseCache.open(tmp_path / "cache.pickle")
    assert len(again.entries) == 1
    assert load(root, again) == first


def test_many_files_are_parsed_in_worker_processes_with_the_same_result(
        write_tree: TreeWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A cold build parses every file; from PARALLEL_MIN files on, forked workers (one per core)
    # share the work. Documents, problems and the parse cache are what one process makes.
    files: dict[str, str | bytes] = {f"events/2019/e{i:03d}.yaml": f"title: event {i}\nstatus: draft\n"
                                     for i in range(300)}
    files["events/2019/e100.yaml"] = "title: [unclosed\n"
    files["events/2019/e200.yaml"] = b"title: \xff\n"
    files["events/2019/e201.yaml"] = "a: 1\na: 2\n"
    root = write_tree(files)
    serial = load(root, ParseCache(tmp_path / "serial.pickle"))
    pids = tmp_path / "pids"
    real = load_mod._parse

    def parse_and_tell(raw: bytes, kind: str) -> object:
        with pids.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(raw, kind)

    monkeypatch.setattr(load_mod, "_parse", parse_and_tell)
    monkeypatch.setattr(load_mod, "PARALLEL_MIN", 10)
    cache = ParseCache(tmp_path / "parallel.pickle")
    parallel = load(root, cache)
    assert parallel == serial
    assert [len(d.problems) for d in parallel].count(1) == 3
    assert len(cache.used) == 300 - 3  # what parsed is cached, what failed is not
    seen = set(pids.read_text().split())
    if len(os.sched_getaffinity(0)) >= 2:
        assert str(os.getpid()) not in seen and len(seen) >= 2


def test_positions_count_lines_as_editors_do(write_tree: TreeWriter) -> None:
    # YAML 1.1 also ends lines at NEL, LS and PS (U+0085, U+2028, U+2029); editors show them
    # inside a line, so positions are counted by line feeds (found by test_properties).
    line, col, message, _ = _problem(write_tree, 'k: "a\x85b"\nc: 2\nc: 3\n')
    assert (line, col) == (3, 1) and "first on line 2" in message
    root = write_tree({EVENT: 'title: "x\u2029y"\nstatus: draft\nsummary: s\n'})
    assert locate(str(root / EVENT), ("summary",)) == (3, 10)
    assert locate(str(root / EVENT), ("summary",), key=True) == (3, 1)


def test_entries_are_what_a_recursive_glob_finds_in_the_same_order(tmp_path: Path) -> None:
    from sitrep.load import _entries

    root = tmp_path / "events"
    for rel in ("2019/a.yaml", "2019/b/c.yaml", "2019b.yaml", ".hidden/x.yaml", "A/z.yaml", "d.yaml/e.yaml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "y.yaml").write_text("y", encoding="utf-8")
    (root / "link").symlink_to(tmp_path / "elsewhere")  # listed, not followed, as glob does
    # as strings, as str(Path) gives them: the parse cache's stamps are kept under them
    assert _entries(str(root)) == [str(p) for p in sorted(root.glob("**/*"))]
