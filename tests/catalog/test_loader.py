"""Loading the catalog: sources, one validated entry per file, lookups by (source, name), the
generic fallback, and which records the readers keep."""

from __future__ import annotations

import json
import shutil
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from bot.catalog import Catalog, CatalogError, Entry, generic_entry, load, load_from, parse_entry
from bot.events import Selection
from bot.events.normalize import portal_name
from tests.support.records import FIRST_CLASS, FIXTURES

IAM = "iam.amazonaws.com"
CATALOG = Path(str(resources.files("bot.catalog")))
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
SOURCES = {
    "iam.amazonaws.com",
    "signin.amazonaws.com",
    "sts.amazonaws.com",
    "sso.amazonaws.com",
    "sso-directory.amazonaws.com",
    "identitystore.amazonaws.com",
    "organizations.amazonaws.com",
    "rolesanywhere.amazonaws.com",
    "sso-oauth.amazonaws.com",
}
# what can blind iambot (issue 21 item 2): only the calls the catalog explains are taken in
FEED = {
    "cloudtrail.amazonaws.com": {"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors",
                                 "PutInsightSelectors", "StopEventDataStoreIngestion", "DeleteEventDataStore"},
    "events.amazonaws.com": {"DisableRule", "DeleteRule", "RemoveTargets", "PutRule"},
    "sqs.amazonaws.com": {"SetQueueAttributes", "RemovePermission", "PurgeQueue", "DeleteQueue"},
    "kms.amazonaws.com": {"ScheduleKeyDeletion", "DisableKey"},
    "s3.amazonaws.com": {"PutBucketPolicy"},
}  # fmt: skip


def test_catalog_loads_and_has_every_required_entry():
    catalog = load()
    assert set(catalog.names(IAM)) >= REQUIRED
    assert {e.name for e in catalog.first_class()} == FIRST_CLASS
    assert {e.source for e in catalog.first_class()} == {IAM}
    assert set(catalog.sources) == SOURCES | set(FEED)
    assert all(not e.generic for e in catalog)


def test_load_is_cached():
    assert load() is load()


def test_every_service_folder_holds_its_own_entries():
    catalog = load()
    for path in sorted((CATALOG / "events").glob("*/*.toml")):
        source = next(s for s in catalog.sources.values() if s.service == path.parent.name)
        assert (source.source, path.stem) in catalog, path
    rows = sum(len(tomllib.loads(p.read_text())["read"]) for p in (CATALOG / "reads").glob("*.toml"))
    assert rows > 160
    assert len(catalog) == len(list((CATALOG / "events").glob("*/*.toml"))) + rows


def test_get_finds_specific_entries_by_source_and_name():
    catalog = load()
    iam_user = catalog.get(IAM, "CreateUser")
    store_user = catalog.get("identitystore.amazonaws.com", "CreateUser")
    assert iam_user.key == (IAM, "CreateUser") and not iam_user.generic
    assert store_user.key == ("identitystore.amazonaws.com", "CreateUser")
    assert iam_user.title != store_user.title
    assert (IAM, "CreateUser") in catalog and ("sts.amazonaws.com", "CreateUser") not in catalog


def test_find_looks_in_every_source_case_insensitively():
    found = load().find("createuser")
    assert [e.source for e in found] == [IAM, "identitystore.amazonaws.com", "sso-directory.amazonaws.com"]
    assert load().find("NoSuchCall") == []


def test_names_by_source():
    catalog = load()
    assert "CreateUser" in catalog.names(IAM)
    assert catalog.names(IAM) == sorted(catalog.names(IAM))
    assert "ConsoleLogin" in catalog.names("signin.amazonaws.com") and "ConsoleLogin" not in catalog.names(IAM)
    assert len(catalog.names()) == len(catalog)
    assert catalog.names("ec2.amazonaws.com") == []


def test_selection_takes_whole_sources_and_named_sts_calls():
    catalog = load()
    selection = catalog.selection()
    assert isinstance(selection, Selection)
    assert selection.sources == SOURCES - {"sts.amazonaws.com"}
    assert selection.named == {
        "sts.amazonaws.com": frozenset(catalog.names("sts.amazonaws.com")),
        **{source: frozenset(names) for source, names in FEED.items()},
    }
    assert not selection.wants("s3.amazonaws.com", "PutObject")  # one S3 call, never every S3 call
    assert "AssumeRole" not in selection.named["sts.amazonaws.com"]


