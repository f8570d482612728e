"""Every remediation, by id (the inverses that undo others among them)."""

from __future__ import annotations

from remediations.apply_password_policy import ApplyPasswordPolicy
from remediations.attach_group_policy import AttachGroupPolicy
from remediations.attach_role_policy import AttachRolePolicy
from remediations.attach_user_policy import AttachUserPolicy
from remediations.base import Remediation
from remediations.deactivate_access_key import DeactivateAccessKey
from remediations.deactivate_signing_certificate import DeactivateSigningCertificate
from remediations.deactivate_stale_access_keys import DeactivateStaleAccessKeys
from remediations.delete_access_key import DeleteAccessKey
from remediations.delete_group_policy import DeleteGroupPolicy
from remediations.delete_inactive_access_keys import DeleteInactiveAccessKeys
from remediations.delete_oidc_provider import DeleteOidcProvider
from remediations.delete_role_policy import DeleteRolePolicy
from remediations.delete_signing_certificate import DeleteSigningCertificate
from remediations.delete_user_policy import DeleteUserPolicy
from remediations.detach_group_policy import DetachGroupPolicy
from remediations.detach_role_policy import DetachRolePolicy
from remediations.detach_scp import DetachScp
from remediations.detach_user_policy import DetachUserPolicy
from remediations.disable_console_access import DisableConsoleAccess
from remediations.quarantine_user import QuarantineUser
from remediations.reactivate_access_key import ReactivateAccessKey
from remediations.reactivate_signing_certificate import ReactivateSigningCertificate
from remediations.remove_user_from_group import RemoveUserFromGroup
from remediations.require_password_reset import RequirePasswordReset
from remediations.restore_inline_policy import RestoreInlinePolicy
from remediations.restore_oidc_thumbprints import RestoreOidcThumbprints
from remediations.revert_server_certificate_rename import RevertServerCertificateRename
from remediations.revoke_role_sessions import RevokeRoleSessions

REMEDIATIONS: dict[str, type[Remediation]] = {
    cls.id: cls
    for cls in (
        DeactivateAccessKey,
        ReactivateAccessKey,
        DeleteAccessKey,
        QuarantineUser,
        RequirePasswordReset,
        DisableConsoleAccess,
        DeactivateSigningCertificate,
        ReactivateSigningCertificate,
        DeleteSigningCertificate,
        RevertServerCertificateRename,
        RestoreOidcThumbprints,
        DeleteOidcProvider,
        ApplyPasswordPolicy,
        DeactivateStaleAccessKeys,
        DeleteInactiveAccessKeys,
        DetachUserPolicy,
        DetachGroupPolicy,
        DetachRolePolicy,
        AttachUserPolicy,
        AttachGroupPolicy,
        AttachRolePolicy,
        DeleteUserPolicy,
        DeleteGroupPolicy,
        DeleteRolePolicy,
        RestoreInlinePolicy,
        RemoveUserFromGroup,
        RevokeRoleSessions,
        DetachScp,
    )
}


def ids() -> list[str]:
    return list(REMEDIATIONS)


def titles() -> dict[str, str]:
    return {rid: cls.title for rid, cls in REMEDIATIONS.items()}


def get(remediation_id: str) -> type[Remediation] | None:
    return REMEDIATIONS.get(remediation_id)
