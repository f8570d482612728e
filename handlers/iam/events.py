"""/iam help, explain, recent, show: reading what iambot knows and has seen."""

from __future__ import annotations

from bot.catalog import load as load_catalog
from bot.catalog.explain import explain_text
from bot.slack.messages import Message, listing, preformatted, t
from bot.slack.messages.base import Part
from bot.workflow import Workflow
from bot.workflow.authz import plain_id
from handlers.iam.base import SUBCOMMANDS, Usage, number, subcommand
from remediations import registry

_help: tuple[int, Message] | None = None  # (subcommands it lists, the message): the same for everyone


@subcommand("help", "help", "this list")
def help_(wf: Workflow, user: str, args: list[str]) -> Message:
    global _help
    if _help is None or _help[0] != len(SUBCOMMANDS):
        _help = (
            len(SUBCOMMANDS),
            listing(
                "iambot — AWS identity alerts, explained, and remediated after approval",
                ([t(f"/iam {s.usage}", code=True), t(f" — {s.help}")] for s in SUBCOMMANDS.values()),
            ),
        )
    return _help[1]


@subcommand("explain", "explain <EventName>", "what an identity event means and why it matters")
def explain(wf: Workflow, user: str, args: list[str]) -> Message:
    if len(args) != 1:
        raise Usage(
            "give one event name, e.g. /iam explain UpdateAccessKey (or service:Name, e.g. sso:CreatePermissionSet)"
        )
    service, _, name = args[0].rpartition(":")
    entries = [e for e in load_catalog().find(name) if not service or e.source.split(".")[0] == service.lower()]
    if not entries:
        raise Usage(f"no catalog entry for {args[0][:60]!r}; other events of the covered services get a generic alert")
    titles = registry.titles()
    return preformatted(
        f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}",
        "\n\n".join(explain_text(e, titles) for e in entries[:3]),
    )


@subcommand("recent", "recent [n]", "the latest identity events")
def recent(wf: Workflow, user: str, args: list[str]) -> Message:
    if len(args) > 1:
        raise Usage("/iam recent [n]")
    n = number(args[0], "n", 1, 50) if args else 10
    rows = wf.store.events.recent(n)
    if not rows:
        return listing("No identity events stored yet.", [])
    return listing(
        f"The latest {len(rows)} identity event(s)",
        (
            [
                t(r.event_time, code=True),
                t(" "),
                t(r.severity or "?", bold=True),
                t(" " + (r.summary or r.event_name)),
                t(" · "),
                t(r.id, code=True),
            ]
            for r in rows
        ),
    )


@subcommand("show", "show <event-id>", "one event with its risk reasons")
def show(wf: Workflow, user: str, args: list[str]) -> Message:
    if len(args) != 1:
        raise Usage("give the event id, e.g. /iam show 3d3d4cf5-… (from /iam recent)")
    alerts = [a for a in map(wf.views.assess, wf.store.events.with_id(args[0][:300])) if a is not None]
    if not alerts:
        raise Usage(f"no stored event {plain_id(args[0])!r}")
    items: list[list[Part]] = []
    for alert in alerts:
        e = alert.event
        if len(alerts) > 1:
            items.append([t(f"{alert.severity.upper()} · {alert.entry.title}", bold=True)])
        items += [
            [t(alert.summary)],
            [t(f"Account {e.account_id or '?'} · actor {e.actor.arn or e.actor.name}")],
            [t(f"When {e.event_time:%Y-%m-%d %H:%M:%S} UTC · from {e.source_ip or '—'}")],
            *([t("• " + r)] for r in alert.risk.reasons),
        ]
        if alert.offers:
            items.append([t("Remediations: " + ", ".join(o.id for o in alert.offers))])
    first = alerts[0]
    title = (
        f"{first.severity.upper()} · {first.entry.title}"
        if len(alerts) == 1
        else f"{len(alerts)} events with id {plain_id(args[0])}"
    )
    return listing(title, items)


@subcommand("rejected", "rejected [n]", "input iambot could not read, and why")
def rejected(wf: Workflow, user: str, args: list[str]) -> Message:
    n = number(args[0], "n", 1, 50) if args else 10
    rows = wf.store.rejected.recent(n)
    if not rows:
        return listing("Nothing has been rejected.", [])
    return listing(
        f"The latest {len(rows)} rejection(s)",
        ([t(r["at"], code=True), t(f" {r['source']} {r['where_']}: {r['reason']}")] for r in rows),
    )
