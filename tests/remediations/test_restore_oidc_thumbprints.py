from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from pydantic import ValidationError

from bot.store import Store
from remediations import registry
from remediations.base import JobContext, Knowledge, RemediationError, Undo
from remediations.restore_oidc_thumbprints import SNAPSHOT, SNAPSHOT_PERMISSIONS, RestoreOidcThumbprints, snapshot
from tests.support.aws import enforced, principal_with

ACCOUNT = "123456789012"
OLD, NEW, OTHER = "a" * 40, "b" * 40, "c" * 40
URL = "https://token.actions.example.com"
EVENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _provider(iam, thumbprints=(NEW,), url=URL):
    return iam.create_open_id_connect_provider(
        Url=url, ThumbprintList=list(thumbprints), ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]


def _thumbprints(iam, arn):
    return iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "iambot.db")
    yield s
    s.close()


def test_registered():
    assert registry.get("restore-oidc-thumbprints") is RestoreOidcThumbprints
    assert RestoreOidcThumbprints.destructive is False


def test_puts_the_thumbprints_back(iam, run):
    arn = _provider(iam)
    ran = run(RestoreOidcThumbprints, iam, {"provider_arn": arn, "thumbprints": OLD.upper()})
    assert ran.plan.lines == [f"Would replace the thumbprints of {arn}: {NEW} → {OLD}"]
    assert ran.plan.expected == {"thumbprints": [NEW]}
    assert ran.outcome.lines == [f"Restored thumbprints of {arn}: {OLD}"]
    assert _thumbprints(iam, arn) == [OLD]
    assert ran.after.lines == [f"OIDC provider {arn} already has those thumbprints"]


def test_the_same_thumbprints_in_another_order_or_case_are_a_noop(iam):
    arn = _provider(iam, (NEW, OLD))
    plan = RestoreOidcThumbprints(iam).plan(
        RestoreOidcThumbprints.parse({"provider_arn": arn, "thumbprints": f"{OLD.upper()} {NEW}"})
    )
    assert plan.noop


def test_missing_provider_is_a_clear_refusal(iam):
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
    with pytest.raises(RemediationError, match=rf"^OIDC provider {arn} does not exist$"):
        RestoreOidcThumbprints(iam).plan(RestoreOidcThumbprints.parse({"provider_arn": arn, "thumbprints": [OLD]}))


def test_thumbprints_are_split_and_lowered():
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/x"
    p = RestoreOidcThumbprints.parse({"provider_arn": arn, "thumbprints": f" {OLD.upper()}, {NEW}  {OTHER},"})
    assert p.thumbprints == [OLD, NEW, OTHER]


@pytest.mark.parametrize(
    "params",
    [
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "thumbprints": "g" * 40},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "thumbprints": "a" * 39},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "thumbprints": ""},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "thumbprints": [OLD] * 6},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/x", "thumbprints": OLD},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x"},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "thumbprints": OLD, "url": URL},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        RestoreOidcThumbprints.parse(params)


# ---------------------------------------------------------------- prepare: what to restore


def test_prepare_keeps_thumbprints_given():
    params = {"provider_arn": "arn", "thumbprints": [OLD]}
    assert RestoreOidcThumbprints.prepare(params, Knowledge(None, EVENT)) == params


def test_prepare_takes_the_thumbprints_recorded_before_the_event(store):
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
    store.snapshots.record(SNAPSHOT, arn, [OTHER], ACCOUNT, EVENT - timedelta(days=2))
    store.snapshots.record(SNAPSHOT, arn, [OLD], ACCOUNT, EVENT - timedelta(minutes=30))
    store.snapshots.record(SNAPSHOT, arn, [NEW], ACCOUNT, EVENT + timedelta(minutes=30))  # after the change
    store.snapshots.record(SNAPSHOT, "arn:aws:iam::123456789012:oidc-provider/other", [OTHER], ACCOUNT, EVENT)
    prepared = RestoreOidcThumbprints.prepare({"provider_arn": arn}, Knowledge(store.snapshots, EVENT, ACCOUNT))
    assert prepared == {"provider_arn": arn, "thumbprints": [OLD]}
    assert RestoreOidcThumbprints.parse(prepared).thumbprints == [OLD]


@pytest.mark.parametrize("knowledge", ["nothing before", "no store", "no event time"])
def test_prepare_without_a_record_shows_the_command_to_use(store, knowledge):
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
    store.snapshots.record(SNAPSHOT, arn, [NEW], ACCOUNT, EVENT + timedelta(minutes=5))
    given = {
        "nothing before": Knowledge(store.snapshots, EVENT, ACCOUNT),
        "no store": Knowledge(None, EVENT, ACCOUNT),
        "no event time": Knowledge(store.snapshots, None, ACCOUNT),
    }[knowledge]
    with pytest.raises(RemediationError) as info:
        RestoreOidcThumbprints.prepare({"provider_arn": arn}, given)
    message = str(info.value)
    assert "no record of this provider's thumbprints from before the change" in message
    assert f"`/iam remediate restore-oidc-thumbprints provider_arn={arn} thumbprints=<40-hex>,<40-hex>`" in message


