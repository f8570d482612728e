"""``iambot db copy SOURCE TARGET``: an SQLite database, history and audit log included, into an
empty database (PostgreSQL, usually, when a team moves to replicas).

Both are migrated to this iambot's schema first. The target must hold no row at all: a copy never
merges. The source is read under its write lock, so it is one moment's snapshot (stop iambot
first: its writes would wait). Rows go across in the order they were written (SQLite's rowid),
so the audit log keeps its order, in batches, and all in one unit of work on the target, whose
row counts per table are checked against the source's before it commits: either every row
arrives or none does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.store.db import Database, StoreError

BATCH = 1000


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


def copy(
    source: Database, target: Database, batch: int = BATCH, progress: Callable[[str, int], None] | None = None
) -> list[Copied]:
    """Copy every row of ``source`` into the empty ``target``; the rows per table. Raises
    StoreError, naming why, when the target has data or the schemas differ."""
    if source.dialect != "sqlite":
        raise StoreError(f"{source.name}: db copy reads an SQLite database (the one IAMBOT_DB named before)")
    if source.name == target.name:
        raise StoreError(f"{source.name}: source and target are the same database")
    if source.version != target.version:
        raise StoreError(f"{source.name} is at schema version {source.version}, {target.name} at {target.version}")
    theirs, ours = source.tables(), target.tables()
    for table, columns in theirs.items():
        if table not in ours or set(columns) != set(ours[table]):
            raise StoreError(f"{target.name}: table {table} differs from {source.name}'s")
    copied: list[Copied] = []
    with target.transaction():
        target.lock("iambot db copy")  # two copies into one database at once: the second finds data
        full = [t for t in ours if target.one(f"SELECT 1 AS x FROM {t} LIMIT 1")]
        if full:
            raise StoreError(
                f"{target.name} already holds data (in {', '.join(full)}): db copy writes only into an empty database"
            )
        with source.transaction():
            for table, columns in theirs.items():
                rows = _table(source, target, table, columns, batch, progress)
                expected, arrived = _count(source, table), _count(target, table)
                if not rows == expected == arrived:
                    raise StoreError(
                        f"{table}: {expected} rows in {source.name}, {rows} read, {arrived} in {target.name};"
                        " nothing copied"
                    )
                copied.append(Copied(table, rows))
    return copied


def _table(
    source: Database,
    target: Database,
    table: str,
    columns: list[str],
    batch: int,
    progress: Callable[[str, int], None] | None,
) -> int:
    names = ", ".join(columns)
    last, count = -(1 << 63), 0
    while True:
        rows = source.query(
            f"SELECT rowid AS rowid_, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch)
        )
        if not rows:
            return count
        target.insert_many(table, columns, [tuple(row[c] for c in columns) for row in rows])
        last, count = rows[-1]["rowid_"], count + len(rows)
        if progress is not None:
            progress(table, count)


def _count(db: Database, table: str) -> int:
    row = db.one(f"SELECT COUNT(*) AS n FROM {table}")
    return int(row["n"]) if row else 0
