"""The feed's integrity: calls that can blind iambot, and whether they act on iambot's own feed.

iambot sees what CloudTrail records and EventBridge, SQS or LookupEvents hand it. Stopping or
deleting the trail, narrowing what it records, disabling the rules that forward its events,
purging the queue, or taking away the bucket or the key its logs need all leave iambot silent
while an intruder works. Which resources are iambot's own comes from :class:`Feed` (settings
``feed_trails``, ``feed_rules``, ``feed_queues``, ``sqs_queue_url``, ``trail_buckets``,
``trail_kms_keys``, ``hunt_lake``). Every reader here is total over the request parameters
CloudTrail recorded: a value of the wrong type is simply not a finding.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from bot.assess.base import Factor, Feed, RiskContext, factor
from bot.catalog.fields import Subject

# stopping or deleting the record itself: nothing after it is seen
STOPS = frozenset({"StopLogging", "DeleteTrail", "StopEventDataStoreIngestion", "DeleteEventDataStore"})
MANAGEMENT = "Management"


def _last(value: str, marker: str) -> str:
    """The name in an ARN (``…:trail/NAME``), or the value itself."""
    return value.rsplit(marker, 1)[-1] if marker in value else value


def _matches(value: str, patterns: tuple[str, ...], marker: str) -> bool:
    """``value`` (a name or an ARN) against names, ARNs or globs of either."""
    name = _last(value, marker)
    for pattern in patterns:
        if fnmatch.fnmatchcase(value, pattern) or fnmatch.fnmatchcase(name, _last(pattern, marker)):
            return True
    return False


def _key_matches(value: str, keys: tuple[str, ...]) -> bool:
    """A KMS key id, ARN or alias against configured ids, ARNs or aliases."""
    key = _last(value, ":key/")
    return any(value == k or key == _last(k, ":key/") for k in keys)


def own_target(s: Subject, feed: Feed) -> str | None:
    """What of iambot's own feed the call acts on, in words; None when it acts on something else."""
    t = s.targets
    anyone = " (no feed_trails configured: any trail may be the one iambot reads)" if not feed.trails else ""
    if (trail := t.get("trail")) is not None:
        own = not feed.trails or _matches(trail, feed.trails, ":trail/")
        return f"trail {trail}{anyone}" if own else None
    if (store := t.get("event_data_store")) is not None:
        own = not feed.trails or _matches(store, feed.trails, ":eventdatastore/")
        return f"event data store {store}{anyone}" if own else None
    if (rule := t.get("rule")) is not None:
        return f"EventBridge rule {rule}" if _matches(rule, feed.rules, ":rule/") else None
    if (url := t.get("queue_url")) is not None:
        own = url in feed.queue_urls or _matches(url.rstrip("/"), feed.queues, "/")
        return f"queue {_last(url.rstrip('/'), '/')}" if own else None
    if (bucket := t.get("bucket")) is not None:
        return f"trail bucket {bucket}" if _matches(bucket, feed.buckets, ":::") else None
    if (key := t.get("kms_key")) is not None:
        resources = s.event.raw.get("resources")
        listed = resources if isinstance(resources, list) else []
        ids = [key, *(r.get("ARN") for r in listed if isinstance(r, dict))]
        own = any(isinstance(k, str) and _key_matches(k, feed.keys) for k in ids)
        return f"KMS key {key}" if own else None
    return None


def own_feed(s: Subject, ctx: RiskContext) -> Factor | None:
    """At least high on iambot's own feed; stopping or deleting its trail (or event data store)
    critical. A failed attempt is still someone trying to blind iambot: at least high."""
    what = own_target(s, ctx.feed)
    if what is None:
        return None
    e = s.event
    floor = "critical" if e.event_name in STOPS and not e.failed else "high"
    return factor("own-feed", 0, f"It acts on iambot's own feed, {what}: iambot may stop seeing events", floor)


