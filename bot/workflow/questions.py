""""Was this you?": the person behind an alert is asked, in a direct message, whether they made
the change.

Asked from ``confirm_with_actor`` (medium) up, when the actor is a person iambot can name in Slack
(``people`` in iambot.toml, or the e-mail of an SSO session, looked up when the message is sent),
never for iambot's own calls or automation, once per person, credential and repeat window.

"Yes" records their reason and shows it on the alert; it lowers nothing: approvers still decide.
"No" raises the alert to at least high, tells the approvers, and asks for a quarantine of the
credential that was used through the same request path as a person's request (it still needs an
approval). Only the person asked may answer, once; every answer and refusal is audited.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.assess import Alert
from bot.catalog.model import SEVERITIES
from bot.events import Actor
from bot.store import Question, Store, dumps, now
from bot.store.questions import question_key
from bot.workflow import messages as m
from bot.workflow.authz import ActorRef, Authorizer, Refused

if TYPE_CHECKING:
    from bot.config.settings import Settings
    from bot.workflow.remediate import Remediations
    from bot.workflow.views import Views

log = logging.getLogger(__name__)
MAX_REASON = 300
RAISED_TO = "high"
SETTLE_GRACE = timedelta(minutes=2)  # longer than a quarantine's dry run takes, so the sweep never races one
# identities a person acts through; AWSService, AWSAccount and records without one are not people
PEOPLE = frozenset({"IAMUser", "AssumedRole", "FederatedUser", "Root", "IdentityCenterUser", "SAMLUser",
                    "WebIdentityUser"})  # fmt: skip


class Status(StrEnum):
    ASKED = "asked"
    YES = "yes"
    NO = "no"


def is_person(actor: Actor) -> bool:
    """A person's own call: a person's identity, not made by an AWS service on their behalf."""
    return actor.type in PEOPLE and not actor.invoked_by


def worth_asking(alert: Alert, settings: Settings) -> bool:
    """At or above ``confirm_with_actor``; never iambot's own calls, automation or AWS services."""
    floor = settings.confirm_with_actor
    if floor not in SEVERITIES or SEVERITIES.index(alert.severity) < SEVERITIES.index(floor):
        return False
    if alert.risk.is_self or any(f.name == "automation" for f in alert.risk.factors):
        return False
    return is_person(alert.event.actor)


def long_term_key(actor: Actor) -> str | None:
    """An IAM user's own access key (AKIA…); a session's temporary key (ASIA…) is not one."""
    key = actor.access_key_id or ""
    return key if actor.type == "IAMUser" and actor.user_name and key.startswith("AKIA") else None


def credential(actor: Actor) -> str:
    """What was used, for the once-per-window key: the access key, the role, else the identity."""
    key = long_term_key(actor)
    if key:
        return key
    if actor.type == "AssumedRole" and actor.role_name:
        return f"role:{actor.issuer_arn or actor.role_name}"
    return actor.arn or actor.name


def quarantine(actor: Actor) -> tuple[str, dict[str, str]] | None:
    """The remediation that stops the credential that was used: the IAM user's access key, or the
    role's sessions; None when there is none to stop (a console password, the root user)."""
    key = long_term_key(actor)
    if key and actor.user_name:
        return "deactivate-access-key", {"user_name": actor.user_name, "access_key_id": key}
    if actor.type == "AssumedRole" and actor.role_name:
        return "revoke-role-sessions", {"role_name": actor.role_name}
    return None


