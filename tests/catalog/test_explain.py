"""`iambot explain` and `/iam explain` text: every entry, its cases, factors and remediations."""

from __future__ import annotations

import pytest

from bot.assess import GENERIC
from bot.catalog import generic_entry, load
from bot.catalog.explain import GENERIC_FACTORS, explain_text
from remediations import registry

IAM = "iam.amazonaws.com"


def test_explain_text_for_every_entry_mentions_its_remediations():
    catalog = load()
    titles = registry.titles()
    for entry in catalog:
        text = explain_text(entry, titles)
        assert text.startswith(f"{entry.name} ({entry.source}): {entry.title}")
        assert f"Base severity: {entry.base_severity}" in text
        for offer in entry.remediations:
            assert f"  • {offer.id} ({titles[offer.id]}): " in text
        assert text.rstrip().endswith("Docs: " + "  ".join(entry.docs))


def test_first_class_entry_in_full():
    entry = load().get(IAM, "UpdateAccessKey")
    text = explain_text(entry, registry.titles())
    lines = text.splitlines()
    assert lines[0] == "UpdateAccessKey (iam.amazonaws.com): Access key status changed  [first-class]"
    assert lines[1] == "Base severity: low"
    assert "What it means: " + " ".join(entry.meaning.split()) in lines
    assert "Why it matters: " + " ".join(entry.why.split()) in lines
    assert "ATT&CK: T1098.001, T1078.004" in lines
    assert "Risk factors: root-actor, console-without-mfa, failed-call, automation, self-or-other, key-reactivated, " \
           "key-deactivated, root-credential" in lines
    assert "Targets: user, access_key_id" in lines
    assert "  • deactivate-access-key (Deactivate the access key): user_name ← user, access_key_id ← access_key_id " \
           "when request.status = Active" in lines


def test_case_severities_are_listed():
    entry = next(e for e in load() if any(c.severity and c.when for c in e.summary))
    case = next(c for c in entry.summary if c.severity and c.when)
    text = explain_text(entry, {})
    assert f"; {case.severity} when {', '.join(case.when)}" in text.splitlines()[1]


def test_generic_entry_and_unknown_titles():
    entry = generic_entry(load().sources[IAM], "FrobnicateUser", read_only=False)
    text = explain_text(entry, {})
    assert text.startswith("FrobnicateUser (iam.amazonaws.com): Frobnicate User\n")
    assert "[first-class]" not in text
    assert "ATT&CK: no direct technique" in text
    assert "Targets" not in text and "Remediations" not in text
    with_offer = load().get(IAM, "UpdateAccessKey")
    assert "  • deactivate-access-key (deactivate-access-key): " in explain_text(with_offer, {})


@pytest.mark.parametrize("name", sorted(GENERIC))
def test_generic_factors_are_the_assessors(name):
    assert name in GENERIC_FACTORS
    assert len(GENERIC_FACTORS) == len(GENERIC)
