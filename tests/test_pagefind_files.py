"""Reproducible Pagefind bundles: the CBOR codec and the reordering of pagefind's unstable files."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitrep.pagefind_client import PagefindService, Record
from sitrep.pagefind_files import (
    ENTRY,
    FormatError,
    cbor_decode,
    cbor_encode,
    is_unstable,
    read_file,
    stabilise,
)

cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text()
    | st.binary(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=20,
)


@given(cbor_values)
def test_cbor_round_trips(value: object) -> None:
    assert cbor_decode(cbor_encode(value)) == value


@pytest.mark.parametrize(("value", "encoded"), [
    (0, b"\x00"), (23, b"\x17"), (24, b"\x18\x18"), (1000, b"\x19\x03\xe8"), (-1, b"\x20"),
    ("a", b"\x61a"), ([1, [2, 3]], b"\x82\x01\x82\x02\x03"), ({"a": 1}, b"\xa1\x61a\x01"),
    (True, b"\xf5"), (None, b"\xf6"),
])
def test_cbor_uses_the_shortest_form(value: object, encoded: bytes) -> None:
    # RFC 8949 appendix A examples: pagefind (serde_cbor) writes these forms, so re-encoding matches.
    assert cbor_encode(value) == encoded


@pytest.mark.parametrize("data", [
    b"\xfb\x3f\xf1\x99\x99\x99\x99\x99\x9a",  # a float
    b"\x82\x01",  # an array cut short
    b"\x9f\xff",  # an indefinite-length array
    b"\x01\x02",  # trailing bytes
])
def test_cbor_refuses_what_it_does_not_know(data: bytes) -> None:
    with pytest.raises(FormatError):
        cbor_decode(data)


def _bundle() -> dict[str, bytes]:
    records = [Record(url=f"/e/{i}/", content=f"word{i} shared", meta={"title": str(i), "kind": "Event"},
                      filters={"region": [f"R{i % 7}"], "year": [str(2010 + i % 5)], "actor": [f"A{i % 11}"]},
                      sort={"date": f"2019-01-{1 + i % 28:02d}"}) for i in range(60)]
    with PagefindService() as service:
        index = service.new_index({"force_language": "en"})
        service.add_records(index, records)
        return dict(service.get_files(index))


def test_two_runs_give_the_same_bytes_once_stabilised() -> None:
    first, second = _bundle(), _bundle()
    unstable = sorted(p for p in first if is_unstable(p))
    assert [p for p in unstable if p.startswith("filter/")]  # there is something to stabilise
    a = stabilise({p: first[p] for p in first if is_unstable(p)})
    b = stabilise({p: second[p] for p in second if is_unstable(p)})
    assert a == b
    stable = {p for p in first if not is_unstable(p)}
    assert all(first[p] == second[p] for p in stable)  # the rest was reproducible already


def test_stabilised_files_say_the_same_thing() -> None:
    bundle = _bundle()
    new = stabilise({p: d for p, d in bundle.items() if is_unstable(p)})
    old_entry, new_entry = json.loads(bundle[ENTRY]), json.loads(new[ENTRY])
    old_meta = read_file(bundle[f"pagefind.{old_entry['languages']['en']['hash']}.pf_meta"])
    new_meta = read_file(new[f"pagefind.{new_entry['languages']['en']['hash']}.pf_meta"])
    assert new_meta[:3] == old_meta[:3] and new_meta[4:] == old_meta[4:]

    def filters(files: dict[str, bytes], meta: list) -> dict[str, dict[str, list[int]]]:
        return {key: dict(map(tuple, read_file(files[f"filter/{name}.pf_filter"])[1]))
                for key, name in meta[3]}

    assert filters(new, new_meta) == filters(bundle, old_meta)
    assert [k for k, _ in new_meta[3]] == sorted(k for k, _ in old_meta[3])


def test_an_unknown_layout_is_left_alone() -> None:
    bundle = _bundle()
    unstable = {p: d for p, d in bundle.items() if is_unstable(p)}
    name = next(p for p in unstable if p.startswith("filter/"))
    unstable[name] = gzip.compress(b"pagefind_dcd" + b"\xfb" + bytes(8))  # a float: not pagefind 1.5's layout
    assert stabilise(unstable) == unstable
