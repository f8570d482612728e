""""Was this you?": who is asked (and who never is), once per person, credential and window, in a
direct message through the Slack fake; "yes" shows the reason and lowers nothing; "no" raises the
alert, tells the approvers and asks for a quarantine that still needs an approval; only the person
asked answers, once, and every answer and refusal is audited."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assess import Assessor
from bot.assess.base import Factor
from bot.config.settings import given as settings_given
from bot.events import normalize
from bot.workflow import Refused
from bot.workflow.questions import clean_reason, credential, is_person, quarantine, worth_asking
from tests.conftest import ALERTS, APPROVALS, APPROVER, APPROVER2, STRANGER
from tests.support.mutations import EXAMPLES
from tests.support.records import access_key_event, as_account, by_iam_user, key_status, load, own_key_event
from tests.support.state import audit_actions, request_row, shown

ERIN, CAROL = "UERIN0001", "UCAROL001"
CAROL_ARN = "arn:aws:iam::123456789012:user/carol"


def assessed(name: str = "CreateAccessKey__authored__1.json", key: str = "AKIAIOSFODNN7EXAMPLE"):
    return Assessor()(normalize(by_iam_user(as_account(load(name)), "carol", key)))


def test_asked_from_the_floor_up_and_never_for_iambot_automation_or_services():
    medium = assessed()
    assert medium.severity == "medium"
    assert worth_asking(medium, settings_given(confirm_with_actor="medium"))
    assert not worth_asking(medium, settings_given(confirm_with_actor="high"))
    assert not worth_asking(medium, settings_given(confirm_with_actor="off"))
    assert not worth_asking(replace(medium, risk=replace(medium.risk, is_self=True)), settings_given())
    automation = Factor("automation", -1, "a configured automation principal")
    assert not worth_asking(replace(medium, risk=replace(medium.risk, factors=(automation,))), settings_given())
    service = replace(medium.event.actor, type="AWSService")
    assert not is_person(service)
    assert not worth_asking(replace(medium, event=replace(medium.event, actor=service)), settings_given())
    assert not is_person(replace(medium.event.actor, invoked_by="cloudformation.amazonaws.com"))


def test_the_quarantine_is_for_the_credential_that_was_used():
    actor = assessed().event.actor
    assert credential(actor) == "AKIAIOSFODNN7EXAMPLE"
    params = {"user_name": "carol", "access_key_id": "AKIAIOSFODNN7EXAMPLE"}
    assert quarantine(actor) == ("deactivate-access-key", params)
    session = replace(actor, access_key_id="ASIAEXAMPLESESSION01")  # a temporary key is not the user's own
    assert quarantine(session) is None and credential(session) == CAROL_ARN
    sso = Assessor()(normalize(as_account(load("UpdateAccessKey__authored__1.json")))).event.actor
    assert quarantine(sso) == ("revoke-role-sessions", {"role_name": sso.role_name})
    assert credential(sso).startswith("role:arn:aws:iam::123456789012:role/")


def test_a_reason_is_data():
    assert clean_reason("  rotating\u202e the\x1b[31m ETL\n key  ") == "rotating the[31m ETL key"
    assert len(clean_reason("x" * 5000)) == 300


def test_an_sso_actor_is_asked_once_in_a_dm_found_by_email(runtime_for, slack, aws):
    slack.emails["erin@example.com"] = ERIN
    runtime = runtime_for(confirm_with_actor="medium")
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    [opened] = slack.of("conversations.open")
    assert opened.params["users"] == ERIN
    [dm] = slack.posted("D" + ERIN[1:])
    assert "Was this you?" in dm["text"] and "question_yes" in json.dumps(dm["blocks"])
    question = runtime.store.questions.for_event(event.key)
    assert (question.person, question.email, question.status) == (ERIN, "erin@example.com", "asked")
    again = normalize({**event.raw, "eventID": "0e1a7c52-0000-4000-8000-00000000cafe"})
    runtime.workflow.intake.take([again])  # the same person and credential in the same window: not asked again
    assert len(slack.of("conversations.open")) == 1 and runtime.store.questions.for_event(again.key) is None
    runtime.poster.flush()  # the alert, posted before the e-mail was looked up, now names who was asked
    assert "whether this was them; no answer yet" in json.dumps(shown(slack, runtime, f"alert:{event.key}")["blocks"])


def test_an_actor_slack_cannot_name_is_not_messaged(runtime_for, slack, aws):
    runtime = runtime_for(confirm_with_actor="medium")
    event, _ = access_key_event(aws.client("iam"))  # erin@example.com is nobody in this workspace
    runtime.workflow.intake.take([event])
    assert slack.of("conversations.open") == [] and slack.posted(ALERTS)
    assert runtime.store.questions.for_event(event.key).person is None


def test_never_asked_below_the_floor_or_for_iambot_itself(runtime_for, slack, aws):
    slack.emails["erin@example.com"] = ERIN
    high_only = runtime_for(confirm_with_actor="critical")
    event, _ = access_key_event(aws.client("iam"))
    high_only.workflow.intake.take([event])
    assert high_only.store.questions.for_event(event.key) is None
    own = runtime_for(confirm_with_actor="medium", self_arns=[CAROL_ARN], people={CAROL_ARN: CAROL})
    mine, _ = own_key_event(aws.client("iam"))
    own.workflow.intake.take([mine])
    assert own.store.questions.for_event(mine.key) is None and slack.of("conversations.open") == []


def test_yes_shows_the_reason_on_the_alert_and_lowers_nothing(runtime_for, slack, aws):
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL})
    event, _ = own_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    qid = runtime.store.questions.for_event(event.key).id
    with pytest.raises(Refused, match="only they can answer"):
        runtime.workflow.questions.yes(qid, STRANGER, "it was me, honest")
    runtime.workflow.questions.yes(qid, CAROL, "rotating the\u202e ETL key")
    alert = json.dumps(shown(slack, runtime, f"alert:{event.key}")["blocks"])
    assert " confirmed: " in alert and "rotating the ETL key" in alert and CAROL in alert
    row = runtime.store.alerts.get(event.key)
    assert (row.status, row.severity) == ("open", "medium")  # approvers still decide
    dm = json.dumps(shown(slack, runtime, f"question:{qid}")["blocks"])
    assert "You said this was you" in dm and "question_yes" not in dm  # answered in place, no buttons
    with pytest.raises(Refused, match="already answered"):
        runtime.workflow.questions.no(qid, CAROL)
    assert [a for a in audit_actions(runtime) if a[0] == "question"] == [
        ("question", STRANGER, "refused"),
        ("question", CAROL, "ok"),
        ("question", CAROL, "refused"),
    ]
    assert runtime.store.questions.get(qid).status == "yes"


def test_no_raises_the_alert_tells_the_approvers_and_asks_for_a_quarantine(runtime_for, slack, aws):
    iam = aws.client("iam")
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL}, approvals_channel=APPROVALS)
    event, key = own_key_event(iam)
    runtime.workflow.intake.take([event])
    qid = runtime.store.questions.for_event(event.key).id
    answered = runtime.workflow.questions.no(qid, CAROL)
    assert runtime.store.alerts.get(event.key).severity == "high"
    assert runtime.store.events.get(event.key).severity == "high"  # as the digest counts it
    alert = shown(slack, runtime, f"alert:{event.key}")
    assert alert["text"].startswith("[HIGH]") and "says this wasn't them" in json.dumps(alert["blocks"])
    request = request_row(runtime)
    assert answered.request_id == request["id"] and request["status"] == "requested"
    assert (request["remediation_id"], request["requested_by"]) == ("deactivate-access-key", CAROL)
    assert json.loads(request["params"]) == {"user_name": "carol", "access_key_id": key}
    assert key_status(iam, key, "carol") == "Active"  # it still needs an approval
    notice = json.dumps(shown(slack, runtime, f"disowned:{qid}"))
    assert runtime.store.outbox.get(f"disowned:{qid}").channel == APPROVALS
    assert APPROVER in notice and APPROVER2 in notice and request["id"] in notice and "on behalf of" in notice
    actions = [a for a in audit_actions(runtime) if a[0] in ("question", "quarantine", "request")]
    assert actions == [("question", CAROL, "ok"), ("request", CAROL, "ok"), ("quarantine", CAROL, "ok")]
    dm = json.dumps(shown(slack, runtime, f"question:{qid}")["blocks"])
    assert "You said this wasn't you" in dm and request["id"] in dm


def test_the_no_notice_pings_only_the_approvers_to_notify_when_they_are_set(runtime_for, slack, aws):
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL}, approvals_channel=APPROVALS,
                          approvers_to_notify=[APPROVER2])  # fmt: skip
    event, _ = own_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    qid = runtime.store.questions.for_event(event.key).id
    runtime.workflow.questions.no(qid, CAROL)
    notice = json.dumps(shown(slack, runtime, f"disowned:{qid}"))
    assert APPROVER2 in notice and APPROVER not in notice


def test_a_no_whose_quarantine_a_crash_left_unasked_is_settled_once_by_the_sweep(runtime_for, slack, aws, monkeypatch):
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL}, approvals_channel=APPROVALS)
    event, _ = own_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    questions = runtime.workflow.questions
    qid = runtime.store.questions.for_event(event.key).id

    def dies(*args, **kwargs):
        raise RuntimeError("the replica died while planning the quarantine")

    with monkeypatch.context() as patched:
        patched.setattr(runtime.workflow.remediations, "ask", dies)
        with pytest.raises(RuntimeError):
            questions.no(qid, CAROL)
    assert runtime.store.questions.get(qid).status == "no" and request_row(runtime) is None
    assert questions.settle() == 0  # within the grace a quarantine may still be on its way
    later = datetime.fromisoformat(runtime.store.questions.get(qid).answered_at) + timedelta(minutes=3)
    monkeypatch.setattr(questions, "clock", lambda: later)
    assert questions.settle() == 1
    request = request_row(runtime)
    assert (request["remediation_id"], request["requested_by"]) == ("deactivate-access-key", CAROL)
    assert runtime.store.questions.get(qid).request_id == request["id"]
    assert questions.settle() == 0 and request_row(runtime)["id"] == request["id"]  # settled: never asked twice


def test_a_quarantine_that_cannot_be_opened_says_why_on_the_notice(runtime_for, slack, aws):
    slack.emails["erin@example.com"] = ERIN
    runtime = runtime_for(confirm_with_actor="medium")
    event, _ = access_key_event(aws.client("iam"))  # an SSO session: its role is not one iambot can revoke here
    runtime.workflow.intake.take([event])
    qid = runtime.store.questions.for_event(event.key).id
    runtime.workflow.questions.no(qid, ERIN)
    assert runtime.store.alerts.get(event.key).severity == "high"  # at least high: never lowered, never closed
    assert runtime.store.alerts.get(event.key).status == "open"
    assert request_row(runtime) is None
    notice = json.dumps(shown(slack, runtime, f"disowned:{qid}"))
    assert "No quarantine was opened" in notice and "does not exist" in notice
    assert ("quarantine", ERIN, "refused") in audit_actions(runtime)
    assert runtime.store.questions.get(qid).request_id == ""  # settled: the sweep does not try again
    assert runtime.workflow.questions.settle(grace=timedelta(0)) == 0


def test_a_disowned_critical_alert_stays_critical(runtime_for, slack):
    mallory = "arn:aws:iam::123456789012:user/mallory-dev"
    runtime = runtime_for(confirm_with_actor="high", people={mallory: "UMALLORY1"})
    event = normalize(as_account(load("UploadSigningCertificate__authored__1.json")))
    [taken] = runtime.workflow.intake.take([event]).taken
    assert taken.alert.severity == "critical"
    runtime.workflow.questions.no(runtime.store.questions.for_event(event.key).id, "UMALLORY1")
    assert runtime.store.alerts.get(event.key).severity == "critical"
    assert ("quarantine", "UMALLORY1", "refused") in audit_actions(runtime)  # that key is not in moto's account


def test_the_person_who_said_no_decides_nothing_about_the_quarantine_not_even_by_break_glass(runtime_for, slack, aws):
    iam = aws.client("iam")
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL}, approvals_channel=APPROVALS,
                          IAMBOT_APPROVERS=f"{APPROVER},{CAROL}", break_glass=True)  # fmt: skip
    event, key = own_key_event(iam)
    runtime.workflow.intake.take([event])
    rem = runtime.workflow.remediations
    request_id = runtime.workflow.questions.no(runtime.store.questions.for_event(event.key).id, CAROL).request_id
    assert request_id and not rem.break_glass_offered(request_id, CAROL)  # requester and actor: nothing to offer
    decisions = (lambda: rem.approve(request_id, CAROL, break_glass="it is my key, quick"),
                 lambda: rem.approve(request_id, CAROL), lambda: rem.deny(request_id, CAROL, "never mind"))  # fmt: skip
    for decide in decisions:
        with pytest.raises(Refused, match="other approvers decide it"):
            decide()
    assert request_row(runtime)["status"] == "requested" and key_status(iam, key, "carol") == "Active"
    assert [a for a in audit_actions(runtime) if a[:2] in (("approve", CAROL), ("deny", CAROL))] == [
        ("approve", CAROL, "refused"), ("approve", CAROL, "refused"), ("deny", CAROL, "refused")]  # fmt: skip
    assert rem.approve(request_id, APPROVER).status == "succeeded"  # another approver decides it as usual


@pytest.fixture
def asked_carol(runtime_for, slack, aws):
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL}, approvals_channel=APPROVALS)
    event, _key = own_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    return runtime, runtime.store.questions.for_event(event.key).id


@settings(max_examples=min(EXAMPLES, 60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    how=st.sampled_from(["yes", "no", "reason_for"]),
    which=st.one_of(st.just("real"), st.text(max_size=30)),
    user=st.one_of(st.sampled_from([CAROL, APPROVER, STRANGER, ""]), st.text(max_size=12)),
    reason=st.text(st.characters(codec="utf-8"), max_size=400),
)
def test_any_answer_is_recorded_or_refused_with_an_audited_reason(asked_carol, how, which, user, reason):
    runtime, real = asked_carol
    qid = real if which == "real" else which
    refusals = lambda: runtime.store.db.one("SELECT COUNT(*) AS n FROM audit WHERE result = 'refused'")["n"]  # noqa: E731
    before = refusals()
    questions = runtime.workflow.questions
    answer = {"yes": lambda: questions.yes(qid, user, reason), "no": lambda: questions.no(qid, user),
              "reason_for": lambda: questions.reason_for(qid, user)}[how]  # fmt: skip
    try:
        found = answer()
    except Refused as exc:
        assert str(exc) and refusals() == before + 1
        return
    assert (qid, user) == (real, CAROL) and found.person == CAROL  # only the person asked gets through
    if how == "yes":
        assert found.reason == clean_reason(reason) and len(found.reason or "") <= 300
