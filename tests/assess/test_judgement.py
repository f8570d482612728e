"""The judgement kept with an alert: it round-trips, and restoring any stored value — whatever a
database, a migration or an older version left — never raises and never invents a judgement."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.assess import Assessor
from bot.assess.judgement import VERSION, judgement, restore
from bot.events import normalize
from tests.support.records import as_account, load

ALERT = Assessor()(normalize(as_account(load("UpdateAccessKey__authored__1.json"))))
QUIET = Assessor()(normalize(as_account(load("UpdateAccessKey__authored__2.json"))))


def test_a_judgement_round_trips_through_json():
    stored = json.loads(json.dumps(judgement(ALERT)))
    back = restore(QUIET, stored)  # another alert's event, this one's judgement
    assert (back.severity, back.risk.base, back.risk.reasons) == (ALERT.severity, ALERT.risk.base, ALERT.risk.reasons)
    assert (back.summary, back.targets, back.offers) == (ALERT.summary, ALERT.targets, ALERT.offers)
    assert back.risk.factors == ALERT.risk.factors and back.risk.is_self == ALERT.risk.is_self
    assert back.event is QUIET.event  # the facts are the event's own


def test_nothing_stored_or_another_versions_judgement_leaves_the_alert_as_assessed_now():
    assert restore(ALERT, None) is ALERT
    assert restore(ALERT, {**judgement(QUIET), "v": VERSION + 1}) is ALERT
    assert restore(ALERT, {**judgement(QUIET), "severity": "apocalyptic"}) is ALERT


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_restoring_any_stored_value_is_total(value):
    back = restore(ALERT, value)
    assert back.severity in ("info", "low", "medium", "high", "critical")


@given(st.sampled_from(sorted(judgement(ALERT))), JSON)
def test_restoring_a_judgement_with_one_field_replaced_is_total(key, value):
    back = restore(ALERT, {**judgement(QUIET), key: value})
    assert back is ALERT or back.summary in (QUIET.summary, value)
    assert all(isinstance(o.id, str) and isinstance(o.params, dict) for o in back.offers)
