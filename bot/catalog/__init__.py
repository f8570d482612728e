"""What each identity event means: one TOML data file per event, validated at load.

``sources.toml`` lists the event sources iambot explains; ``events/<service>/<Name>.toml`` holds
one entry each (see ``README.md`` in this folder for how to write one). Events of a covered
source without an entry get a generic one: never dropped.
"""

from bot.catalog.loader import Catalog, CatalogError, Source, generic_entry, load, load_from, parse_entry
from bot.catalog.model import SEVERITIES, Entry, RemediationOffer, Severity, Summary

__all__ = [
    "SEVERITIES",
    "Catalog",
    "CatalogError",
    "Entry",
    "RemediationOffer",
    "Severity",
    "Source",
    "Summary",
    "generic_entry",
    "load",
    "load_from",
    "parse_entry",
]
