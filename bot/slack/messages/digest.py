"""The digest as one message."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.models.blocks import Block

from bot.slack.messages.base import Message, Part, bullets, line, link, message, rich, t, user
from bot.workflow import Digest

Permalink = Callable[[str], str | None]  # event key -> link to its alert message, if posted
SHOWN = 15


def digest_message(d: Digest, permalink: Permalink) -> Message:
    period = f"{d.since[:16].replace('T', ' ')} – {d.until[:16].replace('T', ' ')} UTC"
    if d.quiet:
        text = f"iambot digest, {period}: quiet. No identity events, no requests, no remediations."
        return message(text, [rich(line(t(text)))])
    sev = ", ".join(f"{n} {s}" for s, n in d.by_severity.items()) or "none"
    handled = ", ".join(f"{n} {k}" for k, n in sorted(d.dispositions.items()))
    lines: list[list[Part]] = [
        [t(f"{d.total} identity event(s)", bold=True), t(f": {sev}")],
        [t(f"Handled: {handled}")],
    ]
    if d.by_event:
        lines.append([t("By event: " + ", ".join(f"{n} ×{c}" for n, c in d.by_event))])
    if d.top_actors:
        lines.append([t("Top actors: " + ", ".join(f"{n} ×{c}" for n, c in d.top_actors))])
    blocks: list[Block] = [rich(line(t("iambot digest", bold=True), t(f" · {period}")), bullets(lines))]
    if d.notable:
        items: list[list[Part]] = []
        for r in d.notable[:SHOWN]:
            url = permalink(r["key"])
            summary = r["summary"][:150]
            items.append([t(r["severity"], bold=True), t(" "), link(url, summary) if url else t(summary)])
        if len(d.notable) > SHOWN:
            items.append([t(f"…and {len(d.notable) - SHOWN} more")])
        blocks.append(rich(line(t("High and critical", bold=True)), bullets(items)))
    if d.waiting:
        waiting = [[t(f"{w['id']} {w['remediation_id']}, {w['age_minutes']} min")] for w in d.waiting[:SHOWN]]
        blocks.append(rich(line(t("Waiting for approval", bold=True)), bullets(waiting)))
    if d.remediations:
        done: list[list[Part]] = []
        for r in d.remediations[:SHOWN]:
            parts = [t(f"{r['id']} {r['remediation_id']}: {r['status']}, asked by "), user(r["requested_by"])]
            for i, uid in enumerate(r["approved_by"]):
                parts += [t(", approved by " if i == 0 else ", "), user(uid)]
            if r.get("break_glass"):
                parts.append(t(" — break-glass", bold=True))
            done.append(parts)
        blocks.append(rich(line(t("Remediations run", bold=True)), bullets(done)))
    if d.suppressions_hit:
        hits = [[t(f"{s['id']} {s['reason'] or ''}: {s['hits']} event(s)")] for s in d.suppressions_hit[:SHOWN]]
        blocks.append(rich(line(t("Suppressions hit", bold=True)), bullets(hits)))
    if d.decision_minutes_median is not None:
        blocks.append(rich(line(t(f"Median time from alert to decision: {d.decision_minutes_median} min"))))
    return message(f"iambot digest {period}: {d.total} identity event(s) ({sev})", blocks)
