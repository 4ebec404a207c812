"""The one domain error of the analytics engine: a message a user can act on."""

from __future__ import annotations

from collections.abc import Iterable


class AuditDataError(Exception):
    """Raised for anything a user can fix: an unknown value, a missing store, a bad file."""


class UnknownValueError(AuditDataError):
    """A parameter value that is not one of the allowed ones."""

    def __init__(self, what: str, value: object, allowed: Iterable[object]):
        allowed_list = ", ".join(str(a) for a in allowed) or "(none loaded)"
        super().__init__(f"Unknown {what} {value!r}. Allowed: {allowed_list}.")
        self.what = what
        self.value = value
        self.allowed = list(allowed)
