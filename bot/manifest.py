"""The Slack app manifest and the least-privilege IAM policy the bot needs."""

from __future__ import annotations

import re
from typing import Any

from bot import oidc, reports
from remediations import registry

# Exactly what the bot calls: chat.postMessage/update/postEphemeral, the /iam command,
# conversations.history/replies (finding a post interrupted by a crash, by its metadata),
# usergroups.users.list (approver groups).
BOT_SCOPES = ("chat:write", "chat:write.public", "commands", "channels:history", "groups:history", "usergroups:read")
COMMAND_HINT = "help | recent | show <event-id> | requests | approve <id> | deny <id> | remediate <id> k=v | audit"


def manifest(url: str | None = None, name: str = "iambot") -> str:
    """YAML for https://api.slack.com/apps → Create New App → From a manifest.

    Without ``url`` the app uses Socket Mode (no public endpoint); with it, HTTP requests go to
    ``url`` + /slack/events."""
    if url is not None and not re.match(r"^https://[^\s/]+", url):
        raise ValueError("the request URL must start with https:// (Slack only calls HTTPS endpoints)")
    events = f"{url.rstrip('/')}/slack/events" if url else None
    lines = [
        "display_information:",
        f"  name: {name}",
        '  description: "Explains AWS IAM CloudTrail events and remediates them after approval"',
        "features:",
        "  bot_user:",
        f"    display_name: {name}",
        "    always_online: true",
        "  slash_commands:",
        "    - command: /iam",
        '      description: "IAM alerts, remediation requests and approvals"',
        f'      usage_hint: "{COMMAND_HINT}"',
        "      should_escape: false",
    ]
    if events:
        lines.append(f"      url: {events}")
    lines += ["oauth_config:", "  scopes:", "    bot:"] + [f"      - {s}" for s in BOT_SCOPES]
    lines += ["settings:", "  interactivity:", "    is_enabled: true"]
    if events:
        lines.append(f"    request_url: {events}")
    lines += [
        "  org_deploy_enabled: false",
        f"  socket_mode_enabled: {'false' if events else 'true'}",
        "  token_rotation_enabled: false",
    ]
    return "\n".join(lines) + "\n"


READS = ("sts:GetCallerIdentity",)


def policy(settings: Any) -> dict[str, Any]:
    """The IAM policy for iambot's role: its reads, plus the permissions of enabled remediations."""
    enabled = settings.enabled_remediations()
    iam_reads = set(reports.READ_PERMISSIONS)
    if "restore-oidc-thumbprints" in enabled:
        iam_reads |= set(oidc.READ_PERMISSIONS)
    actions = set()
    for rid in enabled:
        actions |= set(registry.REMEDIATIONS[rid].permissions)
    statements: list[dict[str, Any]] = [
        {"Sid": "IambotReads", "Effect": "Allow", "Action": sorted(iam_reads | set(READS)), "Resource": "*"},
        {"Sid": "IambotRemediations", "Effect": "Allow", "Action": sorted(actions - iam_reads), "Resource": "*"},
    ]
    if settings.remediation_role:
        statements.append(
            {
                "Sid": "IambotOtherAccounts",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": settings.remediation_role.replace("{account_id}", "*"),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
