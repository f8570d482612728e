"""Decompression of CloudTrail's .json.gz files, with the fastest kept library available.

python-isal's igzip is several times faster than zlib on CloudTrail logs (see ``make bench``);
where its wheel is missing, the standard library does the same work more slowly.
"""

from __future__ import annotations

import gzip
import zlib

from bot.events.model import UnreadableInput

try:  # pragma: no cover - which branch runs depends on the platform's wheels
    from isal import igzip as _fast

    _ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, ValueError)
    _decompress = _fast.decompress
except ImportError:  # pragma: no cover
    _ERRORS = (OSError, EOFError, zlib.error)
    _decompress = gzip.decompress

FAST = _decompress is not gzip.decompress


def gunzip(data: bytes, where: str) -> bytes:
    """The decompressed bytes (all members), or UnreadableInput naming the file."""
    try:
        result: bytes = _decompress(data)
        return result
    except _ERRORS as exc:
        raise UnreadableInput(f"{where}: not a valid gzip file ({exc})") from exc
