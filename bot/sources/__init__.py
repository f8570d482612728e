"""Where identity events come from: an SQS queue fed by EventBridge (and S3 notifications),
CloudTrail LookupEvents, and CloudTrail log files (a folder or an S3 prefix). Each implements
:class:`~bot.sources.base.Source`; the runtime starts whichever the settings configure."""

from bot.sources.base import Deps, PollResult, Sink, Source, SourceType
from bot.sources.files import FilesSource
from bot.sources.lookup import LookupSource
from bot.sources.sqs import SqsSource

SOURCES: tuple[SourceType, ...] = (SqsSource, LookupSource, FilesSource)

__all__ = ["SOURCES", "Deps", "FilesSource", "LookupSource", "PollResult", "Sink", "Source", "SourceType", "SqsSource"]
