"""What iambot asks Slack about people: user-group members (approver and requester groups) and
the member with an e-mail address (who a CloudTrail actor is, for separation of duties)."""

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
