"""CloudTrail Lake as the hunt's engine (botocore's Stubber: moto has no Lake queries): rows back
into the records CloudTrail wrote, pages with NextToken, failures as one line; and the rows of
either engine, however broken, become events or rejections."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings

from bot.catalog import load as load_catalog
from bot.events import IamEvent, ReadStats, Rejected, normalize
from bot.hunt import athena, lake
from bot.hunt.query import HuntError, filters, hunted
from tests.support.athena import athena_record
from tests.support.mutations import EXAMPLES, mutated_records
from tests.support.records import load

SELECTION = load_catalog().selection()
QUERY = "11111111-2222-3333-4444-555555555555"
STORE = "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f"


def lake_row(record: dict[str, Any]) -> list[dict[str, str]]:
    """A record as one row of Lake's results: a one-key map per column, JSON columns as JSON text."""
    row = []
    for key, value in record.items():
        row.append({key: json.dumps(value) if isinstance(value, dict | list) else str(value)})
    return row


def client(answers: list[tuple[str, Any]]) -> tuple[Any, Stubber]:
    c = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("cloudtrail")
    stub = Stubber(c)
    for method, answer in answers:
        stub.add_response(method, answer)
    stub.activate()
    return c, stub


def test_the_store_is_named_by_arn_or_id():
    assert lake.store_id(STORE) == "EXAMPLE-f852-4e8f" and lake.store_id("EXAMPLE-f852-4e8f") == "EXAMPLE-f852-4e8f"
    with pytest.raises(HuntError, match="is not an event data store"):
        lake.store_id("x; DROP")


def test_rows_come_back_as_the_records_and_pages_follow_the_token():
    first, second = load("UpdateAccessKey__authored__1.json"), load("CreateUser__panther__1.json")
    c, stub = client([
        ("start_query", {"QueryId": QUERY}),
        ("describe_query", {"QueryStatus": "QUEUED"}),
        ("describe_query", {"QueryStatus": "FINISHED", "QueryStatistics": {"BytesScanned": 2048}}),
        ("get_query_results", {"QueryStatus": "FINISHED", "QueryResultRows": [lake_row(first)], "NextToken": "page-2"}),
        ("get_query_results", {"QueryStatus": "FINISHED", "QueryResultRows": [lake_row(second)]}),
    ])  # fmt: skip
    engine = lake.Lake(c, STORE, sleep=lambda s: None)
    records = list(engine.records("SELECT 1"))
    assert [normalize(r).event_id for r in records] == [normalize(first).event_id, normalize(second).event_id]
    assert normalize(records[0]).actor == normalize(first).actor
    assert engine.scan.scanned == 2048 and engine.scan.rows == 2 and "$" not in engine.scan.summary()
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("state", "said"), [("FAILED", "failed"), ("CANCELLED", "was cancelled"), ("TIMED_OUT", "timed out")]
)
def test_a_query_that_did_not_finish_is_one_line(state, said):
    ended = {"QueryStatus": state, "ErrorMessage": "Table not found\nat line 1"}
    c, _ = client([("start_query", {"QueryId": QUERY}), ("describe_query", ended)])
    with pytest.raises(HuntError, match=rf"^CloudTrail Lake query {QUERY} {said}: Table not found$"):
        list(lake.Lake(c, STORE, sleep=lambda s: None).records("SELECT 1"))


def test_access_denied_is_one_line():
    c = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("cloudtrail")
    stub = Stubber(c)
    stub.add_client_error("start_query", "AccessDeniedException", "not authorized to perform: cloudtrail:StartQuery")
    stub.activate()
    with pytest.raises(HuntError, match=r"^CloudTrail Lake refused the query: access denied \(not authorized"):
        list(lake.Lake(c, STORE).records("SELECT 1"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_records())
def test_any_row_of_either_engine_is_an_event_or_a_rejection(record):
    if not isinstance(record, dict):
        return
    lower = athena_record(record)
    row = {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in lower.items()}
    try:
        from_athena = [athena.record_of(row)]
    except HuntError:  # a struct as a JSON array: engine version 2, refused as a whole
        from_athena = []
    for item in hunted([*from_athena, lake.record_of(lake_row(record))], "hunt", SELECTION, filters(), ReadStats()):
        assert isinstance(item, IamEvent | Rejected)
