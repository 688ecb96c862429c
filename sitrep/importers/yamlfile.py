"""Generated content files: YAML text, the `import` block that proves a file untouched, atomic writes.

An imported file ends with a block recording which importer wrote it and the SHA-256 of the text
above the block. While the text still hashes to that value nobody has edited the file, and a later
import may replace it; once an editor changes anything (or deletes the block) it is curated and no
import touches it again.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sitrep.synth import to_yaml

IMPORT_KEY = "import"
_BLOCK_START = f"\n{IMPORT_KEY}:\n"
_HASH_LINE = re.compile(r"^  sha256: ([0-9a-f]{64})$", re.M)
_SOURCE_LINE = re.compile(r"^  source: ([a-z0-9_-]+)$", re.M)


def dump_body(data: Mapping[str, Any]) -> str:
    """Return `data` as block-style YAML in the given key order (the body an import block guards).

    synth's small emitter is used because PyYAML's representer (pure Python even with libyaml)
    takes ~2 ms per event, minutes at 100k rows; the emitter writes no anchors, which content forbids.
    """
    return to_yaml(data)


def digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def import_block(origin: str, body: str, codes: Mapping[str, int] | None = None) -> str:
    """Return the `import:` block for a generated body."""
    lines = [f"{IMPORT_KEY}:", f"  source: {origin}", f"  sha256: {digest(body)}"]
    if codes:
        lines.append("  codes: {" + ", ".join(f"{k}: {int(v)}" for k, v in codes.items()) + "}")
    return "\n".join(lines) + "\n"


def split_import(text: str) -> tuple[str, str | None]:
    """Return (body, recorded sha256 or None) of a file's text."""
    at = text.rfind(_BLOCK_START)
    if at < 0:
        return text, None
    body, block = text[: at + 1], text[at + 1:]
    m = _HASH_LINE.search(block)
    return body, m.group(1) if m else None


def untouched(path: Path) -> tuple[str, str] | None:
    """Return (generated body, importer) if `path` is exactly as an importer wrote it, else None."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    body, recorded = split_import(text)
    if recorded is None or digest(body) != recorded:
        return None
    origin = _SOURCE_LINE.search(text, len(body))
    return body, origin.group(1) if origin else ""


def untouched_body(path: Path) -> str | None:
    """Return the generated body of `path` if the file is exactly as an importer wrote it, else None."""
    found = untouched(path)
    return found[0] if found else None


def _tmp(path: Path) -> Path:
    # Dot-prefixed: the loader skips it if a crash leaves it behind.
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def create(path: Path, text: str) -> bool:
    """Write a new file atomically; return False (writing nothing) if `path` already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    tmp.write_bytes(text.encode("utf-8"))
    try:
        os.link(tmp, path)  # atomic and fails on an existing file: never clobbers what an editor wrote
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def replace_untouched(path: Path, text: str) -> bool:
    """Replace `path` atomically if it is still untouched since its import; return whether it was."""
    if untouched_body(path) is None:
        return False
    tmp = _tmp(path)
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)
    return True
