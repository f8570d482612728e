"""The Slack app manifest: built as data, printed by a YAML (or JSON) library."""

from __future__ import annotations

import re
from typing import Any

import orjson
import yaml

from bot.slack.http import EVENTS_PATH

# Exactly what the bot calls: chat.postMessage/update/postEphemeral, the /iam command,
# conversations.history/replies (finding a post interrupted by a crash, by its metadata),
# usergroups.users.list (approver and requester groups), users.lookupByEmail (who a CloudTrail
# actor is in Slack; Slack asks for users:read together with users:read.email). views.publish (the
# Home tab) needs no scope of its own; a refusal of a click on the Home is answered in the app's
# messages tab (chat:write), which is read-only. files:write only
# with digest_chart: the digest's chart is uploaded (files.getUploadURLExternal +
# files.completeUploadExternal) into the digest's thread. im:write: conversations.open, the direct
# message of "Was this you?" and of a request's outcome; im:history: conversations.history in that
# direct message, to find a DM a crash interrupted instead of sending it twice (without it Slack
# answers missing_scope and the retry posts again); channels:read and groups:read:
# conversations.members (whether a requester was in the channel where their request was decided).
CHART_SCOPES = ("files:write",)
BOT_SCOPES = (
    "chat:write",
    "chat:write.public",
    "commands",
    "channels:history",
    "groups:history",
    "usergroups:read",
    "users:read",
    "users:read.email",
    "im:write",
    "im:history",
    "channels:read",
    "groups:read",
)
BOT_EVENTS = ("app_home_opened",)
COMMAND_HINT = "help | recent | show <event-id> | requests | approve <id> | deny <id> | remediate <id> k=v | audit"
NAME = re.compile(r"[^\x00-\x1f]{1,35}")  # for fullmatch: $ passes "x\n"


def manifest(url: str | None = None, name: str = "iambot", charts: bool = True) -> dict[str, Any]:
    """The manifest for https://api.slack.com/apps → Create New App → From a manifest.

    Without ``url`` the app uses Socket Mode (no public endpoint); with it, Slack sends requests
    to ``url`` + /slack/events. ``charts`` (the digest_chart setting) adds files:write."""
    if url is not None and not re.fullmatch(r"https://[^\s/]+(/\S*)?", url):
        raise ValueError("the request URL must start with https:// (Slack only calls HTTPS endpoints)")
    if not NAME.fullmatch(name):
        raise ValueError("the app name is 1 to 35 characters, without control characters")
    events = f"{url.rstrip('/')}{EVENTS_PATH}" if url else None
    command: dict[str, Any] = {
        "command": "/iam",
        "description": "IAM alerts, remediation requests and approvals",
        "usage_hint": COMMAND_HINT,
        "should_escape": False,
    }
    if events:
        command["url"] = events
    interactivity: dict[str, Any] = {"is_enabled": True}
    subscriptions: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if events:
        interactivity["request_url"] = events
        subscriptions = {"request_url": events, **subscriptions}
    return {
        "display_information": {
            "name": name,
            "description": "Explains AWS identity events from CloudTrail and remediates them after approval",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES) + (list(CHART_SCOPES) if charts else [])}},
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": events is None,
            "token_rotation_enabled": False,
        },
    }


def dump(data: dict[str, Any], fmt: str = "yaml") -> str:
    if fmt == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
