"""Which operations of the identity services' APIs the catalog explains.

One list of the services iambot reads, with their read prefixes and the operations left without an
entry on purpose, shared by two readers:

- the coverage tests (``tests/catalog/test_coverage.py``), against the locked botocore: every
  operation, read or write, has an entry of its own (a file in ``events/`` or, for a read, a row in
  ``reads/``) unless it is named here with a reason, so a fresh clone passes on any day;
- the drift report (``make aws-drift``), against the newest botocore in a scratch environment: what
  AWS added since the lock, and entries whose operation AWS removed. A report for the catalog's
  maintainers, exit 0 unless ``--fail`` is given.

It runs as a script with nothing but the standard library and botocore
(``python bot/catalog/coverage.py [--fail]``), so the scratch environment needs nothing else.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

EVENTS = Path(__file__).resolve().parent / "events"
READS = Path(__file__).resolve().parent / "reads"
LOCK = Path(__file__).resolve().parents[2] / "requirements" / "test.txt"


@dataclass(frozen=True)
class Service:
    """A botocore service model and how the catalog covers it."""

    source: str  # the CloudTrail eventSource
    reads: tuple[str, ...]  # prefixes of read operations (their entries are rows of reads/*.toml)
    # operations of the model left without an entry on purpose, each with the reason
    without_entry: Mapping[str, str] = field(default_factory=dict)
    # entries that are not operations of the model (events CloudTrail records all the same)
    not_in_model: frozenset[str] = frozenset()


SERVICES: dict[str, Service] = {
    "iam": Service("iam.amazonaws.com", ("Get", "List", "Generate", "Simulate")),
    "organizations": Service("organizations.amazonaws.com", ("Get", "List", "Describe", "Is")),
    "sso-admin": Service(
        "sso.amazonaws.com",
        ("Get", "List", "Describe", "Is"),
        # the console's own calls, documented in the IAM Identity Center user guide, recorded
        # under sso.amazonaws.com but not operations of the public sso-admin API
        not_in_model=frozenset(
            {
                "AssociateDirectory",
                "CreateToken",  # sso-oidc's, as records from before sso-oauth.amazonaws.com name it
                "DeletePermissionsPolicy",
                "DisassociateDirectory",
                "PutMfaDeviceManagementForDirectory",
                "PutPermissionsPolicy",
                "UpdateSsoConfiguration",
            }
        ),
    ),
    "identitystore": Service("identitystore.amazonaws.com", ("Get", "List", "Describe", "Is")),
    "rolesanywhere": Service("rolesanywhere.amazonaws.com", ("Get", "List", "Describe", "Is")),
    # the AWS access portal API: CloudTrail records its calls under sso.amazonaws.com, beside sso-admin's
    "sso": Service("sso.amazonaws.com", ("Get", "List")),
    # IAM Identity Center OIDC: recorded under its signing name, sso-oauth
    "sso-oidc": Service("sso-oauth.amazonaws.com", ()),
    # STS has no read prefix: its Get* calls issue credentials
    "sts": Service(
        "sts.amazonaws.com",
        (),
        without_entry={
            "AssumeRole": "millions a day; the role's trust policy is where the risk lives",
            "GetWebIdentityToken": "routine outbound-federation tokens; turning the feature on is "
            "IAM's EnableOutboundWebIdentityFederation, which has an entry",
        },
    ),
}


def expected(service: str, operations: Iterable[str]) -> list[str]:
    """The operations of ``service`` that should have an entry of their own: all, reads too, but
    those left without one on purpose."""
    spec = SERVICES[service]
    return sorted(op for op in operations if op not in spec.without_entry)


def is_read(service: str, operation: str) -> bool:
    return operation.startswith(SERVICES[service].reads)


def unexplained(service: str, operations: Iterable[str], entries: Iterable[str]) -> list[str]:
    """Operations that should have an entry and have none."""
    return sorted(set(expected(service, operations)) - set(entries))


def removed(service: str, operations: Iterable[str], entries: Iterable[str], beside: Iterable[str] = ()) -> list[str]:
    """Entries that name no operation of the model (and are not events recorded outside it).
    ``beside``: the operations of the other models recorded under the same eventSource."""
    source = SERVICES[service].source
    outside = {name for spec in SERVICES.values() if spec.source == source for name in spec.not_in_model}
    return sorted(set(entries) - set(operations) - set(beside) - outside)


def sharing(service: str, models: Mapping[str, Iterable[str]]) -> set[str]:
    """The operations of the other services whose calls CloudTrail records under this one's source."""
    source = SERVICES[service].source
    return {
        op for other, spec in SERVICES.items() if other != service and spec.source == source for op in models[other]
    }


def catalog_names(root: Path = EVENTS, reads: Path = READS) -> dict[str, set[str]]:
    """eventSource → the names with an entry, read from the TOML files alone (no validation): the
    files of ``events/`` and the rows of the tables in ``reads/``."""
    names: dict[str, set[str]] = {}
    for path in sorted(root.glob("*/*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        names.setdefault(str(data["source"]), set()).add(str(data["name"]))
    for path in sorted(reads.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        names.setdefault(str(data["source"]), set()).update(str(name) for name in data.get("read", {}))
    return names


def locked_botocore(lock: Path = LOCK) -> str | None:
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("botocore=="):
            return line.split("==", 1)[1].split()[0].strip(" \\")
    return None


def report(models: Mapping[str, Iterable[str]], names: Mapping[str, set[str]]) -> tuple[list[str], int]:
    """Lines for people, and how many operations or entries need a maintainer's hand."""
    lines: list[str] = []
    count = 0
    checked: set[str] = set()  # sources whose entries were checked against every model recorded there
    for service, spec in SERVICES.items():
        operations = list(models[service])
        entries = names.get(spec.source, set())
        missing = unexplained(service, operations, entries)
        gone = [] if spec.source in checked else removed(service, operations, entries, sharing(service, models))
        checked.add(spec.source)
        covered = len(expected(service, operations)) - len(missing)
        lines.append(f"{service} ({spec.source}): {covered}/{len(expected(service, operations))} with an entry")
        folder = spec.source.split(".")[0]
        lines += [
            f"  + {name}: no entry (add "
            + (
                f"a row to a table in reads/ or events/{folder}/{name}.toml)"
                if is_read(service, name)
                else f"events/{folder}/{name}.toml)"
            )
            for name in missing
        ]
        lines += [f"  - {name}: entry for an operation AWS no longer has" for name in gone]
        count += len(missing) + len(gone)
    return lines, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fail", action="store_true", help="exit 1 when anything needs an entry or is gone")
    args = parser.parse_args(argv)
    import botocore
    import botocore.session

    session = botocore.session.get_session()
    models = {service: session.get_service_model(service).operation_names for service in SERVICES}
    lines, count = report(models, catalog_names())
    print(f"botocore {botocore.__version__} (the lock has {locked_botocore() or 'no botocore'})")
    print("\n".join(lines))
    if count:
        print(f"{count} to bring up to date: write the entries, then `make lock` and commit (README, Catalog drift)")
    else:
        print("the catalog covers every operation of this botocore")
    return 1 if args.fail and count else 0


if __name__ == "__main__":
    sys.exit(main())
