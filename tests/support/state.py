"""Reading what a runtime did, for assertions: requests, the audit log, the outbox."""

from __future__ import annotations

from typing import Any

from bot.store import now


def audit_actions(runtime: Any) -> list[tuple[str, str, str]]:
    return [(r["action"], r["user_id"], r["result"]) for r in reversed(runtime.store.audit.recent(50))]


def request_status(runtime: Any) -> str | None:
    row = runtime.store.db.one("SELECT status FROM requests ORDER BY requested_at DESC LIMIT 1")
    return row["status"] if row else None


def request_row(runtime: Any) -> dict[str, Any] | None:
    return runtime.store.db.one("SELECT * FROM requests ORDER BY requested_at DESC LIMIT 1")


def pending(runtime: Any) -> int:
    """Messages waiting to be posted or updated (retries included)."""
    return int(runtime.store.outbox.backlog(now())[0])


def shown(slack: Any, runtime: Any, message_id: str) -> dict[str, Any]:
    """What Slack shows now for an outbox message."""
    row = runtime.store.outbox.get(message_id)
    assert row is not None and row.ts, f"{message_id} was not posted"
    return slack.latest(row.channel, row.ts)  # type: ignore[no-any-return]


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]
