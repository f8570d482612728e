"""The schema, as ordered migrations. Each runs once, in order, inside a transaction; its index
plus one is the database's ``user_version``. Never edit a released migration: add one."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _m1_events(db: sqlite_utils.Database) -> None:
    db.table("events").create(
        {
            "key": str,
            "id": str,
            "event_name": str,
            "event_time": str,
            "account_id": str,
            "region": str,
            "actor_type": str,
            "actor_arn": str,
            "actor_name": str,
            "target": str,
            "source_ip": str,
            "user_agent": str,
            "error_code": str,
            "severity": str,
            "summary": str,
            "is_self": int,
            "origin": str,
            "ingested_at": str,
            "raw": str,
        },
        pk="key",
    )
    db.table("events").create_index(["id"])
    db.table("events").create_index(["event_time"])
    db.table("events").create_index(["event_name", "actor_arn"])
    db.table("rejected").create(
        {"id": int, "at": str, "source": str, "where_": str, "reason": str, "excerpt": str},
        pk="id",
    )


def _m2_slack(db: sqlite_utils.Database) -> None:
    # Where each alert stands (open, requested, dismissed, remediated, failed) and its note lines.
    db.table("alerts").create(
        {"key": str, "status": str, "lines": str, "severity": str, "created_at": str, "updated_at": str},
        pk="key",
        foreign_keys=[("key", "events", "key")],
    )
    # The outbox: one row per logical Slack message, holding the payload it should show now.
    # A row with no ts has never been posted; version > sent_version means an update is due.
    db.table("messages").create(
        {
            "id": str,
            "kind": str,
            "ref": str,
            "channel": str,
            "thread_of": str,
            "payload": str,
            "version": int,
            "sent_version": int,
            "ts": str,
            "attempts": int,
            "next_at": str,
            "lease_until": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"version": 1, "sent_version": 0, "attempts": 0},
    )
    db.table("messages").create_index(["kind", "ref"])
    db.table("requests").create(
        {
            "id": str,
            "remediation_id": str,
            "params": str,
            "event_key": str,
            "account_id": str,
            "status": str,
            "requested_by": str,
            "requested_at": str,
            "expires_at": str,
            "approvals_needed": int,
            "plan": str,
            "expected": str,
            "decided_by": str,
            "decided_at": str,
            "reason": str,
            "outcome": str,
            "finished_at": str,
        },
        pk="id",
    )
    db.table("requests").create_index(["status"])
    db.table("requests").create_index(["event_key"])
    db.table("approvals").create({"request_id": str, "user_id": str, "at": str}, pk=("request_id", "user_id"))
    db.table("audit").create(
        {
            "id": int,
            "at": str,
            "user_id": str,
            "action": str,
            "request_id": str,
            "event_key": str,
            "remediation_id": str,
            "params": str,
            "result": str,
            "detail": str,
        },
        pk="id",
    )
    db.table("audit").create_index(["request_id"])
    # The audit log is append-only: the database itself refuses edits and deletions.
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
    db.table("oidc_snapshots").create(
        {"id": int, "account_id": str, "provider_arn": str, "thumbprints": str, "taken_at": str}, pk="id"
    )
    db.table("oidc_snapshots").create_index(["provider_arn", "taken_at"])


def _m3_sources(db: sqlite_utils.Database) -> None:
    # Where each source has got to (LookupEvents: the newest event time committed).
    db.table("cursors").create({"name": str, "value": str, "updated_at": str}, pk="name")
    # S3 objects and files already read, so a re-run of `iambot ingest` skips them.
    db.table("ingested_objects").create({"uri": str, "etag": str, "events": int, "at": str}, pk="uri")
    db.table("suppressions").create(
        {
            "id": str,
            "event_name": str,
            "actor": str,
            "target": str,
            "account_id": str,
            "reason": str,
            "created_by": str,
            "created_at": str,
            "expires_at": str,
            "hits": int,
            "lifted_by": str,
        },
        pk="id",
        defaults={"hits": 0},
    )
    # How each new alert was handled: posted, repeat (into the first alert's thread), suppressed,
    # backfill (older than the backfill age), confirmation (iambot's own change coming back), unrouted.
    db.table("alerts").add_column("disposition", str)
    db.table("alerts").add_column("thread_of", str)
    db.table("alerts").add_column("group_key", str)
    db.table("alerts").add_column("event_time", str)
    db.table("alerts").create_index(["group_key", "event_time"])
    db.table("alerts").create_index(["created_at"])


def _m4_sources_and_outbox(db: sqlite_utils.Database) -> None:
    """Identity sources beyond IAM; the outbox renders at send time; flat costs as history grows."""
    db.table("events").add_column("event_source", str)
    db.execute("UPDATE events SET event_source = 'iam.amazonaws.com' WHERE event_source IS NULL")
    db.table("events").add_column("source_net", str)
    # a sign-in's earlier addresses (new-network) and failures in the last 15 minutes (repeated-failures,
    # asked at every attempt of a brute force): read from the index alone, within the time asked
    db.table("events").create_index(
        ["actor_arn", "event_source", "event_time", "error_code", "source_ip", "source_net"]
    )
    db.table("events").create_index(["ingested_at"])
    db.table("events").create_index(["source_ip", "event_time"])
    # data: what the message is about (the renderer builds the payload from it and from state);
    # due: 1 while the message waits to be posted or updated (an index finds them at once)
    db.table("messages").add_column("data", str)
    db.table("messages").add_column("due", int)
    db.table("messages").add_column("due_since", str)
    db.execute(
        "UPDATE messages SET due = CASE WHEN ts IS NULL OR sent_version < version THEN 1 ELSE 0 END,"
        " due_since = CASE WHEN ts IS NULL OR sent_version < version THEN created_at END"
    )
    db.table("messages").create_index(["due", "next_at"])
    db.table("messages").create_index(["kind", "channel", "created_at"])
    db.table("alerts").add_column("actor", str)  # the CloudTrail actor's ARN or name, for separation of duties
    db.table("alerts").create_index(["disposition", "created_at"])
    db.table("requests").add_column("actor", str)  # who made the change this request undoes
    db.table("snapshots").create(
        {"id": str, "kind": str, "account_id": str, "key": str, "value": str, "taken_at": str}, pk="id"
    )
    db.table("snapshots").create_index(["kind", "key", "taken_at"])
    db.execute(
        "INSERT INTO snapshots (id, kind, account_id, key, value, taken_at) SELECT 'oidc-' || id,"
        " 'oidc-thumbprints', account_id, provider_arn, thumbprints, taken_at FROM oidc_snapshots"
    )
    db.table("rejected").add_column("body", str)  # the whole message, for a person to replay
    # What each hot query reads stays the same size as history grows (bench/intake.py measures it;
    # the outbox's due query and the burst counter have theirs above).
    # A repeat counter's times, rendered at every update: that alert's repeats only
    db.table("alerts").create_index(["thread_of", "event_time"])
    # active suppressions, matched against every new alert: expired and lifted ones are not read
    db.execute("CREATE INDEX idx_suppressions_active ON suppressions (expires_at) WHERE lifted_by IS NULL")
    # iambot's own requests that succeeded within the hour; who dismissed an alert; the latest rows
    db.table("requests").create_index(["status", "finished_at"])
    db.table("audit").create_index(["event_key", "action"])
    db.table("audit").create_index(["at", "id"])
    db.table("rejected").create_index(["at", "id"])


def _m5_replicas(db: sqlite_utils.Database) -> None:
    """Several processes on one database (PostgreSQL's schema_pg.py has the same migration)."""
    for statement in REPLICAS:
        db.execute(statement)


# Migration 5 in words both dialects read: a scheduled job's run per period (claimed once across
# replicas), leases a replica holds for the work one process must do at a time (the poster, a
# poller), and one open request per remediation, parameters and account (a unique index, not a
# check before the insert).
REPLICAS = [
    "CREATE TABLE runs (job TEXT NOT NULL, period TEXT NOT NULL, replica TEXT, at TEXT, PRIMARY KEY (job, period))",
    "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until TEXT NOT NULL, since TEXT)",
    "CREATE UNIQUE INDEX idx_requests_open ON requests (remediation_id, params, COALESCE(account_id, ''))"
    " WHERE status IN ('requested', 'approved', 'running')",
]


def _m6_claim_holders(db: sqlite_utils.Database) -> None:
    """An outbox claim names the replica that holds it (schema_pg.py has the same migration)."""
    for statement in CLAIM_HOLDERS:
        db.execute(statement)


# Migration 6: a replica restarted under its name releases the claims its previous life held,
# instead of waiting for their leases to run out.
CLAIM_HOLDERS = ["ALTER TABLE messages ADD COLUMN lease_holder TEXT"]


def _m7_judgement_and_impact(db: sqlite_utils.Database) -> None:
    """An alert keeps the judgement made when its event was taken in; a request keeps what its plan
    found around the change (schema_pg.py has the same migration)."""
    for statement in JUDGEMENT_AND_IMPACT:
        db.execute(statement)


# Migration 7: the assessed alert (severity, title, summary, reasons, offers: JSON) stored at
# intake, so later renders change status, never the judgement; and a request's blast radius
# (JSON list of lines), read before anyone approves.
JUDGEMENT_AND_IMPACT = ["ALTER TABLE alerts ADD COLUMN assessed TEXT", "ALTER TABLE requests ADD COLUMN impact TEXT"]


def _m8_step_up(db: sqlite_utils.Database) -> None:
    """Approvers' TOTP devices (schema_pg.py has the same migration)."""
    for statement in STEP_UP:
        db.execute(statement)


# Migration 8: step-up for approvals. The secret is encrypted by the workflow before it is stored.
STEP_UP = [
    "CREATE TABLE mfa_devices (user_id TEXT PRIMARY KEY, secret TEXT NOT NULL, created_at TEXT NOT NULL,"
    " confirmed_at TEXT, last_step BIGINT NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, locked_until TEXT)"
]


def _m9_sequences(db: sqlite_utils.Database) -> None:
    """Sequences across one principal's events (schema_pg.py has the same migration)."""
    for statement in SEQUENCES:
        db.execute(statement)


# Migration 9: each identity event's step in a sequence (a denied write, a read), and the sequences
# they make, keyed by kind, principal and first member, so two replicas make one.
SEQUENCES = [
    "CREATE TABLE sequences (id TEXT PRIMARY KEY, kind TEXT NOT NULL, principal TEXT NOT NULL,"
    " first_at TEXT NOT NULL, last_at TEXT NOT NULL, posted INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL)",
    "CREATE INDEX idx_sequences_open ON sequences (kind, principal, last_at)",
    "CREATE TABLE sequence_steps (event_key TEXT PRIMARY KEY, kind TEXT NOT NULL, principal TEXT NOT NULL,"
    " at TEXT NOT NULL, name TEXT NOT NULL, at_self INTEGER NOT NULL DEFAULT 0, sequence_id TEXT)",
    "CREATE INDEX idx_sequence_steps_window ON sequence_steps (kind, principal, at)",
    "CREATE INDEX idx_sequence_steps_of ON sequence_steps (sequence_id)",
]


def _m10_questions(db: sqlite_utils.Database) -> None:
    """"Was this you?" questions to the person behind an alert (schema_pg.py has the same migration)."""
    for statement in QUESTIONS:
        db.execute(statement)


# Migration 10: one question per person, credential and repeat window (the id is made from them, so
# two replicas ask once); its answer (asked, yes, no) set once, and the quarantine request a "no" opened.
QUESTIONS = [
    "CREATE TABLE questions (id TEXT PRIMARY KEY, event_key TEXT NOT NULL, person TEXT, email TEXT,"
    " credential TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'asked', reason TEXT, asked_at TEXT NOT NULL,"
    " answered_at TEXT, request_id TEXT)",
    "CREATE INDEX idx_questions_event ON questions (event_key)",
    "CREATE INDEX idx_questions_status ON questions (status, asked_at)",
]


# Each migration runs once, in order, inside a transaction; the index + 1 is its version.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m1_events,
    _m2_slack,
    _m3_sources,
    _m4_sources_and_outbox,
    _m5_replicas,
    _m6_claim_holders,
    _m7_judgement_and_impact,
    _m8_step_up,
    _m9_sequences,
    _m10_questions,
]
