"""Wiring: everything `iambot run`, `ingest`, the demo and the tests need, built from settings.

This is the one place that knows every layer: it builds the store, the Slack client and
poster, the workflow, the Bolt app (registering the listeners from ``handlers/``), the sources
configured and the scheduler. Nothing else imports ``handlers``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.canary import tagger
from bot.catalog import load as load_catalog
from bot.config.settings import ConfigError, Settings
from bot.runtime.background import Background, PosterLoop, SourceLoop
from bot.runtime.health import Health
from bot.runtime.replicas import Turn, replica_name
from bot.runtime.scheduler import build_scheduler
from bot.slack.app import App, create_app
from bot.slack.client import web_client
from bot.slack.directory import SlackDirectory
from bot.slack.outbox import Poster
from bot.slack.render import Renderer
from bot.sources import SOURCES, Deps
from bot.store import Store, now
from bot.workflow import Workflow
from remediations.aws import Aws

log = logging.getLogger(__name__)
# the poster's turn: renewed as it posts (a write every 15 s at most) and at every flush (at least
# every 15 s); a poster killed without handing over is replaced within this. A replica restarted
# under the same IAMBOT_REPLICA name takes its turn back at once. Each message's own lease sends
# it once whatever happens to the turn.
POSTER_TERM = timedelta(seconds=45)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    aws: Aws
    client: Any
    workflow: Workflow
    poster: Poster
    background: Background = field(default_factory=Background)
    app: App | None = None
    executor: ThreadPoolExecutor | None = None  # where the Bolt app's lazy listeners run
    running: bool = False
    posting: bool = True  # False: queue only (`iambot ingest` posts once, at the end)
    sleeps: list[float] = field(default_factory=list)
    replica: str = field(default_factory=replica_name)
    turns: dict[str, Turn] = field(default_factory=dict)

    def notify(self) -> None:
        """Something new is in the outbox: the poster thread sends it, or (no thread) now.
        Without a bot token nothing is sent: the outbox keeps it for `iambot run`."""
        if self.running:
            self.background.notify()
        elif self.posting and self.client.token is not None:
            self.poster.flush()

    @property
    def health(self) -> Health:
        return Health(
            self.store, self.background, self.poster, metrics_on=self.settings.metrics, canary=self.workflow.canary
        )

    def learn_own_principal(self) -> str | None:
        """Ask STS who iambot is, so its own calls coming back through CloudTrail are recognized
        (an assumed role is matched on any session of that role)."""
        try:
            arn = self.aws.caller_arn()
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not ask sts get-caller-identity: %s", exc)
            self.workflow.canary.use_principal(None)
            return None
        self.workflow.canary.use_principal(arn)  # the canary tags the role iambot runs as
        parts = arn.split("/")
        glob = "/".join(parts[:2]) + "/*" if ":assumed-role/" in arn and len(parts) >= 3 else arn
        self.workflow.intake.add_self_arn(glob)
        return glob

    def start_background(self) -> Background:
        """The sources configured, the poster and the scheduled jobs, running."""
        bg = self.background
        deps = Deps(self.aws, self.workflow.intake, self.store, load_catalog().selection())
        sources = [s for cls in SOURCES if (s := cls.from_settings(self.settings, deps))]
        bg.sources = [SourceLoop(s, bg.stop, turn=self._turn(s) if s.exclusive else None) for s in sources]
        posting = self.turns.setdefault("poster", Turn(self.store, "poster", self.replica, POSTER_TERM))
        bg.poster = PosterLoop(lambda: posting() and self.poster.flush(keep=posting), bg.stop)
        bg.scheduler = build_scheduler(self.workflow, self.aws, bg.notify, self.replica)
        self.store.outbox.release_leases(self.replica)  # claims of this replica's previous life: resume at once
        self.workflow.intake.reroute()
        self.running = True
        bg.start()
        log.info(
            "background started",
            extra={
                "sources": [loop.source.name for loop in bg.sources],
                "jobs": [j.id for j in bg.scheduler.get_jobs()],
            },
        )
        return bg

    def _turn(self, source: Any) -> Turn:
        term = timedelta(seconds=max(60.0, 3 * source.interval))
        return self.turns.setdefault(source.name, Turn(self.store, f"source:{source.name}", self.replica, term))

    def stop(self, timeout: float = 3.0) -> None:
        self.background.shutdown(timeout)
        for turn in self.turns.values():
            turn.release()  # another replica takes the work over now, not when the lease runs out
        self.running = False

    def close(self, wait: bool = True) -> None:
        """Stop everything; with ``wait``, let the clicks being handled finish first."""
        if self.running:
            self.stop(1.0)
        if self.executor is not None:
            self.executor.shutdown(wait=wait, cancel_futures=not wait)
        self.store.close()


def build(
    settings: Settings,
    *,
    slack_app: bool = False,
    socket_mode: bool = False,
    aws: Aws | None = None,
    client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = now,
    verify_token: bool = True,
    post_now: bool = True,
) -> Runtime:
    """Everything, from settings. Raises StoreError (the database) and ConfigError (the settings)."""
    store = Store(settings.db, busy_seconds=settings.db_busy_seconds, migrate=settings.db_migrate)
    aws = aws or Aws.from_settings(settings)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = client or web_client(token, settings.slack_api_url, sleep=sleep)
    holder: dict[str, Runtime] = {}
    directory = SlackDirectory(client)
    workflow = Workflow.build(settings, store, aws, directory, clock, lambda: holder["rt"].notify())
    workflow.canary.tag = tagger(aws)
    replica = replica_name()
    renderer = Renderer(workflow.views, workflow.homes, directory)
    poster = Poster(
        store, client, renderer, clock=clock, interval=settings.channel_interval_seconds, sleep=sleep,
        holder=replica, home=renderer.home, chart=renderer.chart, recipient=renderer.recipient,
    )
    runtime = Runtime(settings, store, aws, client, workflow, poster, posting=post_now, replica=replica)
    holder["rt"] = runtime
    if slack_app:
        from handlers import register_all

        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        runtime.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="iambot-lazy")
        try:
            runtime.app = create_app(
                client, secret, socket_mode=socket_mode, executor=runtime.executor, verify_token=verify_token
            )
        except ValueError as exc:
            store.close()
            raise ConfigError(str(exc)) from exc
        register_all(runtime.app, workflow)
    return runtime
