from __future__ import annotations

import json

import pytest

from bot.blocks import (
    BUTTON_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    MAX_BLOCKS,
    SECTION_TEXT,
    AlertState,
    alert_message,
    escape,
    escape_clip,
)
from bot.events import ReadStats, Rejected, iter_files, normalize, read_records
from tests.conftest import FIXTURES, load


def check_limits(message):
    blocks = message.blocks
    assert 0 < len(blocks) <= MAX_BLOCKS
    assert message.text and len(message.text) <= 4000
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= HEADER_TEXT
        if b["type"] == "section":
            if "text" in b:
                assert len(b["text"]["text"]) <= SECTION_TEXT
            for f in b.get("fields", []):
                assert len(f["text"]) <= FIELD_TEXT
            assert len(b.get("fields", [])) <= 10
        if b["type"] == "actions":
            assert len(b["elements"]) <= 25
            ids = [e["action_id"] for e in b["elements"]]
            assert len(set(ids)) == len(ids)
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= BUTTON_TEXT and len(e["value"]) <= 2000
    assert len(json.dumps(blocks)) < 40_000


def test_every_fixture_renders_within_slack_limits(assessor):
    stats = ReadStats()
    count = 0
    for path in iter_files([FIXTURES]):
        for item in read_records(path, stats):
            assert not isinstance(item, Rejected)
            check_limits(alert_message(assessor(item)))
            count += 1
    assert count == stats.iam > 50


def test_alert_layout_and_buttons(assessor):
    alert = assessor(normalize(load("UpdateAccessKey__authored__1.json")))
    msg = alert_message(alert)
    assert msg.blocks[0]["text"]["text"] == "CRITICAL · Access key status changed"
    assert "erin@example.com re-activated access key AKIA…Y001 of user legacy-etl" in msg.blocks[1]["text"]["text"]
    fields = [f["text"].split("\n")[0] for f in msg.blocks[2]["fields"]]
    assert fields == ["*Account*", "*Actor*", "*Target*", "*When*", "*Source IP*", "*User agent*"]
    actions = msg.blocks[-1]
    assert [e["action_id"] for e in actions["elements"]] == [
        "request:deactivate-access-key",
        "request:delete-access-key",
        "request:quarantine-user",
        "dismiss",
    ]
    assert {e["value"] for e in actions["elements"]} == {alert.event.key}
    assert msg.text.startswith("[CRITICAL] erin@example.com")
    text = json.dumps(msg.blocks, ensure_ascii=False)
    assert "Why it matters" in text and "Risk: low → critical" in text


def test_closed_alert_has_no_buttons(assessor):
    alert = assessor(normalize(load("UpdateAccessKey__authored__1.json")))
    msg = alert_message(alert, AlertState("remediated", ("Deactivated by <@U1>",)))
    assert all(b["type"] != "actions" for b in msg.blocks)
    # state lines are built by iambot (mentions kept); event text in them is escaped by their builder
    assert any("Deactivated by <@U1>" in b.get("text", {}).get("text", "") for b in msg.blocks)


def test_event_strings_cannot_ping_or_link(assessor):
    record = load("UpdateLoginProfile__authored__1.json")
    record["requestParameters"]["userName"] = "<!channel>"
    record["userAgent"] = "<https://evil.example|click me> & <@U123>"
    msg = alert_message(assessor(normalize(record)))
    dumped = json.dumps(msg.blocks) + msg.text
    assert "<!channel>" not in dumped and "<@U123>" not in dumped and "<https://evil" not in dumped
    assert "&lt;!channel&gt;" in dumped


@pytest.mark.parametrize("size", [10, 5_000, 200_000])
def test_huge_input_stays_within_limits(assessor, size):
    record = load("UpdateAccessKey__authored__1.json")
    record["requestParameters"]["userName"] = "<&>" * size
    record["userAgent"] = "a" * size
    record["errorCode"] = "AccessDenied"
    record["errorMessage"] = "&" * size
    record["eventID"] = "e" * size  # too long to be CloudTrail's: a hash is used instead
    check_limits(alert_message(assessor(normalize(record))))
    record["eventName"] = "UpdateAccessKeyX" + "X" * min(size, 100)  # a generic entry
    check_limits(alert_message(assessor(normalize(record))))


def test_escape_clip_never_cuts_an_entity():
    for limit in range(2, 40):
        out = escape_clip("a&b<c>" * 10, limit)
        assert len(out) <= limit
        body = out.rstrip("…")
        assert body == escape(body.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
