"""Approvers' TOTP devices (step-up for approvals): the secret as the workflow encrypted it, the
last time step accepted (a code is good once), and the wrong codes in a row with the lock they
lead to. The workflow reads and changes a device under ``db.lock`` inside one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Database, iso


@dataclass(frozen=True, slots=True)
class Device:
    user_id: str
    secret: str  # encrypted (Fernet): never the secret itself
    created_at: str
    confirmed_at: str | None  # the first code accepted
    last_step: int  # the TOTP time step of the last code accepted; 0 before any
    failures: int  # wrong codes since the last good one
    locked_until: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Device:
        return cls(
            row["user_id"],
            row["secret"],
            row["created_at"],
            row["confirmed_at"],
            int(row["last_step"] or 0),
            int(row["failures"] or 0),
            row["locked_until"],
        )


class MfaDevices:
    def __init__(self, db: Database):
        self.db = db

    def get(self, user_id: str) -> Device | None:
        row = self.db.one("SELECT * FROM mfa_devices WHERE user_id = ?", (user_id,))
        return Device.of(row) if row else None

    def enrol(self, user_id: str, secret: str, at: datetime) -> None:
        """A new device for ``user_id``, replacing any other (its codes stop working)."""
        self.db.execute("DELETE FROM mfa_devices WHERE user_id = ?", (user_id,))
        self.db.execute(
            "INSERT INTO mfa_devices (user_id, secret, created_at, last_step, failures) VALUES (?,?,?,0,0)",
            (user_id, secret, iso(at)),
        )

    def accepted(self, user_id: str, step: int, at: datetime) -> bool:
        """A good code at ``step``: True for exactly one caller, and only for a step later than any before."""
        return bool(
            self.db.execute(
                "UPDATE mfa_devices SET last_step = ?, failures = 0, locked_until = NULL,"
                " confirmed_at = COALESCE(confirmed_at, ?) WHERE user_id = ? AND last_step < ?",
                (step, iso(at), user_id, step),
            )
        )

    def failed(self, user_id: str, failures: int, locked_until: datetime | None) -> None:
        self.db.execute(
            "UPDATE mfa_devices SET failures = ?, locked_until = ? WHERE user_id = ?",
            (failures, iso(locked_until) if locked_until else None, user_id),
        )

    def remove(self, user_id: str) -> bool:
        return bool(self.db.execute("DELETE FROM mfa_devices WHERE user_id = ?", (user_id,)))
