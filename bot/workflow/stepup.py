"""Step-up for approvals: a code from the approver's authenticator (TOTP, RFC 6238) before an
approval counts.

The threat it answers is a stolen Slack session: whoever holds an approver's cookie or token can
click Approve, and in-Slack approval would then delete keys for them. With step-up the click is
not enough; the code comes from a device Slack never sees. The seed is shown once, privately
(an ephemeral message Slack does not keep), and stored encrypted with IAMBOT_SECRET_KEY.

``step_up`` says which approvals need a code: ``destructive`` (irreversible remediations, the
default), ``all`` or ``off``. A code is accepted once (its time step must be later than the last
one accepted); five wrong codes in a row lock that approver's approvals for 15 minutes; every
attempt is audited, never with the code. Replacing a device needs a code from the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken

from bot.store import Store, iso, now, parse_iso
from bot.workflow.authz import Refused

if TYPE_CHECKING:
    from bot.config.settings import Settings

ISSUER = "iambot"
MAX_FAILURES = 5
LOCK = timedelta(minutes=15)
ENROL_HINT = "Enrol with `/iam mfa-enroll`: iambot sends you, privately, a code to add to your authenticator app."


class StepUpNeeded(Refused):
    """The approval needs a code (the Slack layer asks for it in a dialog)."""


def holds_a_code(text: str) -> bool:
    """A word of six digits: an authenticator's code typed where words go (a break-glass reason is
    audited and posted to the channel), which must be neither kept nor shown."""
    return any(len(w) == 6 and w.isascii() and w.isdigit() for w in (w.strip(".,;:!?()[]'\"") for w in text.split()))


CODE_IN_REASON = (
    "That reason holds a six-digit number, like a code from your authenticator: nothing was approved or kept. "
    "Give the code on its own, and say why in words."
)


@dataclass(frozen=True)
class Enrolment:
    uri: str  # otpauth://totp/…, what an authenticator app reads from the QR code
    secret: str  # the same seed, base32, for typing in by hand
    qr: str  # the QR code drawn with block characters, two modules a line


def qr_text(data: str) -> str:
    """``data`` as a QR code of Unicode half blocks: one character is one module wide and two tall,
    so the code keeps its shape in a monospace font, with a quiet zone of two modules."""
    rows = [[bool(m) for m in row] for row in segno.make(data, error="m", micro=False).matrix]
    width = len(rows[0]) + 4
    rows = [[False] * width] * 2 + [[False, False, *r, False, False] for r in rows] + [[False] * width] * 3
    glyph = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    return "\n".join("".join(glyph[(a, b)] for a, b in zip(top, bottom, strict=True)) for top, bottom in
                     zip(rows[::2], rows[1::2], strict=False))  # fmt: skip


class StepUp:
    def __init__(self, store: Store, settings: Settings, clock: Callable[[], datetime] = now):
        self.store, self.settings, self.clock = store, settings, clock

    def required(self, destructive: bool) -> bool:
        return self.settings.step_up == "all" or (self.settings.step_up == "destructive" and destructive)

    def enrolled(self, user: str) -> bool:
        return self.store.mfa.get(user) is not None

    def _cipher(self) -> Fernet:
        key = self.settings.secret_key
        if key is None:
            raise Refused('Step-up is on but IAMBOT_SECRET_KEY is not set: ask an admin (`iambot secret-key`).')
        return Fernet(key.get_secret_value().encode())

    def enrol(self, user: str, code: str = "") -> Enrolment:
        """A new device for ``user``; replacing one needs a good code from it (a stolen session cannot
        swap the approver's device for its own)."""
        at = self.clock()
        cipher = self._cipher()
        if self.store.mfa.get(user) is not None:
            if not code:
                self.store.audit.add("mfa-enroll", user, result="refused", detail="device exists, no code", at=at)
                raise Refused("You have a device already. To replace it: `/iam mfa-enroll <code from it>`.")
            self.verify(user, code)
        secret = pyotp.random_base32()
        with self.store.unit():
            self.store.mfa.enrol(user, cipher.encrypt(secret.encode()).decode(), at)
            self.store.audit.add("mfa-enroll", user, detail="TOTP device enrolled", at=at)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user, issuer_name=ISSUER)
        return Enrolment(uri, secret, qr_text(uri))

    def verify(self, user: str, code: str, request_id: str | None = None) -> None:
        """Accept ``code`` once for ``user`` or raise Refused; every attempt is audited."""
        at = self.clock()
        code = code.strip().replace(" ", "")
        refusal: str | None = None
        with self.store.unit():
            self.store.db.lock(f"mfa:{user}")
            device = self.store.mfa.get(user)
            if device is None:
                refusal = f"This approval needs a code from your authenticator, and you have none. {ENROL_HINT}"
            elif device.locked_until and parse_iso(device.locked_until) > at:
                refusal = f"Too many wrong codes: your approvals are locked until {device.locked_until}."
            else:
                step = self._step(device.secret, code, at)
                if step is not None and self.store.mfa.accepted(user, step, at):
                    self.store.audit.add("step-up", user, request_id=request_id, detail="code accepted", at=at)
                    return
                failures = device.failures + 1
                locked = at + LOCK if failures >= MAX_FAILURES else None
                self.store.mfa.failed(user, 0 if locked else failures, locked)
                refusal = (
                    f"{MAX_FAILURES} wrong codes: your approvals are locked until {iso(locked)}."
                    if locked
                    else "That code was already used." if step is not None
                    else f"Wrong code ({failures} of {MAX_FAILURES} before a {LOCK.seconds // 60}-minute lock)."
                )  # fmt: skip
            self.store.audit.add("step-up", user, request_id=request_id, result="refused", detail=refusal, at=at)
        raise Refused(refusal)

    def _step(self, encrypted: str, code: str, at: datetime) -> int | None:
        """The time step ``code`` is good for (this one, or one either side for clock drift)."""
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return None
        try:
            secret = self._cipher().decrypt(encrypted.encode()).decode()
        except InvalidToken:
            raise Refused("Your device cannot be read with this IAMBOT_SECRET_KEY: enrol again.") from None
        totp = pyotp.TOTP(secret)
        now_step = int(at.timestamp()) // totp.interval
        for step in (now_step, now_step - 1, now_step + 1):
            if totp.at(step * totp.interval) == code:
                return step
        return None
