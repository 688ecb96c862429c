"""Controlled vocabularies: ACLED event and actor coding, roles, statuses, grades."""

from __future__ import annotations

from types import MappingProxyType

# ACLED codebook: six event types, 25 sub-event types, each sub-type under exactly one type.
EVENT_TYPES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "Battles": (
        "Armed clash",
        "Government regains territory",
        "Non-state actor overtakes territory",
    ),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": (
        "Sexual violence",
        "Attack",
        "Abduction/forced disappearance",
    ),
    "Protests": (
        "Peaceful protest",
        "Protest with intervention",
        "Excessive force against protesters",
    ),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
})
SUB_EVENT_TYPES: frozenset[str] = frozenset(s for subs in EVENT_TYPES.values() for s in subs)

STATUSES = ("draft", "published", "superseded", "retracted")
DATE_PRECISIONS = ("day", "week", "month")
ROLES = ("perpetrator", "target", "claimant", "associated")
ASSESSMENTS = ("claimed", "reported", "corroborated", "confirmed", "contested")
GEO_PRECISIONS = (1, 2, 3)
UCDP_VIOLENCE_TYPES = (1, 2, 3)
# ACLED actor types in the order of ACLED's inter codes 1–8.
ACTOR_KINDS = (
    "state-forces",
    "rebel-group",
    "political-militia",
    "identity-militia",
    "rioters",
    "protesters",
    "civilians",
    "external-other",
)
SOURCE_KINDS = (
    "monitor",
    "news-agency",
    "newspaper",
    "government",
    "armed-group-media",
    "un-agency",
    "ngo",
)
RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
SUPPORTABLE_FIELDS = ("fatalities", "actors", "location", "date", "claims", "figures", "summary")
BREAKDOWN_KEYS = ("side_a", "side_b", "civilians", "unknown")
BRIEFING_STATUSES = ("draft", "published")
