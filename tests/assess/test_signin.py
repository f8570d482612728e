"""The sign-in and history factors: new networks, repeated failures, secret scanners."""

from __future__ import annotations

from datetime import timedelta

from bot.assess import RiskContext
from bot.assess import signin as f
from tests.support.records import load as load_record
from tests.support.subjects import subject

KEY_EVENT = "UpdateAccessKey__authored__2.json"  # IAM user ops-alice, with access key AKIAEXAMPLEUSER00007
CTX = RiskContext()


class FakeHistory:
    def __init__(self, ips=(), nets=(), failures=0):
        self.ips, self.nets, self.count = set(ips), set(nets), failures
        self.asked = []

    def sign_in_sources(self, actor, source, before):
        self.asked.append((actor, source, before))
        return self.ips, self.nets

    def failures(self, actor, source_ip, source, since, before):
        self.asked.append((actor, source_ip, source, since, before))
        return self.count


def test_network_of():
    assert f.network_of("198.51.100.7") == "198.51.100.0/24"
    assert f.network_of(" 2001:db8:1:2::1 ") == "2001:db8:1::/48"
    assert f.network_of("AWS Internal") is None and f.network_of(None) is None


def test_new_network():
    login = subject("ConsoleLogin__awsdocs__2.json")  # from 192.0.2.0
    history = FakeHistory(ips={"203.0.113.5"}, nets={"203.0.113.0/24"})
    found = f.new_network(login, RiskContext(history=history))
    assert found.delta == 1
    assert found.reason == "anaya signed in from 192.0.2.0, a network iambot has not seen for them " \
                           "(seen before: 1 network(s))"
    assert history.asked == [(login.event.actor.arn, "signin.amazonaws.com", login.event.event_time)]


def test_new_address_in_a_known_network():
    login = subject("ConsoleLogin__awsdocs__2.json")
    found = f.new_network(login, RiskContext(history=FakeHistory(ips={"192.0.2.9"}, nets={"192.0.2.0/24"})))
    assert found.delta == 0 and found.reason.startswith("First sign-in of anaya from 192.0.2.0, in a network seen")


def test_new_network_needs_history_and_a_success():
    login = subject("ConsoleLogin__awsdocs__2.json")
    assert f.new_network(login, CTX) is None
    assert f.new_network(login, RiskContext(history=FakeHistory())) is None  # nothing to compare with
    assert f.new_network(login, RiskContext(history=FakeHistory(ips={"192.0.2.0"}))) is None  # known address
    failed = subject("ConsoleLogin__awsdocs__3.json")
    assert f.new_network(failed, RiskContext(history=FakeHistory(ips={"203.0.113.5"}))) is None


def test_repeated_failures():
    failed = subject("ConsoleLogin__awsdocs__3.json")
    history = FakeHistory(failures=4)
    found = f.repeated_failures(failed, RiskContext(history=history))
    assert found.delta == 1 and found.at_least == "medium"
    # a failed sign-in's record carries no ARN: the failures are counted and named by address
    assert failed.event.actor.arn is None
    assert found.reason.startswith("5 failures from 192.0.2.0 in 15 minutes")
    when = failed.event.event_time
    assert history.asked == [(failed.event.actor.arn, failed.event.source_ip, "signin.amazonaws.com",
                              when - timedelta(minutes=15), when)]
    assert f.repeated_failures(failed, RiskContext(history=FakeHistory(failures=3))) is None
    assert f.repeated_failures(subject("ConsoleLogin__awsdocs__2.json"), RiskContext(history=history)) is None
    assert f.repeated_failures(failed, CTX) is None


def test_repeated_failures_of_a_known_principal_name_it():
    record = load_record("ConsoleLogin__awsdocs__3.json")
    record["userIdentity"]["arn"] = "arn:aws:iam::111122223333:user/anaya"
    found = f.repeated_failures(subject(record), RiskContext(history=FakeHistory(failures=9)))
    assert found.reason.startswith("10 failures anaya in 15 minutes")


def test_secret_scanner():
    found = f.secret_scanner(subject(KEY_EVENT, userAgent="TruffleHog"), CTX)
    assert found.delta == 2 and found.at_least == "high"
    assert "TruffleHog, a secret scanner" in found.reason and "AKIAEXAMPLEUSER00007" in found.reason
    assert "the caller sets it" in found.reason  # a user agent is a claim, not a fact
    assert f.secret_scanner(subject(KEY_EVENT, userAgent="gitleaks/8"), CTX) is None  # no evidence it verifies keys
