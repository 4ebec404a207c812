"""The filter bar above every page (ui/filters.py), as AppTest finds it: a container keyed
"filter_bar"; the account line under it (ui/auth.py) is keyed "account"."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def filter_bar(at: AppTest):
    """Return the filter bar's block: its widgets, and the notices it shows."""
    return at.get_by_key("filter_bar")


def account(at: AppTest):
    """Return the account line's block (local mode, or who is signed in)."""
    return at.get_by_key("account")
