"""The approval state machine, with neither Slack nor AWS: a store on each backend, the policy from
settings, and a directory that knows a few people."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from threading import Barrier, Thread

import pytest

from bot.config.settings import given
from bot.store import Store
from bot.workflow import approvals
from bot.workflow.authz import ActorRef, Authorizer, Refused
from tests.conftest import APPROVER, APPROVER2, REQUESTER, STRANGER

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


class Directory:
    def __init__(self, groups=None, emails=None):
        self.groups, self.emails, self.asked = groups or {}, emails or {}, []

    def group_members(self, group):
        self.asked.append(group)
        return frozenset(self.groups.get(group, ()))

    def user_by_email(self, email):
        self.asked.append(email)
        return self.emails.get(email)


@pytest.fixture
def setup(iambot_db):
    """A store on the backend under test, the policy from settings, and the authorizer."""
    stores = []

    def make(directory=None, **settings):
        values = {"IAMBOT_APPROVERS": f"{APPROVER},{APPROVER2}", **settings}
        cfg = given(**values)
        stores.append(Store(iambot_db))
        return stores[-1], approvals.Policy.from_settings(cfg), Authorizer(cfg, directory or Directory())

    yield make
    for store in stores:
        store.close()


def ask(store, policy, destructive=False, actor=None, at=T0, params=None):
    return approvals.create(
        store,
        policy,
        remediation_id="deactivate-access-key",
        destructive=destructive,
        params=params or {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001"},
        plan=["Would set access key AKIAEXAMPLE000000001 of user legacy-etl to Inactive"],
        expected={"status": "Active"},
        user=REQUESTER,
        event_key="evt|UpdateAccessKey|1",
        account_id="111122223333",
        actor=actor,
        at=at,
    )


def audit(store):
    return [(r["action"], r["user_id"], r["result"]) for r in reversed(store.audit.recent(50))]


def test_one_approval_moves_requested_to_approved_and_claim_runs_it_once(setup):
    store, policy, authz = setup()
    request = ask(store, policy)
    assert request.status == "requested" and request.approvals_needed == 1
    assert request.expires_at == "2026-11-20T11:00:00Z"
    decision = approvals.approve(store, authz, request.id, APPROVER, T0)
    assert decision.ready and decision.remaining == 0 and decision.request.status == "approved"
    assert approvals.claim(store, request.id, T0) is True
    assert approvals.claim(store, request.id, T0) is False  # a second runner gets nothing
    done = approvals.finish(store, store.requests.get(request.id), "succeeded", ["Set it Inactive"], T0)
    assert done.status == "succeeded" and done.outcome == ("Set it Inactive",)
    assert audit(store) == [
        ("request", REQUESTER, "ok"),
        ("approve", APPROVER, "ok"),
        ("execute", "iambot", "succeeded"),
    ]


def test_finish_only_moves_a_running_request(setup):
    store, policy, _ = setup()
    request = ask(store, policy)
    done = approvals.finish(store, request, "succeeded", ["nope"], T0)
    assert done.status == "requested" and done.outcome == ()


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        (REQUESTER, "someone else must approve"),
        (STRANGER, "not an approver"),
    ],
)
def test_refusals_are_audited_and_change_nothing(user, reason, setup):
    store, policy, authz = setup(IAMBOT_APPROVERS=f"{APPROVER},{REQUESTER}")
    request = ask(store, policy)
    with pytest.raises(Refused, match=reason):
        approvals.approve(store, authz, request.id, user, T0)
    assert store.requests.get(request.id).status == "requested"
    assert ("approve", user, "refused") in audit(store)


def test_the_actor_of_the_change_cannot_approve_its_remediation(setup):
    directory = Directory(emails={"erin@example.com": APPROVER})
    store, policy, authz = setup(directory)
    erin = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1/erin@example.com"
    actor = json.dumps({"arn": erin, "name": "erin@example.com", "email": "erin@example.com"})
    request = ask(store, policy, actor=actor)
    with pytest.raises(Refused, match="You made the change"):
        approvals.approve(store, authz, request.id, APPROVER, T0)
    assert approvals.approve(store, authz, request.id, APPROVER2, T0).ready


def test_destructive_needs_two_different_approvers(setup):
    store, policy, authz = setup()
    request = ask(store, policy, destructive=True)
    assert request.approvals_needed == 2
    first = approvals.approve(store, authz, request.id, APPROVER, T0)
    assert not first.ready and first.remaining == 1
    with pytest.raises(Refused, match="already approved"):
        approvals.approve(store, authz, request.id, APPROVER, T0)
    second = approvals.approve(store, authz, request.id, APPROVER2, T0)
    assert second.ready and second.request.approvals == (APPROVER, APPROVER2)


def test_a_second_open_request_for_the_same_thing_is_refused(setup):
    store, policy, _ = setup()
    first = ask(store, policy)
    with pytest.raises(Refused, match=f"already requested as {first.id}"):
        ask(store, policy)
    assert ("request", REQUESTER, "refused") in audit(store)
    other = ask(store, policy, params={"user_name": "other", "access_key_id": "AKIAEXAMPLE000000002"})
    assert other.id != first.id


def test_a_request_expires_when_its_time_is_up(setup):
    store, policy, authz = setup(request_ttl_minutes=30)
    request = ask(store, policy)
    assert approvals.expire_due(store, T0 + timedelta(minutes=29)) == []
    with pytest.raises(Refused, match="expired"):
        approvals.approve(store, authz, request.id, APPROVER, T0 + timedelta(minutes=31))
    assert store.requests.get(request.id).status == "expired"  # committed with the refusal
    assert ("expire", "iambot", "ok") in audit(store)


def test_the_expiry_job_expires_every_request_due(setup):
    store, policy, _ = setup()
    a = ask(store, policy)
    b = ask(store, policy, params={"user_name": "b", "access_key_id": "AKIAEXAMPLE000000002"})
    touched = []
    assert sorted(approvals.expire_due(store, T0 + timedelta(hours=2), then=touched.append)) == sorted([a.id, b.id])
    assert {r.id for r in touched} == {a.id, b.id} and {r.status for r in touched} == {"expired"}
    assert approvals.expire_due(store, T0 + timedelta(hours=3)) == []


def test_deny_by_an_approver_and_cancel_by_the_requester(setup):
    store, policy, authz = setup()
    denied = approvals.deny(store, authz, ask(store, policy).id, APPROVER, "not planned", T0)
    assert denied.status == "denied" and denied.decided_by == APPROVER and denied.reason == "not planned"
    other = ask(store, policy, params={"user_name": "b", "access_key_id": "AKIAEXAMPLE000000002"})
    with pytest.raises(Refused, match="Only an approver"):
        approvals.deny(store, authz, other.id, STRANGER, "", T0)
    cancelled = approvals.deny(store, authz, other.id, REQUESTER, "", T0)
    assert cancelled.status == "cancelled"
    with pytest.raises(Refused, match="cancelled by"):
        approvals.approve(store, authz, other.id, APPROVER, T0)


def test_a_finished_request_says_its_outcome_and_cannot_be_decided(setup):
    store, policy, authz = setup()
    request = ask(store, policy)
    approvals.approve(store, authz, request.id, APPROVER, T0)
    approvals.claim(store, request.id, T0)
    approvals.finish(store, store.requests.get(request.id), "succeeded", ["Set it Inactive"], T0)
    with pytest.raises(Refused, match="succeeded: Set it Inactive"):
        approvals.approve(store, authz, request.id, APPROVER2, T0)
    with pytest.raises(Refused, match="There is no request"):
        approvals.approve(store, authz, "RNOPE22", APPROVER2, T0)


def test_twenty_concurrent_approvers_move_it_once(iambot_db):
    cfg = given(IAMBOT_APPROVERS=",".join(f"UAPPROVE{i:02d}" for i in range(20)))
    store = Store(iambot_db)
    policy, authz = approvals.Policy.from_settings(cfg), Authorizer(cfg, Directory())
    request = ask(store, policy)
    barrier, ready = Barrier(20), []

    def one(i):
        barrier.wait()
        try:
            ready.append(approvals.approve(store, authz, request.id, f"UAPPROVE{i:02d}", T0).ready)
        except Refused:
            ready.append(False)

    threads = [Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ready.count(True) == 1
    assert store.requests.get(request.id).status == "approved"


def test_approver_groups_are_asked_once_and_unverified_means_not_trusted():
    directory = Directory(groups={"S0SECURITY": [STRANGER]})
    cfg = given(IAMBOT_APPROVERS=APPROVER, approver_groups=["S0SECURITY", "S0GONE00"])
    authz = Authorizer(cfg, directory)
    assert authz.is_approver(STRANGER) and authz.is_approver(STRANGER)
    assert directory.asked.count("S0SECURITY") == 1  # cached
    assert not authz.is_approver("UNOBODY01")


def test_people_map_wins_over_e_mail_and_globs_match():
    directory = Directory(emails={"erin@example.com": APPROVER})
    cfg = given(IAMBOT_APPROVERS=APPROVER, people={"arn:aws:iam::*:user/ci-*": APPROVER2})
    authz = Authorizer(cfg, directory)
    assert authz.slack_user(ActorRef("arn:aws:iam::111122223333:user/ci-deployer", "ci-deployer", None)) == APPROVER2
    assert authz.slack_user(ActorRef(None, "erin@example.com", "erin@example.com")) == APPROVER
    assert authz.slack_user(ActorRef("arn:aws:iam::111122223333:user/bob", "bob", None)) is None
    assert authz.slack_user(None) is None
