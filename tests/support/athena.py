"""Records as Athena's CloudTrail table holds them (the Athena user guide's DDL): every column and
struct field in lower case, ``requestparameters``/``responseelements``/``additionaleventdata``/
``serviceeventdetails`` as JSON text, the maps (``webidfederationdata.attributes``) as they are."""

from __future__ import annotations

import json
from typing import Any

_TEXT = {"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"}


def _lowered(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in keep:  # a map<string,string>: its keys are data
            out[key.lower()] = item
        elif key == "webIdFederationData" and isinstance(item, dict):
            out[key.lower()] = _lowered(item, frozenset({"attributes"}))
        else:
            out[key.lower()] = _lowered(item)
    return out


def athena_record(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as a row of Athena's CloudTrail table, with structs as JSON objects."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in _TEXT:
            out[key.lower()] = None if value is None else json.dumps(value)
        elif key == "resources" and isinstance(value, list):
            out[key.lower()] = [_lowered(r) for r in value]
        else:
            out[key.lower()] = _lowered(value)
    return out


STRUCTS = ("useridentity", "resources", "tlsdetails", "addendum")


def athena_row(record: dict[str, Any], columns: list[str]) -> list[str | None]:
    """``record`` as one row of the hunt's result: each column's text (structs as the JSON text
    ``json_format(CAST(… AS JSON))`` gives), None for SQL NULL."""
    lower = athena_record(record)
    out: list[str | None] = []
    for column in columns:
        value = lower.get(column)
        if value is None:
            out.append(None)
        elif column in STRUCTS or isinstance(value, dict | list):
            out.append(json.dumps(value, separators=(",", ":")))
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        else:
            out.append(str(value))
    return out


def result_set(columns: list[str], rows: list[list[str | None]]) -> dict[str, Any]:
    """One canned result for moto's Athena (its /moto-api/static/athena/query-results), with the
    header row Athena puts first."""

    def data(values: list[str | None]) -> dict[str, Any]:
        return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}

    return {
        "rows": [data(list(columns)), *(data(r) for r in rows)],
        "column_info": [
            {"CatalogName": "hive", "SchemaName": "cloudtrail", "TableName": "org_trail", "Name": c, "Label": c,
             "Type": "varchar", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": True}
            for c in columns
        ],
    }  # fmt: skip


def queue_results(*results: dict[str, Any], account: str = "123456789012", region: str = "us-east-1") -> None:
    """Queue result sets for the next queries moto's Athena runs (inside mock_aws)."""
    import requests

    answer = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={"account_id": account, "region": region, "results": list(results)},
        timeout=5,
    )
    assert answer.status_code == 201, answer.text


def glue_table(glue: Any, database: str = "cloudtrail", name: str = "org_trail", partitions: str = "timestamp") -> None:
    """Athena's CloudTrail table in moto's Glue, as the docs' DDL creates it (the columns the hunt
    reads), with the docs' date projection, year/month/day partitions, or none."""
    from bot.hunt.sql import DOCS_COLUMNS

    columns = [
        {"Name": c, "Type": "struct<type:string,arn:string>" if struct else "string"}
        for c, struct in DOCS_COLUMNS.items()
    ]
    params: dict[str, str] = {}
    keys: list[dict[str, str]] = []
    if partitions == "timestamp":
        keys = [{"Name": "timestamp", "Type": "string"}]
        params = {
            "projection.enabled": "true",
            "projection.timestamp.type": "date",
            "projection.timestamp.format": "yyyy/MM/dd",
            "projection.timestamp.range": "2020/01/01,NOW",
        }
    elif partitions == "org":
        keys = [{"Name": "account", "Type": "string"}, {"Name": "region", "Type": "string"},
                {"Name": "date", "Type": "string"}]  # fmt: skip
        params = {"projection.enabled": "true", "projection.date.type": "date", "projection.date.format": "yyyy/MM/dd"}
    elif partitions == "ymd":
        keys = [{"Name": k, "Type": "string"} for k in ("region", "year", "month", "day")]
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "StorageDescriptor": {"Columns": columns, "Location": "s3://org-trail/AWSLogs/o-example/"},
            "PartitionKeys": keys,
            "Parameters": params,
        },
    )


def route_athena(monkeypatch: Any) -> None:
    """Let moto's Athena answer botocore's Athena: botocore 1.44 sends Athena as rest-json
    (POST /query-executions, GET /query-executions/{id}/results), and moto 5.2.6 routes each request
    by botocore's model already, but registers only the path "/" (its JSON 1.1 days), so every
    other path is answered 404 "Not yet implemented". Its own Athena backend then serves them."""
    import moto.athena.urls
    from moto.athena.responses import AthenaResponse

    monkeypatch.setitem(moto.athena.urls.url_paths, "{0}/.+$", AthenaResponse.dispatch)
