from __future__ import annotations

from remediations._access_keys import SetAccessKeyStatus


class DeactivateAccessKey(SetAccessKeyStatus):
    """Undone by reactivate-access-key (the key was Active before)."""

    id = "deactivate-access-key"
    title = "Deactivate the access key"
    status = "Inactive"
    before = "Active"
    inverse = "reactivate-access-key"
