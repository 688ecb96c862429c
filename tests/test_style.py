"""Repo-wide style: ruff is clean, and no machine paths or registry hosts leak into repo files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Absolute paths into this kind of machine (a bare "/work/" in a check for their absence is fine),
# and registry hosts; split so this file does not match itself.
FORBIDDEN = re.compile(r"(?<![\w./-])/(?:wo" r"rk|ro" r"ot|opt/py" r"pi)/[\w.]"
                       r"|(?:pypi|pythonhosted|deb\.debian|registry\.npmjs)\.or" r"g")
SKIP_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".woff", ".woff2", ".ttf", ".ico", ".gz"}


def test_ruff_is_clean() -> None:
    """`ruff check` over the repo, with pyproject's settings, reports nothing."""
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
                           str(ROOT)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _repo_files() -> list[Path]:
    """Return the files git would commit: tracked plus untracked-but-not-ignored."""
    done = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                           "--exclude-standard"], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    names = [n for n in done.stdout.decode().split("\0") if n]
    return [ROOT / n for n in names if (ROOT / n).is_file() and Path(n).suffix.lower() not in SKIP_SUFFIXES]


def test_no_machine_paths_or_registry_hosts_in_repo_files() -> None:
    """Repo files name no path of this machine and no package-registry host."""
    hits: list[str] = []
    for path in _repo_files():
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            hits.extend(f"{path.relative_to(ROOT)}:{n}: {m[0]}" for m in FORBIDDEN.finditer(line))
    assert hits == []