def _get(obj: Any, key: str) -> Any:
    """A key as CloudTrail spells request parameters (lower-case first letter) or as the API does."""
    if not isinstance(obj, dict):
        return None
    return obj.get(key, obj.get(key[0].upper() + key[1:]))


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def basic_gaps(selectors: list[Any]) -> list[str]:
    """What a trail's basic event selectors leave out of its management events."""
    kinds: set[str] = set()
    excluded: set[str] = set()
    for sel in selectors:
        if _get(sel, "includeManagementEvents") in (False, "false"):
            continue
        if not isinstance(sel, dict):
            continue
        rw = _get(sel, "readWriteType")
        kinds |= {"ReadOnly", "WriteOnly"} if rw in (None, "All") else {rw} if isinstance(rw, str) else set()
        excluded |= set(_strings(_get(sel, "excludeManagementEventSources")))
    return _gaps(kinds, excluded)


def advanced_gaps(selectors: list[Any]) -> list[str]:
    """What advanced event selectors leave out of management events: only a selector whose
    ``eventCategory`` equals Management records them; its ``readOnly`` and ``eventSource``
    field selectors narrow them."""
    kinds: set[str] = set()
    excluded: set[str] = set()
    for sel in selectors:
        fields = _get(sel, "fieldSelectors")
        fields = [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []
        by = {_get(f, "field"): f for f in fields if isinstance(_get(f, "field"), str)}
        if MANAGEMENT not in _strings(_get(by.get("eventCategory"), "equals")):
            continue
        read_only = _strings(_get(by.get("readOnly"), "equals"))
        kinds |= {"ReadOnly"} if read_only == ["true"] else {"WriteOnly"} if read_only == ["false"] else {
            "ReadOnly", "WriteOnly"
        }  # fmt: skip
        excluded |= set(_strings(_get(by.get("eventSource"), "notEquals")))
    return _gaps(kinds, excluded)


def _gaps(kinds: set[str], excluded: set[str]) -> list[str]:
    if not kinds:
        return ["no management events"]
    found = []
    if "WriteOnly" not in kinds:
        found.append("no management write events (only reads)")
    if "ReadOnly" not in kinds:
        found.append("no read-only management events")
    if excluded:
        found.append("no management events of " + ", ".join(sorted(excluded))[:200])
    return found


def selector_gaps(request: Any) -> list[str] | None:
    """What the new selectors of a PutEventSelectors call leave out; None when the call recorded
    no selectors to read (a denied call's null parameters, say)."""
    advanced = _get(request, "advancedEventSelectors")
    if isinstance(advanced, list) and advanced:
        return advanced_gaps(advanced)
    basic = _get(request, "eventSelectors")
    if isinstance(basic, list):
        return basic_gaps(basic)
    return None


def selectors_drop_management(s: Subject, ctx: RiskContext) -> Factor | None:
    gaps = selector_gaps(s.event.request)
    if not gaps:
        return None
    trail = s.targets.get("trail", "the trail")
    return factor(
        "selectors-drop-management",
        0,
        f"The new event selectors of {trail} record {'; '.join(gaps)}: iambot stops seeing those calls",
        "high",
    )


def trail_weakened(s: Subject, ctx: RiskContext) -> Factor | None:
    """UpdateTrail that turns a multi-region trail into one region, turns log file validation off,
    or sends the logs to another bucket."""
    request = s.event.request
    found = []
    if _get(request, "isMultiRegionTrail") in (False, "false"):
        found.append("records one region only (multi-region off)")
    if _get(request, "enableLogFileValidation") in (False, "false"):
        found.append("no longer signs its log files (log file validation off)")
    if isinstance(bucket := _get(request, "s3BucketName"), str) and bucket:
        found.append(f"now delivers to bucket {bucket[:80]}")
    if not found:
        return None
    return factor("trail-weakened", 0, "The trail " + "; ".join(found) + ": iambot may miss what follows", "high")
