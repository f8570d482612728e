"""The Source protocol: where identity events come from.

Each source is built from settings (``from_settings`` returns None when it is not configured),
says which AWS permissions it needs, and does one unit of work per ``poll``: receive, hand the
events to the sink (which commits them), and only then acknowledge (delete a queue message,
move a cursor, mark a file read). The runtime runs every configured source in a loop that
survives failures, restarts with backoff, and reports each source's last success to /healthz.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.events import IamEvent, Rejected, Selection
from bot.store import Store

if TYPE_CHECKING:
    from bot.config.settings import Settings


class Sink(Protocol):
    """Where sources put events: stored once, decided, queued for Slack, in one unit of work."""

    def take(self, events: Iterable[IamEvent], source: str = "") -> Any: ...


@dataclass
class PollResult:
    received: int = 0  # messages, pages or files
    events: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deps:
    """What a source may use: AWS clients, the sink, the store (cursors, rejections), and which
    records are identity events."""

    aws: Any
    sink: Sink
    store: Store
    selection: Selection


Statement = dict[str, Any]


class Source(Protocol):
    name: str
    interval: float  # seconds between polls; 0 when the poll itself waits (SQS long polling)
    stale_after: float  # /healthz: no successful poll for this long means the source is unhealthy
    # True where one replica at a time polls (LookupEvents, a watched prefix: two would read the
    # same pages twice); False where the source itself shares the work out (an SQS queue)
    exclusive: ClassVar[bool]

    def poll(self, stop: threading.Event) -> PollResult:
        """One unit of work. Raises on failure; the runner logs it and tries again with backoff."""
        ...


class SourceType(Protocol):
    """A source's class: built from settings (None when not configured), and its permissions."""

    def from_settings(self, settings: Settings, deps: Deps) -> Source | None: ...

    def permissions(self, settings: Settings) -> list[Statement]: ...


def store_rejections(store: Store, items: list[Rejected], source: str, body: str | None = None) -> None:
    if items:
        with store.unit():
            store.rejected.add(items, source=source, body=body)


Check = Callable[[], bool]
