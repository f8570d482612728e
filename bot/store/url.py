"""``IAMBOT_DB``: which database, and how to name it without its password.

A path (``iambot.db``, ``/data/iambot.db``), ``sqlite:///relative.db`` or ``sqlite:////abs.db``,
``:memory:``, or ``postgresql://user:password@host:5432/db?sslmode=require`` (``postgres://``
too). Anything else with a ``scheme://`` is refused by name rather than taken for a folder.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.store.db import Database, StoreError

POSTGRES = ("postgresql", "postgres")


def kind(url: str | Path) -> str:
    """``sqlite`` or ``postgresql``; StoreError for a URL of any other scheme."""
    text = str(url)
    if "://" not in text:
        return "sqlite"
    scheme = text.split("://", 1)[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in POSTGRES:
        return "postgresql"
    raise StoreError(
        f"IAMBOT_DB: {scheme}:// is not a database iambot speaks; use a path, sqlite:///path or postgresql://…"
    )


def sqlite_path(url: str | Path) -> str:
    """The file of a SQLite URL (``sqlite:///x.db`` → ``x.db``, ``sqlite:////data/x.db`` → ``/data/x.db``)."""
    text = str(url)
    if "://" not in text:
        return text
    rest = text.split("://", 1)[1]
    if not rest.startswith("/") or rest == "/":
        raise StoreError("IAMBOT_DB: write a SQLite URL as sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return rest[1:] or ":memory:"


def redact(url: str | Path) -> str:
    """The URL with its password (and any password= parameter) replaced by ***."""
    text = str(url)
    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                userinfo = userinfo.split(":", 1)[0] + ":***"
            netloc = f"{userinfo}@{host}"
        query = "&".join(
            "password=***" if pair.lower().startswith("password=") else pair for pair in parts.query.split("&")
        ) if parts.query else ""
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return text.split("://", 1)[0] + "://***"


def open_database(url: str | Path, busy_seconds: float = 5.0, migrate: bool = True) -> Database:
    """The backend ``url`` names, migrated (unless ``migrate`` is False)."""
    if kind(url) == "postgresql":
        from bot.store.postgres import PostgresDatabase

        return PostgresDatabase(str(url), redact(url), busy_seconds=busy_seconds, migrate=migrate)
    from bot.store.sqlite import SqliteDatabase

    return SqliteDatabase(sqlite_path(url), busy_seconds=busy_seconds, migrate=migrate)
