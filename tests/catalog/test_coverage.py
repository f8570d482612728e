"""The operation checklist: every write operation of the identity services, read from botocore's
service models, has a specific catalog entry. When AWS adds an operation (and botocore ships it),
this suite fails until someone writes the entry. Also: every entry's remediations exist and take
the parameters the entry maps, IAM's caller-default rule is used exactly where the API allows it,
every docs link is AWS's, and the first-class five are complete."""

from __future__ import annotations

import botocore.session
import pytest

from bot.catalog import load
from remediations import registry
from remediations.base import Remediation
from tests.support.records import FIRST_CLASS

IAM = "iam.amazonaws.com"
IAM_READS = ("Get", "List", "Generate", "Simulate")
READS = ("Get", "List", "Describe", "Is")
# botocore service model -> (CloudTrail eventSource, prefixes of read operations)
SERVICES = {
    "iam": (IAM, IAM_READS),
    "organizations": ("organizations.amazonaws.com", READS),
    "sso-admin": ("sso.amazonaws.com", READS),
    "identitystore": ("identitystore.amazonaws.com", READS),
    "rolesanywhere": ("rolesanywhere.amazonaws.com", READS),
}
# Events CloudTrail records under sso.amazonaws.com that are not operations of the public
# sso-admin API (the console's own calls, documented in the IAM Identity Center user guide).
SSO_CONSOLE_EVENTS = {
    "AssociateDirectory",
    "DeletePermissionsPolicy",
    "DisassociateDirectory",
    "PutMfaDeviceManagementForDirectory",
    "PutPermissionsPolicy",
}
# IAM operations whose UserName is optional and which act on a user's credentials, but have no
# entry (and so no caller_default): they are reads, explained by the generic entry, which names
# no target. A read of one's own credentials moves nothing; see the report of issue 9.
OPTIONAL_USER_READS = {
    "GetLoginProfile",
    "GetMFADevice",
    "GetUser",
    "ListAccessKeys",
    "ListMFADevices",
    "ListSSHPublicKeys",
    "ListServiceSpecificCredentials",
    "ListSigningCertificates",
}

_SESSION = botocore.session.get_session()


def model(service):
    return _SESSION.get_service_model(service)


def write_operations():
    found = []
    for service, (source, reads) in SERVICES.items():
        for name in model(service).operation_names:
            if not name.startswith(reads):
                found.append(pytest.param(source, name, id=f"{service}:{name}"))
    return found


def optional_user_name(name):
    """True when IAM's operation takes a UserName that the caller may leave out."""
    shape = model("iam").operation_model(name).input_shape
    return shape is not None and "UserName" in shape.members and "UserName" not in shape.required_members


def test_the_models_are_the_services_iambot_reads():
    for service, (source, _) in SERVICES.items():
        prefix = model(service).metadata["endpointPrefix"]
        assert f"{prefix}.amazonaws.com" == source, service
        assert source in load().sources
    assert len(write_operations()) > 200


@pytest.mark.parametrize(("source", "name"), write_operations())
def test_every_write_operation_has_a_specific_entry(source, name):
    entry = load().get(source, name)
    assert not entry.generic, f"no catalog entry for {source} {name}: add events/{source.split('.')[0]}/{name}.toml"
    assert entry.key == (source, name)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_entry_names_an_operation_of_its_service(service):
    source, _ = SERVICES[service]
    unknown = set(load().names(source)) - set(model(service).operation_names)
    assert unknown == (SSO_CONSOLE_EVENTS if source == "sso.amazonaws.com" else set()), unknown


def test_every_remediation_exists_and_takes_the_mapped_parameters():
    problems = []
    for entry in load():
        for offer in entry.remediations:
            cls = registry.get(offer.id)
            if cls is None:
                problems.append(f"{entry.name}: unknown remediation {offer.id!r}")
                continue
            fields = cls.Params.model_fields
            extra = set(offer.params) - set(fields)
            if extra:
                problems.append(f"{entry.name}: {offer.id} does not take {sorted(extra)}")
            # what the entry does not supply, the remediation fills itself (from its records or settings)
            unmapped = {k for k, f in fields.items() if f.is_required()} - set(offer.params)
            fills = cls.prepare.__func__ is not Remediation.prepare.__func__ or cls.defaults.__func__ is not (
                Remediation.defaults.__func__
            )
            if unmapped and not fills:
                problems.append(f"{entry.name}: {offer.id} needs {sorted(unmapped)}, which nothing supplies")
    assert problems == []


def test_entries_offer_remediations():
    offered = {o.id for e in load() for o in e.remediations}
    assert len(offered) > 15
    assert offered <= set(registry.ids())


def test_caller_default_only_where_iam_makes_user_name_optional():
    with_default = [e for e in load() if e.caller_default is not None]
    assert with_default
    for entry in with_default:
        assert entry.caller_default == "user", entry.name
        assert entry.source == IAM, entry.name
        assert entry.name in model("iam").operation_names, entry.name
        assert optional_user_name(entry.name), f"{entry.name}: UserName is required by the API"


def test_every_write_with_an_optional_user_name_defaults_to_the_caller():
    iam = model("iam")
    optional = [n for n in iam.operation_names if optional_user_name(n)]
    writes = [n for n in optional if not n.startswith(IAM_READS)]
    assert len(writes) >= 12
    missing = [n for n in writes if load().get(IAM, n).caller_default != "user"]
    assert missing == []
    # the exceptions: reads, which have no entry of their own
    reads = {n for n in optional if n.startswith(IAM_READS)}
    assert reads == OPTIONAL_USER_READS
    assert all(load().get(IAM, n, read_only=True).generic for n in reads)


def test_every_docs_link_is_aws_documentation():
    catalog = load()
    links = [(e.name, url) for e in catalog for url in e.docs]
    links += [(s.source, s.docs) for s in catalog.sources.values()]
    assert [x for x in links if not x[1].startswith("https://docs.aws.amazon.com/")] == []


@pytest.mark.parametrize("name", sorted(FIRST_CLASS))
def test_first_class_entries_are_complete(name):
    entry = load().get(IAM, name)
    assert entry.first_class and not entry.generic
    assert entry.remediations, "a first-class event offers remediations"
    assert entry.docs[0] == f"https://docs.aws.amazon.com/IAM/latest/APIReference/API_{name}.html"
    assert len(entry.why.split()) > 40  # the real risks, in words
    assert entry.targets
    for offer in entry.remediations:
        cls = registry.get(offer.id)
        assert cls is not None
        assert set(offer.params) <= set(cls.Params.model_fields)
