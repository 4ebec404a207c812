"""Cached calls into the analytics engine, keyed on the arguments and the store's fingerprint."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics import queries
from analytics.config import resolve_data_dir
from analytics.store import Store

# One declared lifetime for every cached result; new data shows at once via the fingerprint.
CACHE_TTL_SECONDS = 15 * 60


@st.cache_resource(show_spinner=False)
def _open_store(data_dir: str) -> Store:
    return Store(data_dir)


def data_dir() -> str:
    """Return the data directory the dashboard reads ($AUDIT_DATA_DIR, else data/)."""
    return str(resolve_data_dir())


def store() -> Store:
    """Return the one shared store (a DuckDB connection; a cursor per query)."""
    return _open_store(data_dir())


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(name: str, directory: str, fingerprint: str, args: tuple, kwargs: tuple) -> Any:
    del fingerprint  # part of the cache key only: a changed store means a new entry
    return getattr(queries, name)(_open_store(directory), *args, **dict(kwargs))


def query(name: str, *args: Any, **kwargs: Any) -> Any:
    """Return analytics.queries.<name>(store, *args, **kwargs), cached per store version."""
    directory = data_dir()
    fingerprint = _open_store(directory).fingerprint()
    return _cached(name, directory, fingerprint, args, tuple(sorted(kwargs.items())))


def load_themes() -> pd.DataFrame:
    """Return the themes table (for the navigation)."""
    return query("themes")


def manifest() -> dict[str, Any]:
    """Return the store's manifest (is it synthetic, when generated)."""
    return store().manifest()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _cached_view(directory: str, fingerprint: str, name: str, theme: str | None, filters: Any,
                 compare_round: str | None) -> Any:  # fmt: skip
    del fingerprint
    from analytics.views import chart_view

    return chart_view(_open_store(directory), name, theme, filters, compare_round)


def chart(name: str, theme: str | None, filters: Any, compare_round: str | None = None) -> Any:
    """Return analytics.views.chart_view(...) for the current store, cached per store version."""
    directory = data_dir()
    fingerprint = _open_store(directory).fingerprint()
    return _cached_view(directory, fingerprint, name, theme, filters, compare_round)


def store_caption(show_location: bool) -> str:
    """Say which store the dashboard reads and when it last changed (its path or URL only when
    `show_location`: a server path is for the people who look after the server)."""
    current = store()
    where = current.location if show_location else "the audit store"
    if current.remote:
        return f"Store: {where} (read-only, from a URL)"
    changed = current.last_changed()
    when = f" (last changed {changed:%d %B %Y %H:%M})" if changed is not None else " (empty)"
    return f"Store: {where}{when}"


def last_loaded_text() -> str:
    """Say when the data was last loaded (for the overview)."""
    current = store()
    if current.remote:
        return "Data: read from the published store (read-only)"
    changed = current.last_changed()
    return (
        f"Data last loaded: {changed:%d %B %Y %H:%M}" if changed is not None else "No data loaded"
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _cached_no_cases(directory: str, fingerprint: str, theme: str | None, filters: Any) -> Any:
    del fingerprint
    from analytics.views import no_cases_message

    return no_cases_message(_open_store(directory), theme, filters)


def no_cases(theme: str | None, filters: Any) -> str | None:
    """Return analytics.views.no_cases_message(...) for the current store, cached per version."""
    directory = data_dir()
    fingerprint = _open_store(directory).fingerprint()
    return _cached_no_cases(directory, fingerprint, theme, filters)
