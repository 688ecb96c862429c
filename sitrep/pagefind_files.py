"""Make Pagefind's bundle byte-reproducible: the same records give the same files, build after build.

pagefind 1.5.2 keeps filters in hash maps seeded at random in each process. The values inside each
filter chunk and the list of filters in the meta file come out in a new order on every run; the
chunks and the meta file are named by a hash of their content, so their names change, and so does
pagefind-entry.json, which names the meta file. Every build would rewrite those files, and a no-op
rebuild would not be one. Everything else in the bundle (fragments, word index chunks, scripts) is
already stable. So this module puts the unstable files in a fixed order and renames them by a hash
of the sorted content.

The files are gzip(b"pagefind_dcd" + CBOR). The small CBOR codec below covers what pagefind writes
(integers, strings, arrays, maps, simple values). Before anything is changed, each file must decode
and re-encode to its exact bytes; if one does not (a format this code does not know, as a future
pagefind might write), the bundle is left exactly as pagefind wrote it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import struct
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

SIGNATURE = b"pagefind_dcd"
ENTRY = "pagefind-entry.json"


def is_unstable(path: str) -> bool:
    """Return True for the bundle files whose bytes vary between runs of pagefind."""
    return path.startswith("filter/") or path.endswith(".pf_meta") or path == ENTRY


class FormatError(ValueError):
    """A file is not in the format this module knows."""


# --- CBOR (RFC 8949), definite lengths only, as serde_cbor writes it -----------------------------------

def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise FormatError(f"integer too large for CBOR: {n}")


def cbor_encode(value: Any) -> bytes:
    """Return `value` (int, str, bytes, list, dict, bool, None) as CBOR in its shortest form."""
    if value is None or isinstance(value, bool):
        return {None: b"\xf6", False: b"\xf4", True: b"\xf5"}[value]
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    raise FormatError(f"cannot encode {type(value).__name__} as CBOR")


def cbor_decode(data: bytes) -> Any:
    """Return the one CBOR value `data` holds; raise FormatError on anything else."""
    value, end = _decode_at(data, 0)
    if end != len(data):
        raise FormatError("trailing bytes after the CBOR value")
    return value


def _decode_at(data: bytes, pos: int) -> tuple[Any, int]:
    try:
        initial = data[pos]
    except IndexError:
        raise FormatError("truncated CBOR") from None
    major, info = initial >> 5, initial & 31
    pos += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info not in simple:
            raise FormatError(f"unsupported CBOR simple value or float ({initial:#x})")
        return simple[info], pos
    if info < 24:
        n = info
    elif info <= 27:
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise FormatError("truncated CBOR")
        n = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise FormatError(f"unsupported CBOR length ({initial:#x})")
    return _decode_body(data, pos, major, n)


def _decode_body(data: bytes, pos: int, major: int, n: int) -> tuple[Any, int]:
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major in (2, 3):
        if pos + n > len(data):
            raise FormatError("truncated CBOR")
        raw = data[pos:pos + n]
        return (raw if major == 2 else raw.decode("utf-8")), pos + n
    if major == 4:
        items = []
        for _ in range(n):
            item, pos = _decode_at(data, pos)
            items.append(item)
        return items, pos
    out = {}
    for _ in range(n):
        key, pos = _decode_at(data, pos)
        out[key], pos = _decode_at(data, pos)
    return out, pos


# --- pagefind files ------------------------------------------------------------------------------------

def read_file(data: bytes) -> Any:
    """Return the decoded content of a pagefind .pf_* file; FormatError if it would not round-trip."""
    raw = gzip.decompress(data)
    if not raw.startswith(SIGNATURE):
        raise FormatError("no pagefind signature")
    body = raw[len(SIGNATURE):]
    value = cbor_decode(body)
    if cbor_encode(value) != body:
        raise FormatError("re-encoding does not give the same bytes")
    return value


def write_file(value: Any) -> tuple[bytes, str]:
    """Return a .pf_* file's bytes for `value` and the hex digest its name is made from."""
    raw = SIGNATURE + cbor_encode(value)
    return gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()


def _sorted_filter(chunk: Any) -> Any:
    key, values = chunk  # [filter key, [[value, [page numbers]], ...]]
    if not isinstance(key, str) or not all(isinstance(v, list) and isinstance(v[0], str) for v in values):
        raise FormatError("unexpected filter chunk layout")
    return [key, sorted(values, key=lambda v: v[0])]


def stabilise(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Return the unstable files (see is_unstable) rewritten in a fixed order, with their new names.

    Returns `files` unchanged when the bundle is not in the layout of pagefind 1.5.
    """
    try:
        return _stabilise(files)
    except (FormatError, OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        log.warning("search: leaving the Pagefind bundle as written (%s); rebuilds will rewrite a few "
                    "index files", exc)
        return dict(files)


def _stabilise(files: Mapping[str, bytes]) -> dict[str, bytes]:
    entry = json.loads(files[ENTRY])
    out: dict[str, bytes] = {}
    renamed: dict[str, str] = {}
    for path, data in files.items():
        if path.startswith("filter/"):
            old = path.removeprefix("filter/").removesuffix(".pf_filter")
            blob, digest = write_file(_sorted_filter(read_file(data)))
            renamed[old] = f"{old.split('_', 1)[0]}_{digest[:7]}"
            out[f"filter/{renamed[old]}.pf_filter"] = blob
    for lang in entry["languages"].values():
        meta = read_file(files[f"pagefind.{lang['hash']}.pf_meta"])
        version, pages, chunks, filters, sorts, fields = meta  # the 1.5 layout; anything else: FormatError
        filters = sorted([[key, renamed[name]] for key, name in filters], key=lambda f: f[0])
        blob, digest = write_file([version, pages, chunks, filters, sorted(sorts, key=lambda s: s[0]),
                                   sorted(fields)])
        lang["hash"] = f"{lang['hash'].split('_', 1)[0]}_{digest[:10]}"
        out[f"pagefind.{lang['hash']}.pf_meta"] = blob
    out[ENTRY] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return out
