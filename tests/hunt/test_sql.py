"""The hunt's query: composed from the catalog's selection, the window pushed down to the table's
partitions, every value a person types checked to its form and quoted; nothing else reaches it."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import load as load_catalog
from bot.hunt.athena import layout_of
from bot.hunt.query import HuntError, filters, table_name, window
from bot.hunt.sql import Layout, athena_sql, ip_prefix, java_format, lake_sql, like_pattern, literal

SELECTION = load_catalog().selection()
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
TABLE = ("cloudtrail", "org_trail")


def sql(layout: Layout = Layout(), since: str = "3d", **kw) -> str:  # noqa: B008 - a frozen default
    return athena_sql(TABLE, layout, SELECTION, filters(**kw), window(since, None, None, NOW))


def test_the_query_asks_for_the_selection_whole_sources_sts_by_name_and_root_anywhere():
    text = sql()
    for source in SELECTION.sources:
        assert literal(source) in text.split("eventsource IN (")[1].split(")")[0]
    names = text.split("eventsource = 'sts.amazonaws.com' AND eventname IN (")[1].split(")")[0]
    assert {n.strip(" '") for n in names.split(",")} == set(SELECTION.named["sts.amazonaws.com"])
    assert "'AssumeRole'" not in text  # the millions of routine AssumeRole calls stay in S3
    assert "useridentity.type = 'Root'" in text
    assert text.startswith("SELECT ") and 'FROM "cloudtrail"."org_trail"' in text
    assert 'json_format(CAST("useridentity" AS JSON)) AS "useridentity"' in text


def test_the_query_asks_for_what_could_blind_iambot_by_name_only():
    text = sql()
    for source, wanted in [("cloudtrail", {"StopLogging", "DeleteTrail", "PutEventSelectors"}),
                           ("events", {"DisableRule"}), ("sqs", {"PurgeQueue"}), ("kms", {"ScheduleKeyDeletion"}),
                           ("s3", {"PutBucketPolicy"})]:  # fmt: skip
        names = text.split(f"eventsource = '{source}.amazonaws.com' AND eventname IN (")[1].split(")")[0]
        found = {n.strip(" '") for n in names.split(",")}
        assert found == set(SELECTION.named[f"{source}.amazonaws.com"]) and wanted <= found
        assert f"'{source}.amazonaws.com'" not in text.split("eventsource IN (")[1].split(")")[0]  # never whole
    assert "'LookupEvents'" not in text and "'PutObject'" not in text


def test_the_window_is_pushed_down_to_the_projected_date_and_to_eventtime():
    text = sql(since="3d")
    assert "\"timestamp\" BETWEEN '2026/12/04' AND '2026/12/07'" in text
    assert "eventtime >= '2026-12-04T06:00:00Z' AND eventtime < '2026-12-07T06:00:00Z'" in text


def test_year_month_day_partitions_are_read_a_month_at_a_time():
    text = athena_sql(TABLE, Layout(date_key=None, ymd=True), SELECTION, filters(),
                      window(None, "2026-10-30", "2026-11-02", NOW))  # fmt: skip
    assert (
        "((\"year\" = '2026' AND \"month\" = '10' AND \"day\" BETWEEN '30' AND '31') OR "
        "(\"year\" = '2026' AND \"month\" = '11' AND \"day\" BETWEEN '01' AND '02'))"
    ) in text
    assert "eventtime < '2026-11-03T00:00:00Z'" in text  # --to a date: its whole day


def test_an_unpartitioned_table_is_filtered_on_eventtime_only():
    text = sql(Layout(date_key=None))
    assert "BETWEEN" not in text and "eventtime >= " in text


def test_glue_tells_the_layout():
    projected = layout_of({
        "StorageDescriptor": {"Columns": [{"Name": "eventName", "Type": "string"},
                                          {"Name": "userIdentity", "Type": "struct<type:string>"}]},
        "PartitionKeys": [{"Name": "account"}, {"Name": "region"}, {"Name": "date"}],
        "Parameters": {"projection.date.type": "date", "projection.date.format": "yyyy-MM-dd"},
    })  # fmt: skip
    assert (projected.date_key, projected.date_format, projected.account_key) == ("date", "%Y-%m-%d", "account")
    assert projected.columns == {"eventname": False, "useridentity": True}
    text = sql(projected, accounts=("111122223333",))
    assert "\"date\" BETWEEN '2026-12-04' AND '2026-12-07'" in text
    assert "\"account\" IN ('111122223333')" in text and "recipientaccountid IN ('111122223333')" in text
    assert layout_of({"PartitionKeys": [{"Name": "year"}, {"Name": "month"}, {"Name": "day"}]}).ymd
    assert layout_of({"PartitionKeys": [{"Name": "timestamp"}]}).date_key == "timestamp"
    assert layout_of({}).date_key is None and not layout_of({}).ymd
    assert java_format("yyyy/MM/dd") == "%Y/%m/%d" and java_format("dd.MMM.yyyy") is None


def test_each_filter_in_the_query():
    text = sql(
        actor="arn:aws:iam::111122223333:role/Admin*",
        access_key="AKIAIOSFODNN7EXAMPLE",
        source_ip="203.0.113.0/24",
        events=("CreateAccessKey", "CreateUser"),
    )
    assert (
        "(useridentity.arn LIKE 'arn:aws:iam::111122223333:role/Admin%' ESCAPE '\\' OR "
        "useridentity.sessioncontext.sessionissuer.arn LIKE 'arn:aws:iam::111122223333:role/Admin%' ESCAPE '\\')"
    ) in text
    assert "useridentity.accesskeyid = 'AKIAIOSFODNN7EXAMPLE'" in text
    assert "sourceipaddress LIKE '203.0.113.%'" in text
    assert "eventname IN ('CreateAccessKey', 'CreateUser')" in text
    assert "sourceipaddress = '203.0.113.7'" in sql(source_ip="203.0.113.7")
    assert "sourceipaddress" not in sql(source_ip="2001:db8::/32").split("WHERE")[1]  # checked after, exactly


def test_globs_become_like_patterns_with_their_wildcards_escaped():
    assert like_pattern("arn:aws:iam::*:user/a_b%c?") == "arn:aws:iam::%:user/a\\_b\\%c_"
    assert ip_prefix(ipaddress.ip_network("10.0.0.0/8")) == "10."
    assert ip_prefix(ipaddress.ip_network("10.1.16.0/20")) == "10.1."
    assert ip_prefix(ipaddress.ip_network("0.0.0.0/0")) is None


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"accounts": ("11112222333",)}, "is not an account id"),
        ({"accounts": ("111122223333' OR '1'='1",)}, "is not an account id"),
        ({"accounts": ("\u0661\u0662\u0663\u0664" * 3,)}, "is not an account id"),  # digits to re's \d
        ({"access_key": "AKIA' OR 1=1 --"}, "is not an access key id"),
        ({"source_ip": "10.0.0.0/33"}, "is not an IP address or a CIDR block"),
        ({"events": ("CreateUser'); DROP TABLE x; --",)}, "is not an API call name"),
        ({"actor": "arn:aws:iam::1:user/x' OR '1'='1"}, "is not an ARN or an ARN glob"),
    ],
)
def test_values_that_are_not_of_their_form_are_refused_by_name(kw, message):
    with pytest.raises(HuntError, match=message):
        filters(**kw)


@pytest.mark.parametrize(
    ("since", "start", "end", "message"),
    [
        ("90", None, None, "is not a span"),
        ("\u0669\u0660d", None, None, "is not a span"),  # 90 in Arabic-Indic digits: int() reads them
        ("0d", None, None, "empty or longer"),
        ("99999d", None, None, "empty or longer"),
        ("1d", "2026-01-01", None, "not both"),
        (None, None, None, "how far back"),
        (None, "yesterday", None, "--from 'yesterday' is not a date"),
        (None, "2026-11-02", "2026-11-01", "--to is not after --from"),
    ],
)
def test_windows_that_make_no_sense_are_refused(since, start, end, message):
    with pytest.raises(HuntError, match=message):
        window(since, start, end, NOW)


def test_table_names_are_checked():
    assert table_name("CloudTrail.Org_Trail") == ("cloudtrail", "org_trail")
    for bad in ("cloudtrail", 'a."b', "a.b.c", "a.b; DROP"):
        with pytest.raises(HuntError, match=r"is not DATABASE\.TABLE"):
            table_name(bad)


QUOTED = re.compile(r"'(?:[^']|'')*'")


@settings(max_examples=200, deadline=None)
@given(
    actor=st.one_of(st.none(), st.text(max_size=40)),
    key=st.one_of(st.none(), st.text(max_size=24)),
    events=st.lists(st.text(max_size=20), max_size=3),
    accounts=st.lists(st.text(max_size=14), max_size=2),
)
def test_whatever_is_typed_the_query_has_no_text_outside_its_literals_but_ours(actor, key, events, accounts):
    try:
        text = sql(actor=actor, access_key=key, events=tuple(events), accounts=tuple(accounts))
    except HuntError:
        return
    # with every quoted literal taken out, no quote is left: nothing typed ends a literal early
    bare = QUOTED.sub("", text)
    assert "'" not in bare
    assert bare.count("(") == bare.count(")")


@given(st.text())
def test_a_literal_is_one_literal_whatever_it_holds(value):
    quoted = literal(value)
    assert QUOTED.fullmatch(quoted) and quoted[1:-1].replace("''", "'") == value


def test_the_lake_query_names_the_event_data_store_and_lake_columns():
    text = lake_sql("EXAMPLE-f852-4e8f-8bd1", SELECTION, filters(access_key="AKIAIOSFODNN7EXAMPLE"),
                    window("1d", None, None, NOW))  # fmt: skip
    assert "FROM EXAMPLE-f852-4e8f-8bd1" in text
    assert "eventTime >= '2026-12-06 06:00:00' AND eventTime < '2026-12-07 06:00:00'" in text
    assert "userIdentity.accessKeyId = 'AKIAIOSFODNN7EXAMPLE'" in text
    assert "userIdentity.type = 'Root'" in text
    assert 'json_format(CAST(userIdentity AS JSON)) AS "userIdentity"' in text
