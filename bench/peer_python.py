"""A peer: the bare Python filter anyone would write, zlib and orjson, on two processes.

Usage: python bench/peer_python.py FILELIST SELECTION_JSON > out.jsonl
(FILELIST: NUL-separated paths; SELECTION_JSON: {"sources": [...], "named": {source: [names]}})
"""

from __future__ import annotations

import json
import sys
import zlib
from multiprocessing import Pool

import orjson

SOURCES: frozenset[str] = frozenset()
NAMED: dict[str, frozenset[str]] = {}


def _init(selection: str) -> None:
    global SOURCES, NAMED
    data = json.loads(selection)
    SOURCES = frozenset(data["sources"])
    NAMED = {k: frozenset(v) for k, v in data["named"].items()}


def one(path: str) -> bytes:
    with open(path, "rb") as f:
        doc = orjson.loads(zlib.decompress(f.read(), 31))
    out = []
    for r in doc["Records"]:
        source = r.get("eventSource")
        if source in SOURCES or (source in NAMED and r.get("eventName") in NAMED[source]):
            out.append(orjson.dumps(r))
    return b"".join(line + b"\n" for line in out)


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as listing:
        files = [p for p in listing.read().decode().split("\0") if p]
    with Pool(2, initializer=_init, initargs=(sys.argv[2],)) as pool:
        for chunk in pool.imap(one, files, chunksize=4):
            sys.stdout.buffer.write(chunk)
