"""``iambot db``: the database's schema (``migrate``), and moving from SQLite (``copy``)."""

from __future__ import annotations

import time

import click

from bot.cli.common import explained, fail, settings_or_fail


@click.group()
def db() -> None:
    """The database: migrate its schema, or copy an SQLite database into PostgreSQL."""


@db.command()
@click.argument("url", required=False)
def migrate(url: str | None) -> None:
    """Bring the database (URL, or IAMBOT_DB) to this iambot's schema, for a release step.

    Replicas starting together take turns under a lock; a database newer than this iambot is
    refused by name. `iambot run` does the same on start unless IAMBOT_DB_MIGRATE=false."""
    from bot.store import open_database

    target = url or settings_or_fail().db
    with explained():
        database = open_database(target)
        try:
            click.echo(f"{database.name}: schema version {database.version}, this iambot's")
        finally:
            database.close()


@db.command("copy")
@click.argument("source")
@click.argument("target")
def copy_cmd(source: str, target: str) -> None:
    """Copy the SQLite database SOURCE (a path or sqlite:///path) into the empty database TARGET
    (postgresql://user@host:5432/db, usually): every table, the audit log in its order, row
    counts checked per table, all or nothing. Stop iambot first."""
    from bot.store import open_database, redact
    from bot.store.copy import copy
    from bot.store.url import kind

    with explained():
        if kind(source) != "sqlite":
            fail(f"{redact(source)}: the source is an SQLite database (a path or sqlite:///path)")
        if kind(source) == kind(target) == "sqlite" and _same_file(source, target):
            fail("source and target are the same file")
        if not _exists(source):
            fail(f"{source}: no such file (the SQLite database to copy)")
        started = time.monotonic()
        reader = open_database(source)
        try:
            writer = open_database(target)
            try:
                copied = copy(reader, writer)
            finally:
                writer.close()
        finally:
            reader.close()
    width = max(len(c.table) for c in copied)
    for c in copied:
        click.echo(f"  {c.table:<{width}}  {c.rows:>9,} rows")
    total = sum(c.rows for c in copied)
    click.echo(
        f"{redact(target)}: {total:,} rows in {len(copied)} tables, counts checked ({time.monotonic() - started:.1f} s)"
    )


def _path(url: str) -> str:
    from bot.store.url import sqlite_path

    return sqlite_path(url)


def _exists(url: str) -> bool:
    from pathlib import Path

    path = _path(url)
    return path != ":memory:" and Path(path).is_file()


def _same_file(a: str, b: str) -> bool:
    from pathlib import Path

    return Path(_path(a)).resolve() == Path(_path(b)).resolve()
