"""The use cases, with no Slack and no Bolt: intake (noise control included), requests and
approvals, dismissals, suppressions and the digest. Each takes the store and settings; none
posts anything itself: it records what Slack should show in the outbox and says so (notify).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.assess import Assessor
from bot.store import Store, now
from bot.workflow.alerts import Alerts
from bot.workflow.authz import Act, ActorRef, Authorizer, Directory, NoDirectory, Refused
from bot.workflow.canary import Canary
from bot.workflow.digest import Digest, Digests
from bot.workflow.home import Homes, HomeView
from bot.workflow.intake import Intake, IntakeResult, Taken
from bot.workflow.questions import Questions
from bot.workflow.remediate import Remediations
from bot.workflow.reports import Reports
from bot.workflow.suppressions import Suppressions
from bot.workflow.views import AlertView, RequestView, Views

if TYPE_CHECKING:
    from bot.config.settings import Settings


@dataclass(frozen=True)
class Workflow:
    """The use cases, wired to one store and settings."""

    settings: Settings
    store: Store
    authz: Authorizer
    intake: Intake
    views: Views
    alerts: Alerts
    remediations: Remediations
    suppressions: Suppressions
    digests: Digests
    homes: Homes
    canary: Canary
    questions: Questions
    reports: Reports

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        aws: Any,
        directory: Directory | None = None,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
        assessor: Assessor | None = None,
    ) -> Workflow:
        authz = Authorizer(settings, directory or NoDirectory())
        canary = Canary(store, settings, clock, notify)
        intake = Intake(store, settings, assessor, clock, notify, canary)
        views = Views(
            store,
            lambda: intake.assessor,
            set(settings.enabled_remediations()),
            settings.account_names,
            settings.undo_hours,
            settings.account_notes,
            tuple(settings.approvers_to_notify),
        )
        remediations = Remediations(store, settings, aws, authz, views, clock, notify)
        questions = Questions(store, settings, authz, views, remediations, clock, notify)
        intake.ask = questions.ask  # "Was this you?", in the unit of work that queues the alert
        return cls(
            settings=settings,
            store=store,
            authz=authz,
            intake=intake,
            views=views,
            alerts=Alerts(store, authz, views, clock, notify),
            remediations=remediations,
            suppressions=Suppressions(store, authz, clock, settings.alert_channel, notify),
            digests=Digests(store, settings, authz, clock, notify),
            homes=Homes(store, authz, clock, notify, settings.account_notes),
            canary=canary,
            questions=questions,
            reports=Reports(store, authz, aws, views),
        )


__all__ = [
    "Act",
    "ActorRef",
    "AlertView",
    "Authorizer",
    "Digest",
    "Directory",
    "HomeView",
    "IntakeResult",
    "NoDirectory",
    "Refused",
    "RequestView",
    "Taken",
    "Workflow",
]
