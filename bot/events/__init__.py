"""Identity events: the normalized :class:`IamEvent` and the readers for every input shape."""

from bot.events.model import (
    MAX_INPUT_BYTES,
    Actor,
    IamEvent,
    JsonObject,
    ReadStats,
    RecordError,
    Rejected,
    UnreadableInput,
)
from bot.events.normalize import normalize, parse_time, record_id
from bot.events.readers import (
    Selection,
    decode_bytes,
    events_from_bytes,
    excerpt,
    is_digest,
    is_root,
    iter_files,
    location,
    read_bytes,
    read_file,
    records_from_document,
)

__all__ = [
    "MAX_INPUT_BYTES",
    "Actor",
    "IamEvent",
    "JsonObject",
    "ReadStats",
    "RecordError",
    "Rejected",
    "Selection",
    "UnreadableInput",
    "decode_bytes",
    "events_from_bytes",
    "excerpt",
    "is_digest",
    "is_root",
    "iter_files",
    "location",
    "normalize",
    "parse_time",
    "read_bytes",
    "read_file",
    "record_id",
    "records_from_document",
]
