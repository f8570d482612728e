"""The compact tables of read operations (``bot.catalog.reads``): a row becomes a full entry when
the catalog loads, with the summary, meaning, docs and severity its table and row say, and a bad
table is refused at load with the file and the row named."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from bot.assess import Assessor
from bot.catalog import CatalogError, load, load_from
from bot.events import normalize
from tests.support.records import load as load_record

IAM = "iam.amazonaws.com"
CATALOG = Path(str(resources.files("bot.catalog")))

TABLE = """
source = "iam.amazonaws.com"
why = "Reads change nothing, but they map who can do what."
attack = ["T1087.004"]

[read.ListUsers]
reveals = "the account's IAM users"

[read.ListAttachedUserPolicies]
reveals = "the managed policies attached to an IAM user"
of = "the managed policies attached to IAM user {user}"
targets = { user = "request.userName" }
attack = ["T1069.003"]
"""


@pytest.fixture
def catalog_dir(tmp_path):
    """A small catalog folder: the real sources.toml, one real entry and one table."""
    (tmp_path / "events" / "iam").mkdir(parents=True)
    (tmp_path / "reads").mkdir()
    shutil.copy(CATALOG / "sources.toml", tmp_path / "sources.toml")
    shutil.copy(CATALOG / "events" / "iam" / "CreateUser.toml", tmp_path / "events" / "iam")
    (tmp_path / "reads" / "iam.toml").write_text(TABLE)
    (tmp_path / "reads" / "notes.md").write_text("not a table")
    return tmp_path


def test_a_row_becomes_a_full_entry(catalog_dir):
    catalog = load_from(catalog_dir)
    assert sorted(catalog.names(IAM)) == ["CreateUser", "ListAttachedUserPolicies", "ListUsers"]
    entry = catalog.get(IAM, "ListAttachedUserPolicies", read_only=True)
    assert not entry.generic and entry.base_severity == "info"
    assert entry.title == "List Attached User Policies (read)"
    assert entry.docs == ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html"]
    assert entry.meaning == (
        "A read-only IAM call: ListAttachedUserPolicies returns the managed policies attached to an IAM user "
        "to the caller. It changes nothing."
    )
    assert entry.why == "Reads change nothing, but they map who can do what."
    assert entry.attack == ["T1069.003"]  # the row's own
    assert catalog.get(IAM, "ListUsers").attack == ["T1087.004"]  # the table's
    assert [(c.text, c.attempt) for c in entry.summary] == [
        (
            "{actor} read the managed policies attached to IAM user {user}",
            "{actor} tried to read the managed policies attached to IAM user {user}",
        ),
        (
            "{actor} read the managed policies attached to an IAM user",
            "{actor} tried to read the managed policies attached to an IAM user",
        ),
    ]


def test_a_row_may_say_more(catalog_dir):
    table = catalog_dir / "reads" / "iam.toml"
    table.write_text(
        TABLE
        + """
[read.GetCredentialReport]
reveals = "the credential report"
severity = "low"
title = "Credential report read"
meaning = "IAM returns the credential report of the account, one row per user."
why = "It lists every credential."
"""
    )
    entry = load_from(catalog_dir).get(IAM, "GetCredentialReport")
    assert (entry.base_severity, entry.title) == ("low", "Credential report read")
    assert entry.meaning == "IAM returns the credential report of the account, one row per user."
    assert entry.why == "It lists every credential. Reads change nothing, but they map who can do what."


def test_a_row_that_starts_a_job_says_so(catalog_dir):
    (catalog_dir / "reads" / "iam.toml").write_text(
        TABLE
        + """