def test_unknown_event_of_a_covered_source_gets_a_generic_entry():
    catalog = load()
    write = catalog.get(IAM, "FrobnicateUser")
    read = catalog.get(IAM, "ListFrobs", read_only=True)
    assert write.generic and read.generic
    assert write.base_severity == "low" and read.base_severity == "info"
    assert write.docs == ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_FrobnicateUser.html"]
    # a sign-in event without an entry (ConsoleLogout, say) is routine
    assert catalog.get("signin.amazonaws.com", "ConsoleLogout").base_severity == "info"


def test_unlisted_source_is_described_plainly():
    entry = load().get("ec2.amazonaws.com", "RunInstances")
    assert entry.generic and entry.source == "ec2.amazonaws.com"
    assert entry.meaning.startswith("A ec2 change call (RunInstances: run instances)")
    assert entry.docs[0].startswith("https://docs.aws.amazon.com/awscloudtrail/")
    odd = load().get("not a source", "RunInstances")
    assert odd.source == "unknown.amazonaws.com"


def test_the_root_users_call_without_an_entry_gets_the_root_entry():
    catalog = load()
    entry = catalog.get("s3.amazonaws.com", "PutBucketAcl", root=True)
    assert entry.generic and entry.source == "s3.amazonaws.com" and entry.name == "PutBucketAcl"
    assert entry.title == "Root user called s3:PutBucketAcl"
    assert entry.attack == ["T1078.004"] and entry.base_severity == "medium"
    assert "CIS AWS Foundations Benchmark (1.7)" in entry.why and "no IAM policy limits it" in entry.why
    assert entry.docs == ["https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html",
                          "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html"]  # fmt: skip
    assert entry.summary[0].text == "{actor} called s3:PutBucketAcl"
    # a covered source's call without an entry is root's too; a call with an entry keeps it
    # (every IAM operation has an entry now: a call AWS adds after the lock stands for one without)
    assert catalog.get(IAM, "ListWidgets", read_only=True, root=True).title == "Root user called iam:ListWidgets"
    assert catalog.get(IAM, "ListAccessKeys", root=True) is catalog.get(IAM, "ListAccessKeys")
    assert catalog.get(IAM, "CreateUser", root=True) is catalog.get(IAM, "CreateUser")
    assert catalog.get("not a source", "RunInstances", root=True).source == "unknown.amazonaws.com"


def test_generic_entry_is_modest_and_correct():
    iam = load().sources[IAM]
    read = generic_entry(iam, "ListRoles", read_only=True)
    write = generic_entry(iam, "TagRole", read_only=False)
    assert read.base_severity == "info" and write.base_severity == "low"
    assert read.title == "List Roles"
    assert generic_entry(iam, "CreateSAMLProvider", False).title == "Create SAML Provider"
    assert "no specific entry" in write.meaning
    assert write.meaning.startswith("A IAM change call (TagRole: tag role)")
    assert read.why.startswith("Reads map out who can do what")
    assert write.summary[0].text == "{actor} called TagRole"
    assert write.summary[0].attempt == "{actor} tried to call TagRole"
    assert write.targets == {} and write.remediations == [] and write.factors == []


def test_every_identity_event_in_the_fixtures_has_a_specific_entry():
    catalog = load()
    selection = catalog.selection()
    names = set()
    for path in FIXTURES.rglob("*.json"):
        data = json.loads(path.read_text())
        records = data["Records"] if isinstance(data, dict) and "Records" in data else data
        for record in records if isinstance(records, list) else [records]:
            if selection.wants(record.get("eventSource"), record.get("eventName")):
                name = portal_name(record["eventName"], record["eventSource"]) or record["eventName"]
                names.add((record["eventSource"], name, record.get("errorCode") is not None))
    missing = {(s, n) for s, n, _ in names if (s, n) not in catalog}
    assert missing == set()  # reads and failed calls included: each has an entry of its own
    assert len(names) > 60


ENTRY = (CATALOG / "events" / "iam" / "UpdateAccessKey.toml").read_text()


