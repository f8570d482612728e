"""Events seen through their catalog entry (a :class:`Subject`), for tests of fields and factors."""

from __future__ import annotations

import json
from typing import Any

from tests.support.records import load


def subject(name_or_record: str | dict[str, Any], targets: dict[str, str] | None = None, **changes: Any) -> Any:
    """The Subject of a fixture record (by file name) or of a record, with top-level fields
    replaced by ``changes``; its targets resolved by the bundled catalog unless given."""
    from bot.catalog import load as load_catalog
    from bot.catalog.fields import Subject, resolve_targets
    from bot.events import normalize

    record = load(name_or_record) if isinstance(name_or_record, str) else name_or_record
    event = normalize({**record, **changes})
    if targets is None:
        entry = load_catalog().get(event.event_source, event.event_name, event.read_only)
        targets = resolve_targets(entry, event)
    return Subject(event, targets)


def policy(*statements: dict[str, Any]) -> str:
    """A policy document as CloudTrail records it: a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
