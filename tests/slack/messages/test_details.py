"""The Details modal: everything the alert leaves out — what happened, why it matters, every
reason, every fact, the request's parameters, ATT&CK and the docs — as a modal Slack accepts,
with event text shown literally whatever the record holds."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from slack_sdk.models.views import View

from bot.assess.base import Factor
from bot.events import normalize
from bot.slack.messages.details import details_view, gone_view
from bot.slack.text import clean
from tests.support.blocks import HIDDEN, HOSTILE, LITERAL, alert_of, request, view_of, walk
from tests.support.records import load


def texts(modal) -> list[str]:
    return [e["text"] for e in walk(modal["blocks"]) if e.get("type") == "text" and isinstance(e.get("text"), str)]


def well_formed(modal) -> None:
    assert View(**{k: v for k, v in modal.items() if k != "type"}, type="modal").to_dict() == modal
    assert len(modal["title"]["text"]) <= 24 and 0 < len(modal["blocks"]) <= 100
    assert all(len(x) <= 3000 for x in texts(modal))
    assert len(json.dumps(modal)) < 100_000


def test_details_hold_the_explanation_every_reason_fact_and_the_parameters(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    modal = details_view(view_of(alert, "requested", [request()]))
    well_formed(modal)
    assert modal["type"] == "modal" and modal["title"]["text"] == "Alert details"
    shown = "".join(texts(modal))
    assert "What happened" in shown and "Why it matters" in shown
    assert f"Risk: {alert.risk.base} → {alert.severity}" in shown
    for reason in alert.risk.reasons:
        assert reason in shown
    for label in ("Account", "Actor", "Target", "When", "Where", "User agent"):
        assert label in shown
    assert alert.event.user_agent in shown and "2026-11-20 10:02:11 UTC" in shown
    assert "RAAAAAA" in shown  # the requests
    [pre] = [e for e in walk(modal["blocks"]) if e.get("type") == "rich_text_preformatted"]
    assert json.loads(pre["elements"][0]["text"]) == alert.event.request
    mrkdwn = [e["text"] for e in walk(modal["blocks"]) if e.get("type") == "mrkdwn"]
    assert any("attack.mitre.org" in m for m in mrkdwn) and any("|AWS docs>" in m for m in mrkdwn)


def test_a_denied_call_shows_its_error_and_a_quiet_one_says_no_factor_moved_it(assessor):
    denied = alert_of("UpdateAccessKey__authored__3.json", assessor)
    shown = "".join(texts(details_view(view_of(denied))))
    assert "Error" in shown and denied.event.error_message in shown
    quiet = alert_of("UpdateServerCertificate__authored__1.json", assessor)
    assert not quiet.risk.factors
    assert "No factor changed the entry's severity." in "".join(texts(details_view(view_of(quiet))))


def test_hostile_text_is_shown_literally_in_the_details(assessor):
    record = load("UpdateLoginProfile__authored__1.json")
    record["requestParameters"]["userName"] = HOSTILE
    record["userIdentity"]["userName"] = HOSTILE
    record["userAgent"] = HOSTILE
    record["errorCode"], record["errorMessage"] = "AccessDenied", HOSTILE
    modal = details_view(view_of(alert_of(record, assessor)))
    well_formed(modal)
    shown = texts(modal)
    assert any(clean(HOSTILE) in x for x in shown)
    dumped = json.dumps(modal, ensure_ascii=False)
    assert not [c for c in HIDDEN if c in dumped]
    mrkdwn = [e["text"] for e in walk(modal["blocks"]) if e.get("type") == "mrkdwn"]
    assert all(LITERAL[0] not in m and "evil" not in m for m in mrkdwn)  # never where Slack reads markup
    assert not [e for e in walk(modal["blocks"]) if e.get("type") in ("user", "link", "broadcast", "channel")]


@pytest.mark.parametrize("size", [10, 5_000, 200_000])
def test_huge_input_stays_within_a_modals_limits(assessor, size):
    record = load("UpdateAccessKey__authored__1.json")
    record["requestParameters"]["userName"] = "<&>" * size
    record["requestParameters"]["extra"] = ["x" * 100] * (size // 100 + 1)
    record["userAgent"] = "a" * size
    record["errorCode"], record["errorMessage"] = "AccessDenied", "&" * size
    alert = assessor(normalize(record))
    many = tuple(Factor(f"f{i}", 0, "r" * size) for i in range(30))
    well_formed(details_view(view_of(replace(alert, risk=replace(alert.risk, factors=many)))))


def test_the_gone_modal_is_well_formed():
    well_formed(gone_view())


def test_the_accounts_note_is_a_context_line_under_the_header(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    note = "PRODUCTION — management account"
    modal = details_view(replace(view_of(alert), account_note=note))
    well_formed(modal)
    assert modal["blocks"][1] == {
        "type": "context",
        "elements": [{"type": "plain_text", "text": f"⚠ Account {alert.event.account_id}: {note}", "emoji": False}],
    }
    assert "⚠ Account" not in json.dumps(details_view(view_of(alert)))
