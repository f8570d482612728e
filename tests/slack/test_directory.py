"""bot/slack/directory.py: user-group members and the member with an e-mail address, asked of
Slack (the fake); when Slack cannot say, nobody is trusted through it."""

from __future__ import annotations

import handlers.iam as iam
from bot.slack.client import web_client
from bot.slack.directory import SlackDirectory
from tests.conftest import APPROVER, REQUESTER, STRANGER
from tests.support.records import access_key_event
from tests.support.replies import said
from tests.support.state import audit_actions, request_row


def directory(slack, url=None, sleeps=None):
    client = web_client("xoxb-test-not-a-real-token", url or slack.url + "/api/",
                        sleep=(sleeps if sleeps is not None else []).append)
    return SlackDirectory(client)


def test_group_members(slack):
    slack.groups["S0SECURITY"] = [STRANGER, APPROVER]
    assert directory(slack).group_members("S0SECURITY") == frozenset({STRANGER, APPROVER})
    [call] = slack.of("usergroups.users.list")
    assert call.params["usergroup"] == "S0SECURITY"
    assert call.headers["authorization"] == "Bearer xoxb-test-not-a-real-token"


def test_a_group_slack_cannot_read_has_no_members(slack):
    assert directory(slack).group_members("S0UNKNOWN") == frozenset()  # no_such_subteam
    slack.groups["S0SECURITY"] = [STRANGER]
    slack.fail_next("usergroups.users.list", status=500)
    assert directory(slack).group_members("S0SECURITY") == frozenset()


def test_a_group_when_slack_is_out_of_reach_has_no_members(slack):
    slack.groups["S0SECURITY"] = [STRANGER]
    sleeps: list[float] = []
    assert directory(slack, "http://127.0.0.1:9/api/", sleeps).group_members("S0SECURITY") == frozenset()
    assert len(sleeps) == 2  # retried, then given up: not trusted


def test_a_rate_limited_lookup_is_retried(slack):
    slack.groups["S0SECURITY"] = [STRANGER]
    slack.fail_next("usergroups.users.list", status=429, retry_after=2)
    sleeps: list[float] = []
    assert directory(slack, sleeps=sleeps).group_members("S0SECURITY") == frozenset({STRANGER})
    assert sleeps == [2.0]


def test_user_by_email(slack):
    slack.emails["erin@example.com"] = APPROVER
    assert directory(slack).user_by_email("erin@example.com") == APPROVER
    assert slack.of("users.lookupByEmail")[0].params["email"] == "erin@example.com"
    assert directory(slack).user_by_email("nobody@example.com") is None  # users_not_found


def test_an_email_slack_cannot_look_up_is_nobody(slack):
    slack.emails["erin@example.com"] = APPROVER
    slack.fail_next("users.lookupByEmail", status=500)
    assert directory(slack).user_by_email("erin@example.com") is None
    slack.fail_next("users.lookupByEmail", status=200, error="missing_scope")
    assert directory(slack).user_by_email("erin@example.com") is None
    assert directory(slack, "http://127.0.0.1:9/api/").user_by_email("erin@example.com") is None


def test_when_slack_cannot_list_the_approver_group_nobody_approves_through_it(runtime_for, slack, aws):
    slack.groups["S0SECURITY"] = [STRANGER]
    slack.fail_next("usergroups.users.list", status=500)
    runtime = runtime_for(approver_groups=["S0SECURITY"], IAMBOT_APPROVERS="")
    _, key = access_key_event(aws.client("iam"))
    iam.run(runtime.workflow, REQUESTER, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}")
    rid = request_row(runtime)["id"]
    answer = said(iam.run(runtime.workflow, STRANGER, f"approve {rid}"))
    assert "You are not an approver" in answer
    assert ("approve", STRANGER, "refused") in audit_actions(runtime)
    assert request_row(runtime)["status"] == "requested"


def test_a_channels_members_are_read_page_by_page(slack):
    slack.members["C0APPROVE"] = [APPROVER, STRANGER, REQUESTER]  # the fake answers 2 a page
    assert directory(slack).members("C0APPROVE") == frozenset({APPROVER, STRANGER, REQUESTER})
    assert [c.params.get("cursor") for c in slack.of("conversations.members")] == [None, "2"]


def test_members_slack_cannot_read_are_not_known(slack):
    assert directory(slack).members("C0UNKNOWN") is None  # channel_not_found
    assert directory(slack, "http://127.0.0.1:9/api/").members("C0APPROVE") is None
