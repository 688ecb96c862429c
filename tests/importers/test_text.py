"""Importer text helpers: names folded for matching, dates in the formats real files use, safe Markdown."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitrep.fields import MD_LINK, RAW_HTML, SAFE_LINK, SLUG
from sitrep.importers.model import RowError
from sitrep.importers.text import (
    fold,
    one_line,
    parse_coord,
    parse_date,
    parse_int,
    region_keys,
    safe_markdown,
    slug,
)


@pytest.mark.parametrize(("a", "b"), [
    ("Idlib Governorate", "Idlib"), ("ALEPPO governorate", "Aleppo"), ("Ḩamāh", "Hamah"),
    ("As Suwayda'", "As Suwayda"), ("Deir ez-Zor Province", "Deir ez Zor"), ("Ar Raqqah", "Raqqah"),
])
def test_region_spellings_share_a_key(a: str, b: str) -> None:
    assert set(region_keys(a)) & set(region_keys(b))


def test_different_regions_do_not_share_a_key() -> None:
    assert not set(region_keys("Damascus")) & set(region_keys("Rif Dimashq"))
    assert fold("Air Wars") == fold("Airwars") and fold("SOHR") != fold("SOH")


@pytest.mark.parametrize("raw", ["2019-04-13", "13 April 2019", "13-April-2019", "13 Apr 2019",
                                 "April 13, 2019", "2019-04-13 00:00:00.000", "2019-04-13T08:30:00Z",
                                 "13/04/2019", "04/13/2019", "13.04.2019", "20190413"])
def test_dates_in_the_formats_real_files_use(raw: str) -> None:
    assert parse_date(raw, "event_date") == date(2019, 4, 13)


@pytest.mark.parametrize(("raw", "reason"), [
    ("04/05/2019", "could be day/month or month/day"), ("2019-02-30", "is not a date"), ("", "is empty"),
])
def test_dates_that_cannot_be_read_say_why(raw: str, reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        parse_date(raw, "event_date")


def test_numbers() -> None:
    assert parse_int("12.0", "best") == 12 and parse_int(" ", "best") is None
    assert parse_int("1,234", "best") == 1234
    with pytest.raises(RowError, match="whole number"):
        parse_int("-1", "best")
    assert parse_coord("-3.5", "longitude", 180) == -3.5 and parse_coord("NA", "latitude", 90) is None
    with pytest.raises(RowError, match="outside"):
        parse_coord("95", "latitude", 90)


def test_slugs_are_valid_ids() -> None:
    assert slug("Military Forces of Syria (2000-)") == "military-forces-of-syria-2000"
    assert slug("Ḩayat Taḩrīr ash-Shām") == "hayat-tahrir-ash-sham"
    assert slug("داعش") == ""  # no Latin letters: the caller rejects the row with a hint


def test_one_line_keeps_single_spaces_and_cuts_long_text() -> None:
    assert one_line(" a\r\n b\tc  d ", 100) == "a b c  d"
    assert one_line("x" * 20, 10) == "x" * 9 + "…"


@given(st.text(alphabet=st.sampled_from(list("<>&#;[]():/ abcjavascript\nhttps=")), max_size=80))
def test_safe_markdown_always_passes_the_validators_rules(text: str) -> None:
    value = safe_markdown(text)
    assert not RAW_HTML.search(value)
    for m in MD_LINK.finditer(value):
        target = m.group(1) or m.group(2) or ""
        assert not target or SAFE_LINK.match(target)


def test_safe_markdown_leaves_valid_markdown_alone() -> None:
    text = "Fighters **attacked** [a post](https://example.org/x) near <https://example.org>.\n\nSecond."
    assert safe_markdown(text) == text
    assert safe_markdown("a &amp; b <script>x</script>") == "a & b < script>x< /script>"


def test_slug_output_matches_the_validators_id_rule() -> None:
    for name in ("23rd Division", "Government of Israel", "Al-Qaeda in the Arabian Peninsula", "x" * 150):
        assert SLUG.match(slug(name))
