"""Audit Insight: routes only — page config, the shared filter bar, st.navigation."""

from __future__ import annotations

import streamlit as st

from ui import auth, data, navigation_links, render, screen
from ui import filters as filter_bar
from ui.data import load_themes


def main() -> None:
    """Build the navigation, show the filter bar for the chosen page, run the page."""
    st.set_page_config(page_title="Audit Insight", layout="wide")
    actor = auth.gate()
    if actor is None:  # signed out, or no role: the sign-in page is the only page there is
        st.navigation([st.Page(auth.sign_in_page, title="Sign in")], position="hidden").run()
        return
    render.page_style()
    narrow = screen.measure()  # a phone's column: charts, tables and navigation drawn for it
    render.guarded(data.begin_run)  # one snapshot for the whole run
    themes = render.guarded(load_themes)  # a missing or broken store: a message, not a traceback
    theme_pages = [
        st.Page("app_pages/theme.py", title=row.title, url_path=row.theme_id)
        for row in themes.itertuples(index=False)
    ]
    pages = {
        "": [
            st.Page("app_pages/overview.py", title="Overview", default=True),
            st.Page("app_pages/across_themes.py", title="Across themes", url_path="across_themes"),
            st.Page("app_pages/actions.py", title="Actions tracker", url_path="actions"),
            st.Page("app_pages/data.py", title="Data", url_path="data"),
        ],
        "Themes": theme_pages,
    }
    # In the header, not the sidebar: on screen the filter bar is the first thing on the page,
    # and "Skip to main content" (the first Tab stop) leads straight to it. On a phone Streamlit
    # would move the header's links into the sidebar as lists axe refuses: our own links instead.
    navigation = st.navigation(pages, position="hidden" if narrow else "top")
    if narrow:
        navigation_links.in_sidebar(pages)
    theme_ids = set(themes["theme_id"])
    theme_id = navigation.url_path if navigation.url_path in theme_ids else None
    filter_bar.set_theme(theme_id)
    filter_bar.render(theme_id, actor.default_quadrants)
    auth.account_line(st.container(key="account"), actor)
    try:
        navigation.run()
    finally:
        filter_bar.finish()  # the URL keeps only what this page drew


main()
