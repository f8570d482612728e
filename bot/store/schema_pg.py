"""The schema on PostgreSQL, by version. A new database is created at version 4 in one step (the
schema SQLite reached through its migrations 1–4, in PostgreSQL's types: 64-bit integers, a
trigger function for the append-only audit log); every later migration is written for both
backends, with the same number (``bot/store/migrations.py``)."""

from __future__ import annotations

from bot.store.migrations import (
    CLAIM_HOLDERS,
    JUDGEMENT_AND_IMPACT,
    QUESTIONS,
    REPLICAS,
    SEQUENCES,
    STEP_UP,
)

_T, _I = "TEXT", "BIGINT"


def _text(names: str) -> dict[str, str]:
    return {name: _T for name in names.split(" ")}


def _table(name: str, columns: dict[str, str], pk: str) -> str:
    cols = ", ".join(f"{col} {kind}" for col, kind in columns.items())
    return f"CREATE TABLE {name} ({cols}, PRIMARY KEY ({pk}))"


def _index(table: str, *cols: str) -> str:
    return f"CREATE INDEX idx_{table}_{'_'.join(cols)} ON {table} ({', '.join(cols)})"


_EVENTS = _text(
    "key id event_name event_time account_id region actor_type actor_arn actor_name target source_ip"
    " user_agent error_code severity summary"
) | {"is_self": _I} | _text("origin ingested_at raw event_source source_net")

_MESSAGES = {
    "id": _T, "kind": _T, "ref": _T, "channel": _T, "thread_of": _T, "payload": _T,
    "version": f"{_I} DEFAULT 1", "sent_version": f"{_I} DEFAULT 0", "ts": _T, "attempts": f"{_I} DEFAULT 0",
    "next_at": _T, "lease_until": _T, "last_error": _T, "created_at": _T, "sent_at": _T,
    "data": _T, "due": _I, "due_since": _T,
}  # fmt: skip

_REQUESTS = (
    _text("id remediation_id params event_key account_id status requested_by requested_at expires_at")
    | {"approvals_needed": _I}
    | _text("plan expected decided_by decided_at reason outcome finished_at actor")
)

BASELINE = [
    _table("events", _EVENTS, "key"),
    _table("rejected", {"id": _I, "at": _T, "source": _T, "where_": _T, "reason": _T, "excerpt": _T, "body": _T}, "id"),
    _table(
        "alerts",
        _text("key status lines severity created_at updated_at disposition thread_of group_key")
        | {"event_time": _T, "actor": _T},
        "key",
    ),
    "ALTER TABLE alerts ADD FOREIGN KEY (key) REFERENCES events (key)",
    _table("messages", _MESSAGES, "id"),
    _table("requests", _REQUESTS, "id"),
    _table("approvals", {"request_id": _T, "user_id": _T, "at": _T}, "request_id, user_id"),
    _table(
        "audit",
        {"id": _I} | _text("at user_id action request_id event_key remediation_id params result detail"),
        "id",
    ),
    _table("oidc_snapshots", {"id": _I, "account_id": _T, "provider_arn": _T, "thumbprints": _T, "taken_at": _T}, "id"),
    _table("cursors", {"name": _T, "value": _T, "updated_at": _T}, "name"),
    _table("ingested_objects", {"uri": _T, "etag": _T, "events": _I, "at": _T}, "uri"),
    _table(
        "suppressions",
        _text("id event_name actor target account_id reason created_by created_at expires_at")
        | {"hits": f"{_I} DEFAULT 0", "lifted_by": _T},
        "id",
    ),
    _table("snapshots", _text("id kind account_id key value taken_at"), "id"),
    # the audit log is append-only: the database itself refuses edits and deletions
    "CREATE FUNCTION iambot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = 'the audit log is append-only';"
    " END $$",
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION iambot_audit_append_only()",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION iambot_audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit EXECUTE FUNCTION iambot_audit_append_only()",
    _index("events", "id"),
    _index("events", "event_time"),
    _index("events", "event_name", "actor_arn"),
    _index("events", "ingested_at"),
    _index("events", "source_ip", "event_time"),
    "CREATE INDEX idx_events_history ON events"
    " (actor_arn, event_source, event_time, error_code, source_ip, source_net)",
    _index("messages", "kind", "ref"),
    _index("messages", "due", "next_at"),
    _index("messages", "kind", "channel", "created_at"),
    _index("requests", "status"),
    _index("requests", "event_key"),
    _index("requests", "status", "finished_at"),
    _index("audit", "request_id"),
    _index("audit", "event_key", "action"),
    _index("audit", "at", "id"),
    _index("rejected", "at", "id"),
    _index("oidc_snapshots", "provider_arn", "taken_at"),
    _index("alerts", "group_key", "event_time"),
    _index("alerts", "created_at"),
    _index("alerts", "disposition", "created_at"),
    _index("alerts", "thread_of", "event_time"),
    _index("snapshots", "kind", "key", "taken_at"),
    "CREATE INDEX idx_suppressions_active ON suppressions (expires_at) WHERE lifted_by IS NULL",
]

MIGRATIONS: dict[int, list[str]] = {
    4: BASELINE,
    5: REPLICAS,
    6: CLAIM_HOLDERS,
    7: JUDGEMENT_AND_IMPACT,
    8: STEP_UP,
    9: SEQUENCES,
    10: QUESTIONS,
}