def test_invalid_entries_are_refused_with_the_file_name():
    with pytest.raises(CatalogError, match=r"^Bad.toml: not valid TOML"):
        parse_entry("name = ", "Bad.toml")
    with pytest.raises(CatalogError, match=r"^X.toml: base_severity: "):
        parse_entry(ENTRY.replace('base_severity = "low"', 'base_severity = "severe"'), "X.toml")
    with pytest.raises(CatalogError, match=r"^X.toml: .*unknown field 'usr'"):
        parse_entry(ENTRY.replace("of user {user}", "of user {usr}", 1), "X.toml")
    with pytest.raises(CatalogError, match=r"^X.toml: attack: .*ATT&CK"):
        parse_entry(ENTRY.replace('"T1098.001"', '"TA0003"'), "X.toml")
    with pytest.raises(CatalogError, match=r"^X.toml: colour: Extra inputs"):
        parse_entry('colour = "red"\n' + ENTRY, "X.toml")
    with pytest.raises(CatalogError, match=r"^X.toml: summary.0.when: .*operators are"):
        parse_entry(ENTRY.replace('on_self = true }', 'on_self = { equals = 1 } }', 1), "X.toml")


def test_a_valid_entry_parses():
    entry = parse_entry(ENTRY, "UpdateAccessKey.toml")
    assert isinstance(entry, Entry)
    assert entry == load().get(IAM, "UpdateAccessKey")


@pytest.fixture
def catalog_dir(tmp_path):
    """A small catalog folder: the real sources.toml and two real entries."""
    (tmp_path / "events" / "iam").mkdir(parents=True)
    (tmp_path / "events" / "signin").mkdir()
    shutil.copy(CATALOG / "sources.toml", tmp_path / "sources.toml")
    shutil.copy(CATALOG / "events" / "iam" / "CreateUser.toml", tmp_path / "events" / "iam")
    shutil.copy(CATALOG / "events" / "signin" / "ConsoleLogin.toml", tmp_path / "events" / "signin")
    (tmp_path / "events" / "iam" / "notes.md").write_text("not an entry")
    return tmp_path


def test_load_from_a_folder(catalog_dir):
    catalog = load_from(catalog_dir)
    assert isinstance(catalog, Catalog)
    assert sorted(e.key for e in catalog) == [(IAM, "CreateUser"), ("signin.amazonaws.com", "ConsoleLogin")]


def test_a_file_named_for_another_event_is_refused(catalog_dir):
    (catalog_dir / "events" / "iam" / "CreateUser.toml").rename(catalog_dir / "events" / "iam" / "MakeUser.toml")
    with pytest.raises(CatalogError, match=r"events/iam/MakeUser.toml: file name does not match name = 'CreateUser'"):
        load_from(catalog_dir)


def test_an_entry_in_the_wrong_service_folder_is_refused(catalog_dir):
    shutil.move(catalog_dir / "events" / "iam" / "CreateUser.toml", catalog_dir / "events" / "signin")
    where = r"events/signin/CreateUser.toml: source 'iam.amazonaws.com' does not belong in events/signin"
    with pytest.raises(CatalogError, match=where):
        load_from(catalog_dir)


def test_a_folder_for_an_unlisted_service_is_refused(catalog_dir):
    (catalog_dir / "events" / "ec2").mkdir()
    with pytest.raises(CatalogError, match=r"events/ec2: not a service listed in sources.toml"):
        load_from(catalog_dir)


def test_an_invalid_entry_names_its_path(catalog_dir):
    path = catalog_dir / "events" / "iam" / "CreateUser.toml"
    path.write_text(path.read_text().replace('base_severity = "low"', 'base_severity = "severe"'))
    with pytest.raises(CatalogError, match=r"^events/iam/CreateUser.toml: base_severity"):
        load_from(catalog_dir)


def test_an_invalid_source_is_refused(catalog_dir):
    sources = catalog_dir / "sources.toml"
    sources.write_text(sources.read_text().replace('recorded = "global"', 'recorded = "everywhere"', 1))
    with pytest.raises(CatalogError, match=r"^sources.toml: recorded: Input should be"):
        load_from(catalog_dir)


def test_sources_describe_where_events_are_recorded():
    sources = load().sources
    assert sources[IAM].recorded == "global" and sources[IAM].eventbridge_source == "aws.iam"
    assert sources["sso.amazonaws.com"].recorded == "home"
    assert sources["signin.amazonaws.com"].detail_type == "AWS Console Signin via CloudTrail"
    assert sources["sts.amazonaws.com"].named_only and not sources[IAM].named_only
    assert all(s.docs.startswith("https://docs.aws.amazon.com/") for s in sources.values())
