"""/iam help, explain, recent, show: reading what iambot knows and has seen."""

from __future__ import annotations

from bot.catalog import load as load_catalog
from bot.catalog.explain import explain_text
from bot.slack.messages import Message, listing, preformatted, t
from bot.slack.messages.reports import event_message, events_message, rejected_message
from bot.workflow import Workflow
from bot.workflow.authz import plain_id
from bot.workflow.reports import LIST_MOST
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
    return events_message(wf.reports.events(number(args[0], "n", 1, LIST_MOST) if args else 10))


@subcommand("show", "show <event-id>", "one event with its risk reasons")
def show(wf: Workflow, user: str, args: list[str]) -> Message:
    if len(args) != 1:
        raise Usage("give the event id, e.g. /iam show 3d3d4cf5-… (from /iam recent)")
    alerts = wf.reports.event(args[0])
    if not alerts:
        raise Usage(f"no stored event {plain_id(args[0])!r}")
    return event_message(alerts, plain_id(args[0]))


@subcommand("rejected", "rejected [n]", "input iambot could not read, and why")
def rejected(wf: Workflow, user: str, args: list[str]) -> Message:
    return rejected_message(wf.reports.rejected(number(args[0], "n", 1, LIST_MOST) if args else 10))
