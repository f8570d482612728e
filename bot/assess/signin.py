"""Factors about sign-ins and history: a network not seen before for an actor, repeated
failures, and secret scanners checking whether a key works."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from bot.assess.base import Factor, RiskContext, factor
from bot.catalog.fields import Subject

# User agents of secret scanners that verify AWS keys by calling STS: TruffleHog sends
# "TruffleHog" (pkg/common/http.go). Gitleaks does not verify keys; GitGuardian's checks run on
# its own servers with an unpublished agent: neither is listed without evidence.
SECRET_SCANNERS = (("trufflehog", "TruffleHog"),)
REPEATED_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def network_of(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to; None for "AWS Internal" and names."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def new_network(s: Subject, ctx: RiskContext) -> Factor | None:
    e = s.event
    if ctx.history is None or e.failed:  # before parsing the address: without history that is all
        return None
    net = network_of(e.source_ip)
    who = e.actor.arn or e.actor.name
    if net is None:
        return None
    ips, nets = ctx.history.sign_in_sources(who, e.event_source, e.event_time)
    if not ips or e.source_ip in ips:
        return None  # no history to compare with, or a known address
    if net in nets:
        return factor("new-network", 0, f"First sign-in of {e.actor.name} from {e.source_ip}, in a network seen before")
    return factor(
        "new-network",
        1,
        f"{e.actor.name} signed in from {e.source_ip}, a network iambot has not seen for them "
        f"(seen before: {len(nets)} network(s))",
    )


def repeated_failures(s: Subject, ctx: RiskContext) -> Factor | None:
    e = s.event
    if ctx.history is None or not e.failed:
        return None
    count = ctx.history.failures(e.actor.arn, e.source_ip, e.event_source, e.event_time - FAILURE_WINDOW, e.event_time)
    if count + 1 < REPEATED_FAILURES:
        return None
    who = e.actor.name if e.actor.arn else f"from {e.source_ip}"
    return factor(
        "repeated-failures",
        1,
        f"{count + 1} failures {who} in 15 minutes: guessing, or a tool retrying a credential that no longer works",
        at_least="medium",
    )


def secret_scanner(s: Subject, ctx: RiskContext) -> Factor | None:
    agent = (s.event.user_agent or "").lower()
    for needle, tool in SECRET_SCANNERS:
        if needle in agent:
            return factor(
                "secret-scanner",
                2,
                f"The user agent names {tool}, a secret scanner (the caller sets it, but a scanner sends it "
                f"unasked): someone is likely checking whether the access key {s.event.actor.access_key_id or ''} "
                "works, which usually means it was found somewhere it should not be",
                at_least="high",
            )
    return None
