"""Every export goes through here: the actor's permission is checked, then the export recorded
with the snapshot it was made from."""

from __future__ import annotations

from collections.abc import Callable

from analytics import audit_trail
from analytics.access import Actor, Permission
from analytics.disclosure.suppression import mode_text
from analytics.domain import Filters
from analytics.store import Store


def recorded_export(
    store: Store,
    actor: Actor,
    make: Callable[[], bytes],
    *,
    what: str,
    theme: str | None,
    filters: Filters,
    threshold: int | None,
) -> bytes:
    """Return make()'s bytes if `actor` may export, recording the export (or the refusal).

    `what` names the file (for the trail); theme, filters and threshold describe the view.
    """
    event = audit_trail.Event(
        actor, "export", what, theme, filters, mode_text(threshold), snapshot_id=store.snapshot
    )
    audit_trail.require_recorded(store.where, Permission.EXPORT, event, lake=store.lake)
    audit_trail.require_writable(store.lake, "export")
    data = make()
    audit_trail.record(store.where, event, lake=store.lake)
    return data
