""""Was this you?" messages: the question with its two buttons, re-rendered whole with the answer
in their place; the reason dialog; the line the alert shows; the approvers' notice; the
requester's outcome. What came from the event or was typed is shown literally."""

from __future__ import annotations

import json

from bot.slack.messages.dialogs import answers, question_dialog
from bot.slack.messages.questions import answer_line, disowned_message, outcome_message, question_message
from bot.store import Question
from bot.workflow import RequestView
from bot.workflow.views import QuestionView
from tests.conftest import APPROVER, APPROVER2
from tests.support.blocks import HOSTILE, assert_shown_literally, buttons, check_limits, request, users

ERIN = "UERIN0001"


def ids(msg):
    return [b["action_id"] for b in buttons(msg)]


def question(status="asked", reason=None, person=ERIN, request_id=None):
    answered_at = None if status == "asked" else "2026-12-07T09:02:00Z"
    return Question("Q0123456789abcdef0123", "k1", person, "erin@example.com", "AKIAEXAMPLE", status, reason,
                    "2026-12-07T09:00:00Z", answered_at, request_id)  # fmt: skip


def view(q=None, summary="erin re-activated access key AKIA…0001 of user legacy-etl", r=None):
    return QuestionView(q or question(), summary, "medium", "2026-12-07 09:00 UTC", "111122223333 (prod)", r)


def test_the_question_asks_with_two_buttons_the_no_behind_a_confirm():
    msg = question_message(view())
    check_limits(msg)
    assert msg.text.startswith("Was this you?") and ids(msg) == ["question_yes", "question_no"]
    actions = next(b for b in msg.blocks if b["type"] == "actions")
    yes, no = actions["elements"]
    assert yes["value"] == no["value"] == "Q0123456789abcdef0123"
    assert (yes["style"], no["style"]) == ("primary", "danger")
    assert no["confirm"]["confirm"]["text"] == "It wasn't me" and "confirm" not in yes
    assert "111122223333 (prod)" in json.dumps(msg.blocks)


def test_the_answer_replaces_the_buttons():
    said = question_message(view(question("yes", "rotating the ETL key")))
    assert ids(said) == [] and "You said this was you: " in json.dumps(said.blocks)
    assert "rotating the ETL key" in json.dumps(said.blocks) and said.text.startswith("You answered: yes")
    disowned = question_message(view(question("no", request_id="RQUARAN"), r=request("RQUARAN")))
    text = json.dumps(disowned.blocks)
    assert ids(disowned) == [] and "You said this wasn't you" in text and "RQUARAN" in text


def test_event_text_and_a_typed_reason_are_shown_literally():
    assert_shown_literally(question_message(view(summary=HOSTILE)), "question")
    line = answer_line(question("yes", HOSTILE))
    assert "U0EVIL1" not in [e.get("user_id") for e in line.to_dict()["elements"]]
    assert "<!channel>" in json.dumps(line.to_dict())  # as text, never a broadcast element


def test_the_alert_line_follows_the_answer():
    def text(q):
        found = answer_line(q)
        return "".join(e.get("text", "") for e in found.to_dict()["elements"]) if found else None

    assert text(question()) == " Asked  whether this was them; no answer yet."  # the person is a mention
    assert text(question(person=None)) is None  # nobody reached yet: nothing to say
    assert text(question("yes", "rotating the ETL key")) == "  confirmed: rotating the ETL key"
    assert text(question("no")) == "  says this wasn't them: raised to at least high."


def test_the_approvers_are_mentioned_and_told_what_was_asked_for():
    data = {"approvers": [APPROVER, APPROVER2], "groups": []}
    waiting = disowned_message(view(question("no", request_id="RQUARAN"), r=request("RQUARAN")), data)
    check_limits(waiting)
    assert {APPROVER, APPROVER2, ERIN} <= set(users(waiting)) and "RQUARAN" in json.dumps(waiting.blocks)
    assert f"<@{ERIN}>" in waiting.text  # the notification names who disowned it
    hostile = view(question("no"), summary=f"erin created user <@{APPROVER}> <!channel>")
    text = disowned_message(hostile, data).text
    assert text.startswith(f"<@{ERIN}>") and f"<@{APPROVER}>" not in text and "<!channel>" not in text
    grouped = disowned_message(view(question("no")), {"approvers": [], "groups": ["S0SECURITY", "not-a-group"]})
    groups = [e["usergroup_id"] for b in grouped.blocks for s in b.get("elements", []) for e in s.get("elements", [])
              if e.get("type") == "usergroup"]  # fmt: skip
    assert groups == ["S0SECURITY"]  # approver_groups are pinged too, and only as the ids they are
    refused = disowned_message(view(question("no")), {**data, "quarantine": "revoke-role-sessions is not enabled"})
    assert "No quarantine was opened" in json.dumps(refused.blocks) and "not enabled" in json.dumps(refused.blocks)


def test_the_reason_dialog_remembers_its_question():
    dialog = question_dialog("Q0123456789abcdef0123", "erin re-activated a key", "DERIN0001")
    assert dialog["callback_id"] == "question-reason"
    assert answers(dialog).metadata == {"question": "Q0123456789abcdef0123", "channel": "DERIN0001"}


def test_the_outcome_says_how_the_request_ended_and_who_decided():
    denied = request(status="denied", decided_by=APPROVER, reason="the ETL needs it tonight")
    msg = outcome_message(RequestView(denied, "Deactivate the access key", False, "erin re-activated a key"))
    check_limits(msg)
    text = json.dumps(msg.blocks)
    assert "Your request RAAAAAA" in msg.text and "the ETL needs it tonight" in text and APPROVER in users(msg)
    done = request(status="succeeded", approvals=(APPROVER,), outcome=("Set access key AKIA… to Inactive",))
    shown = json.dumps(outcome_message(RequestView(done, "x", False, None)).blocks, ensure_ascii=False)
    assert "Set access key AKIA… to Inactive" in shown
