"""What risk scoring knows beyond the event: iambot's own principals, as ARN globs."""

from __future__ import annotations

from bot.assess.base import Factor, RiskContext
from tests.support.subjects import subject

KEY_EVENT = "UpdateAccessKey__authored__2.json"


def test_risk_context_is_self_by_arn_globs():
    sso = subject("UpdateAccessKey__authored__1.json").event
    ctx = RiskContext(("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin*",))
    assert ctx.is_self(sso)  # the session's issuer role
    assert not ctx.is_self(subject(KEY_EVENT).event)
    assert RiskContext(("arn:aws:sts::111122223333:assumed-role/*/erin@example.com",)).is_self(sso)
    assert ctx.arns_of(sso) == [sso.actor.arn, sso.actor.issuer_arn]
    assert not RiskContext().is_self(sso)




def test_factor_defaults_to_no_floor():
    assert Factor("x", 1, "why").at_least is None
