"""Decompression of CloudTrail's .json.gz files, with the fastest kept library available, and a
ceiling on what comes out.

python-isal's igzip is several times faster than zlib on CloudTrail logs (see ``make bench``);
where its wheel is missing, the standard library does the same work more slowly. Both are driven
through the same zlib interface, with a bound on the output: a few kilobytes of gzip can expand
to gigabytes (a "gzip bomb"), which must end in a refusal, not in a process killed for memory.
"""

from __future__ import annotations

import zlib
from typing import Any

from bot.events import model
from bot.events.model import UnreadableInput, size_text

try:  # pragma: no cover - which branch runs depends on the platform's wheels
    from isal import isal_zlib

    _zlib: Any = isal_zlib
except ImportError:  # pragma: no cover
    _zlib = zlib

FAST = _zlib is not zlib
_GZIP = 31  # wbits: a gzip header and trailer


def gunzip(data: bytes, where: str, limit: int | None = None) -> bytes:
    """The decompressed bytes (every member), or UnreadableInput naming the file: corrupt,
    truncated, or more than ``limit`` bytes (default MAX_INPUT_BYTES) once decompressed."""
    limit = model.MAX_INPUT_BYTES if limit is None else limit
    members: list[bytes] = []
    total = 0
    rest = data
    try:
        while True:
            inflater = _zlib.decompressobj(wbits=_GZIP)
            out = inflater.decompress(rest, limit - total + 1)
            total += len(out)
            if total > limit or inflater.unconsumed_tail:
                raise UnreadableInput(f"{where}: more than {size_text(limit)} once decompressed; not read")
            if not inflater.eof:
                raise UnreadableInput(f"{where}: not a valid gzip file (it ends before the end of its data)")
            members.append(out)
            rest = inflater.unused_data.lstrip(b"\x00")  # GzipFile skips the zero padding between members
            if not rest:
                break
    except (zlib.error, getattr(_zlib, "error", zlib.error), ValueError) as exc:
        raise UnreadableInput(f"{where}: not a valid gzip file ({exc})") from exc
    return members[0] if len(members) == 1 else b"".join(members)
