"""Records as Athena hands them over: CloudTrail's record with lower-case keys.

Athena's CloudTrail table (the DDL of the Athena user guide, "Querying AWS CloudTrail logs": the
console's table and the one with partition projection) names every column and struct field in
lower case (``eventname``, ``useridentity.sessioncontext.sessionissuer.username``), and keeps
``requestparameters``, ``responseelements``, ``additionaleventdata`` and
``serviceeventdetails`` as JSON strings. :func:`camel` gives back the record CloudTrail wrote, so
the readers, the catalog's fields and the assessor see one shape whatever the reader.

Total: any value goes in; keys it does not know stay as they are, strings that are not JSON stay
strings (and so are not trusted as objects by ``normalize``).
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_STRING = 1 << 20  # a JSON string column larger than this stays a string (a record is ~2 KB)

_TOP = {
    k.lower(): k
    for k in (
        "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
        "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
        "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent",
        "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
        "eventCategory", "addendum", "sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails",
        "insightDetails",
    )
}  # fmt: skip
_IDENTITY = {
    k.lower(): k
    for k in (
        "type", "principalId", "arn", "accountId", "invokedBy", "accessKeyId", "userName", "onBehalfOf",
        "sessionContext", "sourceIdentity", "credentialId", "identityProvider",
    )
}  # fmt: skip
_CONTEXT = {k.lower(): k for k in ("attributes", "sessionIssuer", "ec2RoleDelivery", "webIdFederationData",
                                   "sourceIdentity", "assumedRoot")}  # fmt: skip
_ATTRIBUTES = {k.lower(): k for k in ("mfaAuthenticated", "creationDate")}
_ISSUER = {k.lower(): k for k in ("type", "principalId", "arn", "accountId", "userName")}
_BEHALF = {k.lower(): k for k in ("userId", "identityStoreArn")}
_WEB = {k.lower(): k for k in ("federatedProvider", "attributes")}
_RESOURCE = {"arn": "ARN", "accountid": "accountId", "type": "type"}
_ADDENDUM = {k.lower(): k for k in ("reason", "updatedFields", "originalRequestID", "originalEventID")}
_TLS = {k.lower(): k for k in ("tlsVersion", "cipherSuite", "clientProvidedHostHeader")}
# columns Athena's table keeps as JSON text (STRING in the DDL): parsed back into what CloudTrail wrote
JSON_COLUMNS = frozenset({"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"})


def is_lower(record: Any) -> bool:
    """A record in Athena's shape: no ``eventName``/``eventSource`` key, a lower-case one instead."""
    return (
        type(record) is dict
        and "eventName" not in record
        and "eventSource" not in record
        and ("eventname" in record or "eventsource" in record)
    )


def parsed(value: Any) -> Any:
    """A JSON string column as the value it holds; anything else (or text that is not JSON) as is."""
    if isinstance(value, str) and 0 < len(value) <= MAX_STRING and value[:1] in "{[":
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _renamed(value: Any, names: dict[str, str]) -> dict[str, Any]:
    """A dict's keys in CloudTrail's spelling (known ones); the camel-case key wins when both are there."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = names.get(key, key) if isinstance(key, str) else key
        if name in out and name != key:
            continue
        out[name] = item
    return out


def _struct(value: Any, names: dict[str, str]) -> Any:
    value = parsed(value)
    return _renamed(value, names) if isinstance(value, dict) else value


def identity(value: Any) -> Any:
    """A userIdentity struct (a dict, or its JSON text) in CloudTrail's spelling."""
    ui = _struct(value, _IDENTITY)
    if not isinstance(ui, dict):
        return ui
    if "onBehalfOf" in ui:
        ui["onBehalfOf"] = _struct(ui["onBehalfOf"], _BEHALF)
    ctx = ui.get("sessionContext")
    if isinstance(ctx, dict | str):
        ctx = ui["sessionContext"] = _struct(ctx, _CONTEXT)
        if isinstance(ctx, dict):
            if "attributes" in ctx:
                ctx["attributes"] = _struct(ctx["attributes"], _ATTRIBUTES)
            if "sessionIssuer" in ctx:
                ctx["sessionIssuer"] = _struct(ctx["sessionIssuer"], _ISSUER)
            if "webIdFederationData" in ctx:
                ctx["webIdFederationData"] = _struct(ctx["webIdFederationData"], _WEB)
    return ui


def camel(record: dict[str, Any]) -> dict[str, Any]:
    """The CloudTrail record a lower-case (Athena) record stands for. Nulls are dropped: Athena
    returns every column of the table, CloudTrail writes only the fields an event has."""
    out = _renamed({k: v for k, v in record.items() if v is not None}, _TOP)
    if "userIdentity" in out:
        out["userIdentity"] = identity(out["userIdentity"])
    for name in JSON_COLUMNS:
        if name in out:
            out[name] = parsed(out[name])
    resources = parsed(out.get("resources"))
    if isinstance(resources, list):
        out["resources"] = [_renamed(r, _RESOURCE) if isinstance(r, dict) else r for r in resources]
    for name, names in (("addendum", _ADDENDUM), ("tlsDetails", _TLS)):
        if name in out:
            out[name] = _struct(out[name], names)
    return out
