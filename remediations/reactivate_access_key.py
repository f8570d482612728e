from __future__ import annotations

from remediations._access_keys import SetAccessKeyStatus


class ReactivateAccessKey(SetAccessKeyStatus):
    """The undo of deactivate-access-key (and undone by it in turn)."""

    id = "reactivate-access-key"
    title = "Re-activate the access key"
    undo_only = True
    status = "Active"
    before = "Inactive"
    inverse = "deactivate-access-key"
    note = "Whoever holds the key's secret can use it again"
