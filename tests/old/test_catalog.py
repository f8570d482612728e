from __future__ import annotations

import pytest

from bot.catalog import CatalogError, generic_entry, load, parse_entry, validate
from bot.events import IAM_SOURCE
from bot.risk import FACTORS
from remediations import registry
from tests.conftest import FIXTURES
from tests.conftest import load as load_record

FIRST_CLASS = {
    "UpdateAccessKey",
    "UpdateLoginProfile",
    "UploadSigningCertificate",
    "UpdateServerCertificate",
    "UpdateOpenIDConnectProviderThumbprint",
}
REQUIRED = FIRST_CLASS | {
    "CreateAccessKey",
    "CreateLoginProfile",
    "DeleteLoginProfile",
    "CreateUser",
    "AttachUserPolicy",
    "PutUserPolicy",
    "AttachRolePolicy",
    "UpdateAssumeRolePolicy",
    "CreateRole",
    "AddUserToGroup",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "UpdateAccountPasswordPolicy",
    "UploadSSHPublicKey",
    "ChangePassword",
    "DeleteAccessKey",
}


def test_catalog_loads_and_has_every_required_entry():
    catalog = load()
    assert set(catalog.names()) >= REQUIRED
    assert {e.name for e in catalog.first_class()} == FIRST_CLASS


@pytest.mark.parametrize("name", sorted(FIRST_CLASS))
def test_first_class_entries_are_complete(name):
    entry = load().get(name)
    assert entry.first_class and not entry.generic
    assert entry.remediations, "a first-class event offers remediations"
    assert any(u.endswith(f"API_{name}.html") for u in entry.docs)
    assert len(entry.why.split()) > 40  # the real risks, in words
    for offer in entry.remediations:
        cls = registry.get(offer.id)
        assert cls is not None
        # every parameter the catalog fills is one the remediation accepts
        assert set(offer.params) <= set(cls.Params.model_fields)


def test_every_iam_event_in_the_fixtures_has_a_specific_entry_or_is_a_read():
    catalog = load()
    import json

    names = set()
    for path in FIXTURES.rglob("*.json"):
        data = json.loads(path.read_text())
        for record in data if isinstance(data, list) else [data]:
            if record.get("eventSource") == IAM_SOURCE:
                names.add((record["eventName"], record.get("errorCode") is not None))
    missing = {n for n, failed in names if n not in catalog and not failed}
    assert all(n.startswith(("List", "Get")) for n in missing), missing  # reads are generic


def test_invalid_entries_are_refused_with_the_file_name():
    with pytest.raises(CatalogError, match=r"Bad.toml: not valid TOML"):
        parse_entry("name = ", "Bad.toml")
    text = (FIXTURES.parent.parent.parent / "bot/catalog/events/UpdateAccessKey.toml").read_text()
    with pytest.raises(CatalogError, match=r"base_severity"):
        parse_entry(text.replace('base_severity = "low"', 'base_severity = "severe"'), "X.toml")
    with pytest.raises(CatalogError, match=r"unknown field 'usr'"):
        parse_entry(text.replace("of user {user}", "of user {usr}", 1), "X.toml")
    with pytest.raises(CatalogError, match=r"ATT&CK"):
        parse_entry(text.replace('"T1098.001"', '"TA0003"'), "X.toml")
    with pytest.raises(CatalogError, match="Extra inputs"):
        parse_entry(text + '\ncolour = "red"\n', "X.toml")
    entry = parse_entry(text, "UpdateAccessKey.toml")
    with pytest.raises(CatalogError, match="unknown risk factor"):
        validate({"X": entry.model_copy(update={"factors": ["vibes"]})}, set(FACTORS), None)
    with pytest.raises(CatalogError, match="unknown remediation 'deactivate-access-key'"):
        validate({"X": entry}, set(FACTORS), {"something-else"})


def test_generic_entry_is_modest_and_correct():
    read = generic_entry("ListRoles", read_only=True)
    write = generic_entry("TagRole", read_only=False)
    assert read.base_severity == "info" and write.base_severity == "low"
    assert read.title == "List Roles"
    assert "no specific entry" in write.meaning


def test_explain_text_for_every_entry_mentions_its_remediations():
    from bot.cli import explain_text

    catalog = load()
    for name in catalog.names():
        text = explain_text(catalog.get(name), registry.titles())
        assert text.startswith(name)
        for offer in catalog.get(name).remediations:
            assert offer.id in text


def test_fixture_helper_reads_authored_records():
    assert load_record("UpdateAccessKey__authored__1.json")["eventName"] == "UpdateAccessKey"
