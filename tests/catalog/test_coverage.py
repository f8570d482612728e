"""The operation checklist (``bot.catalog.coverage``), against the locked botocore: every write
operation of the identity services, and every STS operation but the ones named there, has a
specific catalog entry. The lock holds botocore still, so a release never turns a fresh clone red;
``make aws-drift`` reports what AWS added since. Also: the drift report itself, every entry's
remediations exist and take the parameters the entry maps, IAM's caller-default rule is used
exactly where the API allows it, every docs link is AWS's, and the first-class five are complete."""

from __future__ import annotations

import copy
import importlib.metadata

import botocore.session
import pytest
from botocore.model import ServiceModel

from bot.catalog import coverage, load
from bot.catalog.coverage import SERVICES
from remediations import registry
from remediations.base import Remediation
from tests.support.records import FIRST_CLASS

IAM = "iam.amazonaws.com"
IAM_READS = SERVICES["iam"].reads

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
    for service, spec in SERVICES.items():
        for name in coverage.expected(service, model(service).operation_names):
            found.append(pytest.param(spec.source, name, id=f"{service}:{name}"))
    return found


def optional_user_name(name):
    """True when IAM's operation takes a UserName that the caller may leave out."""
    shape = model("iam").operation_model(name).input_shape
    return shape is not None and "UserName" in shape.members and "UserName" not in shape.required_members


def test_the_models_are_the_services_iambot_reads():
    for service, spec in SERVICES.items():
        prefix = model(service).metadata["endpointPrefix"]
        assert f"{prefix}.amazonaws.com" == spec.source, service
        assert spec.source in load().sources
    assert len(write_operations()) > 200


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_operations_left_without_an_entry_are_operations_and_have_none(service):
    spec = SERVICES[service]
    operations = set(model(service).operation_names)
    assert operations >= set(spec.without_entry), set(spec.without_entry) - operations
    assert [n for n in sorted(spec.without_entry) if (spec.source, n) in load()] == []


@pytest.mark.parametrize(("source", "name"), write_operations())
def test_every_write_operation_has_a_specific_entry(source, name):
    entry = load().get(source, name)
    assert not entry.generic, f"no catalog entry for {source} {name}: add events/{source.split('.')[0]}/{name}.toml"
    assert entry.key == (source, name)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_entry_names_an_operation_of_its_service(service):
    spec = SERVICES[service]
    unknown = set(load().names(spec.source)) - set(model(service).operation_names)
    assert unknown == spec.not_in_model, unknown


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


def test_the_lock_names_the_botocore_installed_here():
    assert coverage.locked_botocore() == importlib.metadata.version("botocore")


def test_the_locked_models_need_nothing():
    models = {service: model(service).operation_names for service in SERVICES}
    lines, count = coverage.report(models, coverage.catalog_names())
    assert count == 0, lines
    assert "iam (iam.amazonaws.com): 128/128 with an entry" in lines


def test_the_report_names_what_aws_added_and_removed():
    models = {service: model(service).operation_names for service in SERVICES}
    models["iam"] = [*models["iam"], "CreateTeleporter", "ListTeleporters"]
    models["sts"] = [n for n in models["sts"] if n != "GetSessionToken"]
    lines, count = coverage.report(models, coverage.catalog_names())
    assert count == 2
    assert "  + CreateTeleporter: no entry (add events/iam/CreateTeleporter.toml)" in lines
    assert not any("ListTeleporters" in line for line in lines)  # a read: the generic entry explains it
    assert "  - GetSessionToken: entry for an operation AWS no longer has" in lines


def test_drift_exits_zero_unless_asked_to_fail(monkeypatch, capsys):
    real = botocore.session.Session.get_service_model

    def newer(self, name, api_version=None):
        found = real(self, name, api_version)
        if name != "iam":
            return found
        description = copy.deepcopy(found._service_description)  # the loader caches the original
        description["operations"]["CreateTeleporter"] = {"name": "CreateTeleporter"}
        return ServiceModel(description, service_name=name)

    monkeypatch.setattr(botocore.session.Session, "get_service_model", newer)
    assert coverage.main([]) == 0
    out = capsys.readouterr().out
    assert f"botocore {botocore.__version__} (the lock has {coverage.locked_botocore()})" in out
    assert "+ CreateTeleporter" in out and "1 to bring up to date" in out
    assert coverage.main(["--fail"]) == 1


def test_drift_of_a_covered_botocore_is_quiet(capsys):
    assert coverage.main(["--fail"]) == 0
    assert "the catalog covers every operation of this botocore" in capsys.readouterr().out
