"""Guesses shared by the adapters for actors and sources that have to be created (marked imported)."""

from __future__ import annotations

import re

from sitrep import vocab

_SOURCE_KINDS = (
    (re.compile(r"\b(un|unhcr|ocha|unicef|who|united nations)\b", re.I), "un-agency"),
    (re.compile(r"\b(ministry|government|presidency|army|military|police|sana)\b", re.I), "government"),
    (re.compile(r"watch|amnesty|international|\bngo\b|doctors|red cross|red crescent|white helmets|"
                r"civil defen[cs]e|medical|\bsams\b|\bmsf\b", re.I), "ngo"),
    (re.compile(r"observatory|monitor|\bsohr\b|airwars|air wars|\bvdc\b|violations|\bsnhr\b|network for "
                r"human rights|live ?map|acled|ucdp", re.I), "monitor"),
    (re.compile(r"times|post|daily|gazette|herald|guardian|journal|newspaper|al-watan|star\b", re.I),
     "newspaper"),
)
_ACTOR_KINDS = (
    (re.compile(r"^civilians\b", re.I), "civilians"),
    (re.compile(r"^protesters\b", re.I), "protesters"),
    (re.compile(r"^rioters\b", re.I), "rioters"),
    (re.compile(r"^(government of|military forces of|police forces of)\b", re.I), "state-forces"),
    (re.compile(r"\b(tribe|tribal|clan|communal|ethnic militia)\b", re.I), "identity-militia"),
    (re.compile(r"^(unidentified|unknown)\b", re.I), "political-militia"),
)
# ACLED writes actor types as codes 1–8 (up to 2023) or as words (since 2024).
_INTER_WORDS = {
    "stateforces": "state-forces", "rebelgroup": "rebel-group", "rebelgroups": "rebel-group",
    "politicalmilitia": "political-militia", "politicalmilitias": "political-militia",
    "identitymilitia": "identity-militia", "identitymilitias": "identity-militia",
    "rioters": "rioters", "protesters": "protesters", "civilians": "civilians",
    "externalotherforces": "external-other", "externalother": "external-other",
    "otherforces": "external-other",
}


def source_kind(name: str) -> str:
    """Return a best guess at a new source's kind from its name (editors review imported sources)."""
    for pattern, kind in _SOURCE_KINDS:
        if pattern.search(name):
            return kind
    return "news-agency"


def actor_kind(name: str, default: str = "rebel-group") -> str:
    """Return a best guess at a new actor's kind from its name (editors review imported actors)."""
    for pattern, kind in _ACTOR_KINDS:
        if pattern.search(name):
            return kind
    return default


def inter_kind(code: str) -> str | None:
    """Return the actor kind of an ACLED inter code ('1'..'8' or 'State forces'...), None if empty."""
    value = code.strip()
    if not value:
        return None
    if value.replace(".0", "").isdigit():
        n = int(float(value))
        return vocab.ACTOR_KINDS[n - 1] if 1 <= n <= len(vocab.ACTOR_KINDS) else None
    return _INTER_WORDS.get(re.sub(r"[^a-z]", "", value.lower()))


def inter_code(kind: str) -> int:
    """Return ACLED's numeric inter code (1–8) of an actor kind."""
    return vocab.ACTOR_KINDS.index(kind) + 1
