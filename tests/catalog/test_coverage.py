"""The operation checklist (``bot.catalog.coverage``), against the locked botocore: every
operation of the identity services, reads included, and every STS operation but the ones named
there, has a specific catalog entry (a file of its own or a row of a reads table). The
lock holds botocore still, so a release never turns a fresh clone red; ``make aws-drift``
reports what AWS added since. Also: the drift report itself, every entry's
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

# IAM operations whose UserName is optional and which act on a user's credentials, but take no
# caller_default: they are reads, whose table rows name the user only when the request does. A
# read of one's own credentials moves nothing; see the report of issue 9.
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


# the models whose eventSource is not their endpoint prefix, as CloudTrail records them: the access
# portal's calls under sso.amazonaws.com (beside sso-admin's), IAM Identity Center OIDC's under its
# signing name
RECORDED_AS = {"sso": "sso.amazonaws.com", "sso-oidc": "sso-oauth.amazonaws.com"}
# reads with an entry of their own (events/), not a table row: each says why it starts where it does
FULL_READS = {
    (IAM, "GetAccountAuthorizationDetails"),
    (IAM, "GetCredentialReport"),
    (IAM, "GenerateCredentialReport"),
    (IAM, "SimulatePrincipalPolicy"),
    (IAM, "SimulateCustomPolicy"),
    ("sts.amazonaws.com", "DecodeAuthorizationMessage"),
    ("sso.amazonaws.com", "GetRoleCredentials"),
}


def operations():
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
        assert RECORDED_AS.get(service, f"{prefix}.amazonaws.com") == spec.source, service
        assert spec.source in load().sources
    assert model("sso-oidc").metadata["signingName"] == "sso-oauth"
    assert len(operations()) > 400


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_operations_left_without_an_entry_are_operations_and_have_none(service):
    spec = SERVICES[service]
    operations = set(model(service).operation_names)
    assert operations >= set(spec.without_entry), set(spec.without_entry) - operations
    assert [n for n in sorted(spec.without_entry) if (spec.source, n) in load()] == []


@pytest.mark.parametrize(("source", "name"), operations())
def test_every_operation_has_a_specific_entry(source, name):
    entry = load().get(source, name, read_only=name.startswith(("Get", "List", "Describe")))
    assert not entry.generic, f"no catalog entry for {source} {name}: add events/{source.split('.')[0]}/{name}.toml"
    assert entry.key == (source, name)


def test_reads_start_at_info_unless_their_own_entry_says_why():
    tables = coverage.catalog_names(reads=coverage.READS, root=coverage.EVENTS / "nothing-here")
    files = coverage.catalog_names(reads=coverage.EVENTS / "nothing-here")
    reads = [
        (spec.source, op)
        for service, spec in SERVICES.items()
        for op in model(service).operation_names
        if coverage.is_read(service, op)
    ]
    assert len(reads) > 170
    for key in reads:
        in_table, in_file = key[1] in tables.get(key[0], ()), key[1] in files.get(key[0], ())
        assert in_table != in_file, key  # one or the other, never both
        if in_table:
            assert load().entries[key].base_severity == "info", key
    # STS has no read prefix (its Get… calls issue credentials): DecodeAuthorizationMessage is
    # a read all the same, with an entry of its own
    assert {k for k in reads if k[1] in files.get(k[0], ())} == FULL_READS - {
        ("sts.amazonaws.com", "DecodeAuthorizationMessage")
    }
    for key in FULL_READS:
        assert not load().entries[key].generic and key[1] in files[key[0]], key


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_entry_names_an_operation_of_its_service(service):
    spec = SERVICES[service]
    models = {name: model(name).operation_names for name in SERVICES}
    unknown = set(load().names(spec.source)) - set(models[service]) - coverage.sharing(service, models)
    outside = {name for other in SERVICES.values() if other.source == spec.source for name in other.not_in_model}
    assert unknown == outside, unknown


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
    # the exceptions: reads, whose rows name the user only when the request does
    reads = {n for n in optional if n.startswith(IAM_READS)}
    assert reads == OPTIONAL_USER_READS
    for name in reads:
        entry = load().get(IAM, name, read_only=True)
        assert not entry.generic and entry.caller_default is None and entry.base_severity == "info", name


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
    assert "iam (iam.amazonaws.com): 210/210 with an entry" in lines
    assert "sso (sso.amazonaws.com): 4/4 with an entry" in lines
    assert "sso-oidc (sso-oauth.amazonaws.com): 4/4 with an entry" in lines


def test_the_report_names_what_aws_added_and_removed():
    models = {service: model(service).operation_names for service in SERVICES}
    models["iam"] = [*models["iam"], "CreateTeleporter", "ListTeleporters"]
    models["sts"] = [n for n in models["sts"] if n != "GetSessionToken"]
    models["sso"] = [n for n in models["sso"] if n != "ListAccountRoles"]
    lines, count = coverage.report(models, coverage.catalog_names())
    assert count == 4
    assert "  + CreateTeleporter: no entry (add events/iam/CreateTeleporter.toml)" in lines
    # a read needs an entry too: a row of a table will do
    assert "  + ListTeleporters: no entry (add a row to a table in reads/ or events/iam/ListTeleporters.toml)" in lines
    assert "  - GetSessionToken: entry for an operation AWS no longer has" in lines
    # the portal's entry is gone from its model; sso-admin, recorded under the same source, does not hide it
    assert lines.count("  - ListAccountRoles: entry for an operation AWS no longer has") == 1


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
