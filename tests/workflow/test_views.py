"""What a message shows is what was judged when its event was taken in: a later render, with
other settings or more history, changes the status around the alert, never its judgement."""

from __future__ import annotations

from bot.events import normalize
from tests.support.records import as_account, load


def test_a_later_render_keeps_the_judgement_made_at_intake(runtime_for):
    first = runtime_for()
    event = normalize(as_account(load("UpdateAccessKey__authored__1.json")))
    [taken] = first.workflow.intake.take([event]).taken
    # the same database, read by a replica configured since to treat this actor as automation
    later = runtime_for(automation_arns=[event.actor.arn or "*"])
    fresh = later.workflow.views.assess(later.store.events.get(event.key))
    assert fresh is not None and fresh.severity != taken.alert.severity  # judged now, it would differ
    view = later.workflow.views.alert_view(event.key)
    assert view is not None
    assert (view.alert.severity, view.alert.risk.reasons) == (taken.alert.severity, taken.alert.risk.reasons)
    assert view.alert.summary == taken.alert.summary