[read.GenerateCredentialReport]
reveals = "the credential report"
did = "asked IAM to build"
to_do = "ask IAM to build"
"""
    )
    [case] = load_from(catalog_dir).get(IAM, "GenerateCredentialReport").summary
    assert (case.text, case.attempt) == (
        "{actor} asked IAM to build the credential report",
        "{actor} tried to ask IAM to build the credential report",
    )


def test_a_denied_read_with_null_parameters_reads_as_an_attempt_without_its_target():
    """GetRole by an outsider, refused, requestParameters null (a published record): the row's
    target comes from the error message, and the summary names it."""
    alert = Assessor()(normalize(load_record("GetRole__panther__1.json")))
    assert not alert.entry.generic
    assert alert.summary.endswith("tried to read IAM role FooBar, with its trust policy (AccessDenied)")
    assert alert.severity == "info"


OF = 'of = "the managed policies attached to IAM user {user}"'
USERS = "reveals = \"the account's IAM users\""
TARGETS = 'targets = { user = "request.userName" }'
BAD_TABLES = {
    "full-entry-twice": (
        ("[read.ListUsers]", '[read.CreateUser]\nreveals = "a user"\n\n[read.ListUsers]'),
        r"reads/iam.toml: CreateUser already has a full entry \(events/iam/CreateUser.toml\)",
    ),
    "unlisted-source": (
        ("iam.amazonaws.com", "ec2.amazonaws.com"),
        r"reads/iam.toml: source 'ec2.amazonaws.com' is not listed",
    ),
    "not-an-operation": (
        ("[read.ListUsers]", "[read.listUsers]"),
        r"reads/iam.toml: 'listUsers' is not an operation name",
    ),
    "unknown-placeholder": (
        (OF, 'of = "the policies of {usr}"'),
        r"reads/iam.toml: ListAttachedUserPolicies: .*unknown field 'usr'",
    ),
    "of-without-targets": (
        (TARGETS + "\n", ""),
        r"reads/iam.toml: ListAttachedUserPolicies: `of` names a target, so the row needs \[targets\]",
    ),
    "placeholder-in-reveals": (
        (USERS, 'reveals = "user {user}"'),
        r"reads/iam.toml: read.ListUsers.reveals: .*placeholders",
    ),
    "unknown-key": ((USERS, USERS + '\ncolour = "red"'), r"reads/iam.toml: read.ListUsers.colour: Extra inputs"),
    "bad-attack": (
        ('attack = ["T1069.003"]', 'attack = ["TA0007"]'),
        r"reads/iam.toml: ListAttachedUserPolicies: attack: .*ATT&CK",
    ),
    "bad-path": (
        (TARGETS, 'targets = { user = "userName" }'),
        r"reads/iam.toml: ListAttachedUserPolicies: targets: .*not a record path",
    ),
    "bad-toml": ((USERS, "reveals = "), r"reads/iam.toml: not valid TOML"),
}


@pytest.mark.parametrize(("change", "message"), BAD_TABLES.values(), ids=BAD_TABLES.keys())
def test_a_bad_table_is_refused_at_load_naming_the_file_and_row(catalog_dir, change, message):
    old, new = change
    assert old in TABLE
    (catalog_dir / "reads" / "iam.toml").write_text(TABLE.replace(old, new, 1))
    with pytest.raises(CatalogError, match=message):
        load_from(catalog_dir)


def test_a_row_in_two_tables_is_refused(catalog_dir):
    (catalog_dir / "reads" / "more.toml").write_text(TABLE.split("[read.ListAttachedUserPolicies]")[0])
    with pytest.raises(CatalogError, match=r"reads/more.toml: ListUsers already has a row in reads/iam.toml"):
        load_from(catalog_dir)


def test_a_catalog_without_tables_loads(catalog_dir):
    shutil.rmtree(catalog_dir / "reads")
    assert load_from(catalog_dir).names(IAM) == ["CreateUser"]


def test_the_bundled_tables_use_each_sources_reference_unless_they_say_otherwise():
    catalog = load()
    assert catalog.get(IAM, "ListUsers").docs == ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html"]
    portal = catalog.get("sso.amazonaws.com", "ListAccountRoles")
    assert portal.docs == ["https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_ListAccountRoles.html"]
    assert catalog.get("sso.amazonaws.com", "ListPermissionSets").docs == [
        "https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListPermissionSets.html"
    ]
