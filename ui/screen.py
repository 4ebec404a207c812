"""How wide the page's main column is, as the browser reports it: charts are redrawn for a narrow
(phone-sized) column.

The server never sees the screen, so a small component (its script runs in the page: no iframe,
nothing fetched) measures the column and reports whether it is narrow. Streamlit runs the page
again only when that differs from what the server drew for: once when a phone opens the
dashboard (a desktop's first run is already right), and when a window is resized across the
line. The script waits for a run to end before it reports (Streamlit's own
data-test-script-state attribute on the app): a run asked for while the first one is still going
opened the default page instead of the linked one.
"""

from __future__ import annotations

import streamlit as st

# Below 768 px Streamlit moves the header's navigation into the sidebar: the column counts as narrow
# from there (its width includes its padding), for the navigation (app.py) and the charts alike.
NARROW_BELOW_PX = 768
KEY = "column_width"
LAYOUT_KEY = "layout"  # .st-key-layout_narrow or .st-key-layout_wide
_NARROW = "_narrow_column"  # this run's answer

_MEASURE = """
let reported = null;  // across the page's runs: only a change is reported
export default function ({ data, setStateValue }) {
  const column = document.querySelector('[data-testid="stMainBlockContainer"]');
  const app = document.querySelector('[data-testid="stApp"]');
  if (!column || !app) return;
  if (reported === null) reported = data.narrow;  // what the server last drew for
  const report = () => {
    // Only between runs (see the module's docstring).
    if (app.getAttribute("data-test-script-state") === "running") return;
    const narrow = column.getBoundingClientRect().width < data.below;
    if (narrow !== reported) {
      reported = narrow;
      setStateValue("narrow", narrow);
    }
  };
  const resized = new ResizeObserver(report);
  resized.observe(column);
  const finished = new MutationObserver(report);
  finished.observe(app, { attributes: true, attributeFilter: ["data-test-script-state"] });
  report();
  return () => {
    resized.disconnect();
    finished.disconnect();
  };
}
"""
# Registered once per process: Streamlit warns when a component name is registered again.
_probe = st.components.v2.component("audit_insight_column_width", js=_MEASURE)


def measure() -> bool:
    """Place the measuring component (it draws nothing) and return whether the main column was
    narrow when the browser last said (False until it has)."""
    drawn_for = bool(st.session_state.get(_NARROW, False))
    result = _probe(
        key=KEY,
        data={"below": NARROW_BELOW_PX, "narrow": drawn_for},
        default={"narrow": False},
        on_narrow_change=lambda: None,  # a change runs the page again, redrawn for the width
    )
    narrow = bool(getattr(result, "narrow", False))
    st.session_state[_NARROW] = narrow
    # Says in the page which layout this run drew (hidden; the browser tests wait for it).
    layout = "narrow" if narrow else "wide"
    st.container(key=f"{LAYOUT_KEY}_{layout}").text(layout)  # an empty container is not drawn
    return narrow


def narrow() -> bool:
    """Return whether this run draws for a narrow column (measure() ran first, in app.py)."""
    return bool(st.session_state.get(_NARROW, False))
