"""The digest: what happened in a period, as numbers and one Slack message."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.blocks import Message, clip, escape
from bot.catalog import SEVERITIES
from bot.store import Store, iso


@dataclass
class Digest:
    since: datetime
    until: datetime
    total: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_event: list[tuple[str, int]] = field(default_factory=list)
    top_actors: list[tuple[str, int]] = field(default_factory=list)
    notable: list[dict[str, Any]] = field(default_factory=list)  # high and critical alerts
    dispositions: dict[str, int] = field(default_factory=dict)  # posted, repeat, burst, suppressed, backfill…
    waiting: list[dict[str, Any]] = field(default_factory=list)  # requests waiting, with age in minutes
    remediations: list[dict[str, Any]] = field(default_factory=list)  # finished in the period
    suppressions_hit: list[dict[str, Any]] = field(default_factory=list)
    decision_minutes_median: float | None = None

    @property
    def quiet(self) -> bool:
        return not (self.total or self.waiting or self.remediations)


def compute(store: Store, since: datetime, until: datetime) -> Digest:
    d = Digest(since, until)
    a, b = iso(since), iso(until)
    rows = store.rows(
        "SELECT e.key, e.event_name, e.actor_name, e.severity, e.summary, e.event_time, al.disposition"
        " FROM events e LEFT JOIN alerts al ON al.key = e.key WHERE e.ingested_at >= ? AND e.ingested_at < ?",
        [a, b],
    )
    d.total = len(rows)
    sev = Counter(r["severity"] for r in rows)
    d.by_severity = {s: sev[s] for s in reversed(SEVERITIES) if sev[s]}
    d.by_event = Counter(r["event_name"] for r in rows).most_common(10)
    d.top_actors = Counter(r["actor_name"] for r in rows).most_common(5)
    d.dispositions = dict(Counter(r["disposition"] or "stored" for r in rows))
    for r in rows:
        if r["severity"] in ("critical", "high"):
            msg = store.row("SELECT channel, ts FROM messages WHERE id = ?", [f"alert:{r['key']}"])
            d.notable.append({**r, "channel": msg["channel"] if msg else None, "ts": msg["ts"] if msg else None})
    d.notable.sort(key=lambda r: (SEVERITIES.index(r["severity"]) * -1, r["event_time"]))
    for r in store.rows("SELECT * FROM requests WHERE status = 'requested' ORDER BY requested_at"):
        age = (until - datetime.fromisoformat(r["requested_at"].replace("Z", "+00:00"))).total_seconds() / 60
        d.waiting.append({"id": r["id"], "remediation_id": r["remediation_id"], "age_minutes": round(age)})
    finished = store.rows(
        "SELECT * FROM requests WHERE finished_at >= ? AND finished_at < ? ORDER BY finished_at", [a, b]
    )
    for r in finished:
        approvers = [x["user_id"] for x in store.rows("SELECT user_id FROM approvals WHERE request_id = ?", [r["id"]])]
        d.remediations.append(
            {
                "id": r["id"],
                "remediation_id": r["remediation_id"],
                "requested_by": r["requested_by"],
                "approved_by": approvers,
                "status": r["status"],
            }
        )
    d.suppressions_hit = store.rows(
        "SELECT id, event_name, actor, target, account_id, hits, reason FROM suppressions WHERE hits > 0"
        " AND created_at < ? AND expires_at >= ?",
        [b, a],
    )
    # time from alert to decision: from the alert's creation to the first decision on its requests
    waits = []
    for r in store.rows(
        "SELECT al.created_at AS alerted, MIN(rq.decided_at) AS decided FROM requests rq"
        " JOIN alerts al ON al.key = rq.event_key WHERE rq.decided_at >= ? AND rq.decided_at < ?"
        " GROUP BY rq.event_key",
        [a, b],
    ):
        t0 = datetime.fromisoformat(r["alerted"].replace("Z", "+00:00"))
        t1 = datetime.fromisoformat(r["decided"].replace("Z", "+00:00"))
        waits.append((t1 - t0).total_seconds() / 60)
    d.decision_minutes_median = round(statistics.median(waits), 1) if waits else None
    return d


def permalink(channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def message(d: Digest) -> Message:
    period = f"{d.since:%Y-%m-%d %H:%M} – {d.until:%Y-%m-%d %H:%M} UTC"
    if d.quiet:
        text = f":zzz: iambot digest, {period}: quiet. No IAM events, no requests, no remediations."
        return Message(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
    lines = [f"*iambot digest* · {period}"]
    sev = ", ".join(f"{n} {s}" for s, n in d.by_severity.items()) or "none"
    lines.append(f"*{d.total} IAM event(s)*: {sev}")
    handled = ", ".join(f"{n} {k}" for k, n in sorted(d.dispositions.items()))
    lines.append(f"Handled: {handled}")
    if d.by_event:
        lines.append("By event: " + ", ".join(f"{escape(n)} ×{c}" for n, c in d.by_event))
    if d.top_actors:
        lines.append("Top actors: " + ", ".join(f"{escape(n)} ×{c}" for n, c in d.top_actors))
    blocks: list[dict[str, Any]] = [_section("\n".join(lines))]
    if d.notable:
        items = []
        for r in d.notable[:15]:
            link = permalink(r["channel"], r["ts"])
            summary = escape(clip(r["summary"], 150))
            items.append(f"• *{r['severity']}* " + (f"<{link}|{summary}>" if link else summary))
        more = f"\n…and {len(d.notable) - 15} more" if len(d.notable) > 15 else ""
        blocks.append(_section("*High and critical*\n" + "\n".join(items) + more))
    if d.waiting:
        blocks.append(
            _section(
                "*Waiting for approval*\n"
                + "\n".join(f"• `{w['id']}` {w['remediation_id']}, {w['age_minutes']} min" for w in d.waiting[:15])
            )
        )
    if d.remediations:
        rows = [
            f"• `{r['id']}` {r['remediation_id']}: {r['status']}, asked by <@{r['requested_by']}>"
            + (", approved by " + ", ".join(f"<@{u}>" for u in r["approved_by"]) if r["approved_by"] else "")
            for r in d.remediations[:15]
        ]
        blocks.append(_section("*Remediations run*\n" + "\n".join(rows)))
    if d.suppressions_hit:
        blocks.append(
            _section(
                "*Suppressions hit*\n"
                + "\n".join(
                    f"• `{s['id']}` {escape(s['reason'] or '')}: {s['hits']} event(s)" for s in d.suppressions_hit
                )
            )
        )
    if d.decision_minutes_median is not None:
        blocks.append(_section(f"Median time from alert to decision: {d.decision_minutes_median} min"))
    text = f"iambot digest {period}: {d.total} IAM event(s) ({sev})"
    return Message(text=text, blocks=blocks[:50])


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}
