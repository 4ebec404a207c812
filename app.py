"""Audit Insight: routes only — page config, the shared filter bar, st.navigation."""

from __future__ import annotations

import streamlit as st

from ui import auth, data, render
from ui import filters as filter_bar
from ui.data import load_themes


def main() -> None:
    """Build the navigation, show the filter bar for the chosen page, run the page."""
    st.set_page_config(page_title="Audit Insight", layout="wide")
    actor = auth.gate()
    if actor is None:  # signed out, or no role: the sign-in page is the only page there is
        st.navigation([st.Page(auth.sign_in_page, title="Sign in")], position="hidden").run()
        return
    render.guarded(data.begin_run)  # one snapshot for the whole run
    themes = render.guarded(load_themes)  # a missing or broken store: a message, not a traceback
    theme_pages = [
        st.Page("app_pages/theme.py", title=row.title, url_path=row.theme_id)
        for row in themes.itertuples(index=False)
    ]
    navigation = st.navigation(
        {
            "Overview": [st.Page("app_pages/overview.py", title="Overview", default=True)],
            "Themes": theme_pages,
            "Across themes": [
                st.Page(
                    "app_pages/across_themes.py", title="Across themes", url_path="across_themes"
                )
            ],
            "Actions": [
                st.Page("app_pages/actions.py", title="Actions tracker", url_path="actions")
            ],
            "Data": [st.Page("app_pages/data.py", title="Data", url_path="data")],
        },
        expanded=True,
    )
    theme_ids = set(themes["theme_id"])
    theme_id = navigation.url_path if navigation.url_path in theme_ids else None
    filter_bar.set_theme(theme_id)
    filter_bar.render(theme_id, actor.default_quadrants)
    try:
        navigation.run()
    finally:
        filter_bar.finish()  # the URL keeps only what this page drew


main()
