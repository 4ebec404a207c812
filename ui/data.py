"""Cached calls into the analytics engine, keyed on the arguments and the store's snapshot.

One catalog connection per process (`_open_lake`); each page run looks the newest data snapshot
up once (`begin_run`, called by app.py) and every query of the run reads that snapshot.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics import queries
from analytics.config import resolve_data_dir
from analytics.errors import AuditDataError
from analytics.lake.catalog import Lake
from analytics.store import Store

# One declared lifetime for every cached result; new data shows at once via the fingerprint.
CACHE_TTL_SECONDS = 15 * 60


_RUN_STORE = "_audit_run_store"  # session state: the Store this page run reads


@st.cache_resource(show_spinner=False)
def _open_lake(setting: str) -> Lake:
    return Lake(setting)


def _open_store(setting: str, snapshot: int) -> Store:
    """Return a Store reading one snapshot (set up once per process and snapshot)."""
    return Store(setting, as_of=snapshot, lake=_open_lake(setting))


def data_dir() -> str:
    """Return the store the dashboard reads (--data-dir, $AUDIT_STORE or $AUDIT_DATA_DIR, else
    data/)."""
    return str(resolve_data_dir())


AS_OF_KEY = "as_of"  # URL: a snapshot id or a UTC date and time to show the store as it was
_AS_OF_IGNORED = "_audit_as_of_ignored"  # session state: this run's as_of, if it named nothing
_NEWEST = "_audit_newest_snapshot"  # session state: the newest data snapshot, when as_of is set


def begin_run() -> Store:
    """Look up the snapshot this page run reads, once: the newest data snapshot, or the one the
    URL's `as_of` names (one that names no snapshot is ignored, and the filter bar says so)."""
    setting = data_dir()
    lake = _open_lake(setting)
    asked = st.query_params.get(AS_OF_KEY)
    st.session_state[_AS_OF_IGNORED] = None
    st.session_state[_NEWEST] = None
    current = None
    if asked:
        st.session_state[_NEWEST] = lake.data_snapshot()
        wanted = int(asked) if asked.isascii() and asked.isdigit() else asked
        try:
            current = Store(setting, as_of=wanted, lake=lake)
        except AuditDataError:
            st.session_state[_AS_OF_IGNORED] = asked
    if current is None:
        current = Store(setting, lake=lake)
    st.session_state[_RUN_STORE] = current
    return current


def ignored_as_of() -> str | None:
    """Return this run's URL `as_of` if it named no snapshot of the store (it was ignored)."""
    return st.session_state.get(_AS_OF_IGNORED)


def as_of_text() -> str | None:
    """Say which older snapshot this run shows, when the URL's `as_of` chose one (None: the
    newest data)."""
    current = store()
    if not st.query_params.get(AS_OF_KEY) or ignored_as_of() is not None:
        return None
    if current.snapshot == st.session_state.get(_NEWEST):
        return None
    when = current.last_changed()
    at = f" ({when:%d %B %Y %H:%M:%S} UTC)" if when is not None else ""
    return f"Showing the store as of snapshot {current.snapshot}{at}, not the newest data."


def store() -> Store:
    """Return the snapshot of the store this page run reads (a cursor per query)."""
    current = st.session_state.get(_RUN_STORE)
    if current is None or current.where.setting != data_dir():
        return begin_run()
    return current


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(name: str, setting: str, snapshot: int, args: tuple, kwargs: tuple) -> Any:
    return getattr(queries, name)(_open_store(setting, snapshot), *args, **dict(kwargs))


def query(name: str, *args: Any, **kwargs: Any) -> Any:
    """Return analytics.queries.<name>(store, *args, **kwargs), cached per snapshot."""
    current = store()
    return _cached(
        name, current.where.setting, current.snapshot, args, tuple(sorted(kwargs.items()))
    )


def load_themes() -> pd.DataFrame:
    """Return the themes table (for the navigation)."""
    return query("themes")


def manifest() -> dict[str, Any]:
    """Return the store's manifest (is it synthetic, when generated)."""
    return store().manifest()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _cached_view(setting: str, snapshot: int, name: str, theme: str | None, filters: Any,
                 compare_round: str | None) -> Any:  # fmt: skip
    from analytics.views import chart_view

    return chart_view(_open_store(setting, snapshot), name, theme, filters, compare_round)


def chart(name: str, theme: str | None, filters: Any, compare_round: str | None = None) -> Any:
    """Return analytics.views.chart_view(...) for this run's snapshot, cached per snapshot."""
    current = store()
    return _cached_view(
        current.where.setting, current.snapshot, name, theme, filters, compare_round
    )


def store_caption(show_location: bool) -> str:
    """Say which store the dashboard reads and when its data last changed (its folder or
    catalog only when `show_location`: that is for the people who look after the server)."""
    current = store()
    where = current.location if show_location else "the audit store"
    changed = current.last_changed()
    when = f" (last changed {changed:%d %B %Y %H:%M} UTC)" if changed is not None else " (empty)"
    return f"Store: {where}{when}"


def last_loaded_text() -> str:
    """Say when the data was last loaded (for the overview)."""
    changed = store().last_changed()
    return (
        f"Data last loaded: {changed:%d %B %Y %H:%M} UTC"
        if changed is not None
        else "No data loaded"
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _cached_no_cases(setting: str, snapshot: int, theme: str | None, filters: Any) -> Any:
    from analytics.views import no_cases_message

    return no_cases_message(_open_store(setting, snapshot), theme, filters)


def no_cases(theme: str | None, filters: Any) -> str | None:
    """Return analytics.views.no_cases_message(...) for this run's snapshot, cached per
    snapshot."""
    current = store()
    return _cached_no_cases(current.where.setting, current.snapshot, theme, filters)
