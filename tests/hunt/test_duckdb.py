"""The hunt's Athena query, run by DuckDB over a table of the fixture records laid out as Athena's
CloudTrail table (the docs' columns and structs, the projected ``timestamp`` partition), selects
the same identity events as `iambot triage` reads from the same records as files — where the two
dialects agree: DuckDB has no ``json_format``, so a macro stands for it (``CAST(… AS JSON)`` is
DuckDB's own)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import load as load_catalog
from bot.events import IamEvent, ReadStats, events_from_bytes
from bot.hunt.athena import record_of
from bot.hunt.query import filters, hunted, matches, window
from bot.hunt.sql import Layout, athena_sql
from tests.support.athena import athena_record
from tests.support.records import all_record_files

duckdb = pytest.importorskip("duckdb")

SELECTION = load_catalog().selection()
NOW = datetime(2026, 12, 7, tzinfo=UTC)
IDENTITY = (
    "STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR, "
    "accesskeyid VARCHAR, username VARCHAR, onbehalfof STRUCT(userid VARCHAR, identitystorearn VARCHAR), "
    "sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR), "
    "sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, username VARCHAR), "
    "ec2roledelivery VARCHAR, webidfederationdata STRUCT(federatedprovider VARCHAR, "
    "attributes MAP(VARCHAR, VARCHAR))))"
)
TEXT = ["eventversion", "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress", "useragent",
        "errorcode", "errormessage", "requestparameters", "responseelements", "additionaleventdata", "requestid",
        "eventid", "readonly", "eventtype", "apiversion", "recipientaccountid", "serviceeventdetails",
        "sharedeventid", "vpcendpointid", "vpcendpointaccountid", "eventcategory",
        "sessioncredentialfromconsole"]  # fmt: skip


def loadable(record: Any) -> bool:
    """Records whose fields have the types of Athena's table (a fixture with a string where the
    table has a struct would not be in an Athena table as it is either)."""
    if not isinstance(record, dict) or not isinstance(record.get("eventTime"), str):
        return False
    ui = record.get("userIdentity")
    return ui is None or isinstance(ui, dict)


def records() -> list[dict[str, Any]]:
    found = []
    for path in all_record_files():
        doc = json.loads(path.read_text())
        found += [r for r in (doc if isinstance(doc, list) else [doc]) if loadable(r)]
    s3 = {
        "eventName": "PutObject",
        "eventSource": "s3.amazonaws.com",
        "eventTime": "2025-01-01T00:00:00Z",
        "eventID": "s3-put-1",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/x"},
    }
    sts = {**s3, "eventName": "AssumeRole", "eventSource": "sts.amazonaws.com", "eventID": "sts-assume-1"}
    # an id for each (a record without one is known by a hash of its text, which Athena's nulls change)
    found = [{**r, "eventID": r.get("eventID") or f"fixture-{i}"} for i, r in enumerate(found)]
    return [*found, s3, sts]


def text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> tuple[Any, list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("duck")
    rows = []
    kept = records()
    for r in kept:
        lower = athena_record(r)
        row = {c: text(lower.get(c)) for c in TEXT}
        row["useridentity"] = lower.get("useridentity")
        row["timestamp"] = r["eventTime"][:10].replace("-", "/")
        rows.append(row)
    lines = folder / "rows.jsonl"
    lines.write_text("\n".join(json.dumps(row) for row in rows))
    db = duckdb.connect()
    db.execute("CREATE SCHEMA cloudtrail")
    db.execute("CREATE MACRO json_format(x) AS CAST(x AS VARCHAR)")
    columns = {c: "VARCHAR" for c in TEXT} | {"useridentity": IDENTITY, "timestamp": "VARCHAR"}
    spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
    source = f"read_json('{lines}', columns={spec}, format='newline_delimited')"
    db.execute(f"CREATE TABLE cloudtrail.org_trail AS SELECT * FROM {source}")
    assert db.execute("SELECT COUNT(*) FROM cloudtrail.org_trail").fetchone()[0] == len(kept)
    return db, kept


LAYOUT = Layout(columns={c: False for c in TEXT} | {"useridentity": True})


def hunt(db: Any, **kw: Any) -> set[str]:
    sql = athena_sql(
        ("cloudtrail", "org_trail"), LAYOUT, SELECTION, filters(**kw), window(None, "2013-01-01", None, NOW)
    )
    cursor = db.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = ({n: text(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall())
    found = hunted((record_of(r) for r in rows), "duckdb", SELECTION, filters(**kw), ReadStats())
    return {e.key for e in found if isinstance(e, IamEvent)}


def triage(records: list[dict[str, Any]], folder: Path, **kw: Any) -> set[str]:
    data = json.dumps({"Records": records}).encode()
    f = filters(**kw)
    found = events_from_bytes(data, "triage", ReadStats(), SELECTION)
    return {e.key for e in found if isinstance(e, IamEvent) and matches(e, f)}


def test_the_query_selects_what_triage_selects(table, tmp_path):
    db, kept = table
    hunted_keys = hunt(db)
    assert hunted_keys == triage(kept, tmp_path)
    assert len(hunted_keys) > 50  # the fixtures' identity events, not an empty agreement


@pytest.mark.parametrize(
    "kw",
    [
        {"events": ("CreateUser", "ConsoleLogin")},
        {"actor": "arn:aws:iam::*:user/*"},
        {"actor": "arn:aws:sts::*:assumed-role/*"},
        {"source_ip": "1.2.3.0/24"},
    ],
)
def test_the_filters_select_what_triage_then_filters(table, tmp_path, kw):
    db, kept = table
    assert hunt(db, **kw) == triage(kept, tmp_path, **kw)


def test_the_query_does_not_return_what_the_selection_leaves(table):
    db, _ = table
    sql = athena_sql(("cloudtrail", "org_trail"), LAYOUT, SELECTION, filters(), window(None, "2013-01-01", None, NOW))
    ids = {row[0] for row in db.execute(f"SELECT eventid FROM ({sql})").fetchall()}
    assert "s3-put-1" not in ids and "sts-assume-1" not in ids  # other services; STS's routine AssumeRole
