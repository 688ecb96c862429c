"""Sitrep: curated conflict-event YAML into a searchable static briefing site."""

__version__ = "0.1.0"
