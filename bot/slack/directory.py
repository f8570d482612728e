"""What iambot asks Slack about people: user-group members (approver and requester groups), the
member with an e-mail address (who a CloudTrail actor is, for separation of duties and "Was this
you?"), and a channel's members (whether a requester saw their request decided)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)


class SlackDirectory:
    def __init__(self, client: Any):
        self.client = client

    def group_members(self, group: str) -> frozenset[str]:
        try:
            return frozenset(self.client.usergroups_users_list(usergroup=group).get("users", []))
        except (SlackClientError, OSError) as exc:  # not verified means not trusted through the group
            log.warning("could not read user group", extra={"group": group, "error": str(exc)})
            return frozenset()

    def user_by_email(self, email: str) -> str | None:
        try:
            found = self.client.users_lookupByEmail(email=email).get("user") or {}
        except SlackApiError as exc:
            if exc.response is not None and exc.response.get("error") == "users_not_found":
                return None
            log.warning("could not look up a user by e-mail", extra={"error": str(exc)})
            return None
        except (SlackClientError, OSError) as exc:
            log.warning("could not look up a user by e-mail", extra={"error": str(exc)})
            return None
        uid = found.get("id")
        return uid if isinstance(uid, str) else None

    def members(self, channel: str, pages: int = 50) -> frozenset[str] | None:
        """The channel's members (conversations.members, 200 a page), or None when Slack cannot say."""
        found: set[str] = set()
        cursor = ""
        try:
            for _ in range(pages):
                resp = self.client.conversations_members(channel=channel, limit=200, cursor=cursor or None)
                found.update(u for u in resp.get("members") or [] if isinstance(u, str))
                cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    return frozenset(found)
        except (SlackClientError, OSError) as exc:  # not known: the requester is told in a DM all the same
            log.warning("could not read a channel's members", extra={"channel": channel, "error": str(exc)})
            return None
        return None  # more pages than iambot reads: not known
