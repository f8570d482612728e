"""The Home tab as a person reads it: what waits for them with the request message's own Approve and
Deny buttons, their open requests, severe alerts linked to their messages, decisions and mutes —
under Slack's 100-block limit however much there is, event text shown literally."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.slack.messages import Message
from bot.slack.messages.home import home_view
from bot.store import Suppression
from bot.store.alerts import PostedAlert
from bot.workflow import HomeView
from bot.workflow.home import RequestLine
from tests.conftest import APPROVER, REQUESTER
from tests.support.blocks import HOSTILE, all_rich_text, assert_shown_literally, request, rich_texts, walk

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TITLE = "Deactivate the access key"


def home(**changes):
    values = dict(user=APPROVER, approver=True, waiting=(), mine=(), alerts=(), decided=(), mutes=(), at=AT)
    return HomeView(**{**values, **changes})


def alert(n=0, actor="erin", summary="erin created an access key", channel="C0ALERTS", ts="1700000000.000100"):
    return PostedAlert(f"k{n}", "high", "CreateAccessKey", actor, summary, "2026-11-18T10:00:00Z", channel, ts)


def mute(n=0, reason="rotating keys", actor="etl-bot"):
    return Suppression(f"M{n:05d}", "CreateAccessKey", actor, None, None, reason, APPROVER, "2026-11-20T10:00:00Z",
                       "2026-11-21T10:00:00Z", 0)  # fmt: skip


def actions(view):
    return [b for b in view["blocks"] if b["type"] == "actions"]


def test_a_waiting_request_has_the_request_messages_approve_and_deny():
    view = home_view(home(waiting=(RequestLine(request("RWAIT01"), TITLE),)))
    assert view["type"] == "home"
    [buttons] = actions(view)
    assert [(e["action_id"], e["value"]) for e in buttons["elements"]] == [("approve", "RWAIT01"), ("deny", "RWAIT01")]
    text = all_rich_text(Message("", view["blocks"]))
    assert "Waiting for your approval (1)" in text and TITLE in text and "RWAIT01" in text
    assert "Would set access key AKIAEXAMPLELEGACY001" in text


def test_someone_who_is_not_an_approver_sees_no_waiting_section():
    view = home_view(home(user=REQUESTER, approver=False, mine=(RequestLine(request("RMINE01"), TITLE),)))
    assert actions(view) == []
    text = all_rich_text(Message("", view["blocks"]))
    assert "Waiting for your approval" not in text
    assert "Your open requests (1)" in text and "RMINE01" in text and "Waiting for approval" in text


def test_alerts_link_to_their_message():
    view = home_view(home(alerts=(alert(),)))
    links = [e for e in walk(view["blocks"]) if e.get("type") == "link"]
    assert [lk["url"] for lk in links] == ["https://slack.com/archives/C0ALERTS/p1700000000000100"]
    assert "Open high and critical alerts, last 7 days (1)" in all_rich_text(Message("", view["blocks"]))


def test_over_a_hundred_items_stay_within_the_block_limit_with_and_n_more():
    many = tuple(RequestLine(request(f"R{n:06d}"), TITLE) for n in range(150))
    view = home_view(home(waiting=many, mine=many, alerts=tuple(alert(n) for n in range(150)),
                          decided=many[:10], mutes=tuple(mute(n) for n in range(150))))  # fmt: skip
    assert len(view["blocks"]) <= 100
    assert len(actions(view)) == 20
    texts = rich_texts(Message("", view["blocks"]))
    assert sum("…and 130 more" in t for t in texts) == 1  # the waiting requests (20 shown)
    assert sum("…and 135 more" in t for t in texts) == 3  # open requests, alerts, mutes (15 shown each)
    assert len(json.dumps(view)) < 100_000


def test_hostile_text_is_shown_literally():
    view = home_view(home(alerts=(alert(actor=HOSTILE, summary=HOSTILE, channel=None, ts=None),),
                          mutes=(mute(reason=HOSTILE, actor=HOSTILE),)))  # fmt: skip
    assert_shown_literally(Message("", view["blocks"]), "home")


NOTE = "PRODUCTION — management account"


def test_the_accounts_note_is_on_each_row_of_that_account_only():
    prod, other = request("RPROD01"), request("ROTHER1", account_id="444455556666")
    prod_alert = PostedAlert("k1", "high", "CreateAccessKey", "erin", "erin created a key", "2026-11-18T10:00:00Z",
                             "C0ALERTS", "1700000000.000100", "111122223333")  # fmt: skip
    other_alert = PostedAlert("k2", "high", "CreateAccessKey", "dan", "dan created a key", "2026-11-18T10:00:00Z",
                              "C0ALERTS", "1700000000.000200", "444455556666")  # fmt: skip
    view = home_view(home(waiting=(RequestLine(prod, TITLE), RequestLine(other, TITLE)),
                          mine=(RequestLine(prod, TITLE),), alerts=(prod_alert, other_alert),
                          notes={"111122223333": NOTE}))  # fmt: skip
    rows = [b for b in view["blocks"] if b["type"] == "rich_text"]

    def row(marker):
        return [json.dumps(r, ensure_ascii=False) for r in rows if marker in json.dumps(r)]

    [waiting_prod] = [r for r in row("RPROD01") if "approvals 0 of 1" in r]
    assert f"⚠ {NOTE}" in waiting_prod
    assert all(NOTE not in r for r in row("ROTHER1"))
    [alerts] = row("erin created a key")
    items = [json.dumps(i, ensure_ascii=False) for i in json.loads(alerts)["elements"][1]["elements"]]
    assert NOTE in items[0] and NOTE not in items[1]  # erin's alert is in the noted account, dan's is not
    assert NOTE not in json.dumps(home_view(home(waiting=(RequestLine(prod, TITLE),))), ensure_ascii=False)