# ---------------------------------------------------------------- the snapshot job


def test_the_job_is_declared_with_its_reads():
    [job] = RestoreOidcThumbprints.jobs()
    assert (job.name, job.minutes, job.run) == ("oidc-snapshot", 60, snapshot)
    assert job.permissions == SNAPSHOT_PERMISSIONS == ("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider")


def test_snapshot_records_only_changes_in_the_real_store(iam, store, tmp_path):
    first = _provider(iam, (NEW, OLD))
    second = _provider(iam, (OTHER,), url="https://accounts.example.org")
    t0 = EVENT - timedelta(hours=2)

    def job(at):
        return snapshot(JobContext(iam, ACCOUNT, store.snapshots, at))

    assert job(t0) == 2
    assert store.snapshots.latest(SNAPSHOT, first) == [OLD, NEW]  # lower-cased and sorted
    assert job(t0 + timedelta(hours=1)) == 0  # nothing changed: nothing recorded
    # the same list in another order is no change either
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=first, ThumbprintList=[OLD, NEW])
    assert job(t0 + timedelta(hours=1, minutes=30)) == 0
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=first, ThumbprintList=[OTHER])
    assert job(EVENT + timedelta(hours=1)) == 1
    rows = store.db.query("SELECT key, value, account_id, taken_at FROM snapshots ORDER BY taken_at, key")
    assert [(r["key"], json.loads(r["value"]), r["account_id"]) for r in rows] == [
        *sorted([(first, [OLD, NEW], ACCOUNT), (second, [OTHER], ACCOUNT)]),
        (first, [OTHER], ACCOUNT),
    ]
    # what the job kept is what prepare restores for a change at EVENT, and it survives a restart
    store.close()
    reopened = Store(tmp_path / "iambot.db")
    try:
        prepared = RestoreOidcThumbprints.prepare(
            {"provider_arn": first}, Knowledge(reopened.snapshots, EVENT, ACCOUNT)
        )
        assert prepared["thumbprints"] == [OLD, NEW]
    finally:
        reopened.close()


def test_snapshot_skips_a_provider_deleted_between_list_and_get_with_stubber(aws_session, snapshots):
    iam = aws_session.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gone.example.com"
    with Stubber(iam) as stub:
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": arn}]}, {})
        stub.add_client_error(
            "get_open_id_connect_provider", "NoSuchEntity", 404, expected_params={"OpenIDConnectProviderArn": arn}
        )
        assert snapshot(JobContext(iam, ACCOUNT, snapshots, EVENT)) == 0
        stub.assert_no_pending_responses()
    assert snapshots.rows == []


def test_the_job_needs_exactly_its_declared_reads(aws_session, snapshots):
    def attempt(allowed):
        with mock_aws():
            _provider(aws_session.client("iam"))
            client = principal_with(aws_session, allowed, "iam")
            with enforced():
                return snapshot(JobContext(client, ACCOUNT, type(snapshots)(), EVENT))

    [job] = RestoreOidcThumbprints.jobs()
    assert attempt(set(job.permissions)) == 1
    for missing in job.permissions:
        with pytest.raises(ClientError) as info:
            attempt(set(job.permissions) - {missing})
        assert info.value.response["Error"]["Code"] == "AccessDenied", missing


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"provider_arn": _provider(session.client("iam")), "thumbprints": [OLD]}

    exactly_enough(RestoreOidcThumbprints, setup, impact={"iam:ListRoles"})


# ---------------------------------------------------------------- undo: the thumbprints the plan read


def test_undo_puts_back_the_thumbprints_read_before_the_change():
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
    params = {"provider_arn": arn, "thumbprints": [OLD]}
    assert RestoreOidcThumbprints.undo(params, {"thumbprints": [NEW, OTHER]}) == Undo(
        "restore-oidc-thumbprints", {"provider_arn": arn, "thumbprints": [NEW, OTHER]}
    )
    assert RestoreOidcThumbprints.undo(params, {"thumbprints": [OLD.upper()]}) is None  # the plan was a no-op
    assert RestoreOidcThumbprints.undo(params, {"thumbprints": []}) is None  # no list this one can put
    assert RestoreOidcThumbprints.undo(params, {}) is None


def test_undo_round_trip_gives_the_thumbprints_back(iam, round_trip):
    arn = _provider(iam, (NEW, OTHER))
    done = round_trip(RestoreOidcThumbprints, iam, {"provider_arn": arn, "thumbprints": [OLD]})
    assert done.undo.params == {"provider_arn": arn, "thumbprints": sorted([NEW, OTHER])}
    assert sorted(_thumbprints(iam, arn)) == sorted([NEW, OTHER])


@pytest.mark.parametrize("value", [5, None, 1.5, True])
def test_thumbprints_that_are_not_a_list_are_a_validation_error(value):
    with pytest.raises(ValidationError):
        RestoreOidcThumbprints.parse({"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "thumbprints": value})
