from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field

from remediations.base import BaseParams, Outcome, Plan, Remediation, RemediationError, Undo, as_dict, error_code

CertName = Field(min_length=1, max_length=128, pattern=r"^[\w+=,.@-]+$")


class RevertServerCertificateRename(Remediation):
    """Renames the certificate back. CloudTrail records the old name but not the old path, so
    the path changes only when ``original_path`` is given."""

    id = "revert-server-certificate-rename"
    title = "Rename the certificate back"
    permissions = ("iam:GetServerCertificate", "iam:UpdateServerCertificate")
    destructive = False

    class Params(BaseParams):
        current_name: str = CertName
        original_name: str = CertName
        original_path: str | None = Field(default=None, max_length=512, pattern=r"^/([\x21-\x7e]*/)?$")

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        """The same remediation with the names swapped, when the plan found the certificate under its
        current name; and the path it had then (its expected state), when this one moved it."""
        p = cls.parsed(params)
        state = as_dict(expected)
        if p is None or not isinstance(state.get("current"), str):
            return None
        back: dict[str, Any] = {"current_name": p.original_name, "original_name": p.current_name}
        if p.original_path is not None:  # it moved the certificate: move it back, or do not undo
            if not isinstance(state.get("path"), str):
                return None
            back["original_path"] = state["path"]
        parsed = cls.parsed(back)
        return None if parsed is None else Undo(cls.id, parsed.model_dump(exclude_none=True))

    def _metadata(self, name: str) -> dict[str, Any] | None:
        try:
            cert = self.iam.get_server_certificate(ServerCertificateName=name)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        return dict(cert["ServerCertificate"]["ServerCertificateMetadata"])

    def plan(self, p: Any) -> Plan:
        current = self._metadata(p.current_name)
        original = self._metadata(p.original_name)
        if current is None:
            if original is not None:
                return Plan(
                    [f"Server certificate {p.original_name} already has its original name"],
                    {"current": None, "original_path": original["Path"]},
                    noop=True,
                )
            raise RemediationError(f"No server certificate is named {p.current_name} or {p.original_name}")
        if original is not None:
            raise RemediationError(
                f"Another server certificate is now named {p.original_name} "
                f"({original['ServerCertificateId']}): check which one your listeners use before renaming"
            )
        path = p.original_path or current["Path"]
        where = f" at path {path}" if p.original_path and p.original_path != current["Path"] else ""
        return Plan(
            [f"Would rename server certificate {p.current_name} back to {p.original_name}{where}"],
            {"current": current["ServerCertificateId"], "path": current["Path"]},
        )

    def apply(self, p: Any) -> Outcome:
        kwargs: dict[str, str] = {"ServerCertificateName": p.current_name, "NewServerCertificateName": p.original_name}
        if p.original_path:
            kwargs["NewPath"] = p.original_path
        try:
            self.iam.update_server_certificate(**kwargs)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            return Outcome(False, [f"Server certificate {p.current_name} no longer exists under that name"])
        return Outcome(True, [f"Renamed server certificate {p.current_name} back to {p.original_name}"])
