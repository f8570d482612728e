"""A peer: DuckDB's read_json_auto over the same files, the same filter, on two threads.

Usage: python bench/peer_duckdb.py FOLDER SELECTION_JSON OUT.jsonl
"""

from __future__ import annotations

import json
import sys

import duckdb


def quoted(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


if __name__ == "__main__":
    folder, selection, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    named = " OR ".join(
        f"(r.eventSource = '{source}' AND r.eventName IN ({quoted(names)}))"
        for source, names in selection["named"].items()
    )
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(
        f"""COPY (
            SELECT r.* FROM (SELECT unnest(Records) AS r FROM read_json_auto('{folder}/**/*.json.gz'))
            WHERE r.eventSource IN ({quoted(selection["sources"])}) OR {named or "false"}
        ) TO '{out}' (FORMAT JSON)"""
    )