def clean_reason(text: str) -> str:
    """What the person typed, as data: control and bidi characters gone, spaces folded, clipped."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return " ".join(kept.split())[:MAX_REASON]


def bucket(at: datetime, settings: Settings) -> int:
    """The repeat window ``at`` falls in (a window of at least a minute)."""
    return int(at.timestamp()) // (max(1, settings.repeat_window_minutes) * 60)


class Questions:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        authz: Authorizer,
        views: Views,
        remediations: Remediations,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
    ):
        self.store, self.settings, self.authz, self.views = store, settings, authz, views
        self.remediations, self.clock, self.notify = remediations, clock, notify

    # ------------------------------------------------------------------ asking

    def ask(self, alert: Alert, at: datetime) -> str | None:
        """Inside intake's unit of work, for an alert being posted: record the question and queue its
        direct message, once per person, credential and window. No call to Slack here: an e-mail is
        looked up when the message is sent."""
        if not worth_asking(alert, self.settings):
            return None
        actor = alert.event.actor
        person = self.authz.listed_user(ActorRef.of(actor))
        if person is None and actor.email is None:
            return None
        used = credential(actor)
        qid = question_key(person or f"email:{actor.email}", used, bucket(alert.event.event_time, self.settings))
        if not self.store.questions.ask(qid, alert.event.key, person, actor.email, used, at):
            return None
        self.store.outbox.put(m.question_id(qid), m.Kind.QUESTION, qid, m.DIRECT, at=at)
        return qid

    # ------------------------------------------------------------------ answering

    def _refusal(self, question: Question | None, user: str) -> str | None:
        if question is None:
            return "iambot has no such question."
        if question.person != user:
            return f"This question was for <@{question.person or '?'}>: only they can answer it."
        if question.answered:
            return f"You already answered this question ({question.status})."
        return None

    def _answer(self, question_id: str, user: str, status: Status, reason: str | None, at: datetime) -> Question:
        """The compare-and-set and its audit; raises Refused (audited) for anyone else or a second answer."""
        question = self.store.questions.get(question_id)
        refusal = self._refusal(question, user)
        if refusal is None and not self.store.questions.answer(question_id, status, reason, at):
            refusal = "You already answered this question."  # another click, another replica, just now
        key = question.event_key if question else None
        if refusal is not None:
            self.store.audit.add("question", user, event_key=key, result="refused", detail=refusal, at=at)
            raise Refused(refusal)
        assert question is not None  # _refusal refuses a missing question
        self.store.audit.add("question", user, event_key=key, detail=f"{status}: {reason or ''}".strip(), at=at)
        self.store.outbox.touch(m.question_id(question.id), at=at)
        self.store.outbox.touch(m.alert_id(question.event_key), at=at)
        return question

    def reason_for(self, question_id: str, user: str) -> Question:
        """Before the reason dialog opens: refuse at once (audited) if this person may not answer."""
        question = self.store.questions.get(question_id)
        refusal = self._refusal(question, user)
        if refusal is not None:
            key = question.event_key if question else None
            self.store.audit.add("question", user, event_key=key, result="refused", detail=refusal, at=self.clock())
            raise Refused(refusal)
        assert question is not None
        return question

    def yes(self, question_id: str, user: str, reason: str) -> Question:
        """"Yes, it was me": the reason is shown on the alert; nothing is lowered or closed."""
        at = self.clock()
        text = clean_reason(reason)
        _refused: Refused | None = None
        with self.store.unit():
            try:
                self._answer(question_id, user, Status.YES, text, at)
            except Refused as exc:
                _refused = exc
        if _refused is not None:
            raise _refused
        self.notify()
        found = self.store.questions.get(question_id)
        assert found is not None
        return found

    def no(self, question_id: str, user: str) -> Question:
        """"No, this wasn't me": the alert is raised to at least high and the approvers are told; then
        a quarantine of the credential is asked for (planned against AWS, outside the unit of work)."""
        at = self.clock()
        _refused: Refused | None = None
        with self.store.unit():
            try:
                question = self._answer(question_id, user, Status.NO, None, at)
            except Refused as exc:
                _refused = exc
            else:
                self._raise(question, at)
        if _refused is not None:
            raise _refused
        self.notify()
        self._quarantine(question, user)
        found = self.store.questions.get(question_id)
        assert found is not None
        return found

    def settle(self, grace: timedelta = SETTLE_GRACE) -> int:
        """The scheduler's sweep: a "no" is committed before its quarantine is planned against AWS, so
        a crash in between leaves the answer without its request; ask for those now. A second ask
        of the same quarantine is refused as a duplicate, so two sweeps never open two."""
        pending = self.store.questions.unsettled(Status.NO, self.clock() - grace)
        for question in pending:
            self._quarantine(question, question.person or "")
        return len(pending)

    def _raise(self, question: Question, at: datetime) -> None:
        row = self.store.alerts.get(question.event_key)
        if row is not None and SEVERITIES.index(row.severity or "info") < SEVERITIES.index(RAISED_TO):
            self.store.alerts.raise_severity(question.event_key, RAISED_TO, at)
        posted = self.store.outbox.get(m.alert_id(question.event_key))
        if self.settings.approvals_channel:
            channel, thread = self.settings.approvals_channel, None
        elif posted is not None and posted.channel:
            channel, thread = posted.channel, posted.id
        else:
            channel, thread = self.settings.alert_channel or "", None
        data = self._pinged()
        self.store.outbox.put(m.disowned_id(question.id), m.Kind.DISOWNED, question.id, channel, data=data,
                              thread_of=thread, at=at)  # fmt: skip
        self.store.outbox.touch_kind(m.Kind.HOME, at=at)

    def _pinged(self) -> dict[str, list[str]]:
        """Who the "no" notice pings: approvers_to_notify when it is set, as for a request;
        otherwise every approver and approver group (nobody pinged would leave a "not me" unseen)."""
        s = self.settings
        chosen = s.approvers_to_notify
        approvers = [a for a in s.approvers if not chosen or a in chosen]
        groups = [g for g in s.approver_groups if not chosen or g in chosen]
        return {"approvers": approvers, "groups": groups}

    def _note(self, question: Question, why: str, at: datetime) -> None:
        """Why no quarantine was opened, on the approvers' notice (its data keeps who to ping)."""
        row = self.store.outbox.get(m.disowned_id(question.id))
        data = dict(row.data) if row is not None and isinstance(row.data, dict) else {}
        self.store.outbox.touch(m.disowned_id(question.id), data={**data, "quarantine": why[:500]}, at=at)

    def _quarantine(self, question: Question, user: str) -> None:
        """The quarantine request, requested on behalf of the person's answer; a refusal (not enabled,
        nothing to do, already asked) is audited and shown on the approvers' notice."""
        alert = self.views.alert(question.event_key)
        choice = quarantine(alert.event.actor) if alert is not None else None
        at, key = self.clock(), question.event_key
        if alert is None or choice is None:
            with self.store.unit():
                self.store.audit.add("quarantine", user, event_key=key, result="none",
                                     detail="no credential iambot can quarantine for this actor", at=at)  # fmt: skip
                self._note(question, "iambot has no quarantine for this kind of credential", at)
                self.store.questions.opened(question.id, "")
            self.notify()
            return
        remediation_id, params = choice
        e = alert.event
        actor = dumps(ActorRef.of(e.actor).as_dict())
        try:
            request = self.remediations.ask(remediation_id, params, user, event_key=key, account_id=e.account_id,
                                            actor=actor, on_behalf=True)  # fmt: skip
        except Refused as exc:
            with self.store.unit():
                self.store.audit.add("quarantine", user, event_key=key, remediation_id=remediation_id,
                                     result="refused", detail=str(exc), at=at)  # fmt: skip
                self._note(question, str(exc), at)
                self.store.questions.opened(question.id, "")
            self.notify()
            return
        with self.store.unit():
            self.store.questions.opened(question.id, request.id)
            self.store.audit.add("quarantine", user, request_id=request.id, event_key=key,
                                 remediation_id=remediation_id, detail=f"on behalf of {user}'s answer to {question.id}",
                                 at=at)  # fmt: skip
            self.store.outbox.touch(m.disowned_id(question.id), at=at)
            self.store.outbox.touch(m.question_id(question.id), at=at)  # the person sees it was asked for
        self.notify()


