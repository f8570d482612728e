""""Was this you?" questions: one to the person behind an alert, answered once.

A question's id is made from who is asked, the credential that was used and the repeat window it
falls in, and is the table's key: two replicas that take the same person's events at once ask one
question, and a second alert in the window asks nothing. The answer is a compare-and-set from
``asked``, so of two clicks (two replicas, a double tap) exactly one is recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Database, iso

ASKED = "asked"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    event_key: str
    person: str | None  # the Slack user asked; None until an e-mail is resolved when the DM is sent
    email: str | None  # the actor's e-mail (an SSO session), looked up in Slack at send time
    credential: str  # what was used: an access key id, a role session's role, the actor's ARN
    status: str  # asked | yes | no
    reason: str | None
    asked_at: str
    answered_at: str | None
    request_id: str | None  # the quarantine request a "no" opened

    @classmethod
    def of(cls, row: dict[str, Any]) -> Question:
        return cls(
            id=row["id"],
            event_key=row["event_key"],
            person=row["person"],
            email=row["email"],
            credential=row["credential"],
            status=row["status"],
            reason=row["reason"],
            asked_at=row["asked_at"],
            answered_at=row["answered_at"],
            request_id=row["request_id"],
        )

    @property
    def answered(self) -> bool:
        return self.status != ASKED


def question_key(who: str, credential: str, bucket: int) -> str:
    digest = hashlib.sha256(f"{who}\x00{credential}\x00{bucket}".encode("utf-8", "surrogateescape"))
    return f"Q{digest.hexdigest()[:20]}"


class Questions:
    def __init__(self, db: Database):
        self.db = db

    def ask(
        self, id: str, event_key: str, person: str | None, email: str | None, credential: str, at: datetime
    ) -> bool:
        """True for the one caller that asked; False when this question was asked already."""
        return bool(
            self.db.execute(
                "INSERT INTO questions (id, event_key, person, email, credential, status, asked_at)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
                (id, event_key, person, email, credential[:2048], ASKED, iso(at)),
            )
        )

    def get(self, id: str) -> Question | None:
        row = self.db.one("SELECT * FROM questions WHERE id = ?", (id,))
        return Question.of(row) if row else None

    def for_event(self, event_key: str) -> Question | None:
        row = self.db.one("SELECT * FROM questions WHERE event_key = ? ORDER BY asked_at LIMIT 1", (event_key,))
        return Question.of(row) if row else None

    def disowned(self, event_key: str, person: str) -> bool:
        """Whether ``person`` answered "no, this wasn't me" about this event."""
        sql = "SELECT 1 AS x FROM questions WHERE event_key = ? AND person = ? AND status = 'no' LIMIT 1"
        return self.db.one(sql, (event_key, person)) is not None

    def assign(self, id: str, person: str) -> bool:
        """The Slack user an e-mail resolved to, set once (before the DM is sent)."""
        return bool(self.db.execute("UPDATE questions SET person = ? WHERE id = ? AND person IS NULL", (person, id)))

    def answer(self, id: str, status: str, reason: str | None, at: datetime) -> bool:
        """Compare-and-set asked → ``status``: True for exactly one caller."""
        return bool(
            self.db.execute(
                "UPDATE questions SET status = ?, reason = ?, answered_at = ? WHERE id = ? AND status = ?",
                (status, reason, iso(at), id, ASKED),
            )
        )

    def opened(self, id: str, request_id: str) -> None:
        """The quarantine request a "no" opened, or "" when none could be (why is audited): settled.
        A request's id wins over "" (a second, refused attempt never hides the first one's request)."""
        if request_id:
            self.db.execute("UPDATE questions SET request_id = ? WHERE id = ?", (request_id, id))
        else:
            self.db.execute("UPDATE questions SET request_id = '' WHERE id = ? AND request_id IS NULL", (id,))

    def unsettled(self, status: str, before: datetime, limit: int = 20) -> list[Question]:
        """Answered ``status`` before ``before`` with no quarantine settled: a "no" whose quarantine a
        crash or a lost replica left unasked."""
        rows = self.db.query(
            "SELECT * FROM questions WHERE status = ? AND request_id IS NULL AND answered_at < ?"
            " ORDER BY answered_at, id LIMIT ?",
            (status, iso(before), limit),
        )
        return [Question.of(r) for r in rows]

    def unanswered(self, since: datetime, until: datetime, limit: int = 50) -> list[Question]:
        """Questions asked in [since, until) that nobody answered (and that reached someone), oldest first."""
        rows = self.db.query(
            "SELECT * FROM questions WHERE status = ? AND person IS NOT NULL AND asked_at >= ? AND asked_at < ?"
            " ORDER BY asked_at, id LIMIT ?",
            (ASKED, iso(since), iso(until), limit),
        )
        return [Question.of(r) for r in rows]
