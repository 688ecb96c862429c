"""The project's set-up: pins, lock, `./run`, CI entry point and README agree with each other."""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCAL_TOP_LEVEL = {"sitrep", "build", "tests", "bench", "conftest"}


def _requirements(group: str | None) -> list[Requirement]:
    """Return pyproject's runtime requirements, or those of one optional group."""
    project = PYPROJECT["project"]
    raw = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(r) for r in raw]


def _all_requirements() -> list[Requirement]:
    """Return every requirement pyproject names, runtime and optional."""
    groups = PYPROJECT["project"].get("optional-dependencies", {})
    return _requirements(None) + [r for g in groups for r in _requirements(g)]


def _constraints() -> dict[str, str]:
    """Return constraints.txt as {canonical name: version}, failing on anything but `name==version`."""
    pins: dict[str, str] = {}
    for n, line in enumerate((ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert m, f"constraints.txt:{n}: not an exact pin: {line!r}"
        name = canonicalize_name(m[1])
        assert name not in pins, f"constraints.txt:{n}: {name} pinned twice"
        pins[name] = m[2]
    return pins


def _python_files(*dirs: str) -> Iterator[Path]:
    """Yield the .py files under the given repo directories (and build.py at the root)."""
    for d in dirs:
        yield from sorted((ROOT / d).rglob("*.py")) if (ROOT / d).is_dir() else ()


def _third_party_imports(path: Path) -> set[str]:
    """Return the top-level names of absolute imports in `path` that are neither stdlib nor ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    local = LOCAL_TOP_LEVEL | {p.stem for p in path.parent.glob("*.py")}
    local |= {p.name for p in path.parent.iterdir() if (p / "__init__.py").is_file()}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local and n != "__future__"}


def _undeclared(files: list[Path], declared: set[str]) -> dict[str, list[str]]:
    """Return {import: [files]} for third-party imports not provided by a declared distribution."""
    dists = md.packages_distributions()
    missing: dict[str, list[str]] = {}
    for path in files:
        for name in sorted(_third_party_imports(path)):
            providers = {canonicalize_name(d) for d in dists.get(name, [])}
            if not providers & declared:
                missing.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return missing


def test_package_imports_are_runtime_dependencies() -> None:
    """Everything sitrep/ and build.py import is a runtime dependency in pyproject.toml."""
    files = list(_python_files("sitrep"))
    if (ROOT / "build.py").is_file():
        files.append(ROOT / "build.py")
    declared = {canonicalize_name(r.name) for r in _requirements(None)}
    assert files
    assert _undeclared(files, declared) == {}


def test_test_and_bench_imports_are_declared() -> None:
    """Everything tests/ and bench/ import is a runtime or test dependency in pyproject.toml."""
    files = list(_python_files("tests", "bench"))
    declared = {canonicalize_name(r.name) for r in _all_requirements()}
    assert _undeclared(files, declared) == {}


def test_every_dependency_is_pinned_exactly() -> None:
    """Each pyproject requirement (runtime and optional) names one exact version."""
    loose = [str(r) for r in _all_requirements() if [s.operator for s in r.specifier] != ["=="]]
    assert loose == []
    build_requires = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert all([s.operator for s in r.specifier] == ["=="] for r in build_requires)


def test_constraints_agree_with_pyproject() -> None:
    """constraints.txt pins every pyproject requirement at the same version, and not the project."""
    pins = _constraints()
    assert "sitrep" not in pins
    wrong = {
        r.name: (next(iter(r.specifier)).version, pins.get(canonicalize_name(r.name)))
        for r in _all_requirements()
        if pins.get(canonicalize_name(r.name)) != next(iter(r.specifier)).version
    }
    assert wrong == {}


def _closure(root: str, extras: set[str]) -> dict[str, str]:
    """Return {name: installed version} for everything `root[extras]` needs, transitively."""
    seen: dict[str, str] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, set[str]]] = [(root, extras)]
    while todo:
        name, want = todo.pop()
        dist = md.distribution(name)
        key = canonicalize_name(dist.metadata["Name"])
        if (key, frozenset(want)) in visited:
            continue
        visited.add((key, frozenset(want)))
        seen[key] = dist.version
        for raw in dist.requires or []:
            req = Requirement(raw)
            env_ok = not req.marker or any(req.marker.evaluate({"extra": e}) for e in (want or {""}))
            if env_ok:
                todo.append((req.name, set(req.extras)))
    return seen


@pytest.mark.skipif(not any(d.metadata["Name"] == "sitrep" for d in md.distributions()),
                    reason="sitrep is not installed in this interpreter (run through ./run test)")
def test_constraints_lock_everything_installed_for_tests() -> None:
    """Every package sitrep[test] pulls in, transitively, is locked at the version installed."""
    pins = _constraints()
    closure = _closure("sitrep", {"test"})
    closure.pop("sitrep")
    unlocked = {name: (have, pins.get(name)) for name, have in closure.items() if pins.get(name) != have}
    assert unlocked == {}
    assert len(closure) >= len(_all_requirements())


def _quick_start_commands() -> list[str]:
    """Return the lines of the first code block under README's 'Quick start' heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S)
    assert block, "README's Quick start has no code block"
    return [line.strip() for line in block[1].splitlines() if line.strip()]


def test_readme_starts_with_build_then_test() -> None:
    """README's quick start is exactly the two commands, and CI runs the second one."""
    assert _quick_start_commands() == ["./run build", "./run test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^\s*(bash )?\./run test\b", ci, re.M), ".ci/run must run ./run test"


@pytest.mark.parametrize("script", ["run", ".ci/run"])
def test_scripts_are_executable_bash(script: str) -> None:
    """`run` and `.ci/run` are executable, strict bash scripts that parse."""
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(path)], check=True)


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ./run with `args` and return the finished process (output captured)."""
    return subprocess.run(["bash", str(ROOT / "run"), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def test_run_help_names_every_readme_command() -> None:
    """`./run help` lists each ./run command the README uses; an unknown command fails."""
    helped = _run("help")
    assert helped.returncode == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\./run ([a-z]+)", readme))
    assert {"build", "test", "serve"} <= used
    listed = set(re.findall(r"^  ([a-z]+)\b", helped.stdout, re.M))
    assert used <= listed
    bad = _run("no-such-command")
    assert bad.returncode != 0
    assert "unknown command: no-such-command" in bad.stderr


def test_venv_setup_is_a_noop_when_pins_are_unchanged() -> None:
    """With the install marker matching the pins, `./run venv` skips pip and is near instant."""
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve() or not (venv / ".sitrep-installed").is_file():
        pytest.skip("not running in the .venv that ./run manages")
    marker = (venv / ".sitrep-installed").read_text(encoding="utf-8")
    started = time.monotonic()
    done = _run("venv")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stderr
    assert elapsed < 5
    assert (venv / ".sitrep-installed").read_text(encoding="utf-8") == marker


def test_system_packages_for_pdf_and_browser_tests() -> None:
    """What `./run test` installs is usable: WeasyPrint's libraries, an Arabic font, poppler, Chromium."""
    from weasyprint.text import ffi

    assert ffi.pango.pango_version() >= 14400  # WeasyPrint needs pango 1.44+
    assert ffi.harfbuzz_subset is not None, "libharfbuzz-subset0 missing: fonts cannot be subset"
    arabic = subprocess.run(["fc-list", ":lang=ar", "family"], capture_output=True, text=True, check=True)
    assert "Noto" in arabic.stdout, "no Noto font covers Arabic (fonts-noto-core)"
    assert shutil.which("pdftoppm") and shutil.which("pdftotext")
    chromium = shutil.which("chromium")
    assert chromium
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert version.stdout.startswith("Chromium ")


