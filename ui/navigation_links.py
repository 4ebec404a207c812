"""The page links on a phone: plain links (st.page_link) in the sidebar, opened with its » button.

On a narrow screen Streamlit moves the header's navigation into the sidebar, drawn as lists whose
markup axe-core refuses (a list holding divs: WCAG 1.3.1). app.py hides Streamlit's navigation
there and draws these instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st
from streamlit.navigation.page import StreamlitPage


def in_sidebar(pages: Mapping[str, Sequence[StreamlitPage]]) -> None:
    """Draw a link per page in the sidebar, each section under its name."""
    for section, members in pages.items():
        if section:
            st.sidebar.caption(section)
        for page in members:
            st.sidebar.page_link(page)
