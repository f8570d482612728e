"""Athena as the hunt's engine, on moto's Athena and Glue (canned result sets, as moto supports):
the table's layout from Glue, the rows turned into the records CloudTrail wrote for every kind of
identity, pages read one at a time, and every error Athena returns as one line."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from botocore.stub import Stubber

from bot.catalog import load as load_catalog
from bot.events import IamEvent, ReadStats, RecordError, normalize
from bot.hunt.athena import Athena, cost, record_of
from bot.hunt.query import ACCESS_KEY, HuntError, filters, hunted
from bot.hunt.sql import DOCS_COLUMNS
from tests.support.athena import athena_row, glue_table, queue_results, result_set, route_athena
from tests.support.records import all_record_files, load

SELECTION = load_catalog().selection()
COLUMNS = list(DOCS_COLUMNS)
FIXTURES = [json.loads(p.read_text()) for p in all_record_files()]
# a call by another account (CloudTrail's userIdentity element, type AWSAccount), which the
# fixtures lack, and a record with no identity at all
OTHER_ACCOUNT = {
    **load("CreateUser__panther__1.json"),
    "eventID": "other-account-1",
    "userIdentity": {"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"},
}
NO_IDENTITY = {k: v for k, v in load("CreateUser__panther__1.json").items() if k != "userIdentity"}
FIXTURES += [OTHER_ACCOUNT, NO_IDENTITY]
OUTPUT = "s3://hunt-results/iambot/"


def comparable(event: IamEvent) -> IamEvent:
    event_id = "" if event.event_id.startswith("sha256:") else event.event_id
    return dataclasses.replace(event, raw={}, origin="", event_id=event_id)


@pytest.fixture
def engine(aws, monkeypatch) -> Athena:
    route_athena(monkeypatch)
    aws.client("s3").create_bucket(Bucket="hunt-results")
    glue_table(aws.client("glue"))
    return Athena(aws.client("athena"), aws.client("glue"), "primary", OUTPUT, sleep=lambda s: None)


def test_the_layout_comes_from_glue(engine):
    layout = engine.layout("cloudtrail", "org_trail")
    assert layout.date_key == "timestamp" and layout.date_format == "%Y/%m/%d"
    assert layout.columns["useridentity"] and not layout.columns["eventname"]


def test_a_missing_table_is_one_line(engine):
    with pytest.raises(HuntError, match=r"^Glue table cloudtrail\.nope: no such table or database"):
        engine.layout("cloudtrail", "nope")


def test_every_fixture_comes_back_as_the_record_cloudtrail_wrote(engine):
    queue_results(result_set(COLUMNS, [athena_row(r, COLUMNS) for r in FIXTURES]))
    records = list(engine.records("SELECT 1"))
    assert engine.scan.rows == len(FIXTURES) and engine.scan.query_id
    kinds = set()
    for original, back in zip(FIXTURES, records, strict=True):
        try:
            expected = normalize(original)
        except RecordError as exc:  # a fixture normalize refuses is refused for the same reason
            with pytest.raises(RecordError, match=re.escape(str(exc)[:20])):
                normalize(back)
            continue
        assert comparable(normalize(back)) == comparable(expected), original.get("eventName")
        kinds.add(expected.actor.type)
    # every kind of identity the fixtures hold, through Athena's shape and back
    assert {
        "Root",
        "IAMUser",
        "AssumedRole",
        "FederatedUser",
        "AWSService",
        "AWSAccount",
        "SAMLUser",
        "WebIdentityUser",
        "Unknown",
    } <= kinds, kinds


def test_the_rows_go_through_the_readers_selection_and_the_filters(engine):
    s3 = {"eventName": "PutObject", "eventSource": "s3.amazonaws.com", "eventTime": "2026-12-01T00:00:00Z",
          "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"}}  # fmt: skip
    records = [*FIXTURES[:30], s3]
    queue_results(result_set(COLUMNS, [athena_row(r, COLUMNS) for r in records]))
    stats = ReadStats()
    found = [e for e in hunted(engine.records("SELECT 1"), "athena", SELECTION, filters(), stats)]
    assert stats.records == len(records) and stats.skipped >= 1
    assert all(isinstance(e, IamEvent) for e in found) and len(found) == stats.kept
    key = next(
        e.actor.access_key_id
        for e in found
        if isinstance(e, IamEvent) and ACCESS_KEY.fullmatch(e.actor.access_key_id or "")
    )
    by_key = [e.key for e in found if isinstance(e, IamEvent) and e.actor.access_key_id == key]
    queue_results(result_set(COLUMNS, [athena_row(r, COLUMNS) for r in records]))
    narrowed = list(hunted(engine.records("SELECT 1"), "athena", SELECTION, filters(access_key=key), ReadStats()))
    assert [e.key for e in narrowed if isinstance(e, IamEvent)] == by_key and len(by_key) < len(found)


def test_a_cancelled_query_is_one_line(engine, aws):
    athena = aws.client("athena")
    stubbed = Athena(athena, aws.client("glue"), "primary", OUTPUT, sleep=lambda s: None)
    query_id = stubbed.start("SELECT 1")
    athena.stop_query_execution(QueryExecutionId=query_id)
    with pytest.raises(HuntError, match=rf"^Athena query {query_id} cancelled: "):
        stubbed.wait(query_id)


def stubbed(answers: list[tuple[str, Any]]) -> tuple[Athena, Stubber]:
    import boto3

    client = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("athena")
    stub = Stubber(client)
    for method, answer in answers:
        if isinstance(answer, tuple):
            stub.add_client_error(method, service_error_code=answer[0], service_message=answer[1])
        else:
            stub.add_response(method, answer)
    stub.activate()
    return Athena(client, None, "primary", OUTPUT, sleep=lambda s: None), stub


def execution(state: str, reason: str = "", scanned: int = 0) -> dict[str, Any]:
    return {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": state, "StateChangeReason": reason},
                               "Statistics": {"DataScannedInBytes": scanned}}}  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            [
                (
                    "start_query_execution",
                    (
                        "AccessDeniedException",
                        "User: arn:aws:iam::111122223333:user/x is not "
                        "authorized to perform: athena:StartQueryExecution",
                    ),
                )
            ],
            r"^Athena refused the query: access denied \(User: .* athena:StartQueryExecution\); see `iambot policy",
        ),
        (
            [
                ("start_query_execution", {"QueryExecutionId": "q-1"}),
                (
                    "get_query_execution",
                    execution("FAILED", "TABLE_NOT_FOUND: line 2:6: Table 'x.y' does not exist\nmore"),
                ),
            ],
            r"^Athena query q-1 failed: TABLE_NOT_FOUND: line 2:6: Table 'x.y' does not exist$",
        ),
        (
            [("start_query_execution", ("InvalidRequestException", "line 1:8: mismatched input"))],
            r"^Athena refused the query: InvalidRequestException: line 1:8: mismatched input$",
        ),
    ],
)
def test_errors_athena_returns_are_one_line(answers, message):
    engine, stub = stubbed(answers)
    with pytest.raises(HuntError, match=message) as err:
        list(engine.records("SELECT 1"))
    assert "\n" not in str(err.value)
    stub.assert_no_pending_responses()


def page(rows: list[list[str]], token: str | None, header: list[str] | None = None) -> dict[str, Any]:
    data = ([{"Data": [{"VarCharValue": v} for v in header]}] if header else []) + [
        {"Data": [{"VarCharValue": v} for v in r]} for r in rows
    ]
    answer: dict[str, Any] = {
        "ResultSet": {"Rows": data, "ResultSetMetadata": {"ColumnInfo": [{"Name": "eventname", "Type": "varchar"},
                                                                         {"Name": "eventid", "Type": "varchar"}]}}
    }  # fmt: skip
    if token:
        answer["NextToken"] = token
    return answer


def test_results_are_read_a_page_at_a_time_with_the_next_token():
    pages = [
        page([["CreateUser", "e1"], ["DeleteUser", "e2"]], "t1", header=["eventname", "eventid"]),
        page([["CreateRole", "e3"]], "t2"),
        page([["DeleteRole", "e4"]], None),
    ]
    engine, stub = stubbed(
        [("start_query_execution", {"QueryExecutionId": "q-1"}),
         ("get_query_execution", execution("RUNNING")), ("get_query_execution", execution("SUCCEEDED", scanned=42))]
    )  # fmt: skip
    stub.add_response("get_query_results", pages[0], {"QueryExecutionId": "q-1", "MaxResults": 1000})
    stub.add_response("get_query_results", pages[1], {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "t1"})
    stub.add_response("get_query_results", pages[2], {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "t2"})
    records = engine.records("SELECT 1")
    first = next(records)  # one page read: the next waits until these rows are used (flat memory)
    assert first == {"eventName": "CreateUser", "eventID": "e1"}
    assert len(stub._queue) == 2  # type: ignore[attr-defined]
    rest = list(records)
    assert [r["eventID"] for r in rest] == ["e2", "e3", "e4"]  # the header row is not a record
    assert engine.scan.scanned == 42 and engine.scan.rows == 4
    stub.assert_no_pending_responses()


def test_engine_two_structs_are_refused_with_what_to_do():
    with pytest.raises(HuntError, match="engine version 2"):
        record_of({"eventname": "CreateUser", "useridentity": '["IAMUser","AIDA…"]'})


def test_the_cost_is_athenas_price_with_its_minimum():
    assert cost(0) == cost(10 << 20) == pytest.approx(10 / (1 << 20) * 5)
    assert cost(1 << 40) == pytest.approx(5.0)
    assert cost((10 << 20) + 1) == pytest.approx(11 / (1 << 20) * 5)  # rounded up to the megabyte