@pytest.mark.browser
def test_playwright_drives_the_system_chromium(chromium: Any, tmp_path: Path) -> None:
    """Playwright's driver starts (it needs libatomic) and runs Debian's Chromium headless."""
    page_file = tmp_path / "p.html"
    page_file.write_text('<!doctype html><meta charset="utf-8"><title>t</title>'
                         '<button onclick="this.textContent=\'done\'">go</button>', encoding="utf-8")
    page = chromium.new_page()
    try:
        page.goto(page_file.as_uri())
        page.click("button")
        assert page.inner_text("button") == "done"
    finally:
        page.close()
    assert chromium.version.split(".")[0].isdigit()


@pytest.mark.slow
def test_weasyprint_embeds_a_font_for_arabic(tmp_path: Path) -> None:
    """WeasyPrint writes a PDF whose Arabic text poppler reads back, with every font embedded."""
    import weasyprint

    pdf = tmp_path / "b.pdf"
    html = '<p>Aleppo, <span lang="ar" dir="rtl">\u062d\u0644\u0628</span>: 13 killed</p>'
    weasyprint.HTML(string=html).write_pdf(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "\u062d\u0644\u0628" in text and "13 killed" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts


def test_console_script_entry_point_is_importable() -> None:
    """pyproject's `sitrep` script points at a callable that exists."""
    target = PYPROJECT["project"]["scripts"]["sitrep"]
    module, _, attr = target.partition(":")
    if not (ROOT / (module.replace(".", "/") + ".py")).is_file():
        pytest.skip(f"{module} is not written yet")
    imported = __import__(module, fromlist=[attr])
    assert callable(getattr(imported, attr))


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a read-only git command in the repo."""
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_gitignore_keeps_generated_files_out_and_sources_in() -> None:
    """Generated paths are ignored; the set-up files and sources are not."""
    generated = [".venv/bin/python", "site/index.html", "sitrep/__pycache__/x.cpython-311.pyc", ".site.lock",
                 ".pytest_cache/v", "sitrep.egg-info/PKG-INFO", ".ruff_cache/x", ".hypothesis/x"]
    kept = ["run", ".ci/run", "constraints.txt", "pyproject.toml", "README.md", "build.py",
            "sitrep/cli.py", "content/events/2019/x.yaml", "tests/fixtures/minimal/site/index.html"]
    assert [p for p in generated if _git("check-ignore", "-q", "--no-index", p).returncode != 0] == []
    assert [p for p in kept if _git("check-ignore", "-q", "--no-index", p).returncode == 0] == []


def _readme_cli_rows() -> dict[str, set[str]]:
    """Return {command path: options named} from README's command table ('' is the bare build)."""
    rows: dict[str, set[str]] = {}
    for cell in re.findall(r"^\| `python build\.py([^`]*)`", (ROOT / "README.md").read_text("utf-8"), re.M):
        words = [w for w in re.split(r"[\s\[\]]+", cell) if w]
        command = " ".join(w for w in words[:2] if re.fullmatch(r"[a-z]+", w) and w not in {"ucdp"})
        rows[command] = {w for w in words if w.startswith("--")}
    return rows


def test_readme_command_table_matches_the_cli() -> None:
    """README's table names every CLI command and only options that command has."""
    if not (ROOT / "sitrep" / "cli.py").is_file():
        pytest.skip("sitrep.cli is not written yet")
    import click

    from sitrep.cli import main

    commands: dict[str, click.Command] = {"": main}
    for name, cmd in main.commands.items():
        subs = getattr(cmd, "commands", None)
        commands.update({f"{name} {s}": c for s, c in subs.items()} if subs else {name: cmd})
    rows = _readme_cli_rows()
    if "build" not in rows and "" in rows:
        rows["build"] = rows[""]  # the bare `python build.py` row documents `build`
    assert set(rows) == set(commands)
    unknown = {
        name: opts - {o for p in commands[name].params for o in p.opts}
        for name, opts in rows.items()
        if opts - {o for p in commands[name].params for o in p.opts}
    }
    assert unknown == {}
