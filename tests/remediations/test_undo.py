"""The undo contract across every remediation: ``undo(params, expected)`` names a registered,
non-destructive inverse whose parameters parse, or None, for anything the store could hold; a
remediation either has an undo or says why not (``undo_note``), and every destructive one says why.

Each remediation's own test module checks its undo by a round trip under moto."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations import registry
from remediations.base import Remediation, Undo

ARN = "arn:aws:iam::123456789012:policy/s3-admin"
OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.example.com"
KEY = "AKIAEXAMPLE000000001"
CERT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

# for each remediation with an undo: stored parameters, the expected state its plan read, and the undo
EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any], Undo]] = {
    "deactivate-access-key": (
        {"user_name": "alice", "access_key_id": KEY},
        {"status": "Active"},
        Undo("reactivate-access-key", {"user_name": "alice", "access_key_id": KEY}),
    ),
    "reactivate-access-key": (
        {"user_name": "alice", "access_key_id": KEY},
        {"status": "Inactive"},
        Undo("deactivate-access-key", {"user_name": "alice", "access_key_id": KEY}),
    ),
    "deactivate-signing-certificate": (
        {"user_name": "alice", "certificate_id": CERT},
        {"status": "Active"},
        Undo("reactivate-signing-certificate", {"user_name": "alice", "certificate_id": CERT}),
    ),
    "reactivate-signing-certificate": (
        {"user_name": "alice", "certificate_id": CERT},
        {"status": "Inactive"},
        Undo("deactivate-signing-certificate", {"user_name": "alice", "certificate_id": CERT}),
    ),
    "quarantine-user": (
        {"user_name": "alice"},
        {"quarantined": False},
        Undo("delete-user-policy", {"user_name": "alice", "policy_name": "iambot-quarantine-deny-all"}),
    ),
    "revert-server-certificate-rename": (
        {"current_name": "www-old", "original_name": "www", "original_path": "/"},
        {"current": "ASCAEXAMPLEEXAMPLE01", "path": "/cloudfront/"},
        Undo(
            "revert-server-certificate-rename",
            {"current_name": "www", "original_name": "www-old", "original_path": "/cloudfront/"},
        ),
    ),
    "restore-oidc-thumbprints": (
        {"provider_arn": OIDC, "thumbprints": ["a" * 40]},
        {"thumbprints": ["b" * 40]},
        Undo("restore-oidc-thumbprints", {"provider_arn": OIDC, "thumbprints": ["b" * 40]}),
    ),
    "restore-inline-policy": (
        {"principal_type": "group", "principal_name": "g" * 100, "policy_name": "app"},
        {"current_sha256": None, "restore_sha256": "ab" * 32},
        Undo("delete-group-policy", {"group_name": "g" * 100, "policy_name": "app"}),
    ),
    **{
        f"detach-{kind}-policy": (
            {f"{kind}_name": "p", "policy_arn": ARN},
            {"attached": True},
            Undo(f"attach-{kind}-policy", {f"{kind}_name": "p", "policy_arn": ARN}),
        )
        for kind in ("user", "group", "role")
    },
    **{
        f"attach-{kind}-policy": (
            {f"{kind}_name": "p", "policy_arn": ARN},
            {"attached": False},
            Undo(f"detach-{kind}-policy", {f"{kind}_name": "p", "policy_arn": ARN}),
        )
        for kind in ("user", "group", "role")
    },
    **{
        f"delete-{kind}-policy": (
            {f"{kind}_name": "p", "policy_name": "app"},
            {"document_sha256": "ab" * 32},
            Undo("restore-inline-policy", {"principal_type": kind, "principal_name": "p", "policy_name": "app"}),
        )
        for kind in ("user", "group", "role")
    },
}


def _has_undo(cls: type[Remediation]) -> bool:
    return cls.undo.__func__ is not Remediation.undo.__func__  # type: ignore[attr-defined]


def test_the_inverse_table():
    assert {rid: (u.remediation_id) for rid, (_, _, u) in EXAMPLES.items()} == {
        "deactivate-access-key": "reactivate-access-key",
        "reactivate-access-key": "deactivate-access-key",
        "deactivate-signing-certificate": "reactivate-signing-certificate",
        "reactivate-signing-certificate": "deactivate-signing-certificate",
        "quarantine-user": "delete-user-policy",
        "revert-server-certificate-rename": "revert-server-certificate-rename",
        "restore-oidc-thumbprints": "restore-oidc-thumbprints",
        "restore-inline-policy": "delete-group-policy",
        **{f"detach-{k}-policy": f"attach-{k}-policy" for k in ("user", "group", "role")},
        **{f"attach-{k}-policy": f"detach-{k}-policy" for k in ("user", "group", "role")},
        **{f"delete-{k}-policy": "restore-inline-policy" for k in ("user", "group", "role")},
    }


@pytest.mark.parametrize("rid", registry.ids())
def test_a_remediation_has_an_undo_or_says_why_not(rid):
    cls = registry.REMEDIATIONS[rid]
    assert _has_undo(cls) == (rid in EXAMPLES)
    if _has_undo(cls):
        assert cls.undo_note is None, rid
    else:
        assert cls.undo_note and cls.undo_note.strip() == cls.undo_note and "\n" not in cls.undo_note, rid
    if cls.destructive:
        assert not _has_undo(cls) and cls.undo_note, rid


@pytest.mark.parametrize("rid", list(EXAMPLES))
def test_each_undo_names_a_registered_inverse_that_is_not_destructive(rid):
    params, expected, want = EXAMPLES[rid]
    cls = registry.REMEDIATIONS[rid]
    cls.parse(params)  # the example is a request iambot could have stored
    undo = cls.undo(params, expected)
    assert undo == want
    inverse = registry.get(want.remediation_id)
    assert inverse is not None and not inverse.destructive
    assert inverse.parse(undo.params).model_dump(exclude_none=True) == undo.params  # as it will be stored


@pytest.mark.parametrize("rid", registry.ids())
def test_anything_that_is_not_a_stored_request_has_no_undo(rid):
    cls = registry.REMEDIATIONS[rid]
    for params, expected in [({}, {}), ({"unexpected": 1}, {}), (None, None), ([], "x"), ({}, [])]:
        assert cls.undo(params, expected) is None  # type: ignore[arg-type]
    if rid in EXAMPLES:
        params, _, _ = EXAMPLES[rid]
        assert cls.undo(params, {}) is None  # no expected state: iambot does not know what it changed
        assert cls.undo(params, None) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------- total over what the store could hold

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=12,
)
# values close to the ones that parse: names, ARNs, ids, thumbprints, paths, statuses
NEAR = st.sampled_from(
    [
        "alice",
        "a" * 64,
        "a" * 65,
        "g" * 128,
        "a b",
        ARN,
        OIDC,
        KEY,
        CERT,
        "a" * 40,
        "A" * 40,
        ["a" * 40] * 6,
        [],
        "/",
        "/x/",
        "x/",
        "user",
        "group",
        "role",
        "Active",
        "Inactive",
        "",
        True,
        False,
        None,
        0,
        "ab" * 32,
    ]
)


@st.composite
def mutated(draw: Any, base: dict[str, Any]) -> Any:
    """``base`` with keys changed, removed and added; or something else entirely."""
    if draw(st.integers(0, 19)) == 0:
        return draw(JSON)
    out = dict(base)
    for key in list(out):
        choice = draw(st.integers(0, 9))  # most keys kept, so that undos come out too
        if choice == 7:
            del out[key]
        elif choice == 8:
            out[key] = draw(NEAR)
        elif choice == 9:
            out[key] = draw(JSON)
    if draw(st.integers(0, 3)) == 0:
        out[draw(st.sampled_from([*base, "extra", "status", "path", "thumbprints"]))] = draw(NEAR | JSON)
    return out


@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_undo_is_total_and_names_an_inverse_whose_parameters_parse(data):
    rid = data.draw(st.sampled_from(registry.ids()))
    cls = registry.REMEDIATIONS[rid]
    params, expected, _ = EXAMPLES.get(rid, ({}, {}, None))
    undo = cls.undo(data.draw(mutated(params)), data.draw(mutated(expected)))
    if undo is not None:
        assert isinstance(undo, Undo)
        inverse = registry.REMEDIATIONS[undo.remediation_id]
        inverse.parse(undo.params)
